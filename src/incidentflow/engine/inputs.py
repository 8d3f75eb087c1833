"""What the engine accepts from its caller. Every public call checks its arguments here.

Each check returns the value to use (a JSON copy for fields, UTC for a datetime) or
raises :class:`~incidentflow.errors.InvalidArgument` naming the argument, before
anything is read or written. The limits are generous for people and tight enough
that no call can make the log, or the engine's memory, balloon:

- **names** of people (``actor``, ``person``): 1 to :data:`MAX_NAME` characters, no
  surrounding spaces, no control, format (bidirectional overrides, zero-width
  characters) or line-separator characters; never a reserved name (below);
- **names from the spec** (role, checklist item, transition, level, process, action)
  and incident ids: text of at most :data:`MAX_NAME` characters; the ids ``new_id``
  makes follow the rules of people's names;
- ``title``: one line of at most :data:`MAX_TITLE` characters;
- ``text`` of a note and the ``reason`` of a severity change: at most
  :data:`MAX_TEXT` characters, any lines;
- ``fields`` of a signal or of ``open()``: a mapping with text keys, at most
  :data:`MAX_FIELDS` of them, of JSON values (finite numbers) nested at most
  :data:`MAX_DEPTH` deep, at most :data:`MAX_FIELDS_BYTES` bytes as JSON.

All text must be valid Unicode (no lone surrogates) without NUL characters, so
that every store can write it as UTF-8 (PostgreSQL refuses NUL in text).

**Reserved names.** The engine records its own acts under :data:`TIMER` (what
timers do) and :data:`SYSTEM` (action bookkeeping; also the default opener of
``signal()`` and ``open()``). Nobody may be assigned a role under either name, or
under a look-alike (``System``, ``TIMER``, the full-width forms: compared after NFKC normalisation and
case folding), so nothing a person does can pass for the engine's own. A host may
act as ``system`` (its own service identity, as the default opener does); it may
never act as ``timer`` or as a look-alike of either.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, NoReturn, TypeVar

from incidentflow.compiler.process import Process
from incidentflow.errors import InvalidArgument

SYSTEM = "system"
"""The default actor for the host's own operations (opening incidents from signals), and
the actor recorded for action bookkeeping."""
TIMER = "timer"
"""The actor recorded for what timers do."""
RESERVED = frozenset({SYSTEM, TIMER})
"""Names nobody may hold a role under (see the module docstring)."""

MAX_NAME = 200
"""Longest actor, person, spec name or incident id, in characters."""
MAX_TITLE = 500
"""Longest incident title, in characters."""
MAX_TEXT = 10_000
"""Longest note text or severity-change reason, in characters."""
MAX_FIELDS = 100
"""Most keys in the ``fields`` of a signal or of ``open()``."""
MAX_DEPTH = 16
"""Deepest nesting of lists and objects in ``fields``."""
MAX_FIELDS_BYTES = 65_536
"""Largest ``fields`` as UTF-8 JSON, in bytes."""

# Control, format (bidi overrides, zero-width), surrogate, line and paragraph separators:
# characters that hide, reorder or break the text a reader sees in a name.
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_LINE_BREAKING = _HIDDEN - {"Cf"}  # what a one-line title may not hold


def _first_hidden(value: str, categories: frozenset[str]) -> str | None:
    """The first character of ``value`` in one of ``categories``, or None."""
    if value.isprintable():  # the common case, in C: no Cc, Cf, Cs, Zl or Zp at all
        return None
    return next((c for c in value if unicodedata.category(c) in categories), None)


def _fail(operation: str, argument: str, reason: str, incident_id: str | None) -> NoReturn:
    raise InvalidArgument(incident_id, operation, argument, reason)


def _type_name(value: object) -> str:
    return type(value).__name__


def _unicode_problem(value: str) -> str | None:
    """Why ``value`` cannot be written to a log, or None."""
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        return f"must be valid Unicode (a lone surrogate at position {error.start})"
    return None


# Names that passed a check before, by check: a host sends the same few actors, transition
# names and incident ids over and over, and a name passes or fails for good (the rules read
# only the name). Bounded: emptied when full, so no input can make it grow past the bound.
_PASSED_LIMIT = 4096
_passed_names: dict[str, None] = {}  # spec_name() and incident_id()
_passed_actors: dict[str, None] = {}  # actor()


def _remember(passed: dict[str, None], value: str) -> None:
    if len(passed) >= _PASSED_LIMIT:
        passed.clear()
    passed[value] = None


def _text(value: object, operation: str, argument: str, limit: int, incident_id: str | None) -> str:
    if not isinstance(value, str):
        _fail(operation, argument, f"must be text, not {_type_name(value)}", incident_id)
    if len(value) > limit:
        _fail(
            operation,
            argument,
            f"is {len(value):,} characters long; the limit is {limit:,}",
            incident_id,
        )
    problem = _unicode_problem(value)
    if problem is not None:
        _fail(operation, argument, problem, incident_id)
    return value


def text(value: object, operation: str, argument: str, incident_id: str | None = None) -> str:
    """Free text (a note, a reason): at most :data:`MAX_TEXT` characters."""
    return _text(value, operation, argument, MAX_TEXT, incident_id)


def title(value: object, operation: str) -> str:
    """An incident title: one line of at most :data:`MAX_TITLE` characters."""
    checked = _text(value, operation, "title", MAX_TITLE, None)
    hidden = _first_hidden(checked, _LINE_BREAKING)
    if hidden is not None:
        _fail(
            operation, "title", f"must be one line without control characters, not {hidden!r}", None
        )
    return checked


def incident_id(value: object, operation: str) -> str:
    """An incident id given to a call: text of at most :data:`MAX_NAME` characters (an id no
    incident has is :class:`~incidentflow.errors.UnknownIncident`, raised by the caller)."""
    if type(value) is str and value in _passed_names:
        return value
    checked = _text(value, operation, "incident_id", MAX_NAME, None)
    _remember(_passed_names, checked)
    return checked


def spec_name(value: object, operation: str, argument: str, incident_id: str | None = None) -> str:
    """A name the spec defines (role, item, transition, level, ...): text of at most
    :data:`MAX_NAME` characters (whether the spec has it is checked by the caller)."""
    if type(value) is str and value in _passed_names:
        return value
    checked = _text(value, operation, argument, MAX_NAME, incident_id)
    _remember(_passed_names, checked)
    return checked


def optional_name(value: object, operation: str, argument: str) -> str | None:
    """:func:`spec_name`, or None."""
    return None if value is None else spec_name(value, operation, argument)


def _name(value: object, operation: str, argument: str, incident_id: str | None) -> str:
    checked = _text(value, operation, argument, MAX_NAME, incident_id)
    if not checked.strip():
        _fail(operation, argument, "must not be empty", incident_id)
    if checked != checked.strip():
        _fail(operation, argument, f"must not begin or end with spaces: {checked!r}", incident_id)
    hidden = _first_hidden(checked, _HIDDEN)
    if hidden is not None:
        _fail(
            operation,
            argument,
            f"must not contain control or invisible characters ({hidden!r} in {checked!r})",
            incident_id,
        )
    return checked


def label(value: object, operation: str, argument: str) -> str:
    """A name that is nobody's (a worker's id): the rules of people's names."""
    return _name(value, operation, argument, None)


def is_reserved(name: str) -> bool:
    """True if ``name`` is, or looks like, one of :data:`RESERVED`."""
    return unicodedata.normalize("NFKC", name).casefold() in RESERVED


def actor(value: object, operation: str, incident_id: str | None = None) -> str:
    """Who acts: a name; ``system`` is allowed (the host's own identity), ``timer`` and
    look-alikes of either are not."""
    if type(value) is str and value in _passed_actors:
        return value
    checked = _name(value, operation, "actor", incident_id)
    if checked != SYSTEM and is_reserved(checked):
        _fail(
            operation,
            "actor",
            f"{checked!r} is reserved for the engine's own records "
            f"(a host may act as {SYSTEM!r}, never as {TIMER!r} or a look-alike)",
            incident_id,
        )
    _remember(_passed_actors, checked)
    return checked


def person(value: object, operation: str, incident_id: str, *, new_holder: bool) -> str:
    """Who is given (``new_holder``) or loses a role: a name, never a reserved one when
    given a role (one who holds a role from before the rule may still lose it)."""
    checked = _name(value, operation, "person", incident_id)
    if new_holder and is_reserved(checked):
        _fail(
            operation,
            "person",
            f"{checked!r} is reserved for the engine's own records: nobody may hold a role "
            "under it",
            incident_id,
        )
    return checked


def processes(value: Process | Iterable[Process]) -> list[Process]:
    """The processes of an engine, each version once (the same spec given twice counts
    once). Several versions of one process may be given: see
    :mod:`incidentflow.engine.versions`, which refuses two contents under one version."""
    try:
        listed = [value] if isinstance(value, Process) else list(value)
    except TypeError:
        _fail("Engine", "processes", f"must be a Process or several, not {_type_name(value)}", None)
    by_digest: dict[str, Process] = {}
    for process in listed:
        if not isinstance(process, Process):
            _fail(
                "Engine",
                "processes",
                f"must be compiled processes (incidentflow.load), not {_type_name(process)}",
                None,
            )
        by_digest.setdefault(process.digest, process)
    return list(by_digest.values())


_F = TypeVar("_F", bound=Callable[..., object])


def function(value: _F, operation: str, argument: str) -> _F:
    """Something to call (a handler, a clock, an id maker)."""
    if not callable(value):
        _fail(operation, argument, f"must be callable, not {_type_name(value)}", None)
    return value


def new_incident_id(value: object) -> str:
    """An id from the engine's ``new_id``: a name (it will be written and read back)."""
    return _name(value, "open", "new_id()", None)


def expected_version(value: object, operation: str, incident_id: str) -> int | None:
    """None, or a version: an integer from 0."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        _fail(
            operation,
            "expected_version",
            f"must be None or an incident's version (an integer from 0), not {value!r}",
            incident_id,
        )
    return value


def when(value: object, operation: str, argument: str) -> datetime:
    """An aware datetime, converted to UTC."""
    if type(value) is datetime and value.tzinfo is UTC:
        return value  # already what is wanted (datetime.now(UTC)): the clock's every reading
    if not isinstance(value, datetime):
        _fail(operation, argument, f"must be a datetime, not {_type_name(value)}", None)
    if value.utcoffset() is None:
        _fail(
            operation,
            argument,
            "incidentflow needs aware datetimes (for example datetime.now(UTC)), "
            f"not the naive {value.isoformat()}",
            None,
        )
    return value.astimezone(UTC)


def _as_dict(value: Any) -> dict[str, Any]:
    # json.dumps calls this only for what the walk accepted and json does not know: mappings
    return dict(value)


def fields(value: object, operation: str, argument: str = "fields") -> dict[str, Any]:
    """A deep copy of ``value`` made of JSON values (what the log can hold), within the
    limits. Cycles and deep nesting are refused by the depth limit, before encoding."""
    if not isinstance(value, Mapping):
        _fail(
            operation,
            argument,
            f"must be a mapping of field names to JSON values, not {_type_name(value)}",
            None,
        )
    if len(value) > MAX_FIELDS:
        _fail(operation, argument, f"has {len(value):,} keys; the limit is {MAX_FIELDS}", None)
    budget = MAX_FIELDS_BYTES  # every value costs at least one byte of JSON
    pending: list[tuple[object, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        budget -= len(item) if isinstance(item, str) else 1
        if budget < 0:
            _fail(operation, argument, f"are larger than {MAX_FIELDS_BYTES:,} bytes", None)
        if isinstance(item, str):
            problem = _unicode_problem(item)
            if problem is not None:
                _fail(operation, argument, f"text {problem}", None)
        elif item is None or isinstance(item, bool | int):
            continue
        elif isinstance(item, float):
            if not math.isfinite(item):
                _fail(operation, argument, f"numbers must be finite, not {item}", None)
        elif depth >= MAX_DEPTH:
            _fail(operation, argument, f"are nested deeper than {MAX_DEPTH} levels", None)
        elif isinstance(item, Mapping):
            for key, inner in item.items():
                if not isinstance(key, str):
                    _fail(operation, argument, f"keys must be text, not {key!r}", None)
                pending.append((key, depth + 1))
                pending.append((inner, depth + 1))
        elif isinstance(item, list | tuple):
            pending.extend((inner, depth + 1) for inner in item)
        else:
            _fail(operation, argument, f"must be JSON values, not {_type_name(item)}", None)
    try:
        encoded = json.dumps(value, ensure_ascii=False, allow_nan=False, default=_as_dict)
    except ValueError as error:  # an integer too long to write as text
        _fail(operation, argument, f"must be JSON values: {error}", None)
    if len(encoded.encode()) > MAX_FIELDS_BYTES:
        _fail(operation, argument, f"are larger than {MAX_FIELDS_BYTES:,} bytes", None)
    copied: dict[str, Any] = json.loads(encoded)
    return copied
