"""Policy proofs: must_visit and must_not_reach, per level, with counterexamples."""

from __future__ import annotations

import pytest

import incidentflow
from tests.conftest import EXAMPLES, MINIMAL

BASE = MINIMAL.read_text(encoding="utf-8")

TWO_LEVELS = BASE.replace(
    "    - {id: SEV1, title: Critical, acknowledge_within: 5m, resolve_within: 4h}",
    "    - {id: SEV1, title: Critical, acknowledge_within: 5m, resolve_within: 4h}\n"
    "    - {id: SEV2, title: Major}",
).replace(
    "    severity: SEV1\n",
    "    severity: SEV1\n  - {id: other, when: {field: x, exists: true}, severity: SEV2}\n",
)

WITH_REVIEW = TWO_LEVELS.replace(
    """    closed:
      title: Closed
      terminal: true
  transitions:
    - {name: close, from: open, to: closed, by: [responder], requires: [fixed]}""",
    """    review:
      title: Postmortem
      phase: postmortem
      owner: lead
    closed:
      title: Closed
      terminal: true
  transitions:
    - {name: review, from: open, to: review, by: [responder], requires: [fixed]}
    - {name: close, from: open, to: closed, by: [responder], requires: [fixed], when: {severity: [SEV2]}}
    - {name: close, from: review, to: closed, by: [lead]}""",
)


def codes(text: str) -> list[tuple[str, str]]:
    try:
        process = incidentflow.loads(text)
    except incidentflow.SpecError as exc:
        return [(d.code, d.message) for d in exc.errors]
    assert process.warnings == ()
    return []


def test_guarded_bypass_satisfies_must_visit_for_the_levels_it_excludes() -> None:
    text = WITH_REVIEW + "policies:\n  - {id: p, for_severity: [SEV1], must_visit: review}\n"
    assert codes(text) == []


def test_must_visit_fails_at_the_level_that_may_bypass() -> None:
    text = WITH_REVIEW + "policies:\n  - {id: p, must_visit: review}\n"
    [(code, message)] = codes(text)
    assert code == "IF703"
    assert "fails at SEV2" in message
    assert "SEV1" not in message


def test_must_visit_accepts_a_phase() -> None:
    ok = (
        WITH_REVIEW
        + "policies:\n  - {id: p, for_severity: [SEV1], must_visit: {phase: postmortem}}\n"
    )
    bad = WITH_REVIEW + "policies:\n  - {id: p, must_visit: {phase: postmortem}}\n"
    assert codes(ok) == []
    assert [c for c, _ in codes(bad)] == ["IF703"]


def test_must_not_reach_fails_with_a_counterexample_path() -> None:
    # the direct way to 'closed' is guarded away from SEV1, but the way through review is not
    text = WITH_REVIEW + "policies:\n  - {id: p, for_severity: [SEV1], must_not_reach: closed}\n"
    assert [c for c, _ in codes(text)] == ["IF704"]
    with pytest.raises(incidentflow.SpecError) as caught:
        incidentflow.loads(text)
    [error] = caught.value.errors
    assert [n.message for n in error.notes] == [
        "path: open -review-> review -close-> closed (at SEV1)"
    ]


def test_a_policy_naming_an_unknown_state_is_not_proved() -> None:
    text = WITH_REVIEW + "policies:\n  - {id: p, must_visit: reveiw}\n"
    assert [c for c, _ in codes(text)] == ["IF201"]


@pytest.mark.parametrize("spec", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_example_policies_hold(spec) -> None:
    process = incidentflow.load(spec)  # would raise IF703/IF704 if a policy failed
    kinds = {
        k
        for p in process.spec.policies
        for k in ("must_visit", "must_not_reach")
        if getattr(p, k) is not None
    }
    assert kinds, "every example proves at least one path policy"


def test_distinct_holders_applies_only_at_the_levels_it_covers() -> None:
    text = TWO_LEVELS + (
        "policies:\n  - {id: split, for_severity: [SEV1], distinct_holders: [responder, lead]}\n"
    )
    engine = incidentflow.Engine(incidentflow.loads(text))
    sev1 = engine.open("minimal", severity="SEV1").id
    sev2 = engine.open("minimal", severity="SEV2").id
    for iid in (sev1, sev2):
        engine.assign(iid, "responder", "pat", actor="system")
    with pytest.raises(incidentflow.OperationRefused) as refused:
        engine.assign(sev1, "lead", "pat", actor="system")
    assert refused.value.reason == "policy"
    assert "lead" in engine.assign(sev2, "lead", "pat", actor="system").roles_of("pat")
