"""Turning warnings off: ``# incidentflow:`` comments and the ``disable`` option.

Three ways, each with one rule:

- ``# incidentflow: disable=IF502`` after something on a line turns IF502 off for
  that line; alone on its line, for the next line that holds more than blanks and
  comments. A diagnostic is on the line it points at (its ``line``).
- ``# incidentflow: disable-file=IF502``, anywhere, turns IF502 off in the file.
- the ``disable`` option (``validate --disable IF502``, ``check(..., disable=[...])``)
  turns it off in every file checked.

A comment may name several codes, separated by commas; text after the codes is the
justification, kept with each warning it turns off. Only warnings can be turned off.

Suppressions must not rot, so they are checked too, and what is wrong with them is
a warning: naming an error or one of these checks (IF131), naming an unknown code
(IF132), a comment that turns nothing off (IF133, reported only when the spec has
no errors: with errors, some checks may not have run), and an ``# incidentflow:``
comment that is not a directive (IF134). The option has no place in a file to
report at, so codes it cannot turn off raise :class:`InvalidSuppression`.

Only real comments count: a ``#`` inside a quoted or block value is text
(:mod:`incidentflow.spec.comments`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from incidentflow.diagnostics import Diagnostic, Severity, Suppressed, SuppressedBy
from incidentflow.errors import InvalidSuppression
from incidentflow.rules import RULES
from incidentflow.suggest import did_you_mean

if TYPE_CHECKING:
    from incidentflow.api import CheckResult
    from incidentflow.spec.comments import CommentMap

MARKER = "incidentflow:"
CHECKS = frozenset({"IF131", "IF132", "IF133", "IF134"})
"""The checks on suppressions, which cannot be turned off themselves."""

_DIRECTIVE = re.compile(r"#[ \t]*incidentflow:")
_NEXT_DIRECTIVE = re.compile(r"[ \t]#[ \t]*incidentflow:")
_BODY = re.compile(
    r"[ \t]*(?P<kind>disable-file|disable)[ \t]*=[ \t]*"
    r"(?P<codes>[^\s,]+(?:[ \t]*,[ \t]*[^\s,]+)*)"
    r"(?:[ \t]+(?P<why>.*))?"
)
_CODE = re.compile(r"[^\s,]+")
_WHERE = "on the warning's line, or alone on the line above it"
_DIRECTIVES_HINT = (
    f"write '# incidentflow: disable=CODE' ({_WHERE}) "
    "or '# incidentflow: disable-file=CODE' (anywhere in the file)"
)
_UNUSED_HINT = f"remove it, or put it {_WHERE}"


def unsuppressible(code: str) -> str | None:
    """Why ``code`` cannot be turned off, or None when it can."""
    rule = RULES.get(code)
    if rule is None:
        return "there is no such code"
    if code in CHECKS:
        return "the checks on suppressions cannot be turned off"
    if rule.severity is Severity.ERROR:
        return "errors cannot be suppressed"
    return None


SUPPRESSIBLE = tuple(code for code in RULES if unsuppressible(code) is None)
"""The codes that can be turned off: every warning but the checks on suppressions."""

# A guess ("did you mean ...?") costs a fuzzy match; a file naming thousands of made-up
# codes gets guesses for the first few and the list of codes for the rest.
_GUESSES_PER_FILE = 20


def disabled_codes(codes: Iterable[str]) -> frozenset[str]:
    """The codes of a ``disable`` option; raise InvalidSuppression for any that cannot be."""
    chosen = frozenset(codes)
    problems = [f"{code}: {why}" for code in sorted(chosen) if (why := unsuppressible(code))]
    if problems:
        raise InvalidSuppression(problems)
    return chosen


@dataclass(slots=True)
class _Code:
    code: str
    line: int
    column: int
    used: bool = False


@dataclass(slots=True)
class _Directive:
    by: SuppressedBy
    line: int
    column: int
    target: int | None  # the line a `disable=` covers; None for `disable-file=` or nothing after
    justification: str
    codes: list[_Code] = field(default_factory=list)


def suppress(result: CheckResult, disable: frozenset[str] = frozenset()) -> CheckResult:
    """``result`` with the warnings that comments in its text or ``disable`` turn off moved
    to ``suppressed``, and the checks on its suppression comments added as warnings."""
    text = result.text
    if text is None or (not disable and MARKER not in text):
        return result
    directives, problems = _read_directives(text, result.file) if MARKER in text else ([], [])
    kept, suppressed = _apply(result.diagnostics, directives, disable)
    if not any(d.is_error for d in result.diagnostics):
        problems += _unused(directives, result.file)
    diagnostics = (*kept, *sorted(problems, key=Diagnostic.sort_key))
    process = result.process
    if process is not None:
        process = dataclasses.replace(
            process, warnings=tuple(d for d in diagnostics if not d.is_error)
        )
    return dataclasses.replace(
        result, diagnostics=diagnostics, suppressed=tuple(suppressed), process=process
    )


def _apply(
    diagnostics: Iterable[Diagnostic], directives: list[_Directive], disable: frozenset[str]
) -> tuple[list[Diagnostic], list[Suppressed]]:
    on_line: dict[tuple[int, str], tuple[_Directive, _Code]] = {}
    in_file: dict[str, tuple[_Directive, _Code]] = {}
    for directive in directives:
        for c in directive.codes:
            if directive.by is SuppressedBy.FILE_COMMENT:
                in_file.setdefault(c.code, (directive, c))
            elif directive.target is not None:
                on_line.setdefault((directive.target, c.code), (directive, c))
    kept: list[Diagnostic] = []
    suppressed: list[Suppressed] = []
    for d in diagnostics:
        if d.is_error or d.code in CHECKS:
            kept.append(d)
            continue
        # the most specific wins, so that it is the one counted as used
        hit = on_line.get((d.line, d.code)) or in_file.get(d.code)
        if hit is not None:
            directive, c = hit
            c.used = True
            suppressed.append(
                Suppressed(
                    d, directive.by, directive.line, directive.column, directive.justification
                )
            )
        elif d.code in disable:
            suppressed.append(Suppressed(d, SuppressedBy.OPTION))
        else:
            kept.append(d)
    return kept, suppressed


def _read_directives(text: str, filename: str) -> tuple[list[_Directive], list[Diagnostic]]:
    from incidentflow.spec.comments import CommentMap

    comments = CommentMap.read(text)
    if comments is None:  # not YAML the parser reads: the loader has said so already
        return [], []
    directives: list[_Directive] = []
    problems: list[Diagnostic] = []
    guesses: dict[str, str] = {}
    for match in _DIRECTIVE.finditer(text):
        if comments.in_comment(match.start()):
            directive = _directive(comments, match, filename, problems, guesses)
            if directive is not None:
                directives.append(directive)
    return directives, problems


def _directive(
    comments: CommentMap,
    match: re.Match[str],
    filename: str,
    problems: list[Diagnostic],
    guesses: dict[str, str],
) -> _Directive | None:
    lines = comments.lines
    line = lines.line_number(match.start())
    start = lines.start(line)
    column = match.start() - start + 1
    # the directive runs to the end of its line, or to another directive on the line
    end = lines.end(line)
    after = _NEXT_DIRECTIVE.search(comments.text, match.end(), end)
    rest = comments.text[match.end() : end if after is None else after.start()]
    body = _BODY.fullmatch(rest.rstrip(" \t"))
    if body is None:
        written = _shortened((match[0] + rest).rstrip(" \t"))
        problems.append(
            _warning(
                filename,
                line,
                column,
                "IF134",
                f"'{written}' is not an incidentflow directive",
                _DIRECTIVES_HINT,
                len(written),
            )
        )
        return None
    if body["kind"] == "disable-file":
        by, target = SuppressedBy.FILE_COMMENT, None
    elif comments.own_line(match.start()):
        by, target = SuppressedBy.COMMENT, comments.next_content_line(line)
    else:
        by, target = SuppressedBy.COMMENT, line
    directive = _Directive(by, line, column, target, (body["why"] or "").strip())
    codes_at = match.end() + body.start("codes") - start + 1
    seen: set[str] = set()
    for token in _CODE.finditer(body["codes"]):
        code, code_column = token[0], codes_at + token.start()
        if code in seen:
            continue
        seen.add(code)
        why = unsuppressible(code)
        if why is None:
            directive.codes.append(_Code(code, line, code_column))
        elif code not in RULES:
            problems.append(
                _warning(
                    filename,
                    line,
                    code_column,
                    "IF132",
                    f"suppression of unknown code '{_shortened(code)}'",
                    _unknown_code_hint(code, guesses),
                    len(code),
                )
            )
        else:
            problems.append(
                _warning(
                    filename,
                    line,
                    code_column,
                    "IF131",
                    f"suppression of {code} ignored: {why}",
                    "fix what it reports instead; only warnings can be turned off",
                    len(code),
                )
            )
    return directive


def _shortened(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _unknown_code_hint(code: str, guesses: dict[str, str]) -> str:
    if code not in guesses:
        if len(guesses) >= _GUESSES_PER_FILE:
            return f"Warnings that can be suppressed are: {', '.join(SUPPRESSIBLE)}"
        guesses[code] = did_you_mean(code, SUPPRESSIBLE, "Warnings that can be suppressed")
    return guesses[code]


def _unused(directives: list[_Directive], filename: str) -> list[Diagnostic]:
    out = []
    for directive in directives:
        for c in directive.codes:
            if c.used:
                continue
            if directive.by is SuppressedBy.FILE_COMMENT:
                where = "in this file"
            elif directive.target is None:
                where = "after it (no line with content follows)"
            else:
                where = f"on line {directive.target}"
            out.append(
                _warning(
                    filename,
                    c.line,
                    c.column,
                    "IF133",
                    f"unused suppression: no {c.code} warning {where}",
                    _UNUSED_HINT,
                    len(c.code),
                )
            )
    return out


def _warning(
    filename: str, line: int, column: int, code: str, message: str, hint: str, length: int
) -> Diagnostic:
    return Diagnostic(
        filename, line, column, code, Severity.WARNING, message, hint, length=max(length, 1)
    )
