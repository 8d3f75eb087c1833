"""Several versions of one process, side by side in one engine.

An engine is given one or more versions of each process. New incidents open on the
newest (``metadata.version`` compared as a version number, :pep:`440` as
``packaging.version`` reads it, or the version the host names with ``open_on``). An
incident keeps the version it opened under, identified by the digest its events carry,
until it is migrated (:mod:`incidentflow.engine.migration`); every event is decided
under, and sealed with, the incident's version.

A version the engine was not given (an incident opened before the spec file changed)
is loaded from the store, which keeps the source of every version it has seen
(:mod:`incidentflow.audit.specs`), and compiled once. Only when neither has it (a store
without an archive, or logs written before versions were kept) does the incident run
on the newest version given, as before: then an incident whose state that version
lacks is reported, never in the way of the others.

Two versions given with the same name and ``metadata.version`` but different content
are refused: one of them would silently stand for the other in every report.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping

from incidentflow.audit.specs import SpecArchive, StoredSpec, stored_specs_of
from incidentflow.compiler.process import Process
from incidentflow.errors import IncidentflowError, InvalidArgument

LOGGER = logging.getLogger("incidentflow.engine")

__all__ = ["Versions", "newest_version", "version_key"]


def version_key(version: str) -> object:
    """What versions of one process are ordered by: the :pep:`440` version number
    (``2.10.0`` after ``2.9.1``, ``2.0.0rc1`` before ``2.0.0``); ValueError if it is not
    one."""
    from packaging.version import InvalidVersion, Version

    try:
        return Version(version)
    except InvalidVersion:
        raise ValueError(f"{version!r} is not a version number") from None


def newest_version(name: str, processes: Iterable[Process], named: str | None = None) -> Process:
    """The version of ``name`` new incidents open on: the one whose ``metadata.version`` is
    ``named``, else the highest version number. InvalidArgument when ``named`` is not
    among them, or the versions cannot be ordered."""
    listed = list(processes)
    if named is not None:
        for process in listed:
            if process.version == named:
                return process
        have = ", ".join(sorted(p.version for p in listed))
        raise InvalidArgument(
            None, "Engine", "open_on", f"{name!r} has no version {named!r} (given: {have})"
        )
    if len(listed) == 1:
        return listed[0]
    try:
        return max(listed, key=lambda p: version_key(p.version))  # type: ignore[arg-type, return-value]
    except ValueError as exc:
        raise InvalidArgument(
            None,
            "Engine",
            "processes",
            f"the versions of {name!r} ({', '.join(p.version for p in listed)}) cannot be "
            f"ordered: {exc}; name the one new incidents open on with "
            f"open_on={{{name!r}: '...'}}",
        ) from None


class Versions:
    """The versions an engine runs, by name and by digest; loads the others from a store.

    Thread-safe (an engine runs one call at a time, but a handler's thread may read).
    """

    def __init__(
        self,
        processes: Iterable[Process],
        open_on: Mapping[str, str] | None = None,
        store: object = None,
    ) -> None:
        given: dict[str, dict[str, Process]] = {}  # name -> digest -> process
        for process in processes:
            versions = given.setdefault(process.name, {})
            for other in versions.values():
                if other.version == process.version and other.digest != process.digest:
                    raise InvalidArgument(
                        None,
                        "Engine",
                        "processes",
                        f"{process.name!r} version {process.version!r} is given with two "
                        f"different contents ({other.digest[:19]}... and "
                        f"{process.digest[:19]}...): a changed spec needs a new "
                        "metadata.version",
                    )
            versions.setdefault(process.digest, process)
        for name in open_on or {}:
            if name not in given:
                raise InvalidArgument(None, "Engine", "open_on", f"no process named {name!r}")
        self.newest: dict[str, Process] = {
            name: newest_version(name, versions.values(), (open_on or {}).get(name))
            for name, versions in given.items()
        }
        self._by_digest: dict[str, Process | None] = {
            digest: p for versions in given.values() for digest, p in versions.items()
        }
        self.given: tuple[Process, ...] = tuple(
            p for versions in given.values() for p in versions.values()
        )
        self._store = store
        self._archived: set[str] = set()
        self._lock = threading.Lock()

    def of(self, name: str, digest: str) -> Process | None:
        """The version of ``name`` with ``digest``: given, or loaded from the store's archive
        (compiled once); None when neither has it."""
        with self._lock:
            if digest in self._by_digest:
                found = self._by_digest[digest]
                return found if found is not None and found.name == name else None
        loaded = self._load(digest)
        with self._lock:
            self._by_digest.setdefault(digest, loaded)
            found = self._by_digest[digest]
        return found if found is not None and found.name == name else None

    def known(self, name: str, digest: str) -> Process | None:
        """The version of ``name`` with ``digest`` if it is loaded already (no lock, no
        store: the engine asks this on every call)."""
        found = self._by_digest.get(digest)  # a dict read is atomic: no lock needed
        return found if found is not None and found.name == name else None

    def for_incident(self, name: str, digest: str) -> Process | None:
        """The version an incident of ``name`` whose events name ``digest`` runs on: that
        version when known, else the newest given (logs from before versions were kept);
        None when the engine runs no process of that name."""
        found = self.of(name, digest) if digest else None
        return found if found is not None else self.newest.get(name)

    def all_of(self, name: str) -> list[Process]:
        """Every version of ``name`` this engine knows now (given or loaded)."""
        with self._lock:
            return [p for p in self._by_digest.values() if p is not None and p.name == name]

    def add(self, process: Process) -> None:
        """Know ``process`` too (a version a migration moves incidents to). New incidents
        still open on the newest version given."""
        with self._lock:
            self._by_digest[process.digest] = process

    def target(self, name: str, to: Process | str | None) -> Process:
        """The version a migration of an incident of ``name`` moves to: ``to`` itself (a
        Process), the known version whose ``metadata.version`` is ``to``, or the newest
        (None). InvalidArgument otherwise."""
        if isinstance(to, Process):
            if to.name != name:
                raise InvalidArgument(
                    None, "migrate", "to", f"{to.name!r} is not a version of {name!r}"
                )
            return to
        if to is None:
            newest = self.newest.get(name)
            if newest is not None:
                return newest
        else:
            for process in self.all_of(name):
                if process.version == to:
                    return process
        have = ", ".join(sorted(p.version for p in self.all_of(name))) or "none"
        raise InvalidArgument(
            None, "migrate", "to", f"no version {to!r} of {name!r} is loaded (loaded: {have})"
        )

    def archived(self, process: Process) -> bool:
        """True once :meth:`archive` kept ``process`` (no lock, no store: asked on every
        append)."""
        return process.digest in self._archived

    def archive(self, process: Process) -> None:
        """Keep ``process``'s source in the store (once per engine), before the first
        event under it is written."""
        if process.digest in self._archived:
            return
        store = self._store
        if isinstance(store, SpecArchive) and process.text:
            store.keep_spec(StoredSpec.of(process, process.text))
        self._archived.add(process.digest)

    def _load(self, digest: str) -> Process | None:
        """Compile the version the store keeps under ``digest`` (None if it keeps none, or
        its text no longer compiles: logged). A store that fails to answer raises: running
        the incident on another version instead would be wrong."""
        if self._store is None:
            return None
        found = [s for s in stored_specs_of(self._store) if s.digest == digest]
        if not found:
            return None
        return compile_stored(found[0])


def compile_stored(spec: StoredSpec) -> Process | None:
    """The process a stored version compiles to (None, logged, when this release's compiler
    refuses it, or its text is not the version it claims to be)."""
    from incidentflow.api import loads

    try:
        spec.check()
        process = loads(spec.text, filename=f"<stored {spec.name} {spec.version}>")
    except (IncidentflowError, ValueError) as error:
        LOGGER.warning(
            "the stored version %s of %r (%s) cannot be used: %s",
            spec.version,
            spec.name,
            spec.digest[:19],
            error,
        )
        return None
    return process
