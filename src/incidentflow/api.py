"""The library entry points: load, loads, load_set and check."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from incidentflow.diagnostics import Diagnostic, Severity, Suppressed
from incidentflow.errors import SpecError, SpecFileError
from incidentflow.spec.limits import DEFAULT_LIMITS, MAX_DIAGNOSTICS, Limits, capped

if TYPE_CHECKING:
    from incidentflow.compiler.process import Process

SPEC_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of checking one file: its diagnostics and, if sound, its Process.

    ``suppressed`` holds the warnings that ``# incidentflow: disable=...`` comments
    or the ``disable`` option turned off (see :mod:`incidentflow.suppressions`);
    they are not in ``diagnostics``.
    """

    file: str
    diagnostics: tuple[Diagnostic, ...]
    text: str | None
    process: Process | None
    suppressed: tuple[Suppressed, ...] = ()


def _compile_text(
    text: str, filename: str, limits: Limits, disable: frozenset[str] = frozenset()
) -> CheckResult:
    from incidentflow.compiler import compile_spec
    from incidentflow.spec.loader import load_text
    from incidentflow.suppressions import suppress

    result = load_text(text, filename, limits)
    loaded = result.loaded or result.partial  # with broken values, the rest is checked too
    if loaded is None:
        failed = CheckResult(filename, capped(result.diagnostics, filename), result.text, None)
        return suppress(failed, disable)
    process, diagnostics = compile_spec(loaded)
    reported = {(d.line, d.column) for d in result.diagnostics}  # one diagnostic per defect
    more = tuple(d for d in diagnostics if (d.line, d.column) not in reported)
    everything = capped((*result.diagnostics, *more), filename)
    if len(everything) > MAX_DIAGNOSTICS:
        process = None  # not every check ran (IF115)
    return suppress(CheckResult(filename, everything, result.text, process), disable)


def check_file(
    path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS, disable: Iterable[str] = ()
) -> CheckResult:
    """Load and compile one file; spec problems are returned, I/O problems raise SpecFileError.

    The file is refused unread when it is not a regular file (a directory, FIFO or
    device) and when it is larger than ``limits.max_bytes`` (IF110). ``disable`` names
    warnings to turn off (InvalidSuppression for errors and unknown codes).
    """
    from incidentflow.spec.source import read_spec_text
    from incidentflow.suppressions import disabled_codes

    codes = disabled_codes(disable)
    name = str(path)
    try:
        text, problem = read_spec_text(path, name, limits)
    except IsADirectoryError:
        raise SpecFileError(name, "is a directory; use load_set() for a set of specs") from None
    except FileNotFoundError:
        raise SpecFileError(name, "no such file") from None
    except OSError as exc:
        raise SpecFileError(name, exc.strerror or str(exc)) from None
    if text is None:
        assert problem is not None
        return CheckResult(name, (problem,), None, None)
    return _compile_text(text, name, limits, codes)


def _raise_or_return(result: CheckResult) -> Process:
    if result.process is None:
        raise SpecError(result.diagnostics)
    return result.process


def loads(text: str, filename: str = "<string>", *, limits: Limits = DEFAULT_LIMITS) -> Process:
    """Compile spec text into a Process; raise SpecError carrying every diagnostic."""
    return _raise_or_return(_compile_text(text, filename, limits))


def load(path: str | os.PathLike[str], *, limits: Limits = DEFAULT_LIMITS) -> Process:
    """Compile a spec file into a Process; raise SpecError (spec problems) or SpecFileError (I/O)."""
    return _raise_or_return(check_file(path, limits))


def check(
    path: str | os.PathLike[str], *, limits: Limits = DEFAULT_LIMITS, disable: Iterable[str] = ()
) -> list[Diagnostic]:
    """Every diagnostic for a spec file or a directory set. Never raises for spec problems.

    Warnings turned off by ``disable`` (codes such as ``"IF502"``) or by
    ``# incidentflow: disable=...`` comments are left out; :func:`check_file` and
    :func:`check_set` return them in ``CheckResult.suppressed``.
    """
    if Path(path).is_dir():
        return [d for r in check_set(path, limits=limits, disable=disable) for d in r.diagnostics]
    return list(check_file(path, limits, disable).diagnostics)


def spec_files(directory: str | os.PathLike[str]) -> list[Path]:
    """The spec files of a set: ``*.yaml`` and ``*.yml`` below ``directory``, sorted."""
    root = Path(directory)
    if not root.is_dir():
        raise SpecFileError(str(directory), "is not a directory")
    return sorted(p for p in root.rglob("*") if p.suffix in SPEC_SUFFIXES and p.is_file())


def check_set(
    directory: str | os.PathLike[str],
    *,
    limits: Limits = DEFAULT_LIMITS,
    disable: Iterable[str] = (),
) -> list[CheckResult]:
    """Check every spec of a set, plus that process names are unique across it (IF130)."""
    from incidentflow.suppressions import disabled_codes

    codes = disabled_codes(disable)
    return _with_duplicate_names(check_file(p, limits, codes) for p in spec_files(directory))


def _with_duplicate_names(results: Iterable[CheckResult]) -> list[CheckResult]:
    out = []
    seen: dict[str, str] = {}
    for result in results:
        process = result.process
        if process is None:
            out.append(result)
        elif process.name in seen:
            pos = process.source_map.value(("metadata", "name"))
            diag = Diagnostic(
                result.file,
                pos.line,
                pos.column,
                "IF130",
                Severity.ERROR,
                f"process name '{process.name}' is already used by {seen[process.name]}",
                hint="give every process of a set a unique metadata.name",
            )
            out.append(
                CheckResult(
                    result.file, (*result.diagnostics, diag), result.text, None, result.suppressed
                )
            )
        else:
            seen[process.name] = result.file
            out.append(result)
    return out


def load_set(
    directory: str | os.PathLike[str], *, limits: Limits = DEFAULT_LIMITS
) -> list[Process]:
    """Compile every spec of a directory; raise SpecError with all diagnostics if any has errors."""
    results = check_set(directory, limits=limits)
    diagnostics = [d for r in results for d in r.diagnostics]
    if any(r.process is None for r in results):
        raise SpecError(diagnostics)
    return [r.process for r in results if r.process is not None]
