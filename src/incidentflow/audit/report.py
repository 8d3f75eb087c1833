"""What the audit commands print: metrics reports, verification verdicts, anchor summaries.

The command line (``incidentflow report``, ``audit verify``, ``audit anchor``) and the
demo only read a store and write these texts; the texts themselves are made here,
from the audit layer's own results (:mod:`~incidentflow.audit.metrics`,
:mod:`~incidentflow.audit.verify`, :mod:`~incidentflow.audit.anchor`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal

from incidentflow.audit.anchor import Anchor
from incidentflow.audit.metrics import IncidentMetrics, summarise, version_order
from incidentflow.audit.specs import StoredSpec
from incidentflow.audit.timeline import duration
from incidentflow.audit.verify import VerifyReport, format_problem

ReportFormat = Literal["text", "json"]
REPORT_FORMATS: tuple[ReportFormat, ...] = ("text", "json")


def metrics_report(
    metrics: Sequence[IncidentMetrics],
    fmt: ReportFormat = "text",
    *,
    by_version: bool = False,
    kept: Sequence[StoredSpec] = (),
) -> str:
    """Every incident's metrics and, per process and level, the medians and SLA breaches:
    a table (``text``) or, with every incident too, a JSON document (``json``).

    ``by_version``: a row per version of each process too (the version incidents opened
    on), then the versions seen, each with whether the store keeps its source (``kept``,
    the versions the store keeps: see :mod:`incidentflow.audit.specs`)."""
    if fmt not in REPORT_FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(REPORT_FORMATS)}, not {fmt!r}")
    levels = summarise(metrics, by_version=by_version)
    seen = versions_seen(metrics, kept) if by_version else []
    if fmt == "json":
        payload: dict[str, object] = {
            "incidents": [m.as_dict() for m in metrics],
            "levels": [s.as_dict() for s in levels],
        }
        if by_version:
            payload["versions"] = seen
        return json.dumps(payload, indent=2) + "\n"
    version = f" {'version':<10}" if by_version else ""
    header = (
        f"{'process':<20}{version} {'level':<6} {'n':>4} {'ack':>9} {'mitigate':>9} "
        f"{'resolve':>10} {'paused':>12}  breaches"
    )
    lines = [f"{len(metrics)} incident(s)", "", header]
    for s in levels:
        breaches = ", ".join(f"{k} {v}" for k, v in sorted(s.breaches.items())) or "none"
        paused = f"{s.paused} {duration(s.median_time_paused)}" if s.paused else "-"
        version = f" {s.version:<10}" if by_version else ""
        lines.append(
            f"{s.process:<20}{version} {s.severity:<6} {s.incidents:>4} "
            f"{duration(s.median_time_to_acknowledge):>9} {duration(s.median_time_to_mitigate):>9} "
            f"{duration(s.median_time_to_resolve):>10} {paused:>12}  {breaches}"
        )
    lines += [
        "",
        "(median times from opening; durations of incidents still open count up to now;",
        " paused: incidents whose SLA clocks were paused, and their median time paused;",
        " breaches count SLA time, without the pauses)",
    ]
    if by_version:
        lines += ["", "versions (incidents count under the version they opened on):"]
        lines += [
            f"  {v['process']} {v['version']} {str(v['digest'])[:19]}...: "
            f"{v['incidents']} incident(s), source "
            + ("kept in the store" if v["source_kept"] else "not kept in the store")
            for v in seen
        ]
    return "\n".join(lines) + "\n"


def report_time(text: str, option: str) -> datetime:
    """A ``--now`` / ``--since`` value: an ISO 8601 date or time; one without an offset
    is UTC (``2026-03-01`` is midnight UTC). ValueError naming ``option`` otherwise."""
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{option}: {text!r} is not an ISO 8601 date or time "
            "(such as 2026-03-01 or 2026-03-01T09:30+01:00)"
        ) from None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def versions_seen(
    metrics: Sequence[IncidentMetrics], kept: Sequence[StoredSpec]
) -> list[dict[str, object]]:
    """Each (process, version, digest) incidents opened on, oldest version first, with how
    many did and whether the store keeps its source."""
    counts = Counter((m.process, m.version, m.digest) for m in metrics)
    digests = {spec.digest for spec in kept}
    return [
        {
            "process": process,
            "version": version,
            "digest": digest,
            "incidents": n,
            "source_kept": digest in digests,
        }
        for (process, version, digest), n in sorted(
            counts.items(), key=lambda item: (item[0][0], version_order(item[0][1]), item[0][2])
        )
    ]


def incident_metrics_lines(m: IncidentMetrics) -> list[str]:
    """One incident's times to acknowledge, mitigate and resolve, and its SLA breaches."""
    return [
        f"time to acknowledge  {duration(m.time_to_acknowledge)}",
        f"time to mitigate     {duration(m.time_to_mitigate)}",
        f"time to resolve      {duration(m.time_to_resolve)}",
        f"SLA clocks paused    {duration(m.time_paused) if m.time_paused else 'never'}",
        f"SLA breaches         {', '.join(m.breached) or 'none'}",
    ]


def verification_text(report: VerifyReport, anchor: Anchor | None = None) -> str:
    """Each problem on a line, then the verdict (and, when ``anchor`` was checked and
    everything verifies, what the anchor vouches for)."""
    verdict = "everything verifies" if report.ok else f"{len(report.problems)} problem(s)"
    text = problems_text(report)
    text += f"{report.checked} incident(s), {report.events} event(s): {verdict}\n"
    if anchor is not None and report.ok:
        text += (
            f"anchor of {anchor.created} ({len(anchor.heads)} incident(s), digest "
            f"{anchor.digest}): nothing it recorded was cut or rewritten\n"
        )
    return text


def problems_text(report: VerifyReport) -> str:
    """Each problem of ``report`` on a line (empty when there is none)."""
    return "".join(format_problem(p) + "\n" for p in report.problems)


def anchor_summary(anchor: Anchor, report: VerifyReport) -> str:
    """What an anchor taken after ``report`` covers: incidents, events, time and digest."""
    return (
        f"anchored {len(anchor.heads)} incident(s), {report.events} event(s), at "
        f"{anchor.created}: digest {anchor.digest}\n"
    )
