"""`incidentflow diff`: exit statuses, --fail-on, the three formats, invalid specs."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from incidentflow.cli import run
from tests.diff.test_diff_examples import DESK, MAJOR, edited

RENAMED = edited(MAJOR, ("monitoring", "watching"), ('version: "1.0.0"', 'version: "1.1.0"'))
SAFE_ONLY = edited(
    MAJOR,
    ("      acknowledge_within: 4h\n", "      acknowledge_within: 2h\n"),
    ("to: stabilising, by: [commander, responder]}", "to: stabilising, by: [commander]}"),
)


def diff(tmp_path: Path, old: str, new: str, *options: str) -> tuple[int, str, str]:
    a, b = tmp_path / "old.yaml", tmp_path / "new.yaml"
    a.write_text(old, encoding="utf-8")
    b.write_text(new, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = run(["diff", str(a), str(b), *options], out, err)
    return code, out.getvalue(), err.getvalue()


def test_no_change_exits_0(tmp_path: Path) -> None:
    assert diff(tmp_path, DESK, DESK)[0] == 0


def test_changes_exit_1_and_fail_on_chooses_which(tmp_path: Path) -> None:
    assert diff(tmp_path, MAJOR, SAFE_ONLY)[0] == 1
    assert diff(tmp_path, MAJOR, SAFE_ONLY, "--fail-on", "migration")[0] == 0
    assert diff(tmp_path, MAJOR, RENAMED, "--fail-on", "migration")[0] == 1
    assert diff(tmp_path, MAJOR, RENAMED, "--fail-on", "never")[0] == 0


def test_text_output_lists_what_needs_migration_first(tmp_path: Path) -> None:
    _, out, _ = diff(tmp_path, MAJOR, RENAMED)
    lines = out.splitlines()
    assert lines[0].startswith("major-incident 1.0.0 -> 1.1.0:")
    assert "1 needs migrating open incidents" in lines[0]
    assert lines[2] == "Needs migration:"
    assert "state 'monitoring' renamed to 'watching'" in lines[3]


def test_markdown_starts_with_the_summary_and_has_headings_per_level(tmp_path: Path) -> None:
    _, out, _ = diff(tmp_path, MAJOR, SAFE_ONLY, "--format", "markdown")
    assert out.startswith("**`major-incident` 1.0.0 → 1.0.0**: ")
    assert "#### At SEV4" in out
    assert "| Part | Change | Open incidents |" in out
    assert "bump metadata.version" in out


def test_json_has_the_documented_shape(tmp_path: Path) -> None:
    code, out, _ = diff(tmp_path, MAJOR, RENAMED, "--format", "json")
    data = json.loads(out)
    assert code == 1
    assert set(data) == {
        "format",
        "old",
        "new",
        "levels",
        "summary",
        "changed",
        "needs_migration",
        "notes",
        "changes",
    }
    assert (data["format"], data["changed"], data["needs_migration"]) == (1, True, True)
    assert data["old"]["version"] == "1.0.0"
    assert data["new"]["digest"].startswith("sha256:")
    for change in data["changes"]:
        assert set(change) == {
            "aspect",
            "area",
            "kind",
            "subject",
            "field",
            "levels",
            "old",
            "new",
            "summary",
            "class",
            "reason",
        }
        assert change["class"] in ("safe", "migration")


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_an_invalid_spec_exits_2_with_its_diagnostics(tmp_path: Path, fmt: str) -> None:
    broken = edited(MAJOR, ("by: [responder, secondary]", "by: [responder, secondry]"))
    code, out, err = diff(tmp_path, MAJOR, broken, "--format", fmt)
    assert code == 2
    assert out == ""
    assert "IF203" in err or "IF2" in err
    assert "new.yaml:" in err


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert run(["diff", str(tmp_path / "nope.yaml"), str(tmp_path / "nope.yaml")], out, err) == 2
    assert "no such file" in err.getvalue()
