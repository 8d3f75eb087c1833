"""Validate parsed YAML against the models; map every pydantic error to a diagnostic.

Each pydantic error carries a ``loc`` (a path of keys and indexes), which the
:class:`~incidentflow.spec.yamlread.SourceMap` turns into a file position. Unknown
keys get a did-you-mean hint computed from the model the key was written in.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from incidentflow.diagnostics import Diagnostic, Position, Severity, brief
from incidentflow.gcpause import gc_paused
from incidentflow.spec.conditions import OPERATORS
from incidentflow.spec.limits import MAX_DIAGNOSTICS
from incidentflow.spec.models import Spec
from incidentflow.spec.yamlread import Path, SourceMap
from incidentflow.suggest import did_you_mean

_CODES = {
    "extra_forbidden": "IF120",
    "missing": "IF121",
    "string_pattern_mismatch": "IF124",
    "duration": "IF123",
    "condition_operators": "IF125",
    "condition_value": "IF125",
    "condition_shape": "IF125",
}


@dataclass(frozen=True, slots=True)
class ModelCheck:
    """What checking plain data against the spec models found."""

    spec: Spec | None
    diagnostics: list[Diagnostic]
    errors: list[tuple[ErrorDetails, Path]]
    """pydantic's errors, every one, each with its path in the data (the diagnostics
    describe one per defect)."""
    is_a_spec: bool
    """False when the data is not a spec at all (not a mapping, another apiVersion or kind)."""


def validate_spec(
    data: Any, filename: str, source_map: SourceMap
) -> tuple[Spec | None, list[Diagnostic]]:
    """Build a :class:`Spec` from plain data, or return every problem found."""
    checked = check_models(data, filename, source_map)
    return checked.spec, checked.diagnostics


@gc_paused
def check_models(data: Any, filename: str, source_map: SourceMap) -> ModelCheck:
    """Build a :class:`Spec` from plain data, with a diagnostic for each defect found."""
    if not isinstance(data, dict):
        kind = type(data).__name__ if data is not None else "nothing"
        root = source_map.value(())
        problem = Diagnostic(
            filename,
            root.line,
            root.column,
            "IF105",
            Severity.ERROR,
            f"a spec is a mapping of keys to values, but this file holds a {kind}",
            hint="start the file with 'apiVersion: incidentflow/v1'",
        )
        return ModelCheck(None, [problem], [], is_a_spec=False)
    header = _check_header(data, filename, source_map)
    if header:
        return ModelCheck(None, header, [], is_a_spec=False)
    try:
        return ModelCheck(Spec.model_validate(data), [], [], is_a_spec=True)
    except ValidationError as exc:
        errors = [(e, data_path(tuple(e["loc"]), data)) for e in exc.errors(include_url=False)]
    defects = _one_per_defect(errors)
    if len(defects) > MAX_DIAGNOSTICS:  # only the first ones are shown: build only those
        defects.sort(key=lambda found: _place(source_map.value(found[1])))
        del defects[MAX_DIAGNOSTICS + 1 :]
    diagnostics = [_to_diagnostic(err, data, filename, source_map) for err, _ in defects]
    unique = {(d.line, d.column, d.code, d.message): d for d in diagnostics}
    return ModelCheck(None, sorted(unique.values(), key=Diagnostic.sort_key), errors, True)


def _place(position: Position) -> tuple[int, int]:
    return position.line, position.column


def _is_type_error(err: ErrorDetails) -> bool:
    return err["type"].endswith("_type") or err["type"] == "model_attributes_type"


def _one_per_defect(found: list[tuple[ErrorDetails, Path]]) -> list[tuple[ErrorDetails, Path]]:
    """Drop follow-on errors so that each defect is reported once.

    A misspelt key shows up as both "unknown key 'fild'" and "missing 'field'";
    keep the unknown key (its hint names the missing one). A collection whose
    items failed also reports "too short" when nothing valid was left; drop that.
    A value of a union type (``after: str | {LEVEL: duration}``) fails once per
    branch: keep the branch that got furthest, or one merged "must be A or B".
    Takes and returns errors, each with its path in the data.
    """
    errors = [err for err, _ in found]
    paths = [path for _, path in found]
    # For each path, whether another error lies below it, or a non-type error at or below
    # it: counted over every prefix once, so that thousands of errors cost linear time.
    below: set[Path] = {p[:end] for p in paths for end in range(len(p))}
    non_type: set[Path] = {
        p[:end]
        for err, p in zip(errors, paths, strict=True)
        if not _is_type_error(err)
        for end in range(len(p) + 1)
    }
    merged: dict[Path, ErrorDetails] = {}
    dropped: set[int] = set()
    for i, (err, path) in enumerate(zip(errors, paths, strict=True)):
        if not _is_type_error(err):
            continue
        if path in below or path in non_type:
            dropped.add(i)
        elif path in merged:
            first = merged[path]
            first["msg"] = f"{first['msg']}, or {err['msg'].removeprefix('Input should be ')}"
            dropped.add(i)
        else:
            merged[path] = err
    found = [
        (err, path)
        for i, (err, path) in enumerate(zip(errors, paths, strict=True))
        if i not in dropped
    ]
    from incidentflow.suggest import closest

    unknown: dict[tuple[int | str, ...], list[str]] = {}
    for err, _ in found:
        if err["type"] == "extra_forbidden":
            unknown.setdefault(tuple(err["loc"][:-1]), []).append(str(err["loc"][-1]))
    locs_below = {tuple(err["loc"][:end]) for err, _ in found for end in range(len(err["loc"]))}
    kept = []
    for err, path in found:
        loc = tuple(err["loc"])
        if err["type"] == "missing" and closest(str(loc[-1]), unknown.get(loc[:-1], ())):
            continue
        if err["type"] == "too_short" and loc in locs_below:
            continue
        kept.append((err, path))
    return kept


def _check_header(data: dict[str, Any], filename: str, source_map: SourceMap) -> list[Diagnostic]:
    """apiVersion and kind first: without them nothing else can be trusted."""
    out = []
    version = data.get("apiVersion")
    if version != "incidentflow/v1":
        pos = source_map.value(("apiVersion",)) if "apiVersion" in data else source_map.value(())
        got = "is missing" if "apiVersion" not in data else f"is {version!r}"
        out.append(
            Diagnostic(
                filename,
                pos.line,
                pos.column,
                "IF106",
                Severity.ERROR,
                f"apiVersion {got}; this version of incidentflow reads 'incidentflow/v1'",
                hint="write 'apiVersion: incidentflow/v1' at the top of the file",
            )
        )
    kind = data.get("kind")
    if kind != "Process":
        pos = source_map.value(("kind",)) if "kind" in data else source_map.value(())
        got = "is missing" if "kind" not in data else f"is {kind!r}"
        out.append(
            Diagnostic(
                filename,
                pos.line,
                pos.column,
                "IF107",
                Severity.ERROR,
                f"kind {got}; a spec is of kind 'Process'",
                hint="write 'kind: Process'",
            )
        )
    return out


def data_path(loc: tuple[int | str, ...], data: Any) -> Path:
    """Drop the parts of a pydantic ``loc`` that are not in the data (union tags, '[key]')."""
    path: list[int | str] = []
    node = data
    for part in loc:
        # a key present in this mapping, or an index within this list
        step_into = (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        )
        if step_into:
            node = node[part]
            path.append(part)
        elif part == "[key]":
            path.append("[key]")
            break
    return tuple(path)


def _display(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the spec"


def _to_diagnostic(
    err: ErrorDetails, data: Any, filename: str, source_map: SourceMap
) -> Diagnostic:
    kind = err["type"]
    loc = tuple(err["loc"])
    path = data_path(loc, data)
    code = _CODES.get(kind, "IF122")
    hint = ""
    length = 1
    if path and path[-1] == "[key]":
        # A mapping key failed (an id pattern): point at the key itself.
        key_path = path[:-1]
        key = str(loc[loc.index("[key]") - 1]) if "[key]" in loc else ""
        key_path = (*key_path, key)
        pos = source_map.key(key_path)
        length = len(key)
        message = f"'{key}' is not a valid id"
        return Diagnostic(
            filename,
            pos.line,
            pos.column,
            code,
            Severity.ERROR,
            message,
            _pattern_hint(err),
            length=length,
        )
    if kind == "extra_forbidden":
        key = str(loc[-1])
        pos = (
            source_map.key((*path[:-1], key))
            if path and path[-1] == key
            else source_map.value(path)
        )
        allowed = _allowed_keys(path[:-1])
        hint = did_you_mean(key, allowed, "Keys here") if allowed else ""
        where = _display(path[:-1])
        message = f"unknown key '{key}' in {where}"
        length = len(key)
    elif kind == "missing":
        key = str(loc[-1])
        pos = source_map.key(path) if path else source_map.value(())
        where = _display(path)
        message = f"{where} is missing the required key '{key}'"
        hint = f"add '{key}: ...'"
    else:
        op = (err.get("ctx") or {}).get("op")
        node = _at(data, path)
        if isinstance(op, str) and isinstance(node, dict) and op in node:
            path = (*path, op)
        pos = source_map.value(path)
        length = source_map.length(path)
        message = f"{_display(path)}: {_message(err)}"
        if kind == "string_pattern_mismatch":
            message = f"{_display(path)}: {brief(err['input'])} is not a valid id or name"
            hint = _pattern_hint(err)
        elif kind == "bool_type":
            hint = "write true or false: in YAML 1.2, yes/no/on/off are text"
        elif kind == "string_type" and path and path[-1] == "version":
            hint = 'quote it, for example version: "1.0", so that 1.10 stays 1.10'
        elif kind == "condition_value":
            hint = "comparisons take a number, for example lt: 0.99"
        elif code == "IF125":
            hint = "write a test as {field: NAME, OP: VALUE} with exactly one operator"
            node = _at(data, path)
            if isinstance(node, dict):
                extra = [k for k in node if k not in OPERATORS and k != "field"]
                if extra:
                    hint = did_you_mean(str(extra[0]), OPERATORS, "Operators")
    return Diagnostic(
        filename, pos.line, pos.column, code, Severity.ERROR, message, hint, length=length
    )


def _at(data: Any, path: Path) -> Any:
    for part in path:
        data = data[part]
    return data


def _message(err: ErrorDetails) -> str:
    msg = err["msg"]
    if err["type"] == "literal_error":
        return msg.replace("Input should be", "must be")
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if err["type"].endswith("_type") or err["type"].endswith("_parsing"):
        return f"{msg[0].lower()}{msg[1:]}, got {brief(err['input'])}"
    return msg[0].lower() + msg[1:]


def _pattern_hint(err: ErrorDetails) -> str:
    pattern = str((err.get("ctx") or {}).get("pattern", ""))
    if "a-z0-9][a-z0-9-]" in pattern:
        return "use lower-case letters, digits and '-' (for example 'major-incident')"
    if "a-z][a-z0-9_]" in pattern:
        return "use lower-case letters, digits and '_', starting with a letter (for example 'commander')"
    return "start with a letter; use letters, digits, '_' and '-'"


# --- finding the model a key was written in (for did-you-mean) ------------------------


def _allowed_keys(path: Path) -> list[str]:
    """The keys the model at data ``path`` accepts, walking Spec's annotations."""
    candidates: list[Any] = [Spec]
    for part in path:
        candidates = [n for c in candidates for n in _step(c, part)]
        if not candidates:
            return []
    keys: list[str] = []
    for c in candidates:
        for model in _models(c):
            keys.extend(f.alias or name for name, f in model.model_fields.items())
    return keys


def _unwrap(tp: Any) -> list[Any]:
    origin = get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(get_args(tp)[0])
    if origin in (Union, types.UnionType):
        return [u for a in get_args(tp) for u in _unwrap(a)]
    return [tp]


def _models(tp: Any) -> list[type[BaseModel]]:
    return [t for t in _unwrap(tp) if isinstance(t, type) and issubclass(t, BaseModel)]


def _step(tp: Any, part: int | str) -> list[Any]:
    out: list[Any] = []
    for t in _unwrap(tp):
        origin = get_origin(t)
        if isinstance(t, type) and issubclass(t, BaseModel):
            out.extend(
                f.annotation for name, f in t.model_fields.items() if part in (name, f.alias)
            )
        elif origin is dict and isinstance(part, str):
            out.append(get_args(t)[1])
        elif origin is tuple and isinstance(part, int):
            out.append(get_args(t)[0])
    return out
