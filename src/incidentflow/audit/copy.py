"""Copying a store to another (SQLite to PostgreSQL and back), safe to interrupt and re-run.

:func:`copy_store` reads the source as evidence (read-only, one snapshot), verifies it,
and appends to the destination, per incident in opening order, only the events the
destination lacks, in one transaction per incident (so an interrupted copy leaves
whole prefixes, and a re-run completes it without duplicating anything). The
destination's events must be a prefix of the source's, hash for hash: a destination
whose history of an incident differs (divergent) is refused before anything is
written. Afterwards the destination is verified too.

The process versions the source keeps (:mod:`incidentflow.audit.specs`) are kept by the
destination too, before any event, so that every version its events name stays loadable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from incidentflow.audit.specs import SpecArchive, stored_specs_of
from incidentflow.audit.urls import open_store, read_store
from incidentflow.audit.verify import ReadableStore, VerifyReport, verify_store


@dataclass(frozen=True, slots=True)
class CopyReport:
    """What a copy did. ``source`` and ``destination`` are their verifications (the
    destination's after the copy); ``divergent`` names incidents whose histories differ
    (then nothing was copied); ``source_events`` counts the source's events."""

    incidents: int
    copied_events: int
    copied_incidents: int
    source_events: int
    source: VerifyReport
    destination: VerifyReport | None
    divergent: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the source verified, nothing diverged and the destination verifies."""
        return (
            self.source.ok
            and not self.divergent
            and self.destination is not None
            and self.destination.ok
        )


def copy_store(
    source_url: str,
    destination_url: str,
    *,
    after_incident: Callable[[str], None] | None = None,
) -> CopyReport:
    """Copy every incident and event of ``source_url`` into ``destination_url``.

    Nothing is written when the source does not verify, or when any incident's history
    in the destination is not a prefix of the source's. ``after_incident(id)`` is called
    after each incident is committed (progress; tests interrupt the copy there).
    """
    return read_store(source_url, lambda src: _copy(src, destination_url, after_incident))


def _copy(
    src: ReadableStore, destination_url: str, after_incident: Callable[[str], None] | None
) -> CopyReport:
    source_report = verify_store(src)
    ids = src.incident_ids()
    if not source_report.ok:
        return CopyReport(len(ids), 0, 0, source_report.events, source_report, None)
    dst = open_store(destination_url)
    try:
        # Plan first: the whole copy is refused, rather than half done, on a divergence.
        missing: list[tuple[str, int]] = []
        divergent: list[str] = []
        for iid in ids:
            have = dst.events(iid)
            if not have:
                missing.append((iid, 0))
                continue
            # The source's chain verified, so its event at the destination's last seq
            # having the same hash means the whole prefix is the same (hashes link back).
            theirs = src.events(iid, after=len(have) - 1)
            if not theirs or theirs[0].hash != have[-1].hash:
                divergent.append(iid)
            elif len(theirs) > 1:
                missing.append((iid, len(have)))
        if divergent:
            return CopyReport(
                len(ids), 0, 0, source_report.events, source_report, None, tuple(divergent)
            )
        if isinstance(dst, SpecArchive):
            for spec in stored_specs_of(src):
                dst.keep_spec(spec)
        copied = 0
        for iid, version in missing:
            events = src.events(iid, after=version)
            dst.append(iid, version, events)
            copied += len(events)
            if after_incident is not None:
                after_incident(iid)
        destination_report = verify_store(dst)
    finally:
        dst.close()
    return CopyReport(
        len(ids), copied, len(missing), source_report.events, source_report, destination_report
    )
