"""The loader facade: bytes or text in, a validated :class:`Spec` (with positions) out."""

from __future__ import annotations

from dataclasses import dataclass

from incidentflow.diagnostics import Diagnostic
from incidentflow.spec.limits import DEFAULT_LIMITS, Limits
from incidentflow.spec.models import Spec
from incidentflow.spec.source import decode_source, too_large
from incidentflow.spec.validate import validate_spec
from incidentflow.spec.yamlread import SourceMap, read_yaml


@dataclass(frozen=True, slots=True)
class LoadedSpec:
    """A spec that passed the format checks, with where each part was written."""

    spec: Spec
    source_map: SourceMap
    filename: str
    text: str


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What loading produced: the spec when it is well-formed, and every diagnostic."""

    loaded: LoadedSpec | None
    diagnostics: tuple[Diagnostic, ...]
    text: str | None


def load_text(text: str, filename: str, limits: Limits = DEFAULT_LIMITS) -> LoadResult:
    """Parse and validate spec text. Never raises for problems in the text."""
    # The limit is in UTF-8 bytes; only text that could exceed it is measured.
    if len(text) * 4 > limits.max_bytes:
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > limits.max_bytes:
            return LoadResult(None, (too_large(size, filename, limits),), None)
    document, diagnostics = read_yaml(text, filename, limits)
    if document is None:
        return LoadResult(None, tuple(diagnostics), text)
    spec, problems = validate_spec(document.data, filename, document.source_map)
    diagnostics.extend(problems)
    if spec is None or any(d.is_error for d in diagnostics):
        return LoadResult(None, tuple(diagnostics), text)
    return LoadResult(
        LoadedSpec(spec, document.source_map, filename, text), tuple(diagnostics), text
    )


def load_bytes(data: bytes, filename: str, limits: Limits = DEFAULT_LIMITS) -> LoadResult:
    """Decode (UTF-8 only) and load spec bytes. Never raises for problems in the data."""
    text, problem = decode_source(data, filename, limits)
    if text is None:
        assert problem is not None
        return LoadResult(None, (problem,), None)
    return load_text(text, filename, limits)
