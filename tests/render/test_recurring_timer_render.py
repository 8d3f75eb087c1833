"""The flowchart and the handbook mark recurring timers: "every 30m (at most 3)"."""

from __future__ import annotations

import incidentflow
from incidentflow.render.handbook import handbook
from incidentflow.render.mermaid import to_mermaid
from incidentflow.render.model import diagram, schedule_text
from tests.engine.common import MAJOR
from tests.engine.test_recurring_timers import SPEC


def test_the_schedule_is_written_as_the_spec_says_it() -> None:
    process = incidentflow.loads(SPEC.format(timer="after: 5m, every: update_every, max: 3"))
    timer = process.timer("open", "remind")
    assert schedule_text(timer) == "after 5m, then every update_every (at most 3)"
    node = next(n for n in diagram(process).nodes if n.id == "open")
    assert node.timers == ("remind after 5m, then every update_every (at most 3)",)


def test_the_major_incident_flowchart_marks_its_recurring_status_update() -> None:
    assert "timers: status_update every update_every, resolve_deadline" in to_mermaid(
        diagram(MAJOR)
    )


def test_the_handbook_gives_the_period_at_each_level() -> None:
    process = incidentflow.loads(SPEC.format(timer="every: update_every, max: 48"))
    text = handbook(process)
    assert "- `remind` (update_every): every SEV1 30m, SEV2 1h, SEV3 — (at most 48)" in text
    both = handbook(incidentflow.loads(SPEC.format(timer="after: 5m, every: 30m")))
    assert "- `remind` (5m, 30m): after SEV1 5m, SEV2 5m, SEV3 5m, then every SEV1 30m" in both
