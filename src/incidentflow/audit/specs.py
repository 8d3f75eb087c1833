"""The sources of the process versions a store has seen: any replica, report or audit can
load the version an old incident ran under, even after its file changed.

Every event names the spec it was decided under (``spec_name``, ``spec_version``,
``spec_digest``); a store that is also a :class:`SpecArchive` keeps the text behind each
digest. The engine records a version before the first event written under it, so every
digest a store's events name is in its archive (for logs written since this release).

A version is identified by its digest (``sha256:`` and the hex SHA-256 of the UTF-8
text, as :func:`incidentflow.load` computes it): keeping the same digest twice keeps one
copy, and a text whose digest is not the one given is refused, so an archive cannot
hold a text under the wrong name. Two digests may share a (name, version): a file
edited without bumping ``metadata.version`` is still a different version, and old
incidents name the digest they ran under.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from incidentflow.compiler.process import Process

__all__ = ["SpecArchive", "SpecReader", "SpecShelf", "StoredSpec", "digest_of", "stored_specs_of"]


def digest_of(text: str) -> str:
    """The digest of a spec's text, as a compiled process carries it."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class StoredSpec:
    """One version of a process as a store keeps it: its identity and its source text."""

    name: str
    version: str
    digest: str
    text: str

    @classmethod
    def of(cls, process: Process, text: str) -> StoredSpec:
        """The stored form of ``process`` compiled from ``text`` (ValueError if the text is
        not the one the process was compiled from)."""
        spec = cls(process.name, process.version, process.digest, text)
        spec.check()
        return spec

    def check(self) -> None:
        """ValueError unless ``text`` has ``digest`` (what every archive checks first)."""
        found = digest_of(self.text)
        if found != self.digest:
            raise ValueError(
                f"spec {self.name!r} version {self.version!r}: the text's digest is "
                f"{found[:19]}..., not {self.digest[:19]}...: not the text of that version"
            )


@runtime_checkable
class SpecReader(Protocol):
    """Something that lists the process versions a store keeps (a store, or a read-only
    reader of one)."""

    def stored_specs(self) -> list[StoredSpec]:
        """Every version kept, in the order first kept."""
        ...


@runtime_checkable
class SpecArchive(SpecReader, Protocol):
    """A store that keeps the source of every process version it has seen.

    Optional for third-party stores (MemoryStore, SQLiteStore, PostgresStore and the
    drills' LatestStore have it). Without it an engine still runs several versions side
    by side, but only the versions it is given: an incident under any other version runs
    on the newest one given (as before versions were kept), and reports cannot load it.
    """

    def keep_spec(self, spec: StoredSpec) -> None:
        """Keep ``spec`` (a digest already kept: nothing happens). ValueError, writing
        nothing, if its text does not have its digest."""
        ...


def stored_specs_of(store: object) -> list[StoredSpec]:
    """The versions ``store`` keeps (none when it is not a :class:`SpecArchive`)."""
    if isinstance(store, SpecReader):
        return store.stored_specs()
    return []


class SpecShelf:
    """An in-memory :class:`SpecArchive` (what MemoryStore and LatestStore keep theirs in).
    Thread-safe."""

    def __init__(self, specs: Iterable[StoredSpec] = ()) -> None:
        self._specs: dict[str, StoredSpec] = {}
        self._lock = threading.Lock()
        for spec in specs:
            self.keep_spec(spec)

    def keep_spec(self, spec: StoredSpec) -> None:
        spec.check()
        with self._lock:
            self._specs.setdefault(spec.digest, spec)

    def stored_specs(self) -> list[StoredSpec]:
        with self._lock:
            return list(self._specs.values())
