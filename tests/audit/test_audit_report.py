"""What the audit commands print, made in the audit layer: metrics, verdicts, anchor summaries."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from incidentflow.audit.anchor import Anchor
from incidentflow.audit.events import ChainProblem
from incidentflow.audit.metrics import IncidentMetrics
from incidentflow.audit.report import (
    anchor_summary,
    incident_metrics_lines,
    metrics_report,
    problems_text,
    verification_text,
)
from incidentflow.audit.verify import VerifyReport

OPENED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _measured(
    iid: str, ack: int, resolve: int | None, *breached: str, paused: int = 0
) -> IncidentMetrics:
    return IncidentMetrics(
        incident_id=iid,
        process="major-incident",
        severity="SEV1",
        state="closed" if resolve is not None else "triage",
        opened_at=OPENED,
        time_to_acknowledge=timedelta(minutes=ack),
        time_to_mitigate=None,
        time_to_resolve=timedelta(minutes=resolve) if resolve is not None else None,
        time_in_state={"detected": timedelta(minutes=ack)},
        breached=breached,
        time_paused=timedelta(minutes=paused),
    )


METRICS = [
    _measured("inc-1", 4, 57),
    _measured("inc-2", 10, 183, "acknowledge_within", paused=90),
    _measured("inc-3", 6, None, "acknowledge_within", "resolve_within"),
]


def test_the_text_report_has_a_row_of_medians_per_level() -> None:
    lines = metrics_report(METRICS).splitlines()
    assert lines[0] == "3 incident(s)"
    assert lines[2].split() == [
        "process",
        "level",
        "n",
        "ack",
        "mitigate",
        "resolve",
        "paused",
        "breaches",
    ]
    # medians: ack 6m; resolve of the two resolved, (57 + 183) / 2 = 2h00m; mitigate unknown
    assert lines[3].split() == [
        "major-incident",
        "SEV1",
        "3",
        "6m",
        "-",
        "2h00m",
        "1",  # one incident paused, for a median of 1h30m
        "1h30m",
        "acknowledge_within",
        "2,",
        "resolve_within",
        "1",
    ]
    assert lines[5].startswith("(median times from opening")
    assert lines[-1] == " breaches count SLA time, without the pauses)"


def test_the_json_report_has_every_incident_and_every_level_in_seconds() -> None:
    data = json.loads(metrics_report(METRICS, "json"))
    assert [i["incident_id"] for i in data["incidents"]] == ["inc-1", "inc-2", "inc-3"]
    assert data["incidents"][1]["time_to_resolve"] == 183 * 60
    assert data["incidents"][1]["time_paused"] == 90 * 60
    [level] = data["levels"]
    assert level == {
        "process": "major-incident",
        "severity": "SEV1",
        "incidents": 3,
        "median_time_to_acknowledge": 6 * 60,
        "median_time_to_mitigate": None,
        "median_time_to_resolve": 120 * 60,
        "breaches": {"acknowledge_within": 2, "resolve_within": 1},
        "paused": 1,
        "median_time_paused": 90 * 60,
    }


def test_an_empty_store_reports_no_levels() -> None:
    lines = metrics_report([]).splitlines()
    assert lines[0] == "0 incident(s)"
    assert lines[2].startswith("process")
    assert lines[3] == ""  # no rows between the header and the footnote
    assert json.loads(metrics_report([], "json")) == {"incidents": [], "levels": []}


def test_an_unknown_report_format_is_refused() -> None:
    with pytest.raises(ValueError, match="text, json"):
        metrics_report(METRICS, "yaml")  # type: ignore[arg-type]


def test_one_incident_s_metrics_as_lines() -> None:
    assert incident_metrics_lines(METRICS[2]) == [
        "time to acknowledge  6m",
        "time to mitigate     -",
        "time to resolve      -",
        "SLA clocks paused    never",
        "SLA breaches         acknowledge_within, resolve_within",
    ]


PROBLEM = ChainProblem("inc-1", 6, "modified", "its hash does not match its content")


def test_a_verification_lists_its_problems_then_the_verdict() -> None:
    broken = VerifyReport(2, (PROBLEM,), events=47)
    assert verification_text(broken) == (
        "inc-1: event 6: modified: its hash does not match its content\n"
        "2 incident(s), 47 event(s): 1 problem(s)\n"
    )
    assert problems_text(broken) == verification_text(broken).splitlines(keepends=True)[0]
    assert verification_text(VerifyReport(2, (), events=47)) == (
        "2 incident(s), 47 event(s): everything verifies\n"
    )
    assert problems_text(VerifyReport(2, (), events=47)) == ""


def test_a_verification_against_an_anchor_says_what_it_vouches_for() -> None:
    anchor = Anchor.of({"inc-1": (47, "ab" * 32)}, OPENED)
    text = verification_text(VerifyReport(1, (), events=47), anchor)
    assert text.splitlines()[1] == (
        f"anchor of {anchor.created} (1 incident(s), digest {anchor.digest}): "
        "nothing it recorded was cut or rewritten"
    )
    broken = verification_text(VerifyReport(1, (PROBLEM,), events=47), anchor)
    assert "anchor of" not in broken  # a failed verification vouches for nothing
    assert anchor_summary(anchor, VerifyReport(1, (), events=47)) == (
        f"anchored 1 incident(s), 47 event(s), at {anchor.created}: digest {anchor.digest}\n"
    )
