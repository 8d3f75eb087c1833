"""Anchors: `audit anchor` / Engine.anchor() record every chain head, and verifying against an
anchor catches what a chain alone cannot: a cut at the end, and a rewrite that was re-hashed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from incidentflow import Anchor, AuditError
from tests.conftest import CliResult
from tests.helpers.audit_files import (
    ACTOR,
    T0,
    build_store,
    engine_on,
    execute,
    on_disk,
    rewrite_and_rehash,
)

Cli = Callable[..., CliResult]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A closed store with inc-1, inc-2 and inc-3, five events each."""
    path = tmp_path / "incidents.db"
    build_store(path)
    return path


@pytest.fixture
def anchored(cli: Cli, db: Path, tmp_path: Path) -> tuple[Path, Path]:
    """The store and an anchor of it written by `audit anchor`."""
    anchor = tmp_path / "anchor.json"
    before = on_disk(db)
    result = cli("audit", "anchor", str(db), "-o", str(anchor))
    assert (result.code, result.err) == (0, "")
    assert result.out.startswith(f"wrote {anchor}: anchored 3 incident(s), 15 event(s), at ")
    assert on_disk(db) == before  # anchoring reads the store, and changes nothing
    return db, anchor


def _verify(cli: Cli, db: Path, anchor: Path | None = None) -> CliResult:
    return cli("audit", "verify", str(db), *(["--anchor", str(anchor)] if anchor else []))


def test_the_anchor_file_records_every_head_and_a_digest_over_them(
    anchored: tuple[Path, Path],
) -> None:
    db, path = anchored
    document = json.loads(path.read_text(encoding="utf-8"))
    assert list(document) == ["format", "version", "created", "digest", "heads"]
    assert (document["format"], document["version"]) == ("incidentflow-anchor", 1)
    engine, store = engine_on(db)
    try:
        expected = [
            {"incident_id": iid, "seq": 5, "hash": engine.history(iid)[-1].hash}
            for iid in ("inc-1", "inc-2", "inc-3")
        ]
    finally:
        store.close()
    assert document["heads"] == expected
    # The digest, computed as the format's documentation says.
    body = ["incidentflow-anchor", 1, document["created"], [list(h.values()) for h in expected]]
    encoded = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert document["digest"] == hashlib.sha256(encoded.encode()).hexdigest()


def test_a_cut_at_the_end_is_caught_only_with_the_anchor(
    cli: Cli, anchored: tuple[Path, Path]
) -> None:
    db, anchor = anchored
    execute(db, "DELETE FROM events WHERE incident_id = 'inc-2' AND seq >= 4")
    assert _verify(cli, db).code == 0  # the shorter chain verifies on its own
    result = _verify(cli, db, anchor)
    assert result.code == 1
    assert result.out == (
        "inc-2: event 4: cut: the log ends at event 3, but the anchor recorded event 5: "
        "events 4..5 were cut\n"
        "3 incident(s), 13 event(s): 1 problem(s)\n"
    )


def test_a_rehashed_rewrite_before_the_checkpoint_is_caught(
    cli: Cli, anchored: tuple[Path, Path]
) -> None:
    db, anchor = anchored
    rewrite_and_rehash(db, "inc-3", 2, actor="mallory")
    assert _verify(cli, db).code == 0  # every hash recomputed: the chain holds
    result = _verify(cli, db, anchor)
    assert result.code == 1
    assert result.out.startswith(
        "inc-3: event 5: rewritten: event 5 no longer has the hash the anchor recorded: "
        "events up to 5 were rewritten (and re-hashed)\n"
    )


def test_an_incident_deleted_without_a_trace_is_caught_with_the_anchor(
    cli: Cli, anchored: tuple[Path, Path]
) -> None:
    db, anchor = anchored
    # The newest incident, index row and all, and the index's high-water mark put back.
    execute(
        db,
        "DELETE FROM events WHERE incident_id = 'inc-3'",
        "DELETE FROM incidents WHERE incident_id = 'inc-3'",
        "UPDATE sqlite_sequence SET seq = 2 WHERE name = 'incidents'",
    )
    assert _verify(cli, db).code == 0
    result = _verify(cli, db, anchor)
    assert result.code == 1
    assert result.out.startswith(
        "inc-3: event 1: deleted: the anchor recorded its events 1..5, but the store has "
        "none of its events\n"
    )


def test_events_after_the_checkpoint_verify_as_usual(cli: Cli, anchored: tuple[Path, Path]) -> None:
    db, anchor = anchored
    engine, store = engine_on(db)
    try:
        engine.note("inc-1", "after the anchor", actor=ACTOR)
        engine.open("minimal", severity="SEV1", actor=ACTOR)  # an incident the anchor never saw
    finally:
        store.close()
    result = _verify(cli, db, anchor)
    assert (result.code, result.err) == (0, "")
    document = json.loads(anchor.read_text(encoding="utf-8"))
    assert result.out == (
        "4 incident(s), 17 event(s): everything verifies\n"
        f"anchor of {document['created']} (3 incident(s), digest {document['digest']}): "
        "nothing it recorded was cut or rewritten\n"
    )


def test_a_tampered_anchor_is_reported_and_proves_nothing(
    cli: Cli, anchored: tuple[Path, Path]
) -> None:
    db, anchor = anchored
    # Hide a cut: shorten the store, then lower the anchor's head to match.
    execute(db, "DELETE FROM events WHERE incident_id = 'inc-1' AND seq = 5")
    document = json.loads(anchor.read_text(encoding="utf-8"))
    engine, store = engine_on(db)
    try:
        document["heads"][0].update(seq=4, hash=engine.history("inc-1")[-1].hash)
    finally:
        store.close()
    anchor.write_text(json.dumps(document), encoding="utf-8")
    result = _verify(cli, db, anchor)
    assert result.code == 1
    assert result.out == (
        f"anchor: anchor_altered: the anchor's digest does not match its heads (created "
        f"{document['created']}): it was altered after it was taken, and proves nothing\n"
        "3 incident(s), 14 event(s): 1 problem(s)\n"
    )


MALFORMED = {
    "not JSON": ("{", "is not a JSON anchor file"),
    "not an anchor": ('{"heads": []}', 'is not an incidentflow anchor (no "format"'),
    "a later version": (
        '{"format": "incidentflow-anchor", "version": 2}',
        "is not a valid anchor: format version 2; this incidentflow reads version 1",
    ),
    "a missing key": (
        '{"format": "incidentflow-anchor", "version": 1, "created": "x", "heads": []}',
        "is not a valid anchor: its keys must be exactly created, digest, format, heads, version",
    ),
    "a bad seq": (
        json.dumps(
            {
                "format": "incidentflow-anchor",
                "version": 1,
                "created": "2024-05-01T12:00:00+00:00",
                "digest": "0" * 64,
                "heads": [{"incident_id": "a", "seq": True, "hash": "0" * 64}],
            }
        ),
        "is not a valid anchor: heads[0].seq must be a positive integer",
    ),
    "deeply nested": ("[" * 100_000, "is not a JSON anchor file"),
    "not UTF-8": (b"\xff\xfe{}", "is not a JSON anchor file"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_file_that_is_not_an_anchor_is_refused(
    cli: Cli, db: Path, tmp_path: Path, case: str
) -> None:
    text, message = MALFORMED[case]
    path = tmp_path / "anchor.json"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    result = _verify(cli, db, path)
    assert result.code == 2
    assert result.err.startswith(f"incidentflow: {path}: {message}")
    assert result.err.count("\n") == 1
    assert result.out == ""


def test_a_missing_anchor_file_is_refused(cli: Cli, db: Path, tmp_path: Path) -> None:
    result = _verify(cli, db, tmp_path / "nowhere.json")
    assert result.code == 2
    assert (
        result.err
        == f"incidentflow: {tmp_path / 'nowhere.json'}: cannot be read: No such file or directory\n"
    )


def test_a_store_that_does_not_verify_is_not_anchored(cli: Cli, db: Path, tmp_path: Path) -> None:
    execute(db, "UPDATE events SET actor = 'mallory' WHERE incident_id = 'inc-1' AND seq = 2")
    anchor = tmp_path / "anchor.json"
    result = cli("audit", "anchor", str(db), "-o", str(anchor))
    assert result.code == 1
    assert result.out == "inc-1: event 2: modified: event 2 (noted) does not match its hash\n"
    assert "not anchored: 1 problem(s)" in result.err
    assert not anchor.exists()


def test_an_anchor_can_go_to_standard_output(cli: Cli, db: Path) -> None:
    result = cli("audit", "anchor", str(db), "-o", "-")
    assert result.code == 0
    anchor = Anchor.from_json(result.out)
    assert anchor.intact
    assert [h.incident_id for h in anchor.heads] == ["inc-1", "inc-2", "inc-3"]
    assert result.err.startswith("anchored 3 incident(s), 15 event(s), at ")
    assert result.err.endswith(f"digest {anchor.digest}\n")


def test_an_anchor_that_cannot_be_written_is_an_io_error(
    cli: Cli, db: Path, tmp_path: Path
) -> None:
    result = cli("audit", "anchor", str(db), "-o", str(tmp_path / "no" / "such" / "dir.json"))
    assert result.code == 2
    assert "No such file or directory" in result.err


# --- the API -------------------------------------------------------------------------------


def test_engine_anchor_and_verify_against_it(db: Path) -> None:
    engine, store = engine_on(db)
    try:
        anchor = engine.anchor()
        assert anchor.created == T0.isoformat()  # the engine's clock
        assert anchor.intact
        assert [(h.incident_id, h.seq) for h in anchor.heads] == [
            ("inc-1", 5),
            ("inc-2", 5),
            ("inc-3", 5),
        ]
        kept = anchor.to_json()
        again = Anchor.from_json(kept)
        assert again == anchor
        assert engine.verify(anchor=again).ok
        engine.note("inc-1", "later", actor=ACTOR)
        assert engine.verify(anchor=again).ok
    finally:
        store.close()
    execute(db, "DELETE FROM events WHERE incident_id = 'inc-2' AND seq = 5")
    engine, store = engine_on(db)
    try:
        assert engine.verify().ok  # without the anchor, nothing shows
        report = engine.verify(anchor=again)
        assert [(p.incident_id, p.seq, p.problem) for p in report.problems] == [("inc-2", 5, "cut")]
        assert engine.verify("inc-2", anchor=again).problems == report.problems
        assert engine.verify("inc-3", anchor=again).ok
    finally:
        store.close()


def test_an_anchor_is_read_whatever_the_order_of_its_heads(db: Path) -> None:
    engine, store = engine_on(db)
    try:
        anchor = engine.anchor()
    finally:
        store.close()
    document = json.loads(anchor.to_json())
    document["heads"].reverse()
    assert Anchor.from_json(json.dumps(document)) == anchor
    document["heads"][0]["seq"] = 4
    assert not Anchor.from_json(json.dumps(document)).intact


def test_an_anchor_repeating_an_incident_is_refused(db: Path) -> None:
    engine, store = engine_on(db)
    try:
        document = json.loads(engine.anchor().to_json())
    finally:
        store.close()
    document["heads"].append(document["heads"][0])
    with pytest.raises(AuditError, match=r"heads\[3\] repeats incident 'inc-1'"):
        Anchor.from_json(json.dumps(document))
