"""MkDocs hook: serve the pinned Mermaid from the site itself instead of a CDN.

Material for MkDocs renders ```` ```mermaid ```` blocks with whatever ``mermaid``
global the page already has, and only when there is none fetches
``https://unpkg.com/mermaid@11`` at view time. That makes the handbooks'
flowcharts depend on a third-party CDN (absent on air-gapped machines, and a
version we did not test). This hook copies ``node_modules/mermaid/dist/mermaid.min.js``
(pinned in ``package.json`` / ``package-lock.json``; the same file the browser
tests load) into the site and lists it in ``extra_javascript``, so the site
renders its diagrams with exactly the Mermaid the tests rendered.

When the file is missing a warning says how to get it, which fails
``mkdocs build --strict`` (``nox -s docs`` runs ``npm ci`` first).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

log = logging.getLogger("mkdocs.hooks.mermaid")

SITE_PATH = "assets/javascripts/mermaid.min.js"
PACKAGE_FILE = Path("node_modules") / "mermaid" / "dist" / "mermaid.min.js"

_source: Path | None = None


def on_config(config: Any) -> Any:
    global _source
    candidate = Path(config.config_file_path).resolve().parent / PACKAGE_FILE
    if not candidate.is_file():
        _source = None
        log.warning(
            "%s is missing, so the site's flowcharts would load Mermaid from a CDN: "
            "run `npm ci` in the repository root (nox -s docs does)",
            PACKAGE_FILE.as_posix(),
        )
        return config
    _source = candidate
    if SITE_PATH not in [str(script) for script in config.extra_javascript]:
        config.extra_javascript.append(SITE_PATH)
    return config


def on_files(files: Files, config: Any) -> Files:
    if _source is not None:
        files.append(File.generated(config, SITE_PATH, abs_src_path=str(_source)))
    return files
