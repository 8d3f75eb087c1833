"""Diagnostics as a SARIF 2.1.0 log, for GitHub code scanning and other SARIF viewers.

The log has one run. Its driver lists every rule of the catalogue, not only those
that fired (so a viewer can tell "checked, nothing found" from "not checked"), each
with its summary, its usual fix as help, and its entry on the rules page as
``helpUri``. Each diagnostic becomes a result with ``ruleId``, ``level`` (``error``
or ``warning``, as its severity), a message (the diagnostic's message, notes and
hint; the hint is also in ``properties.hint``), and one location.

Locations are relative to the working directory, with ``uriBaseId`` ``%SRCROOT%``:
run ``validate`` from the root of the checkout, as CI does, and code scanning puts
each result on its line. A file outside the working directory keeps an absolute
``file:`` URI. The root's own address is left out, so a log does not depend on
where the checkout happened to be.

``partialFingerprints`` carries ``incidentflowDiagnostic/v1``: a hash of the rule,
the file and the message (which names what is wrong: the role, the state, the
key), plus a counter for identical ones, and no line number, so a result keeps
its identity when lines above it move. GitHub's upload action adds its own
``primaryLocationLineHash`` beside it; an upload through the REST API, which adds
none, still gets results matched across runs.

Suppressed warnings are left out unless ``suppressed`` is given; then they are
results with a ``suppressions`` entry (``inSource`` for comments, ``external``
for the option), and every other result has an empty ``suppressions`` list, as
SARIF requires (all or none). GitHub code scanning shows suppressed results as
open alerts unless a repository is set to dismiss them, which is why they are
not there by default.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from incidentflow._version import __version__
from incidentflow.diagnostics import Diagnostic, Suppressed, SuppressedBy
from incidentflow.rules import DOCS_URL, RULES

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SOURCE_ROOT = "%SRCROOT%"
FINGERPRINT = "incidentflowDiagnostic/v1"

_RULE_INDEX = {code: i for i, code in enumerate(RULES)}


def format_sarif(
    diagnostics: Sequence[Diagnostic],
    suppressed: Sequence[Suppressed] | None = None,
    *,
    root: str | os.PathLike[str] | None = None,
) -> str:
    """A SARIF 2.1.0 log of ``diagnostics`` (and of ``suppressed``, when given) as JSON text.

    File paths are made relative to ``root`` (default: the working directory).
    """
    builder = _Results(Path(os.path.abspath(root if root is not None else os.getcwd())))
    results = []
    for d in diagnostics:
        result = builder.result(d)
        if suppressed is not None:
            result["suppressions"] = []
        results.append(result)
    for s in suppressed or ():
        result = builder.result(s.diagnostic)
        result["suppressions"] = [builder.suppression(s)]
        results.append(result)
    log = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "incidentflow",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": DOCS_URL,
                        "rules": [_rule_descriptor(code) for code in RULES],
                    }
                },
                "columnKind": "unicodeCodePoints",  # columns count characters
                "results": results,
            }
        ],
    }
    # compact: a log is read by tools (and by people through jq); indenting it would
    # also take the pure-Python JSON encoder, several times slower for a large log
    return json.dumps(log, ensure_ascii=False, separators=(",", ":")) + "\n"


def _rule_descriptor(code: str) -> dict[str, Any]:
    rule = RULES[code]
    return {
        "id": rule.code,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.summary},
        "help": {"text": f"How to fix: {rule.fix}", "markdown": f"**How to fix:** {rule.fix}"},
        "helpUri": rule.help_uri,
        "defaultConfiguration": {"level": rule.severity.value},
    }


class _Results:
    """Builds the results of one run: each file's location once, fingerprints counted."""

    def __init__(self, base: Path) -> None:
        self._base = base
        self._artifacts: dict[str, dict[str, str]] = {}
        self._seen: dict[tuple[str, str, str], int] = {}

    def artifact(self, file: str) -> dict[str, str]:
        found = self._artifacts.get(file)
        if found is None:
            found = self._artifacts[file] = _artifact_location(file, self._base)
        return found

    def result(self, d: Diagnostic) -> dict[str, Any]:
        artifact = self.artifact(d.file)
        key = (d.code, artifact["uri"], d.message)
        self._seen[key] = count = self._seen.get(key, 0) + 1
        fingerprint = hashlib.sha256("\0".join([*key, str(count)]).encode()).hexdigest()
        result: dict[str, Any] = {
            "ruleId": d.code,
            "level": d.severity.value,
            "message": {"text": _message(d)},
            "locations": [
                {"physicalLocation": _physical_location(artifact, d.line, d.column, d.length)}
            ],
            "partialFingerprints": {FINGERPRINT: fingerprint},
        }
        if d.code in _RULE_INDEX:
            result["ruleIndex"] = _RULE_INDEX[d.code]
        if d.hint:
            result["properties"] = {"hint": d.hint}
        return result

    def suppression(self, s: Suppressed) -> dict[str, Any]:
        if s.by is SuppressedBy.OPTION:
            entry: dict[str, Any] = {"kind": "external", "status": "accepted"}
        else:
            artifact = self.artifact(s.diagnostic.file)
            entry = {
                "kind": "inSource",
                "status": "accepted",
                "location": {"physicalLocation": _physical_location(artifact, s.line, s.column)},
            }
        if s.justification:
            entry["justification"] = s.justification
        return entry


def _message(d: Diagnostic) -> str:
    lines = [d.message]
    for note in d.notes:
        where = f"line {note.line}: " if note.line else ""
        lines.append(f"{where}{note.message}")
    if d.hint:
        lines.append(f"hint: {d.hint}")
    return "\n".join(lines)


def _artifact_location(file: str, base: Path) -> dict[str, str]:
    """A URI relative to ``base`` (with uriBaseId) when the file is below it, else an absolute one."""
    absolute = Path(os.path.normpath(base / file))
    try:
        relative = absolute.relative_to(base)
    except ValueError:
        return {"uri": absolute.as_uri()}
    return {"uri": quote(relative.as_posix()), "uriBaseId": SOURCE_ROOT}


def _physical_location(
    artifact: dict[str, str], line: int, column: int, length: int = 1
) -> dict[str, Any]:
    if line < 1:  # the whole file: shown at its first line
        return {"artifactLocation": artifact, "region": {"startLine": 1}}
    region = {"startLine": line}
    if column >= 1:
        region["startColumn"] = column
        region["endColumn"] = column + max(length, 1)
    return {"artifactLocation": artifact, "region": region}
