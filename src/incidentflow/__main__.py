"""``python -m incidentflow`` runs the command-line interface."""

from incidentflow.cli import main

main()
