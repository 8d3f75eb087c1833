"""``incidentflow demo --spec FILE`` walks any valid spec to a closed, verifying incident."""

from __future__ import annotations

from pathlib import Path

import pytest

import incidentflow
from benchmarks.generate import spec_text
from incidentflow.audit.events import verify_chain
from incidentflow.audit.sqlite import SQLiteStore
from incidentflow.compiler.triggers import example_signal
from incidentflow.demo import opening
from incidentflow.spec.conditions import AllOf, FieldTest
from tests.conftest import EXAMPLES, MINIMAL
from tests.helpers.large import forty_states


def _generated(directory: Path, states: int, seed: int) -> Path:
    path = directory / f"generated-{states}.yaml"
    path.write_text(spec_text(states, seed), encoding="utf-8")
    return path


def _forty(directory: Path) -> Path:
    forty_states(directory)  # writes forty.yaml (5 phases of 8 states)
    return directory / "forty.yaml"


SPECS = {
    **{p.name: (lambda _, p=p: p) for p in sorted(EXAMPLES.glob("*.yaml"))},
    "minimal.yaml": lambda _: MINIMAL,
    "forty-states": _forty,
    "generated-120": lambda d: _generated(d, 120, 7),
}


def _events(db: Path) -> list[incidentflow.Event]:
    store = SQLiteStore(db)
    try:
        [iid] = store.incident_ids()
        return store.events(iid)
    finally:
        store.close()


@pytest.mark.parametrize("name", SPECS)
def test_demo_closes_a_verifying_incident_on_any_valid_spec(cli, tmp_path: Path, name) -> None:
    spec = SPECS[name](tmp_path)
    process = incidentflow.load(spec)
    keep = tmp_path / "keep"
    result = cli("demo", "--spec", str(spec), "--keep", str(keep))
    assert result.code == 0, result.out + result.err
    assert result.err == ""
    assert "SHA-256 hash chain verified" in result.out
    events = _events(keep / "incidents.db")
    assert verify_chain(events[0].incident_id, events) is None
    opened, last = events[0], [e for e in events if e.kind == "transitioned"][-1]
    assert process.is_terminal(last.data["to"])
    # opened from a signal that the spec's own triggers accept
    assert opened.data["trigger"] in {t.id for t in process.triggers}
    assert process.match(opened.data["fields"]).id == opened.data["trigger"]
    assert f"-> trigger {opened.data['trigger']}" in result.out


NO_TRIGGERS = MINIMAL.read_text(encoding="utf-8").replace(
    """triggers:
  - id: anything
    when: {field: service, exists: true}
    severity: SEV1
""",
    "",
)


def test_a_spec_without_triggers_is_opened_by_hand_and_says_so(cli, tmp_path: Path) -> None:
    spec = tmp_path / "no-triggers.yaml"
    spec.write_text(NO_TRIGGERS, encoding="utf-8")
    assert incidentflow.load(spec).triggers == ()
    result = cli("demo", "--spec", str(spec), "--keep", str(tmp_path))
    assert result.code == 0, result.err
    assert "opened by hand at SEV1: the spec has no triggers" in result.out
    assert _events(tmp_path / "incidents.db")[0].data["trigger"] is None


def test_a_trigger_no_signal_was_found_for_is_named(tmp_path: Path) -> None:
    text = MINIMAL.read_text(encoding="utf-8").replace(
        "when: {field: service, exists: true}",
        # satisfiable ('qaaaa'), but two patterns on one text leave the check undecided
        "when: {all: [{field: host, matches: '^[a-z]{5}$'}, {field: host, matches: q}]}",
    )
    how = opening(incidentflow.loads(text))
    assert how.signal is None
    assert how.why == "no signal could be built that its triggers accept (anything)"


def test_a_spec_that_cannot_be_walked_to_the_end_exits_2_with_the_reason(
    cli, tmp_path: Path
) -> None:
    spec = tmp_path / "nobody.yaml"
    spec.write_text(
        MINIMAL.read_text(encoding="utf-8").replace(", by: [responder], requires: [fixed]", ""),
        encoding="utf-8",
    )
    incidentflow.load(spec)  # valid: only a timer could close it, and none does
    result = cli("demo", "--spec", str(spec), "--keep", str(tmp_path / "keep"))
    assert result.code == 2
    assert "cannot be demoed: at SEV1, no path that people or timers can take" in result.err
    assert "its 'by' is empty and no timer of 'open' fires it" in result.err
    assert not (tmp_path / "keep" / "incidents.db").exists()


def test_a_spec_with_errors_shows_them_and_exits_1(cli) -> None:
    broken = Path(__file__).parents[1] / "specs" / "invalid" / "IF203-unknown-role.yaml"
    result = cli("demo", "--spec", str(broken))
    assert result.code == 1
    assert "error IF203" in result.err
    assert result.out == ""


def test_a_missing_spec_exits_2(cli, tmp_path: Path) -> None:
    result = cli("demo", "--spec", str(tmp_path / "absent.yaml"))
    assert result.code == 2
    assert "absent.yaml" in result.err


# --- example signals -------------------------------------------------------------------------


@pytest.mark.parametrize("spec", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_trigger_gets_a_signal_it_accepts(spec: Path) -> None:
    process = incidentflow.load(spec)
    for trigger, compiled in zip(process.spec.triggers, process.triggers, strict=True):
        signal = example_signal(trigger.when)
        assert signal is not None, trigger.id
        assert compiled.predicate(signal), (trigger.id, signal)


def test_no_signal_for_a_condition_nothing_satisfies() -> None:
    impossible = AllOf.model_validate(
        {"all": [{"field": "rate", "gt": 0.2}, {"field": "rate", "le": 0.05}]}
    )
    assert example_signal(impossible) is None
    assert example_signal(FieldTest.model_validate({"field": "x", "exists": False})) == {}
