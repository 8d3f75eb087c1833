"""Property tests: the loader never crashes, and the graph checks agree with a brute-force oracle.

Part (a) throws random text, mutated example specs and random bytes at the
public entry points: the only acceptable outcomes are a Process or a SpecError
carrying well-formed diagnostics with codes from the rule catalogue.

Part (b) generates random (but well-formed) process graphs, compiles them, and
compares the 3xx diagnostics with an independent fixpoint computation in plain
Python (no networkx).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import incidentflow
from incidentflow import Diagnostic, Process, SpecError
from incidentflow.api import check_file
from incidentflow.rules import RULES
from incidentflow.spec.loader import load_bytes

ROOT = Path(__file__).resolve().parents[2]
VALID_FILES = sorted((ROOT / "process_specs").glob("*.yaml")) + sorted(
    (ROOT / "tests" / "specs" / "valid").glob("*.yaml")
)
VALID_TEXTS = {p.name: p.read_text(encoding="utf-8") for p in VALID_FILES}

FAST = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --------------------------------------------------------------------------------------
# helpers


def assert_well_formed(diagnostics: Iterable[object], *, need_error: bool) -> None:
    diagnostics = tuple(diagnostics)
    if need_error:
        assert diagnostics, "a failure must carry at least one diagnostic"
        assert any(getattr(d, "is_error", False) for d in diagnostics), diagnostics
    for d in diagnostics:
        assert isinstance(d, Diagnostic), d
        assert isinstance(d.line, int), d
        assert d.line >= 0, d
        assert isinstance(d.column, int), d
        assert d.column >= 0, d
        assert d.code in RULES, f"unknown code {d.code!r} in {d}"
        assert RULES[d.code].severity == d.severity, d
        assert isinstance(d.message, str), d
        assert d.message, d


def loads_or_spec_error(text: str) -> Process | None:
    """Run loads; accept a Process or a well-formed SpecError, nothing else."""
    try:
        process = incidentflow.loads(text)
    except SpecError as exc:
        assert_well_formed(exc.diagnostics, need_error=True)
        return None
    assert isinstance(process, Process)
    assert_well_formed(process.warnings, need_error=False)
    assert all(not w.is_error for w in process.warnings)
    return process


# --------------------------------------------------------------------------------------
# (a)(i) random text

FRAGMENTS = [
    ":",
    ": ",
    "- ",
    "-",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a ",
    "*a",
    "&b ",
    "*b",
    "!!python/object ",
    "!!python/object/apply:os.system ",
    "!!str ",
    "!!int ",
    "!!float ",
    "!!binary ",
    "!!set ",
    "!!timestamp ",
    "!local ",
    "!<tag:yaml.org,2002:str> ",
    "%YAML 1.1\n",
    "%TAG ! tag:example.com,2000:\n",
    "---\n",
    "...\n",
    "\t",
    "\n",
    "  ",
    "    ",
    '"',
    "'",
    "\\",
    '"\\x00"',
    '"\\ud800"',
    "<<: ",
    "<<: *a\n",
    "? ",
    "|\n",
    ">-\n",
    "#",
    "%",
    "@",
    "`",
    "0x1F",
    "0o17",
    ".inf",
    "-.inf",
    ".nan",
    "1_000",
    "1e400",
    "12:30:00",
    "2024-01-01",
    "~",
    "null",
    "true",
    "yes",
    "on",
    "\ufeff",
    "\x85",
    "\u2028",
    "\x00",
    "\x07",
    "apiVersion: incidentflow/v1\n",
    "kind: Process\n",
    "metadata:\n",
    "  name: x\n",
    "  version: '1'\n",
    "roles:\n",
    "severity:\n",
    "  levels:\n",
    "process:\n",
    "  initial: a\n",
    "  states:\n",
    "    a: {terminal: true}\n",
    "  transitions:\n",
    "    - {name: go, from: a, to: a}\n",
    "key",
    "id",
    "from",
    "to",
    "SEV1",
]

yamlish_text = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=4)), max_size=60
).map("".join)

# text including lone surrogates (not encodable as UTF-8)
any_unicode = st.text(st.characters(exclude_categories=()), max_size=200)


@FAST
@given(st.text())
def test_random_text_gives_process_or_spec_error(text: str) -> None:
    loads_or_spec_error(text)


@FAST
@given(any_unicode)
def test_random_text_with_surrogates_gives_process_or_spec_error(text: str) -> None:
    loads_or_spec_error(text)


@settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(yamlish_text)
def test_random_yamlish_text_gives_process_or_spec_error(text: str) -> None:
    loads_or_spec_error(text)


@FAST
@given(st.sampled_from(sorted(VALID_TEXTS)), yamlish_text)
def test_valid_spec_with_yamlish_junk_appended(name: str, junk: str) -> None:
    loads_or_spec_error(VALID_TEXTS[name] + junk)


# --------------------------------------------------------------------------------------
# (a)(ii) mutations of valid specs

WORD = re.compile(r"[A-Za-z0-9_./-]+")


@st.composite
def mutated_spec(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(sorted(VALID_TEXTS)))
    text = VALID_TEXTS[name]
    for _ in range(draw(st.integers(1, 3))):
        lines = text.split("\n")
        n = len(lines)
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "token", "indent", "truncate"]))
        if op == "delete" and n > 1:
            del lines[draw(st.integers(0, n - 1))]
        elif op == "duplicate":
            i = draw(st.integers(0, n - 1))
            lines.insert(i, lines[i])
        elif op == "swap" and n > 1:
            i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "token":
            tokens = [(i, m) for i, line in enumerate(lines) for m in WORD.finditer(line)]
            if tokens:
                i, m = draw(st.sampled_from(tokens))
                replacement = draw(
                    st.one_of(
                        st.sampled_from([t.group() for _, t in tokens]),
                        st.sampled_from(FRAGMENTS),
                        st.text(max_size=8),
                    )
                )
                line = lines[i]
                lines[i] = line[: m.start()] + replacement + line[m.end() :]
        elif op == "indent":
            i = draw(st.integers(0, n - 1))
            stripped = lines[i].lstrip(" ")
            lines[i] = (
                draw(st.sampled_from(["", " ", "  ", "   ", "    ", "\t", "      "])) + stripped
            )
        text = "\n".join(lines)
        if op == "truncate":
            text = text[: draw(st.integers(0, len(text)))]
    return text


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated_spec())
def test_mutated_valid_specs_give_process_or_spec_error(text: str) -> None:
    loads_or_spec_error(text)


@pytest.mark.parametrize("name", sorted(VALID_TEXTS))
def test_unmutated_valid_specs_load(name: str) -> None:
    # the baseline of the mutation test: the originals compile
    assert isinstance(loads_or_spec_error(VALID_TEXTS[name]), Process)


# --------------------------------------------------------------------------------------
# (a)(iii) random bytes

spec_bytes = st.sampled_from(sorted(VALID_TEXTS)).map(lambda n: VALID_TEXTS[n].encode("utf-8"))


@st.composite
def hostile_bytes(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["random", "spliced", "prefixed"]))
    junk = draw(st.binary(max_size=64))
    if kind == "random":
        return draw(st.binary(max_size=512))
    base = draw(spec_bytes)
    if kind == "prefixed":
        return draw(st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"])) + base
    at = draw(st.integers(0, len(base)))
    return base[:at] + junk + base[at:]


def _expected_decode_problem(data: bytes) -> tuple[int, int] | str | None:
    """(line, column) of the first NUL, 'utf8' when undecodable, None when fine."""
    nul = data.find(b"\x00")
    if nul != -1:
        # lines end as editors end them (\n, \r\n or \r); columns count characters, not bytes
        lines = re.split(rb"\r\n|\r|\n", data[:nul])
        return len(lines), len(lines[-1].decode("utf-8", "replace")) + 1
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "utf8"
    return None


def _check_byte_diagnostics(data: bytes, diagnostics: tuple[Diagnostic, ...]) -> None:
    expected = _expected_decode_problem(data)
    if expected is None:
        return
    assert [d.code for d in diagnostics] == ["IF101"], diagnostics
    if isinstance(expected, tuple):
        assert (diagnostics[0].line, diagnostics[0].column) == expected


@pytest.fixture(scope="module")
def bytes_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("random-bytes")


@FAST
@given(hostile_bytes())
def test_random_bytes_through_check_file(bytes_dir: Path, data: bytes) -> None:
    path = bytes_dir / "x.yaml"
    path.write_bytes(data)
    result = check_file(path)  # must not raise
    assert_well_formed(result.diagnostics, need_error=result.process is None)
    _check_byte_diagnostics(data, result.diagnostics)
    # the public check() agrees with check_file()
    assert incidentflow.check(path) == list(result.diagnostics)


@FAST
@given(hostile_bytes())
def test_random_bytes_through_load_bytes(data: bytes) -> None:
    result = load_bytes(data, "x.yaml")  # must not raise
    assert_well_formed(result.diagnostics, need_error=result.loaded is None)
    _check_byte_diagnostics(data, result.diagnostics)
    if result.loaded is not None:
        assert not any(d.is_error for d in result.diagnostics)


# --------------------------------------------------------------------------------------
# (b) graph oracle

STATE_POOL = ["open", "triage", "fix", "verify", "wait", "review", "done", "on", "no", "null", "S9"]
NAME_POOL = ["go", "next", "close", "escalate"]
ROLE_POOL = ["commander", "responder", "scribe"]


@st.composite
def _transition(
    draw: st.DrawFn,
    sources: list[str],
    target: str,
    roles: list[str],
    levels: list[str],
    guard: bool | None = None,
) -> list[dict]:
    """One random transition, sometimes followed by a twin under the complementary guard."""
    tr: dict = {
        "name": draw(st.sampled_from(NAME_POOL)),
        "from": sources[0] if len(sources) == 1 and draw(st.booleans()) else sources,
        "to": target,
        "by": [draw(st.sampled_from(roles))],
    }
    if guard if guard is not None else draw(st.booleans()):
        tr["when"] = {"severity": draw(st.lists(st.sampled_from(levels), min_size=1, unique=True))}
    out = [tr]
    rest = [lv for lv in levels if lv not in tr.get("when", {}).get("severity", levels)]
    if rest and (guard or draw(st.booleans())):
        # same name, same move, disjoint levels: legal, and must stay two edges
        out.append({**tr, "by": [roles[-1]], "when": {"severity": rest}})
    return out


@st.composite
def process_specs(draw: st.DrawFn, with_terminal: bool = True) -> dict:
    """A random graph-only spec; ``with_terminal`` picks whether some state is terminal.

    Half of the specs are fully random graphs (mostly broken); the other half
    have a backbone (a chain through the non-terminal states into every
    terminal state) plus random extra transitions, so that many compile.
    """
    n_levels = draw(st.integers(1, 4))
    levels = [f"L{i}" for i in range(1, n_levels + 1)]
    n_roles = draw(st.integers(1, 3))
    roles = ROLE_POOL[:n_roles]
    role_defs = {}
    for i, r in enumerate(roles):
        role_defs[r] = {"title": r.title()}
        if n_roles > 1:
            role_defs[r]["backups"] = [roles[(i + 1) % n_roles]]
    states = draw(st.lists(st.sampled_from(STATE_POOL), min_size=2, max_size=8, unique=True))
    structured = with_terminal and draw(st.booleans())
    if not with_terminal:
        terminal = [False] * len(states)
    elif structured:
        n_term = draw(st.integers(1, min(2, len(states) - 1)))
        terminal = [False] * (len(states) - n_term) + [True] * n_term
    else:
        terminal = draw(st.lists(st.booleans(), min_size=len(states), max_size=len(states)))
        terminal[draw(st.integers(0, len(states) - 1))] = True
    state_defs = {}
    for i, (s, t) in enumerate(zip(states, terminal, strict=True)):
        sd: dict = {"title": s.upper(), "owner": roles[i % n_roles]}
        if t:
            sd["terminal"] = True
        state_defs[s] = sd
    transitions: list[dict] = []
    sources_pool = states
    if structured:
        inner = [s for s, t in zip(states, terminal, strict=True) if not t]
        ends = [s for s, t in zip(states, terminal, strict=True) if t]
        # backbone: unguarded, or split into two complementary guarded twins
        into_ends = [(inner[-1], ends[0])] + [(draw(st.sampled_from(inner)), e) for e in ends[1:]]
        for a, b in [*itertools.pairwise(inner), *into_ends]:
            split = n_levels > 1 and draw(st.booleans())
            transitions += draw(_transition([a], b, roles, levels, guard=split))
        sources_pool = inner
    for _ in range(draw(st.integers(0, 4 if structured else 12))):
        sources = draw(st.lists(st.sampled_from(sources_pool), min_size=1, max_size=3, unique=True))
        transitions += draw(_transition(sources, draw(st.sampled_from(states)), roles, levels))
    return {
        "apiVersion": "incidentflow/v1",
        "kind": "Process",
        "metadata": {"name": "generated", "version": "1"},
        "roles": role_defs,
        "severity": {"levels": [{"id": lv, "title": f"Level {lv}"} for lv in levels]},
        "triggers": [
            {"id": "any_signal", "when": {"field": "service", "exists": True}, "severity": "L1"}
        ],
        "process": {"initial": states[0], "states": state_defs, "transitions": transitions},
    }


@st.composite
def side_state_specs(draw: st.DrawFn) -> dict:
    """A spec from :func:`process_specs` with 2+ levels and a side state ``parked``: entered
    from some state under one random guard, left under another, so that changing the
    severity while parked sometimes strands the incident (IF313) and sometimes does not."""
    spec = draw(process_specs())
    levels = [lv["id"] for lv in spec["severity"]["levels"]]
    assume(len(levels) > 1)
    process = spec["process"]
    states = list(process["states"])
    non_terminal = [s for s in states if not process["states"][s].get("terminal")]
    assume(non_terminal)
    some_levels = st.lists(st.sampled_from(levels), min_size=1, max_size=len(levels), unique=True)
    role = next(iter(spec["roles"]))
    process["states"]["parked"] = {"title": "PARKED", "owner": role}
    process["transitions"] = [
        *process["transitions"],
        {
            "name": "park",
            "from": draw(st.sampled_from(non_terminal)),
            "to": "parked",
            "by": [role],
            "when": {"severity": draw(some_levels)},
        },
        {
            "name": "unpark",
            "from": "parked",
            "to": draw(st.sampled_from(states)),
            "by": [role],
            "when": {"severity": draw(some_levels)},
        },
    ]
    return spec


class Oracle:
    """Brute-force reachability on the generated dict (plain sets, fixpoints)."""

    def __init__(self, spec: dict) -> None:
        proc = spec["process"]
        self.levels = [lv["id"] for lv in spec["severity"]["levels"]]
        self.states = list(proc["states"])
        self.initial = proc["initial"]
        self.terminals = {s for s, d in proc["states"].items() if d.get("terminal")}
        self.edges: list[tuple[str, str, str, frozenset[str]]] = []  # source, target, name, levels
        self.transitions = proc["transitions"]
        for tr in self.transitions:
            srcs = [tr["from"]] if isinstance(tr["from"], str) else tr["from"]
            lv = frozenset(tr["when"]["severity"]) if "when" in tr else frozenset(self.levels)
            for s in srcs:
                self.edges.append((s, tr["to"], tr["name"], lv))

    def _edges_at(self, level: str | None) -> list[tuple[str, str]]:
        return [(s, t) for s, t, _, lv in self.edges if level is None or level in lv]

    def reachable(self, level: str | None) -> set[str]:
        return self.descendants(self.initial, level)

    def can_finish(self, level: str | None) -> set[str]:
        good = set(self.terminals)
        edges = self._edges_at(level)
        changed = True
        while changed:
            changed = False
            for s, t in edges:
                if t in good and s not in good:
                    good.add(s)
                    changed = True
        return good

    def unreachable_everywhere(self) -> set[str]:
        somewhere: set[str] = set()
        for lv in self.levels:
            somewhere |= self.reachable(lv)
        return set(self.states) - somewhere

    def reachable_somewhere(self) -> set[str]:
        return set(self.states) - self.unreachable_everywhere()

    def dead_ends(self) -> set[str]:
        has_exit = {s for s, _, _, _ in self.edges}
        return {s for s in self.states if s not in self.terminals and s not in has_exit}

    def terminal_exits(self) -> set[str]:
        return {s for s, _, _, _ in self.edges if s in self.terminals}

    def ambiguous(self) -> set[tuple[str, str]]:
        out = set()
        for i, (s1, _, n1, l1) in enumerate(self.edges):
            for s2, _, n2, l2 in self.edges[i + 1 :]:
                if s1 == s2 and n1 == n2 and l1 & l2:
                    out.add((n1, s1))
        return out

    def stuck_levels(self) -> set[str]:
        return {lv for lv in self.levels if self.reachable(lv) - self.can_finish(lv)}

    def stuck_levels_guard_only(self) -> set[str]:
        """Levels at which some state that could finish ignoring guards gets stuck."""
        whole = self.can_finish(None)
        return {lv for lv in self.levels if (self.reachable(lv) - self.can_finish(lv)) & whole}

    def descendants(self, state: str, level: str | None) -> set[str]:
        """``state`` and every state reachable from it at ``level`` (None: ignoring guards)."""
        seen = {state}
        edges = self._edges_at(level)
        changed = True
        while changed:
            changed = False
            for s, t in edges:
                if s in seen and t not in seen:
                    seen.add(t)
                    changed = True
        return seen

    def stranding_levels(self) -> set[str]:
        """Levels a severity change can strand an incident at, where the level alone does not
        get the incident there: from some state another level reaches, everything this level
        can then do stays out of its own reach and never finishes."""
        out = set()
        whole = self.can_finish(None)
        for lv in self.levels:
            own = self.reachable(lv)
            doomed = (self.reachable_somewhere() - self.can_finish(lv)) & whole
            if any(not (self.descendants(s, lv) & own) for s in doomed):
                out.add(lv)
        return out


QUOTED = re.compile(r"'([^']*)'")


def _states_named(diagnostics: list[Diagnostic], code: str) -> set[str]:
    """The state ids a 3xx diagnostic is about (IF301/IF302 name one first; IF303 lists all)."""
    out: set[str] = set()
    for d in diagnostics:
        if d.code == code:
            quoted = QUOTED.findall(d.message)
            assert quoted, d.message
            out.update(quoted if code == "IF303" else quoted[:1])
    return out


def _levels_in_if312(diagnostics: list[Diagnostic]) -> set[str]:
    out: set[str] = set()
    for d in diagnostics:
        if d.code == "IF312":
            m = re.match(r"at severit(?:y|ies) (.*?) an incident can reach", d.message)
            assert m, d.message
            out.update(x.strip() for x in m.group(1).split(","))
    return out


def _levels_in_if313(diagnostics: list[Diagnostic]) -> set[str]:
    out: set[str] = set()
    for d in diagnostics:
        if d.code == "IF313":
            m = re.search(r"whose severity changes to (.*?) can never", d.message)
            assert m, d.message
            out.update(x.strip() for x in m.group(1).split(" or "))
    return out


def _compile(spec: dict) -> tuple[Process | None, list[Diagnostic]]:
    text = json.dumps(spec, indent=1)
    try:
        process = incidentflow.loads(text, "generated.yaml")
    except SpecError as exc:
        assert_well_formed(exc.diagnostics, need_error=True)
        return None, list(exc.diagnostics)
    return process, list(process.warnings)


GRAPH_CODES = {"IF301", "IF302", "IF303", "IF304", "IF306", "IF307", "IF312", "IF313"}
ALLOWED_WARNINGS = {"IF406", "IF501", "IF502"}


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(process_specs())
def test_graph_checks_agree_with_brute_force_oracle(spec: dict) -> None:
    check_against_oracle(spec)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
@given(side_state_specs())
def test_severity_change_checks_agree_with_the_oracle(spec: dict) -> None:
    check_against_oracle(spec)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(process_specs(with_terminal=False))
def test_graph_checks_agree_with_oracle_when_no_state_is_terminal(spec: dict) -> None:
    # every incident is stuck at every level: the spec must be rejected with diagnostics
    check_against_oracle(spec)


def check_against_oracle(spec: dict) -> None:
    oracle = Oracle(spec)
    process, diagnostics = _compile(spec)
    codes = {d.code for d in diagnostics}
    errors = {d.code for d in diagnostics if d.is_error}

    # nothing outside the graph family (and the harmless warnings) may be reported
    assert codes <= GRAPH_CODES | ALLOWED_WARNINGS, diagnostics
    assert "IF307" not in codes  # the generator never writes an empty guard

    # IF301: exactly the states no level can reach
    assert _states_named(diagnostics, "IF301") == oracle.unreachable_everywhere()
    assert ("IF301" in codes) == bool(oracle.unreachable_everywhere())

    # IF302: exactly the non-terminal states without a way out
    assert _states_named(diagnostics, "IF302") == oracle.dead_ends()

    # IF304: exactly the terminal states something leaves
    if304 = {QUOTED.findall(d.message)[1] for d in diagnostics if d.code == "IF304"}
    assert if304 == oracle.terminal_exits()

    # IF306: exactly the (name, source) pairs with overlapping guards
    if306 = {tuple(QUOTED.findall(d.message)[:2]) for d in diagnostics if d.code == "IF306"}
    assert if306 == oracle.ambiguous()

    # getting stuck: some level reaches a state from which no terminal is reachable
    stuck = oracle.stuck_levels()
    stuck_codes = codes & {"IF302", "IF303", "IF312"}
    if stuck:
        assert stuck_codes, (stuck, diagnostics)
    reachable_somewhere = oracle.reachable_somewhere()
    if "IF312" in codes or (
        (_states_named(diagnostics, "IF302") | _states_named(diagnostics, "IF303"))
        & reachable_somewhere
    ):
        assert stuck, diagnostics
    # IF312 names exactly the levels at which a state that could finish ignoring guards is stuck
    assert _levels_in_if312(diagnostics) == oracle.stuck_levels_guard_only()
    # IF313 names exactly the levels a change of severity can strand an incident at
    assert _levels_in_if313(diagnostics) == oracle.stranding_levels()
    # IF303 iff there is a trap (ignoring guards) that is not a single dead end
    whole_doomed = oracle.reachable(None) - oracle.can_finish(None)
    if "IF303" in codes:
        assert _states_named(diagnostics, "IF303") <= whole_doomed
    if whole_doomed and not (whole_doomed & oracle.dead_ends()):
        assert "IF303" in codes, diagnostics

    # no problem at all according to the oracle: the spec compiles
    clean = not (
        oracle.unreachable_everywhere()
        or oracle.dead_ends()
        or oracle.terminal_exits()
        or oracle.ambiguous()
        or stuck
        or whole_doomed
    )
    if clean:
        assert process is not None, diagnostics
        assert not errors
        assert set(process.graph.nodes) == set(oracle.states)
    else:
        assert process is None
        assert errors & GRAPH_CODES


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(process_specs())
def test_compiled_graph_keeps_every_transition_edge(spec: dict) -> None:
    """Process.graph has one edge per (transition, source), carrying that transition's levels."""
    process, _ = _compile(spec)
    if process is None:
        return
    oracle = Oracle(spec)
    got = sorted(
        (u, v, data["name"], tuple(sorted(data["levels"])))
        for u, v, data in process.graph.edges(data=True)
    )
    want = sorted((s, t, n, tuple(sorted(lv))) for s, t, n, lv in oracle.edges)
    assert got == want


def test_oracle_sanity_on_a_hand_written_case() -> None:
    # open -go[L2]-> fix -close-> done ; at L1 'open' has no usable way out
    spec = {
        "apiVersion": "incidentflow/v1",
        "kind": "Process",
        "metadata": {"name": "hand", "version": "1"},
        "roles": {
            "commander": {"title": "C", "backups": ["responder"]},
            "responder": {"title": "R", "backups": ["commander"]},
        },
        "severity": {"levels": [{"id": "L1"}, {"id": "L2"}]},
        "process": {
            "initial": "open",
            "states": {
                "open": {"owner": "commander"},
                "fix": {"owner": "responder"},
                "done": {"terminal": True},
            },
            "transitions": [
                {
                    "name": "go",
                    "from": "open",
                    "to": "fix",
                    "by": ["commander"],
                    "when": {"severity": ["L2"]},
                },
                {"name": "close", "from": "fix", "to": "done", "by": ["responder"]},
            ],
        },
    }
    oracle = Oracle(spec)
    assert oracle.stuck_levels() == {"L1"}
    assert oracle.stuck_levels_guard_only() == {"L1"}
    _, diagnostics = _compile(spec)
    assert [d.code for d in diagnostics if d.is_error] == ["IF312"]
    assert _levels_in_if312(diagnostics) == {"L1"}
