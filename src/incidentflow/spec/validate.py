"""Validate parsed YAML against the models; map every pydantic error to a diagnostic.

Each pydantic error carries a ``loc`` (a path of keys and indexes), which the
:class:`~incidentflow.spec.yamlread.SourceMap` turns into a file position. Unknown
keys get a did-you-mean hint computed from the model the key was written in.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from incidentflow.diagnostics import Diagnostic, Severity
from incidentflow.gcpause import gc_paused
from incidentflow.spec.conditions import OPERATORS
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


@gc_paused
def validate_spec(
    data: Any, filename: str, source_map: SourceMap
) -> tuple[Spec | None, list[Diagnostic]]:
    """Build a :class:`Spec` from plain data, or return every problem found."""
    if not isinstance(data, dict):
        kind = type(data).__name__ if data is not None else "nothing"
        root = source_map.value(())
        return None, [
            Diagnostic(
                filename,
                root.line,
                root.column,
                "IF105",
                Severity.ERROR,
                f"a spec is a mapping of keys to values, but this file holds a {kind}",
                hint="start the file with 'apiVersion: incidentflow/v1'",
            )
        ]
    header = _check_header(data, filename, source_map)
    if header:
        return None, header
    try:
        return Spec.model_validate(data), []
    except ValidationError as exc:
        diagnostics = [
            _to_diagnostic(err, data, filename, source_map)
            for err in _one_per_defect(exc.errors(), data)
        ]
        unique = {(d.line, d.column, d.code, d.message): d for d in diagnostics}
        return None, sorted(unique.values(), key=Diagnostic.sort_key)


def _is_type_error(err: ErrorDetails) -> bool:
    return err["type"].endswith("_type") or err["type"] == "model_attributes_type"


def _one_per_defect(errors: list[ErrorDetails], data: Any) -> list[ErrorDetails]:
    """Drop follow-on errors so that each defect is reported once.

    A misspelt key shows up as both "unknown key 'fild'" and "missing 'field'";
    keep the unknown key (its hint names the missing one). A collection whose
    items failed also reports "too short" when nothing valid was left; drop that.
    A value of a union type (``after: str | {LEVEL: duration}``) fails once per
    branch: keep the branch that got furthest, or one merged "must be A or B".
    """
    paths = [data_path(tuple(err["loc"]), data) for err in errors]
    merged: dict[Path, ErrorDetails] = {}
    dropped: set[int] = set()
    for i, (err, path) in enumerate(zip(errors, paths, strict=True)):
        if not _is_type_error(err):
            continue
        deeper = any(
            j != i
            and (len(other) > len(path) or not _is_type_error(errors[j]))
            and other[: len(path)] == path
            for j, other in enumerate(paths)
        )
        if deeper:
            dropped.add(i)
        elif path in merged:
            first = merged[path]
            first["msg"] = f"{first['msg']}, or {err['msg'].removeprefix('Input should be ')}"
            dropped.add(i)
        else:
            merged[path] = err
    errors = [err for i, err in enumerate(errors) if i not in dropped]
    from incidentflow.suggest import closest

    unknown: dict[tuple[int | str, ...], list[str]] = {}
    for err in errors:
        if err["type"] == "extra_forbidden":
            unknown.setdefault(tuple(err["loc"][:-1]), []).append(str(err["loc"][-1]))
    kept = []
    for err in errors:
        loc = tuple(err["loc"])
        if err["type"] == "missing" and any(
            closest(str(loc[-1]), [u]) for u in unknown.get(loc[:-1], [])
        ):
            continue
        if err["type"] == "too_short" and any(
            len(other["loc"]) > len(loc) and tuple(other["loc"][: len(loc)]) == loc
            for other in errors
        ):
            continue
        kept.append(err)
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
            message = f"{_display(path)}: {err['input']!r} is not a valid id or name"
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
        return f"{msg[0].lower()}{msg[1:]}, got {err['input']!r}"
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
