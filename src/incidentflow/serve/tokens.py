"""Bearer tokens of ``incidentflow serve``: who a request comes from.

A token belongs to one name and has one kind: ``person`` tokens sign people in (the
API and the web page; every write is made as that person), ``intake`` tokens are for
alert sources posting to ``/api/intake/{source}`` (their name is the actor recorded
for what they open). Neither kind may do the other's work.

The tokens file holds only the SHA-256 of each token: a token is 32 random bytes
(256 bits, :func:`secrets.token_urlsafe`), so a fast hash is enough (nothing to guess
from a leaked file) and no salt is needed. The token itself is shown once, when it is
made (``incidentflow token add``). Checking a presented token hashes it and compares
the hash with every stored hash in constant time (:func:`hmac.compare_digest`, no early
exit), so response times say nothing about which hashes exist.

The file is JSON (``{"format": "incidentflow-tokens", "version": 1, "tokens": [...]}``),
written atomically with mode 0600, and read again whenever it changes on disk, so a
token added or revoked takes effect on a running service without a restart. This
module is plain Python: the token commands work without the ``serve`` extra.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from incidentflow.engine import inputs
from incidentflow.errors import IncidentflowError

Kind = Literal["person", "intake"]
KINDS: tuple[Kind, ...] = ("person", "intake")
FORMAT = "incidentflow-tokens"
VERSION = 1
PREFIX = "ift_"
"""Every token starts with this, so a secret scanner (or a person) can tell one."""


class TokenFileError(IncidentflowError):
    """The tokens file cannot be read or written, or is not a tokens file; or a token
    name is not a valid name. ``path`` and ``reason`` say which and why."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who presented a valid token: ``name`` (the actor) and the token's ``kind``."""

    name: str
    kind: Kind


@dataclass(frozen=True, slots=True)
class TokenEntry:
    """One stored token: its owner, kind, the SHA-256 of the token (hex), when made."""

    name: str
    kind: Kind
    sha256: str
    created: str


def new_token() -> str:
    """A fresh token: the prefix and 256 random bits."""
    return PREFIX + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """The SHA-256 (hex) of ``token``, as stored."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def check_name(name: str) -> str:
    """``name`` if it can be an actor of the engine's log; TokenFileError otherwise."""
    try:
        checked = inputs.label(name, "token", "name")
    except ValueError as error:
        raise TokenFileError("token", str(error)) from None
    if inputs.is_reserved(checked):
        raise TokenFileError(
            "token", f"name {checked!r} is reserved for the engine's own records: choose another"
        )
    return checked


class TokenFile:
    """The tokens file at ``path``: add, revoke, list, and check presented tokens.

    Safe to share between threads. :meth:`authenticate` re-reads the file when its
    modification time or size changed since the last read.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._seen: tuple[int, int] | None = None
        self._entries: tuple[TokenEntry, ...] = ()

    def entries(self) -> tuple[TokenEntry, ...]:
        """Every stored token, in the order they were added (empty if no file yet)."""
        with self._lock:
            self._refresh()
            return self._entries

    def add(self, name: str, kind: Kind = "person") -> str:
        """Store a new token for ``name`` and return it (the only time it is seen)."""
        if kind not in KINDS:
            raise TokenFileError(str(self.path), f"kind must be one of {', '.join(KINDS)}")
        checked = check_name(name)
        token = new_token()
        created = datetime.now(UTC).isoformat(timespec="seconds")
        with self._lock:
            self._refresh()
            entries = (*self._entries, TokenEntry(checked, kind, digest(token), created))
            self._write(entries)
        return token

    def revoke(self, name: str, kind: Kind | None = None) -> int:
        """Remove every token of ``name`` (of ``kind`` only, if given); how many went."""
        with self._lock:
            self._refresh()
            kept = tuple(
                e for e in self._entries if e.name != name or (kind is not None and e.kind != kind)
            )
            removed = len(self._entries) - len(kept)
            if removed:
                self._write(kept)
        return removed

    def authenticate(self, token: str) -> Principal | None:
        """The owner of ``token``, or None. Every stored hash is compared (constant
        time each), whatever matches first."""
        presented = digest(token).encode("ascii")
        with self._lock:
            self._refresh()
            entries = self._entries
        found: TokenEntry | None = None
        for entry in entries:
            if hmac.compare_digest(presented, entry.sha256.encode("ascii")) and found is None:
                found = entry
        return None if found is None else Principal(found.name, found.kind)

    def _refresh(self) -> None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._seen, self._entries = None, ()
            return
        except OSError as error:
            raise TokenFileError(str(self.path), f"cannot be read: {error.strerror}") from None
        seen = (stat.st_mtime_ns, stat.st_size)
        if seen != self._seen:
            self._entries = self._read()
            self._seen = seen

    def _read(self) -> tuple[TokenEntry, ...]:
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except OSError as error:
            raise TokenFileError(str(self.path), f"cannot be read: {error.strerror}") from None
        except ValueError as error:
            raise TokenFileError(str(self.path), f"not JSON: {error}") from None
        if (
            not isinstance(document, dict)
            or document.get("format") != FORMAT
            or document.get("version") != VERSION
            or not isinstance(document.get("tokens"), list)
        ):
            raise TokenFileError(
                str(self.path),
                f"not an incidentflow tokens file (format {FORMAT!r} version {VERSION})",
            )
        entries = []
        for number, raw in enumerate(document["tokens"], start=1):
            try:
                entry = TokenEntry(
                    str(raw["name"]), raw["kind"], str(raw["sha256"]), str(raw["created"])
                )
            except (TypeError, KeyError) as error:
                raise TokenFileError(
                    str(self.path), f"token {number}: missing or malformed {error}"
                ) from None
            if entry.kind not in KINDS or len(entry.sha256) != 64:
                raise TokenFileError(str(self.path), f"token {number}: malformed kind or hash")
            entries.append(entry)
        return tuple(entries)

    def _write(self, entries: tuple[TokenEntry, ...]) -> None:
        document = {
            "format": FORMAT,
            "version": VERSION,
            "tokens": [
                {"name": e.name, "kind": e.kind, "sha256": e.sha256, "created": e.created}
                for e in entries
            ],
        }
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        folder = self.path.parent if str(self.path.parent) else Path(".")
        try:
            handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tokens-", suffix=".tmp")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:  # mkstemp: mode 0600
                    out.write(text)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temporary, self.path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as error:
            raise TokenFileError(str(self.path), f"cannot be written: {error.strerror}") from None
        self._entries = entries
        stat = self.path.stat()
        self._seen = (stat.st_mtime_ns, stat.st_size)
