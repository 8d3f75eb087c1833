"""Read YAML text into plain data plus a map of source positions, safely.

We drive ruamel.yaml's event parser and compose the tree ourselves, iteratively,
instead of using a constructor. That is what makes the promises below cheap to
keep: no tag can construct an object (only the YAML core tags are accepted),
nesting depth and alias expansion are bounded before any memory is spent,
duplicate keys are reported at their second occurrence, and every value and
every key keeps its 1-based line and column. Scalars are resolved with the
YAML 1.2 core schema, so ``on``, ``yes`` and ``no`` stay strings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml import events as ev
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError

from incidentflow.diagnostics import Diagnostic, Position, Severity
from incidentflow.gcpause import gc_paused
from incidentflow.spec.limits import MAX_DIAGNOSTICS, Limits
from incidentflow.spec.lines import line_and_column, stand_ins

Path = tuple[str | int, ...]

_CORE = "tag:yaml.org,2002:"
_ALLOWED_TAGS = frozenset(
    {None, "!", *(_CORE + name for name in ("map", "seq", "str", "int", "float", "bool", "null"))}
)

# The YAML 1.2 core schema, exactly (ruamel's own 1.2 resolver also accepts
# timestamps, binary ints and '=' values, which the core schema does not).
_NULL = re.compile(r"(?:null|Null|NULL|~|)\Z")
_BOOL = re.compile(r"(?:true|True|TRUE|false|False|FALSE)\Z")
_INT = re.compile(r"(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)\Z")
_FLOAT = re.compile(
    r"(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\Z"
)


def _new_parser() -> YAML:
    """A YAML instance per parse (ruamel keeps per-parse state); the C parser when installed."""
    try:
        return YAML(typ="safe")  # uses ruamel.yaml.clib's CParser when it is importable
    except Exception:  # pragma: no cover - ruamel falls back by itself; belt and braces
        return YAML(typ="safe", pure=True)


@dataclass(slots=True)
class SourceMap:
    """Where each value and each mapping key of a document was written.

    Paths are tuples of mapping keys and sequence indexes from the root, the same
    shape as pydantic's error ``loc``; positions are 1-based.
    """

    values: dict[Path, Position] = field(default_factory=dict)
    keys: dict[Path, Position] = field(default_factory=dict)
    lengths: dict[Path, int] = field(default_factory=dict)
    # For a copy of the document with some list items left out: list path (as written)
    # -> the written index of each item that is left, so that later paths still find
    # their place in the file.
    renumbered: dict[Path, tuple[int, ...]] = field(default_factory=dict)

    def value(self, path: Path) -> Position:
        """Position of the value at ``path``, or of its nearest recorded ancestor."""
        return _nearest(self.values, self.as_written(path))

    def key(self, path: Path) -> Position:
        """Position of the key that introduces ``path`` (falls back to the value)."""
        written = self.as_written(path)
        if written in self.keys:
            return self.keys[written]
        return _nearest(self.values, written)

    def length(self, path: Path) -> int:
        """Width of the scalar at ``path`` on its line (1 when unknown)."""
        return self.lengths.get(self.as_written(path), 1)

    def as_written(self, path: Path) -> Path:
        """``path`` in the document as written (differs only when list items were left out)."""
        return as_written(path, self.renumbered)


def as_written(path: Path, renumbered: dict[Path, tuple[int, ...]]) -> Path:
    """``path`` of a copy whose lists lost items, as a path of the document as written.

    ``renumbered`` maps a list's written path to the written index of each item left.
    """
    if not renumbered:
        return path
    out: list[str | int] = []
    for part in path:
        if isinstance(part, int):
            kept = renumbered.get(tuple(out))
            if kept is not None and 0 <= part < len(kept):
                part = kept[part]
        out.append(part)
    return tuple(out)


def _nearest(table: dict[Path, Position], path: Path) -> Position:
    for end in range(len(path), -1, -1):
        found = table.get(path[:end])
        if found is not None:
            return found
    return Position(1, 1)


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed YAML document: plain data (dict, list, str, int, float, bool, None)."""

    data: Any
    source_map: SourceMap
    damaged: tuple[Path, ...] = ()
    """Paths whose value was reported by the reader but read on (a duplicate key's first
    value, a number too long to read, kept as text): later checks must not trust them."""


class _Abort(Exception):
    """Stop reading: the diagnostic already recorded makes going on pointless."""


@dataclass(slots=True)
class _Frame:
    container: dict[str, Any] | list[Any]
    path: Path
    anchor: str | None
    start: Position
    nodes: int = 1
    key: str | None = None
    key_pos: Position | None = None
    skip_value: bool = False


def _pos(event: ev.Event) -> Position:
    mark = event.start_mark
    return Position(mark.line + 1, mark.column + 1)


def _is_plain(event: ev.ScalarEvent) -> bool:
    # The pure parser marks plain scalars with style None, the C parser with ''.
    return not event.style


def _scalar_value(event: ev.ScalarEvent) -> Any:
    """Resolve a scalar with the YAML 1.2 core schema (quoted scalars stay strings)."""
    text: str = event.value
    tag = event.tag
    if tag is None and _is_plain(event):
        first = text[:1]
        if first.isalpha() and first not in "nNtTfF":
            return text  # cannot be null, a boolean or a number: skip the regexes
        if _NULL.match(text):
            return None
        if _BOOL.match(text):
            return text.lower() == "true"
        if _INT.match(text) or _FLOAT.match(text):
            return _number(text)
        return text
    if tag in (None, "!", _CORE + "str"):
        return text
    if tag == _CORE + "null":
        return None
    if tag == _CORE + "bool":
        if not _BOOL.match(text):
            raise _BadScalar(f"'{text}' is not a boolean")
        return text.lower() == "true"
    if tag == _CORE + "int":
        if not _INT.match(text):
            raise _BadScalar(f"'{text}' is not an integer")
        return _number(text)
    if not _FLOAT.match(text) and not _INT.match(text):
        raise _BadScalar(f"'{text}' is not a number")
    return float(_number(text))


MAX_NUMBER_LENGTH = 100
"""The longest number a spec may write, in characters. Longer ones are IF114: no spec
needs them, and ``int()`` of thousands of digits is slow (or refused by Python)."""


def _number(text: str) -> int | float:
    """A core-schema int or float (already matched by _INT or _FLOAT)."""
    if len(text) > MAX_NUMBER_LENGTH:
        raise _NumberTooLong
    if _INT.match(text):
        return int(text, 0) if text[:2] in ("0x", "0o") else int(text)
    lowered = text.lower()
    if lowered.endswith(".inf"):
        return -math.inf if lowered.startswith("-") else math.inf
    return math.nan if lowered == ".nan" else float(text)


class _BadScalar(Exception):
    """An explicitly tagged scalar that does not fit its tag (e.g. !!int abc)."""


class _NumberTooLong(Exception):
    """A number longer than MAX_NUMBER_LENGTH characters."""


class _Reader:
    def __init__(self, filename: str, limits: Limits) -> None:
        self.filename = filename
        self.limits = limits
        self.diagnostics: list[Diagnostic] = []
        self.source_map = SourceMap()
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.total_nodes = 0
        self.root: Any = None
        self.have_root = False
        self.documents = 0
        self.restore: dict[int, str] = {}  # stand-in -> the line-break character it hides
        self.damaged: list[Path] = []
        # One handler per event type (a dict lookup beats a chain of isinstance per event).
        self._handlers: dict[type, Callable[[Any, list[_Frame]], None]] = {
            ev.ScalarEvent: self.on_scalar,
            ev.MappingStartEvent: self.on_collection_start,
            ev.SequenceStartEvent: self.on_collection_start,
            ev.MappingEndEvent: self.on_collection_end,
            ev.SequenceEndEvent: self.on_collection_end,
            ev.AliasEvent: self.on_alias,
            ev.DocumentStartEvent: self.on_document_start,
        }

    def error(self, pos: Position, code: str, message: str, hint: str = "") -> None:
        self.diagnostics.append(
            Diagnostic(self.filename, pos.line, pos.column, code, Severity.ERROR, message, hint)
        )

    def read_on(self) -> None:
        """Go on after a problem that spoils one value only, unless there are too many."""
        if len(self.diagnostics) > MAX_DIAGNOSTICS:
            raise _Abort

    def check_tag(self, event: ev.NodeEvent) -> None:
        tag = getattr(event, "tag", None)
        if tag not in _ALLOWED_TAGS:
            self.error(
                _pos(event),
                "IF109",
                f"the YAML tag '{tag}' is not allowed",
                hint="specs are data: remove the tag (only the standard YAML core tags are accepted)",
            )
            raise _Abort

    def read(self, text: str) -> Document | None:
        stack: list[_Frame] = []
        parser = _new_parser()
        # ruamel follows YAML 1.1 in breaking lines at U+0085, U+2028 and U+2029; YAML 1.2
        # and editors do not. Stand-ins of the same length keep positions as editors show them.
        hidden = stand_ins(text)
        if hidden:
            text = text.translate({ord(k): v for k, v in hidden.items()})
            self.restore = {ord(v): k for k, v in hidden.items()}
        try:
            for event in parser.parse(text):
                self.handle(event, stack)
        except _Abort:
            return None
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            pos = Position(mark.line + 1, mark.column + 1) if mark else Position(1, 1)
            problem = exc.problem or exc.context or "invalid YAML"
            context = f" ({exc.context})" if exc.context and exc.problem else ""
            self.error(
                pos,
                "IF102",
                f"YAML syntax error: {problem}{context}",
                hint="check indentation, colons and quoting around here",
            )
            return None
        except ReaderError as exc:
            self.error(
                Position(*line_and_column(text, exc.position)),
                "IF101",
                f"the file contains a character YAML does not allow ({exc.character!r})",
                hint="remove the control character",
            )
            return None
        except (YAMLError, ValueError, OverflowError, AssertionError, RecursionError) as exc:
            # ruamel lets a few malformed inputs escape as these (a bad %YAML directive,
            # out-of-range escapes, lone surrogates in the C parser); none may become a traceback.
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            self.error(
                Position(1, 1),
                "IF102",
                f"YAML syntax error: {detail}",
                hint="check directives (%YAML) and escape sequences in quoted strings",
            )
            return None
        if not self.have_root or (self.root is None and not self.diagnostics):
            if not self.diagnostics:
                self.error(
                    Position(1, 1),
                    "IF103",
                    "the file holds no spec (it is empty or only comments)",
                    hint="start from an example in process_specs/",
                )
            return None
        return Document(self.root, self.source_map, tuple(self.damaged))

    def attach(
        self,
        value: Any,
        pos: Position,
        nodes: int,
        stack: list[_Frame],
        length: int = 1,
        is_key_candidate: bool = False,
        key_text: str | None = None,
        plain_key: bool = False,
    ) -> None:
        """Place a finished value into its parent (or make it the root)."""
        if not stack:
            self.root = value
            self.have_root = True
            self.source_map.values[()] = pos
            return
        parent = stack[-1]
        parent.nodes += nodes
        if isinstance(parent.container, list):
            path = (*parent.path, len(parent.container))
            parent.container.append(value)
            self.source_map.values.setdefault(path, pos)
            self.source_map.lengths.setdefault(path, length)
            return
        if parent.key is None:
            # This value is a mapping key.
            if not is_key_candidate or key_text is None:
                self.error(
                    pos,
                    "IF122",
                    "mapping keys must be plain text, not collections",
                    hint="write the key as a single word",
                )
                raise _Abort
            if key_text == "<<" and plain_key:
                self.error(
                    pos,
                    "IF113",
                    "YAML merge keys ('<<') are not supported",
                    hint="write the keys out, or alias the whole value",
                )
                raise _Abort
            parent.key = key_text
            parent.key_pos = pos
            assert isinstance(parent.container, dict)
            if key_text in parent.container:
                first = self.source_map.keys.get((*parent.path, key_text))
                where = f" (first at line {first.line})" if first else ""
                self.error(
                    pos,
                    "IF108",
                    f"duplicate key '{key_text}'{where}",
                    hint="YAML keeps only one of them; remove or rename this one",
                )
                parent.skip_value = True
                self.damaged.append((*parent.path, key_text))
                self.read_on()
            else:
                self.source_map.keys[(*parent.path, key_text)] = pos
            return
        path = (*parent.path, parent.key)
        if not parent.skip_value:
            assert isinstance(parent.container, dict)
            parent.container[parent.key] = value
            self.source_map.values.setdefault(path, pos)
            self.source_map.lengths.setdefault(path, length)
        parent.key = None
        parent.skip_value = False

    def child_path(self, stack: list[_Frame]) -> Path:
        if not stack:
            return ()
        parent = stack[-1]
        if isinstance(parent.container, list):
            return (*parent.path, len(parent.container))
        if parent.key is None:
            return (*parent.path, "__key__")
        return (*parent.path, parent.key)

    def handle(self, event: ev.Event, stack: list[_Frame]) -> None:
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(event, stack)

    def count(self, n: int, event: ev.Event) -> None:
        self.total_nodes += n
        if self.total_nodes > self.limits.max_nodes:
            self.error(
                _pos(event),
                "IF112",
                f"the spec holds more than {self.limits.max_nodes:,} values "
                "(an alias counts every value it repeats)",
                hint="split the process into several specs; if aliases repeat large values, "
                "use fewer of them",
            )
            raise _Abort

    def on_scalar(self, event: ev.ScalarEvent, stack: list[_Frame]) -> None:
        self.check_tag(event)
        self.count(1, event)
        pos = _pos(event)
        if self.restore:
            event.value = event.value.translate(self.restore)
        try:
            value = _scalar_value(event)
        except _NumberTooLong:
            self.error(
                pos,
                "IF114",
                f"this number has {len(event.value):,} characters; numbers may have at most "
                f"{MAX_NUMBER_LENGTH}",
                hint="quote it if it is text (an id, a version), or write a shorter number",
            )
            value = event.value  # read on as text: later checks still see the rest of the spec
            path = self.child_path(stack)
            self.damaged.append((*path[:-1], event.value) if path[-1:] == ("__key__",) else path)
            self.read_on()
        except _BadScalar as exc:
            self.error(
                pos,
                "IF122",
                f"{exc}, although it is tagged {event.tag}",
                hint="remove the tag or fix the value",
            )
            raise _Abort from None
        if isinstance(value, str) and not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                self.error(
                    pos,
                    "IF101",
                    "an escape sequence produces an invalid character (a lone surrogate)",
                    hint="escape the whole character, e.g. \\U0001F600, not half of it",
                )
                raise _Abort from None
        end = event.end_mark
        start = event.start_mark
        length = end.column - start.column if end.line == start.line else 1
        if event.anchor:
            self.anchors[event.anchor] = (value, 1)
        self.attach(value, pos, 1, stack, max(length, 1), True, event.value, _is_plain(event))

    def on_collection_start(self, event: ev.CollectionStartEvent, stack: list[_Frame]) -> None:
        self.check_tag(event)
        self.count(1, event)
        pos = _pos(event)
        if len(stack) >= self.limits.max_depth:
            self.error(
                pos,
                "IF111",
                f"values are nested more than {self.limits.max_depth} levels deep",
                hint="flatten the structure; no spec needs this depth",
            )
            raise _Abort
        container: dict[str, Any] | list[Any] = (
            {} if isinstance(event, ev.MappingStartEvent) else []
        )
        stack.append(_Frame(container, self.child_path(stack), event.anchor, pos))

    def on_collection_end(self, event: ev.Event, stack: list[_Frame]) -> None:
        frame = stack.pop()
        if frame.anchor:
            self.anchors[frame.anchor] = (frame.container, frame.nodes)
        self.attach(frame.container, frame.start, frame.nodes, stack)

    def on_alias(self, event: ev.AliasEvent, stack: list[_Frame]) -> None:
        pos = _pos(event)
        target = self.anchors.get(event.anchor)
        if target is None:
            self.error(
                pos,
                "IF102",
                f"unknown alias '*{event.anchor}'",
                hint="define the anchor (&name) before using it",
            )
            raise _Abort
        value, nodes = target
        self.count(nodes, event)
        self.attach(
            value,
            pos,
            nodes,
            stack,
            1,
            isinstance(value, str),
            value if isinstance(value, str) else None,
        )

    def on_document_start(self, event: ev.DocumentStartEvent, stack: list[_Frame]) -> None:
        self.documents += 1
        if self.documents > 1:
            self.error(
                _pos(event),
                "IF104",
                "the file holds more than one YAML document",
                hint="keep one process per file",
            )
            raise _Abort


@gc_paused
def read_yaml(text: str, filename: str, limits: Limits) -> tuple[Document | None, list[Diagnostic]]:
    """Parse ``text`` into a :class:`Document`, or return the diagnostics that prevent it."""
    reader = _Reader(filename, limits)
    document = reader.read(text)
    return document, reader.diagnostics
