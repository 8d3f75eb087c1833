"""Wheel build hook: ship the pinned Mermaid with `incidentflow serve` when it is present.

`npm ci` puts the pinned Mermaid (package.json) in node_modules/. A wheel built after it
carries the file, so the service's page draws flowcharts with no other host on the
network. A plain `pip install .` of a fresh clone has no node_modules/ and must still
work: the page then shows the Mermaid text instead (src/incidentflow/serve/assets.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

MERMAID = Path("node_modules/mermaid/dist/mermaid.min.js")
SHIPPED_AS = "incidentflow/serve/static/mermaid.min.js"


class MermaidIfPresent(BuildHookInterface):
    """Adds node_modules' Mermaid to the wheel when `npm ci` has run."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        source = Path(self.root) / MERMAID
        if self.target_name == "wheel" and source.is_file():
            build_data["force_include"][str(source)] = SHIPPED_AS
