"""The optional ``intake`` section of a spec: how alerts from monitoring become signals.

It says which fields identify "the same problem" across triggers (``dedupe_by``),
what happens when every alert behind an incident has resolved (``on_resolved``), and
how the JSON of a source the library has no adapter for becomes signals (``mappings``).
URLs, tokens and secrets never belong here: a spec names things, the host's
configuration holds them. See docs/alertmanager.md.
"""

from __future__ import annotations

from pydantic import Field

from incidentflow.spec.base import Ident, SpecModel

BUILTIN_SOURCES = ("alertmanager", "grafana")
"""Sources the library reads without a mapping; no mapping may take their names."""


class OnResolved(SpecModel):
    """What the engine does when the last firing alert behind an incident resolves."""

    transition: Ident | None = Field(
        default=None,
        description="Fire this transition as the engine (from the states it leaves, at the "
        "levels its guard admits); without it the resolution is only recorded.",
    )


class PayloadMapping(SpecModel):
    """How the JSON payload of one source becomes signals: dotted paths into it."""

    description: str = ""
    alerts: str | None = Field(
        default=None,
        description="Path to a list of alerts in the payload; without it the payload is one alert.",
    )
    fields: dict[str, str] = Field(
        min_length=1, description="Signal field -> path of its value in an alert."
    )
    key: str | None = Field(
        default=None,
        description="Path of the alert's identity (repeats join one incident; needed to "
        "match a resolution to its alert).",
    )
    status: str | None = Field(
        default=None, description="Path of the alert's status (absent: always firing)."
    )
    resolved: tuple[str, ...] = Field(
        default=("resolved",), min_length=1, description="Status values meaning resolved."
    )


class Intake(SpecModel):
    """Alert intake: cross-trigger deduplication, resolution, generic payload mappings."""

    dedupe_by: tuple[str, ...] = Field(
        default=(),
        description="Signal fields naming one problem: a signal of any trigger whose values "
        "here equal an open incident's joins it (a more severe one raises its severity).",
    )
    on_resolved: OnResolved = Field(default_factory=OnResolved)
    mappings: dict[Ident, PayloadMapping] = Field(default_factory=dict)
