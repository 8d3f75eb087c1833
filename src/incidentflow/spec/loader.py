"""The loader facade: bytes or text in, a validated :class:`Spec` (with positions) out."""

from __future__ import annotations

from dataclasses import dataclass, replace

from incidentflow.diagnostics import Diagnostic
from incidentflow.spec.limits import DEFAULT_LIMITS, Limits
from incidentflow.spec.models import Spec
from incidentflow.spec.repair import Pruned, checkable_rest
from incidentflow.spec.source import decode_source, text_too_large
from incidentflow.spec.validate import check_models
from incidentflow.spec.yamlread import SourceMap, read_yaml


@dataclass(frozen=True, slots=True)
class LoadedSpec:
    """A spec that passed the format checks, with where each part was written.

    ``pruned`` is set when the spec as written did not pass them and this is the
    rest of it, to be checked but never run (see :mod:`incidentflow.spec.repair`).
    """

    spec: Spec
    source_map: SourceMap
    filename: str
    text: str
    pruned: Pruned | None = None


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What loading produced: the spec when it is well-formed, and every diagnostic.

    When it is not, ``partial`` is the rest of the spec with the broken values left
    out, so that the compiler can still report the problems in the rest (None when
    nothing trustworthy is left, e.g. the file is not YAML or not a spec at all).
    """

    loaded: LoadedSpec | None
    diagnostics: tuple[Diagnostic, ...]
    text: str | None
    partial: LoadedSpec | None = None


def load_text(text: str, filename: str, limits: Limits = DEFAULT_LIMITS) -> LoadResult:
    """Parse and validate spec text. Never raises for problems in the text."""
    oversized = text_too_large(text, filename, limits)
    if oversized is not None:
        return LoadResult(None, (oversized,), None)
    document, diagnostics = read_yaml(text, filename, limits)
    if document is None:
        return LoadResult(None, tuple(diagnostics), text)
    checked = check_models(document.data, filename, document.source_map)
    # One diagnostic per defect: the reader already spoke about these places.
    reported = {(d.line, d.column) for d in diagnostics}
    diagnostics.extend(d for d in checked.diagnostics if (d.line, d.column) not in reported)
    spec = checked.spec
    if spec is not None and not any(d.is_error for d in diagnostics):
        return LoadResult(
            LoadedSpec(spec, document.source_map, filename, text), tuple(diagnostics), text
        )
    if not checked.is_a_spec:  # checking "the rest" would bury the one real problem
        return LoadResult(None, tuple(diagnostics), text)
    rest = checkable_rest(document, spec, checked.errors)
    if rest is None:
        return LoadResult(None, tuple(diagnostics), text)
    source_map = replace(document.source_map, renumbered=rest[1].renumbered)
    partial = LoadedSpec(rest[0], source_map, filename, text, rest[1])
    return LoadResult(None, tuple(diagnostics), text, partial)


def load_bytes(data: bytes, filename: str, limits: Limits = DEFAULT_LIMITS) -> LoadResult:
    """Decode (UTF-8 only) and load spec bytes. Never raises for problems in the data."""
    text, problem = decode_source(data, filename, limits)
    if text is None:
        assert problem is not None
        return LoadResult(None, (problem,), None)
    return load_text(text, filename, limits)
