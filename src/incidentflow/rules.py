"""The catalogue of diagnostic codes: every check the loader, the compiler and the scenario
checker make.

Codes are stable and grouped by family: 1xx format, 2xx references, 3xx graph,
4xx triggers and severity, 5xx roles, 6xx timers, 7xx policies, 8xx scenario files
(checked like specs, then run). ``docs/rules.md`` is generated from this table plus
one example fixture per code (``tests/specs/invalid/IFxxx-*.yaml``, or
``tests/scenarios/invalid/IF8xx-*.yaml`` run against ``process_specs/major-incident.yaml``);
a test keeps the three in step.
"""

from __future__ import annotations

from dataclasses import dataclass

from incidentflow.diagnostics import Severity

E = Severity.ERROR
W = Severity.WARNING

DOCS_URL = "https://incidentflow.github.io/incidentflow/"
"""The documentation site: the same address as ``[project.urls] Documentation`` in
pyproject.toml and ``site_url`` in mkdocs.yml (tests check both)."""


@dataclass(frozen=True, slots=True)
class Rule:
    """A stable diagnostic code with its default severity, summary and usual fix."""

    code: str
    severity: Severity
    summary: str
    fix: str

    @property
    def help_uri(self) -> str:
        """This rule's entry on the rules page of the documentation site."""
        return f"{DOCS_URL}rules/#{self.code.lower()}"


_TABLE: tuple[Rule, ...] = (
    # 1xx: the file and the format
    Rule(
        "IF101", E, "The file is not UTF-8 text.", "Save the file as UTF-8 without binary content."
    ),
    Rule("IF102", E, "The file is not valid YAML.", "Fix the YAML syntax at the position shown."),
    Rule(
        "IF103",
        E,
        "The file holds no spec (it is empty or only comments).",
        "Start from an example in `process_specs/`.",
    ),
    Rule(
        "IF104",
        E,
        "The file holds more than one YAML document.",
        "Keep one process per file; split the documents into separate files.",
    ),
    Rule(
        "IF105",
        E,
        "The spec is not a mapping of keys to values.",
        "The top level must be a mapping starting with `apiVersion: incidentflow/v1`.",
    ),
    Rule(
        "IF106",
        E,
        "`apiVersion` is missing or not `incidentflow/v1`.",
        "Write `apiVersion: incidentflow/v1` as the first line.",
    ),
    Rule("IF107", E, "`kind` is missing or not `Process`.", "Write `kind: Process`."),
    Rule(
        "IF108",
        E,
        "A mapping has the same key twice.",
        "Remove or rename the second occurrence; YAML would silently keep only one.",
    ),
    Rule(
        "IF109",
        E,
        "A YAML tag other than the standard ones is used.",
        "Remove the tag: specs are data and never construct objects.",
    ),
    Rule(
        "IF110",
        E,
        "The file is larger than the loader accepts.",
        "Split the process, or raise `Limits.max_bytes` if the spec is really that large.",
    ),
    Rule(
        "IF111",
        E,
        "Values are nested deeper than the loader accepts.",
        "Flatten the structure; no spec needs this depth.",
    ),
    Rule(
        "IF112",
        E,
        "The spec holds more values than the loader accepts (40,000, aliases expanded).",
        "Split the process; use fewer aliases of large values. This also stops 'billion "
        "laughs' documents.",
    ),
    Rule(
        "IF113",
        E,
        "A YAML merge key (`<<`) is used.",
        "Write the keys out, or use an alias for a whole value instead of merging.",
    ),
    Rule(
        "IF114",
        E,
        "A number is longer than the loader reads (100 characters).",
        "Quote it if it is text (an id or a version number), or write a shorter number.",
    ),
    Rule(
        "IF115",
        E,
        "The spec has more problems than are reported for one file (1,000).",
        "Fix the problems shown and validate again; checking stopped after the first 1,000.",
    ),
    Rule(
        "IF120",
        E,
        "A key is not part of the spec format.",
        "Check the spelling against `docs/spec-format.md`; the hint names the closest key.",
    ),
    Rule("IF121", E, "A required key is missing.", "Add the key named in the message."),
    Rule(
        "IF122",
        E,
        "A value has the wrong type or is not allowed here.",
        "Use a value of the kind named in the message.",
    ),
    Rule(
        "IF123",
        E,
        "A duration cannot be read, or is longer than a year (`365d`).",
        "Write durations as `45s`, `5m`, `1h30m`, `2d` or ISO 8601 such as `PT5M`, with ASCII "
        "digits, at most `365d`.",
    ),
    Rule(
        "IF124",
        E,
        "An identifier does not have the required form.",
        "Use lower-case letters, digits and `_` (roles, states) or `-` (names).",
    ),
    Rule(
        "IF125",
        E,
        "A condition is malformed.",
        "A test is `{field: NAME, OP: VALUE}` with exactly one operator of the right kind.",
    ),
    Rule(
        "IF130",
        E,
        "Two specs of one set have the same process name.",
        "Give each process in a directory a unique `metadata.name`.",
    ),
    Rule(
        "IF131",
        W,
        "A suppression names an error, or a suppression check: neither can be turned off.",
        "Fix the error instead; only warnings can be suppressed.",
    ),
    Rule(
        "IF132",
        W,
        "A suppression names a code that does not exist.",
        "Use the code of a warning listed on this page; the hint names the closest.",
    ),
    Rule(
        "IF133",
        W,
        "A suppression comment suppresses nothing (reported when the spec has no errors).",
        "Remove it, or put it on the line of the warning, or alone on the line above it.",
    ),
    Rule(
        "IF134",
        W,
        "An `# incidentflow:` comment is not a directive incidentflow knows.",
        "Write `# incidentflow: disable=CODE` or `# incidentflow: disable-file=CODE`.",
    ),
    # 14x: working-time calendars
    Rule(
        "IF140",
        E,
        "A calendar's `timezone` is not an IANA time zone.",
        "Write an IANA name such as `Europe/London` or `America/New_York`; the hint names the "
        "closest.",
    ),
    Rule(
        "IF141",
        E,
        "A calendar's hours do not read: a weekday key or an hour range is malformed.",
        "Key the hours by weekday (`mon`, `mon-fri`) and write ranges as `HH:MM-HH:MM`.",
    ),
    Rule(
        "IF142",
        E,
        "An hour range is empty: its end is not after its start.",
        "Write the end after the start; split a range over midnight into two days.",
    ),
    Rule(
        "IF143",
        W,
        "Two hour ranges of one weekday overlap (the time they share counts once).",
        "Merge them into one range, or fix the one that is wrong.",
    ),
    Rule(
        "IF144",
        E,
        "A calendar has no working time: nothing counted in it would ever fall due.",
        'Give at least one weekday some hours, such as `mon-fri: ["09:00-17:30"]`.',
    ),
    Rule(
        "IF145",
        W,
        "An hour range falls in a daylight-saving gap or overlap of its zone on some date "
        "(the message names it): that day it counts less or more.",
        "Move the range clear of the change (changes happen at night), or accept the day.",
    ),
    Rule(
        "IF146",
        E,
        "A level or a timer names a calendar that is not defined.",
        "Define it under `calendars`, use the built-in `always`, or fix the name.",
    ),
    Rule(
        "IF147",
        E,
        "A calendar is called `always`, the name of the built-in calendar.",
        "Give it another name.",
    ),
    Rule(
        "IF148",
        E,
        "A duration counted in a calendar would take longer than 20 years to fall due.",
        "Shorten it, or count it in a calendar with more working hours.",
    ),
    Rule(
        "IF150",
        E,
        "A recurring timer's `every` is shorter than a minute (at some level).",
        "Repeat at most once a minute: `every: 1m` or longer.",
    ),
    Rule(
        "IF151",
        E,
        "A timer's `max` is given without `every`, or is less than 1.",
        "`max` bounds a recurring timer: add `every`, or give `max` a count of 1 or more.",
    ),
    Rule(
        "IF152",
        W,
        "A recurring timer fires a transition, so its first firing leaves the state and it "
        "never repeats.",
        "Give the reminder its own timer without `transition`, or use `after` for the one "
        "that moves the incident on.",
    ),
    Rule(
        "IF153",
        E,
        "A terminal state says `sla: paused` (the SLA clocks of a closed incident have "
        "stopped already).",
        "Remove `sla: paused`, or put it on the state where incidents wait.",
    ),
    # 2xx: references
    Rule(
        "IF201",
        E,
        "A reference names a state that does not exist.",
        "Use one of the states under `process.states`; the hint names the closest.",
    ),
    Rule(
        "IF202",
        E,
        "A reference names a severity level that does not exist.",
        "Use one of the ids under `severity.levels`.",
    ),
    Rule(
        "IF203",
        E,
        "A reference names a role that does not exist.",
        "Use one of the roles under `roles`; the hint names the closest.",
    ),
    Rule(
        "IF204",
        E,
        "A transition requires a checklist item its source state does not have.",
        "Add the item to the source state's checklist, or fix the id.",
    ),
    Rule(
        "IF205",
        E,
        "A step names an action that is not declared.",
        "Declare it under `actions`, or fix the name.",
    ),
    Rule(
        "IF206",
        E,
        "An action is invoked with a missing, unknown or ill-typed parameter.",
        "Pass exactly the parameters the action declares, each of its kind.",
    ),
    Rule(
        "IF207",
        E,
        "An impact or urgency value is not on its axis.",
        "Use one of the values listed under `severity.impact` / `severity.urgency`.",
    ),
    Rule(
        "IF208",
        E,
        "A timer's `after` names an SLA field that does not exist.",
        "Use `acknowledge_within`, `update_every`, `resolve_within`, a duration or a per-level map.",
    ),
    Rule(
        "IF209",
        E,
        "A role lists itself as its own backup.",
        "Remove the role from its own `backups`.",
    ),
    Rule(
        "IF210",
        E,
        "An id is defined twice.",
        "Give every level, item, timer and trigger a unique id.",
    ),
    Rule(
        "IF211",
        E,
        "A trigger's severity is given inconsistently.",
        "Give either `severity` or both `impact` and `urgency` (the latter needs a matrix).",
    ),
    Rule(
        "IF212",
        W,
        "An action is declared but never used.",
        "Invoke it from a state, timer or transition, or remove it.",
    ),
    Rule(
        "IF215",
        E,
        "A `metrics` milestone names a state or transition that does not exist.",
        "Use states under `process.states` and transition names under `process.transitions`; "
        "the hint names the closest.",
    ),
    Rule(
        "IF216",
        E,
        "A `metrics` milestone names no state and no transition, so no incident ever reaches it.",
        "List states under `enter` or transitions under `transitions`, or leave the milestone "
        "out to use the default rule.",
    ),
    Rule(
        "IF220",
        E,
        "`intake.on_resolved` names a transition the process does not have.",
        "Name a transition of the process (often one from the open states to a resolved state).",
    ),
    Rule(
        "IF221",
        E,
        "A payload mapping in `intake.mappings` takes the name of a built-in source "
        "(`alertmanager`, `grafana`).",
        "Rename the mapping; the built-in sources need no mapping.",
    ),
    # 3xx: the process graph
    Rule(
        "IF301",
        E,
        "A state cannot be reached from the initial state.",
        "Add a transition into it, or remove it.",
    ),
    Rule(
        "IF302",
        E,
        "A non-terminal state has no way out.",
        "Add a transition out of it, or mark it `terminal: true`.",
    ),
    Rule(
        "IF303",
        E,
        "From a state no terminal state can be reached.",
        "Give the states in the loop a transition towards a terminal state.",
    ),
    Rule(
        "IF304",
        E,
        "A terminal state has outgoing transitions.",
        "Remove the transitions, or drop `terminal: true`.",
    ),
    Rule(
        "IF306",
        E,
        "Two transitions with the same name leave one state under overlapping guards.",
        "Rename one, or make their `when` guards disjoint.",
    ),
    Rule(
        "IF307",
        E,
        "A transition's guard admits no severity level, so it can never fire.",
        "List at least one level in `when.severity`.",
    ),
    Rule(
        "IF312",
        E,
        "At some severity, an incident can get stuck: a reachable state reaches no terminal.",
        "Widen a guard on the way out, or add an exit that this severity may take.",
    ),
    Rule(
        "IF313",
        W,
        "A change of severity can strand an incident: a state entered at one level cannot "
        "finish at another.",
        "Widen a guard on the way out to that level too, or add an exit that it may take.",
    ),
    Rule(
        "IF320",
        W,
        "A timer counts business time in a state only timers can leave: an incident that "
        "enters it after hours waits for the next working day (the message gives an example).",
        "Count the timer in `always`, or add a transition that people may fire from the state.",
    ),
    # 4xx: triggers and severity
    Rule(
        "IF401",
        E,
        "The impact x urgency matrix is missing a cell.",
        "Fill every impact row with a level for every urgency value.",
    ),
    Rule(
        "IF402",
        E,
        "A trigger's condition can never be true, so it can never fire.",
        "Fix the contradictory tests shown in the message.",
    ),
    Rule(
        "IF403",
        E,
        "A `matches` pattern is not a valid RE2 regular expression (RE2 has no "
        "backreferences or lookaround).",
        "Fix the pattern (RE2 syntax); express an exclusion as `{not: {field: ..., matches: ...}}`.",
    ),
    Rule(
        "IF404",
        W,
        "The matrix is not monotonic: more impact or urgency gives a milder level.",
        "Make every cell at least as severe as the cells below and to its right.",
    ),
    Rule(
        "IF405",
        W,
        "A level must be acknowledged later than it must be resolved.",
        "Make `acknowledge_within` at most `resolve_within`.",
    ),
    Rule(
        "IF406",
        W,
        "A severity level is never used.",
        "Use it in the matrix, a trigger, a guard or a policy, or remove it.",
    ),
    Rule(
        "IF407",
        E,
        "`impact`, `urgency` and `matrix` are not given together.",
        "Give all three, or none (then triggers name levels directly).",
    ),
    Rule(
        "IF408",
        E,
        "A `matches` pattern is too large: over 1,000 characters or 2,000 RE2 instructions.",
        "Simplify it (smaller counted repeats, fewer alternatives); list exact values with `in`.",
    ),
    Rule(
        "IF410",
        W,
        "The `intake.on_resolved` transition is not allowed at some levels (its guard): there "
        "a resolution is only recorded.",
        "Widen the transition's guard to those levels, or accept that people close them.",
    ),
    Rule(
        "IF411",
        W,
        "The `intake.on_resolved` transition does not leave the initial state, where an alert "
        "that resolves before anyone acts finds its incident.",
        "Add the initial state to the transition's `from`.",
    ),
    Rule(
        "IF412",
        E,
        "A path in a payload mapping is not a dotted path (`labels.service`, `alerts.0.id`).",
        "Write keys separated by single dots; digits index lists; at most 16 segments.",
    ),
    Rule(
        "IF413",
        E,
        "A payload mapping reads a `status` but has no `key`, so a resolution could not be "
        "matched to its alert.",
        "Add `key:` with the path of the alert's identity.",
    ),
    # 5xx: roles
    Rule(
        "IF501",
        W,
        "A role is never used.",
        "Let it own a state, fire a transition, receive an action, or remove it.",
    ),
    Rule(
        "IF502",
        W,
        "A role has no backups, so nobody can stand in for its holder.",
        "List the roles whose holders are cross-trained in `backups`.",
    ),
    # 6xx: timers
    Rule(
        "IF601",
        E,
        "A timer fires a transition that does not leave the timer's state.",
        "Name a transition whose `from` includes this state.",
    ),
    Rule(
        "IF602",
        W,
        "A timer has no duration at some severity level, so it never fires there.",
        "Give the level that SLA field, or add `default` to the per-level map.",
    ),
    # 7xx: policies
    Rule(
        "IF701",
        E,
        "A policy names a phase that no state has.",
        "Use a phase written on some state, or fix the spelling.",
    ),
    Rule(
        "IF702",
        E,
        "A `distinct_holders` policy needs at least two different roles.",
        "List two or more distinct roles.",
    ),
    Rule(
        "IF703",
        E,
        "A `must_visit` policy fails: at some level an incident can finish without the state or phase.",
        "Guard the transitions that bypass it, so that the levels the policy covers must pass it.",
    ),
    Rule(
        "IF704",
        E,
        "A `must_not_reach` policy fails: at some level an incident can reach the state or phase.",
        "Guard the transitions into it, so that the levels the policy covers cannot take them.",
    ),
    Rule(
        "IF705",
        W,
        "A backup can never stand in for the role it backs up: a `distinct_holders` policy "
        "keeps the two roles apart (a person never acts in both on one incident).",
        "Name a backup outside the policy (for example a deputy), or remove this one.",
    ),
    # 8xx: scenario files (docs/scenarios.md), checked like specs, then run
    Rule(
        "IF801",
        E,
        "A key the scenario format does not have (the hint names the closest one).",
        "Check the spelling against `docs/scenarios.md`.",
    ),
    Rule(
        "IF802",
        E,
        "A step is not one action: no or several action keys, an option the action "
        "does not take, or a step that needs an open incident before one is opened.",
        "Write one action per step, with only the options it takes, and open the incident "
        "(`signal` or `open`) before the steps that need it.",
    ),
    Rule(
        "IF803",
        E,
        "A name the process does not have: state, phase, transition, role, "
        "checklist item, level, action, timer, impact or urgency (or another process).",
        "Use a name of the process (the hint names the closest), or run the scenario against "
        "the process it was written for.",
    ),
    Rule(
        "IF804",
        E,
        "A value of the wrong type or form: a bad duration, time, refusal reason "
        "or an empty list where items are needed.",
        "Write the value in the form the message names: durations as `20m` or `PT20M`, "
        "times in ISO 8601, a refusal reason from the list.",
    ),
    Rule(
        "IF805",
        E,
        "A required key is missing (`scenario`, `steps`, `role`, `person`, `as` on `fire`, ...).",
        "Add the key named in the message.",
    ),
    Rule(
        "IF806",
        E,
        "The file cannot be read, is empty, or is not a mapping.",
        "Name a YAML file (or a directory of them) that starts with `scenario: NAME` and "
        "lists its `steps:`.",
    ),
    Rule(
        "IF810",
        E,
        "An `expect` step did not hold; the message says what actually happened.",
        "Fix the process or the expectation; the hint says what held at that moment.",
    ),
    Rule(
        "IF811",
        E,
        "The engine refused a step that was expected to succeed.",
        "Take the step as someone the process allows, once what it requires is done; if the "
        "refusal is the point of the step, add `expect_refusal: REASON`.",
    ),
    Rule(
        "IF812",
        E,
        "A step marked `expect_refusal` succeeded, or was refused for another reason.",
        "Correct the expected reason, or remove `expect_refusal` if the step should succeed.",
    ),
    Rule(
        "IF813",
        E,
        "The engine rejected a step as invalid now (an item of another state, "
        "a person who does not hold the role, a signal no trigger matches).",
        "Name what exists at that moment: an item of the current state, a person who holds "
        "the role, a signal that one trigger matches.",
    ),  # 901-929: migration mappings (docs/changing-a-process.md), checked against two versions
    Rule(
        "IF901",
        E,
        "The migration mapping file is empty or not a mapping of keys to values.",
        "Start with `states:` and map each old state to a new one.",
    ),
    Rule(
        "IF902",
        E,
        "A key the migration mapping format does not have (the hint names the closest one).",
        "Check the spelling against `docs/changing-a-process.md`.",
    ),
    Rule(
        "IF903",
        E,
        "A value of the wrong form in a migration mapping: a policy other than "
        "`keep`/`drop` (checklist) or `keep`/`restart`/`cancel` (timers), a state without "
        "`to`, a name that is not text.",
        "Write the value in the form the message names.",
    ),
    Rule(
        "IF904",
        E,
        "The mapping is written for another process or version than the specs given "
        "(its `process`, `from` or `to`), or the two specs are of different processes.",
        "Give the specs of the versions the mapping names, or correct the mapping.",
    ),
    Rule(
        "IF905",
        E,
        "The mapping moves a state the old version does not have.",
        "Use a state of the old version (the hint names the closest).",
    ),
    Rule(
        "IF906",
        E,
        "The mapping moves a state to one the new version does not have.",
        "Use a state of the new version (the hint names the closest).",
    ),
    Rule(
        "IF907",
        E,
        "An open incident can be in a state that the new version does not have, and the "
        "mapping does not say where it goes.",
        "Add `OLD_STATE: NEW_STATE` under `states:`.",
    ),
    Rule(
        "IF908",
        E,
        "A state maps to a terminal state: a migration never closes an incident.",
        "Map it to a state the incident can still work in, and close it there.",
    ),
    Rule(
        "IF909",
        E,
        "From a state the mapping moves incidents to, an incident at some level can never "
        "reach a terminal state of the new version.",
        "Map the state to one from which every level can still finish, or give the target "
        "a way out at those levels.",
    ),
    Rule(
        "IF910",
        W,
        "An incident moved to a state skips checklist items that every way into that state "
        "requires in the new version (and no way into its old state required).",
        "See that the items named are done by hand, or map the state to one before them.",
    ),
    Rule(
        "IF911",
        E,
        "An open incident can be at a level that the new version does not have, and the "
        "mapping does not map it under `levels:`.",
        "Add `levels: {OLD: NEW}`.",
    ),
    Rule(
        "IF912",
        E,
        "The mapping's `levels:` names a level the old version, or the new one, does not have.",
        "Use the levels of each version (the hint names the closest).",
    ),
)

RULES: dict[str, Rule] = {rule.code: rule for rule in _TABLE}
"""Every diagnostic code, keyed by code, in documentation order."""


def rule(code: str) -> Rule:
    """The rule for ``code`` (a KeyError for an unknown code is a bug in incidentflow)."""
    return RULES[code]
