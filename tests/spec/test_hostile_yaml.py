"""Hostile input: every case ends in diagnostics (never another exception), quickly.

The 2-second bound is a robustness bound for hostile input (an alias bomb or a
deep nest must be refused early), not a benchmark.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

import incidentflow
from incidentflow import Diagnostic, Limits, Process, SpecError
from incidentflow.rules import RULES

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = (ROOT / "tests" / "specs" / "valid" / "minimal.yaml").read_text(encoding="utf-8")
BOUND = 2.0
TEN_MB = 10 * 1024 * 1024


def timed(fn: Callable[[], object]) -> tuple[object, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def refused(text: str, **kwargs: object) -> tuple[Diagnostic, ...]:
    """loads() must raise SpecError (nothing else) within the bound; return its diagnostics."""

    def run() -> tuple[Diagnostic, ...]:
        with pytest.raises(SpecError) as info:
            incidentflow.loads(text, "hostile.yaml", **kwargs)  # type: ignore[arg-type]
        return info.value.diagnostics

    diagnostics, elapsed = timed(run)
    assert elapsed < BOUND, f"took {elapsed:.2f}s"
    assert isinstance(diagnostics, tuple)
    assert diagnostics
    for d in diagnostics:
        assert isinstance(d, Diagnostic)
        assert d.code in RULES
        assert d.line >= 0
        assert d.column >= 0
    return diagnostics


def codes(diagnostics: tuple[Diagnostic, ...] | list[Diagnostic]) -> list[str]:
    return [d.code for d in diagnostics]


def only(diagnostics: tuple[Diagnostic, ...] | list[Diagnostic], code: str) -> Diagnostic:
    found = [d for d in diagnostics if d.code == code]
    assert found, f"expected {code}, got {codes(diagnostics)}"
    return found[0]


def with_line(text: str, after: str, line: str) -> str:
    """Insert ``line`` after the first line that equals ``after``."""
    lines = text.split("\n")
    i = lines.index(after)
    lines.insert(i + 1, line)
    return "\n".join(lines)


# --- tags -----------------------------------------------------------------------------


def test_python_object_apply_tag_is_refused_and_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    tagged = f'title: !!python/object/apply:os.system ["touch {marker}"]'
    text = MINIMAL.replace("title: Responder", tagged, 1)
    assert tagged in text
    diagnostics = refused(text)
    d = only(diagnostics, "IF109")
    assert codes(diagnostics) == ["IF109"]
    assert d.line == next(i for i, x in enumerate(text.split("\n"), 1) if tagged in x)
    assert not marker.exists(), "the tagged command ran"


def test_python_object_apply_subprocess_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "pwned2"
    text = (
        "apiVersion: incidentflow/v1\n"
        "kind: !!python/object/apply:subprocess.check_call\n"
        f"  args: [[touch, {marker}]]\n"
    )
    assert codes(refused(text)) == ["IF109"]
    assert not marker.exists()


def test_python_name_tag_is_refused() -> None:
    text = with_line(MINIMAL, "metadata:", "  title: !!python/name:os.system ''")
    assert codes(refused(text)) == ["IF109"]


def test_custom_local_tag_is_refused() -> None:
    text = with_line(MINIMAL, "metadata:", "  title: !Ref foo")
    d = only(refused(text), "IF109")
    assert "!Ref" in d.message
    assert d.line == text.split("\n").index("  title: !Ref foo") + 1


# --- resource exhaustion -------------------------------------------------------------


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    lines = ['a0: &a0 "lol"']
    for i in range(1, levels + 1):
        refs = ", ".join([f"*a{i - 1}"] * width)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_refused_quickly() -> None:
    diagnostics = refused(billion_laughs())
    assert codes(diagnostics) == ["IF112"]


def test_billion_laughs_inside_a_spec_is_refused() -> None:
    bomb = "".join("  " + line + "\n" for line in billion_laughs().splitlines())
    text = MINIMAL + "x-bomb:\n" + bomb
    assert codes(refused(text)) == ["IF112"]


def test_billion_laughs_memory_is_bounded() -> None:
    tracemalloc.start()
    try:
        with pytest.raises(SpecError) as info:
            incidentflow.loads(billion_laughs())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert codes(info.value.diagnostics) == ["IF112"]
    assert peak < 50 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def test_deeply_nested_flow_sequences() -> None:
    text = "a: " + "[" * 5000 + "]" * 5000 + "\n"
    d = only(refused(text), "IF111")
    assert codes(refused(text)) == ["IF111"]
    assert d.line == 1


def test_deeply_nested_flow_mappings() -> None:
    text = "{a: " * 5000 + "x" + "}" * 5000 + "\n"
    assert codes(refused(text)) == ["IF111"]


def test_deeply_nested_block_mappings() -> None:
    # 5,000 levels need ~12.5M characters of indentation; lift the size limit so
    # that the depth limit is what refuses it
    text = "".join(" " * i + "k:\n" for i in range(5000)) + " " * 5000 + "x\n"
    assert len(text) > Limits().max_bytes
    diagnostics = refused(text, limits=Limits(max_bytes=64 * 1024 * 1024))
    assert codes(diagnostics) == ["IF111"]
    assert only(diagnostics, "IF111").line <= 70


def test_deeply_nested_block_mappings_default_limits() -> None:
    # with default limits the same text is refused for its size before parsing
    text = "".join(" " * i + "k:\n" for i in range(5000)) + " " * 5000 + "x\n"
    assert codes(refused(text)) == ["IF110"]


def test_deeply_nested_block_sequences() -> None:
    text = "- " * 5000 + "x\n"
    assert codes(refused(text)) == ["IF111"]


def test_ten_megabyte_file_through_check(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_bytes(MINIMAL.encode() + b"#" + b"x" * TEN_MB + b"\n")
    diagnostics, elapsed = timed(lambda: incidentflow.check(path))
    assert elapsed < BOUND
    assert codes(diagnostics) == ["IF110"]  # type: ignore[arg-type]
    with pytest.raises(SpecError) as info:
        incidentflow.load(path)
    assert codes(info.value.diagnostics) == ["IF110"]


def test_ten_megabyte_string_through_loads() -> None:
    text = MINIMAL + "#" + "x" * TEN_MB + "\n"
    assert codes(refused(text)) == ["IF110"]


def test_ten_megabyte_string_of_non_ascii_through_loads() -> None:
    # 3.4M characters but 10 MB of UTF-8: the limit is in bytes
    text = MINIMAL + "#" + "€" * (TEN_MB // 3) + "\n"
    assert len(text) < Limits().max_bytes < len(text.encode())
    assert codes(refused(text)) == ["IF110"]


def test_ten_megabyte_string_with_lone_surrogate_through_loads() -> None:
    text = MINIMAL + "#\ud800" + "x" * TEN_MB + "\n"
    assert codes(refused(text)) == ["IF110"]


# --- encodings and binary ------------------------------------------------------------


def check_path(path: Path) -> list[Diagnostic]:
    diagnostics, elapsed = timed(lambda: incidentflow.check(path))
    assert elapsed < BOUND
    assert isinstance(diagnostics, list)
    return diagnostics


def test_binary_file_with_nul_bytes(tmp_path: Path) -> None:
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"apiVersion: incidentflow/v1\nkind: Pro\x00cess\n\x89PNG\r\n\x1a\n")
    diagnostics = check_path(path)
    assert codes(diagnostics) == ["IF101"]
    assert (diagnostics[0].line, diagnostics[0].column) == (2, 10)


def test_nul_in_string_through_loads() -> None:
    text = MINIMAL.replace("title: Responder", "title: Resp\x00onder")
    assert codes(refused(text)) == ["IF101"]


def test_invalid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    data = MINIMAL.replace("title: Responder", "title: Responder caf\u00e9").encode("latin-1")
    path.write_bytes(data)
    diagnostics = check_path(path)
    assert codes(diagnostics) == ["IF101"]
    line = MINIMAL.split("\n").index("    title: Responder") + 1
    assert diagnostics[0].line == line
    assert "0xe9" in diagnostics[0].message


def test_utf16_file_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "utf16.yaml"
    path.write_bytes(MINIMAL.encode("utf-16"))
    assert codes(check_path(path)) == ["IF101"]


def test_utf8_bom_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode("utf-8"))
    assert check_path(path) == []
    process = incidentflow.load(path)
    assert isinstance(process, Process)
    assert process.name == "minimal"


def test_utf8_bom_string_loads() -> None:
    process = incidentflow.loads("\ufeff" + MINIMAL)
    assert process.name == "minimal"


# --- document structure ---------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"\n\n", b"   \n", b"\xef\xbb\xbf"], ids=repr)
def test_empty_file(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "empty.yaml"
    path.write_bytes(data)
    diagnostics = check_path(path)
    assert codes(diagnostics) == ["IF103"]


def test_comments_only_file(tmp_path: Path) -> None:
    path = tmp_path / "comments.yaml"
    path.write_text("# just a comment\n   # another\n\n#apiVersion: incidentflow/v1\n")
    assert codes(check_path(path)) == ["IF103"]
    assert codes(refused("# nothing here\n")) == ["IF103"]


def test_explicit_empty_document() -> None:
    assert codes(refused("---\n...\n")) == ["IF103"]


def test_two_documents() -> None:
    text = MINIMAL + "---\n" + MINIMAL
    d = only(refused(text), "IF104")
    assert codes(refused(text)) == ["IF104"]
    assert d.line == MINIMAL.count("\n") + 1


def test_duplicate_key_reported_at_second_occurrence() -> None:
    # metadata.name twice: the second one is at line L, column 3
    text = with_line(MINIMAL, "  name: minimal", "  name: other")
    lines = text.split("\n")
    second = lines.index("  name: other") + 1
    first = lines.index("  name: minimal") + 1
    d = only(refused(text), "IF108")
    assert (d.line, d.column) == (second, 3)
    assert f"line {first}" in d.message
    assert "'name'" in d.message


def test_duplicate_state_key_in_flow_mapping() -> None:
    text = MINIMAL.replace(
        "- {name: close, from: open, to: closed, by: [responder], requires: [fixed]}",
        "- {name: close, from: open, to: closed, by: [responder], requires: [fixed], to: open}",
    )
    line = next(i for i, x in enumerate(text.split("\n"), 1) if "to: open}" in x)
    col = text.split("\n")[line - 1].index("to: open}") + 1
    d = only(refused(text), "IF108")
    assert (d.line, d.column) == (line, col)


def test_merge_key_is_refused() -> None:
    text = MINIMAL.replace(
        "roles:\n  responder:\n    title: Responder\n",
        "roles:\n  responder: &base\n    title: Responder\n",
    ).replace("  lead:\n    title: Lead\n", "  lead:\n    <<: *base\n    title: Lead\n")
    assert "<<: *base" in text
    d = only(refused(text), "IF113")
    assert d.line == text.split("\n").index("    <<: *base") + 1
    assert d.column == 5


def test_quoted_merge_key_is_an_ordinary_unknown_key() -> None:
    text = with_line(MINIMAL, "metadata:", '  "<<": x')
    diagnostics = refused(text)
    assert "IF113" not in codes(diagnostics)
    assert "IF120" in codes(diagnostics)


# --- YAML 1.1 surprises stay strings ---------------------------------------------------


def test_yes_on_no_off_stay_strings() -> None:
    text = (
        MINIMAL.replace("title: Responder", "title: yes")
        .replace("title: Lead", "title: on")
        .replace("title: Open", "title: off")
        .replace("title: Closed", "title: no")
    )
    process = incidentflow.loads(text)
    assert process.spec.roles["responder"].title == "yes"
    assert process.spec.roles["lead"].title == "on"
    assert process.states["open"].title == "off"
    assert process.states["closed"].title == "no"


def test_on_as_a_state_id_stays_a_string() -> None:
    text = (
        MINIMAL.replace("  initial: open", "  initial: on")
        .replace("    open:\n", "    on:\n")
        .replace("from: open", "from: on")
    )
    process = incidentflow.loads(text)
    assert "on" in process.states
    assert process.initial == "on"


def test_unquoted_version_1_10_is_refused_with_quoting_hint() -> None:
    text = MINIMAL.replace('  version: "1"', "  version: 1.10")
    diagnostics = refused(text)
    d = only(diagnostics, "IF122")
    assert codes(diagnostics) == ["IF122"]
    assert d.line == text.split("\n").index("  version: 1.10") + 1
    assert "quot" in d.hint.lower()
    assert "1.10" in d.hint


def test_quoted_version_1_10_is_kept_verbatim() -> None:
    process = incidentflow.loads(MINIMAL.replace('  version: "1"', '  version: "1.10"'))
    assert process.version == "1.10"
