"""MkDocs hook: generate the handbooks of ``process_specs/`` into the site at build time.

Each spec becomes a page under ``handbooks/`` and an entry in a "Handbooks"
section of the navigation, so the published handbooks are always those of the
specs in the repository. The pages are written by
``incidentflow.publish.write_handbooks`` (the same code as
``incidentflow docs``); when that cannot be imported, nothing is generated and a
warning is logged (which fails ``mkdocs build --strict``, as it should: a site
without its handbooks is not the site).
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

log = logging.getLogger("mkdocs.hooks.handbooks")

SPECS_DIR = "process_specs"
PAGES_DIR = "handbooks"
NAV_TITLE = "Handbooks"

# (src_uri, title, markdown) of every generated page, filled by on_config
_pages: list[tuple[str, str, str]] = []


def _title(markdown: str, fallback: str) -> str:
    for line in markdown.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return fallback


def on_config(config: Any) -> Any:
    _pages.clear()
    specs = Path(config.docs_dir).parent / SPECS_DIR  # docs/ and process_specs/ are siblings
    try:
        from incidentflow.publish import write_handbooks
    except ImportError as exc:
        log.warning("handbooks not generated: cannot import write_handbooks (%s)", exc)
        return config
    with tempfile.TemporaryDirectory(prefix="incidentflow-handbooks-") as tmp:
        written = write_handbooks(specs, Path(tmp))
        for path in sorted(written, key=lambda p: p.name):
            markdown = path.read_text(encoding="utf-8")
            _pages.append((f"{PAGES_DIR}/{path.name}", _title(markdown, path.stem), markdown))
    if not _pages:
        log.warning("handbooks not generated: no specs found in %s", specs)
        return config
    nav = config.nav if config.nav is not None else []
    nav = [entry for entry in nav if not (isinstance(entry, dict) and NAV_TITLE in entry)]
    nav.append({NAV_TITLE: [{title: uri} for uri, title, _ in _pages]})
    config.nav = nav
    return config


def on_files(files: Files, config: Any) -> Files:
    for uri, _, markdown in _pages:
        files.append(File.generated(config, uri, content=markdown))
    return files
