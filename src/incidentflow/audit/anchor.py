"""Anchors: a checkpoint of every incident's chain head, kept where the log's writers cannot reach.

A hash chain shows a change in the middle of a log, but not a cut at its end, nor a
rewrite that recomputes every later hash. An anchor records, at one moment, each
incident's last event (``seq`` and ``hash``). Verifying a store against it
(:func:`incidentflow.audit.verify.verify_store`) proves that every anchored incident
still exists, that its chain still reaches the anchored ``seq``, and that the event
there still has the anchored hash: nothing up to the checkpoint was cut or rewritten,
re-hashed rewrites included. Events after the checkpoint are checked by the chain.

The file (JSON, UTF-8), format version 1::

    {
        "format": "incidentflow-anchor",
        "version": 1,
        "created": "2024-05-01T12:00:00+00:00",
        "digest": "<64 hex digits>",
        "heads": [{"incident_id": "...", "seq": 12, "hash": "<64 hex digits>"}, ...],
    }

``heads`` are sorted by ``incident_id``; ``created`` is ISO 8601 in UTC. ``digest`` is
the SHA-256 of the canonical JSON (the events' encoding: sorted keys, no whitespace,
UTF-8) of ``["incidentflow-anchor", 1, created, [[incident_id, seq, hash], ...]]``, so
one value stands for the whole anchor: publish it, and an anchor edited by hand no
longer matches it. The digest is not a signature (whoever can rewrite the file can
recompute it): keep the anchor, or at least its digest, outside the store's reach.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from incidentflow.audit.events import canonical_json
from incidentflow.errors import AuditError

FORMAT = "incidentflow-anchor"
"""The ``format`` of an anchor file."""
VERSION = 1
"""The anchor format version this release writes and reads."""

_KEYS = frozenset({"format", "version", "created", "digest", "heads"})
_HEAD_KEYS = frozenset({"incident_id", "seq", "hash"})
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class AnchorHead:
    """One incident's last event when the anchor was taken."""

    incident_id: str
    seq: int
    hash: str


@dataclass(frozen=True)
class Anchor:
    """Every incident's chain head at one moment, and one digest over all of them.

    Take one with :meth:`Engine.anchor <incidentflow.Engine.anchor>` (or ``incidentflow
    audit anchor``), keep :meth:`to_json` elsewhere, and pass :meth:`from_json` of it to
    :meth:`Engine.verify <incidentflow.Engine.verify>`. ``digest`` is the digest the
    anchor states; :attr:`intact` says whether it still matches the heads.
    """

    created: str
    heads: tuple[AnchorHead, ...]
    digest: str
    _by_id: dict[str, AnchorHead] = field(init=False, repr=False, compare=False)
    _intact: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Frozen: both are facts of the fields, computed once.
        object.__setattr__(self, "_by_id", {h.incident_id: h for h in self.heads})
        object.__setattr__(self, "_intact", self.digest == _digest(self.created, self.heads))

    @classmethod
    def of(cls, heads: Mapping[str, tuple[int, str]], created: datetime) -> Anchor:
        """The anchor of ``{incident_id: (seq, hash)}`` taken at ``created`` (aware)."""
        when = created.astimezone(UTC).isoformat()
        ordered = tuple(AnchorHead(iid, seq, h) for iid, (seq, h) in sorted(heads.items()))
        return cls(when, ordered, _digest(when, ordered))

    @property
    def at(self) -> datetime:
        """``created`` as an aware datetime."""
        return datetime.fromisoformat(self.created)

    @property
    def intact(self) -> bool:
        """True when ``digest`` is the digest of ``created`` and ``heads``."""
        return self._intact

    def head(self, incident_id: str) -> AnchorHead | None:
        """The anchored head of an incident, or None if the anchor does not know it."""
        return self._by_id.get(incident_id)

    def to_json(self) -> str:
        """The anchor file's text (format version 1)."""
        document = {
            "format": FORMAT,
            "version": VERSION,
            "created": self.created,
            "digest": self.digest,
            "heads": [
                {"incident_id": h.incident_id, "seq": h.seq, "hash": h.hash} for h in self.heads
            ],
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes, *, source: str = "anchor") -> Anchor:
        """Read an anchor file's text. Raises :class:`AuditError` (naming ``source``) if it
        is not a well-formed anchor; a digest that does not match is *not* an error here
        (verification reports it), so a tampered anchor is evidence, not a crash."""
        try:
            document = json.loads(text)
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
            raise AuditError(source, f"is not a JSON anchor file ({exc})") from None
        return cls(*_parse(document, source))


def _digest(created: str, heads: tuple[AnchorHead, ...]) -> str:
    body = [FORMAT, VERSION, created, [[h.incident_id, h.seq, h.hash] for h in heads]]
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


def _parse(document: Any, source: str) -> tuple[str, tuple[AnchorHead, ...], str]:
    def bad(reason: str) -> AuditError:
        return AuditError(source, f"is not a valid anchor: {reason}")

    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise AuditError(source, f'is not an incidentflow anchor (no "format": "{FORMAT}")')
    version = document.get("version")
    if type(version) is not int or version != VERSION:
        raise bad(f"format version {version!r}; this incidentflow reads version {VERSION}")
    if set(document) != _KEYS:
        raise bad(f"its keys must be exactly {', '.join(sorted(_KEYS))}")
    created, digest, raw_heads = document["created"], document["digest"], document["heads"]
    if not isinstance(created, str) or not _aware_iso(created):
        raise bad('"created" must be an ISO 8601 time with its UTC offset')
    if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
        raise bad('"digest" must be 64 lowercase hex digits')
    if not isinstance(raw_heads, list):
        raise bad('"heads" must be a list')
    heads: dict[str, AnchorHead] = {}
    for n, raw in enumerate(raw_heads):
        if not isinstance(raw, dict) or set(raw) != _HEAD_KEYS:
            raise bad(f"heads[{n}] must have exactly incident_id, seq and hash")
        iid, seq, hash_ = raw["incident_id"], raw["seq"], raw["hash"]
        if not isinstance(iid, str) or not iid:
            raise bad(f"heads[{n}].incident_id must be a non-empty string")
        if type(seq) is not int or seq < 1:
            raise bad(f"heads[{n}].seq must be a positive integer")
        if not isinstance(hash_, str) or not _HEX64.fullmatch(hash_):
            raise bad(f"heads[{n}].hash must be 64 lowercase hex digits")
        if iid in heads:
            raise bad(f"heads[{n}] repeats incident {iid!r}")
        heads[iid] = AnchorHead(iid, seq, hash_)
    return created, tuple(heads[iid] for iid in sorted(heads)), digest


def _aware_iso(text: str) -> bool:
    try:
        return datetime.fromisoformat(text).tzinfo is not None
    except ValueError:
        return False
