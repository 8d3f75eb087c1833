"""The runtime: drive incidents through a compiled Process, recording every change."""
