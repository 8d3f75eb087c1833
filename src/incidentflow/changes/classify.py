"""Which changes open incidents survive, and which need a migration: the rules, in one place.

An incident that is open when a new version ships keeps running on the version
it opened under until it is migrated. A change is *safe* when such an incident
could be moved to the new version with nothing to decide: everything it has
recorded (its state, level, role assignments, checklist ticks, running timers)
still means the same there and it can still finish. A change *needs migration*
when something recorded would be left without meaning or a way out, so that a
mapping has to say what becomes of it. docs/diff.md explains every rule below.

"An open incident can be in" a state means: the old version can reach the state
at some level and the state is not terminal. Changes to states no open incident
can be in are safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from incidentflow.compiler.process import Process

Verdict = tuple[bool, str]
"""(needs migration, the reason)."""

SAFE_FOR_NEW_INCIDENTS = "applies to incidents opened from now on; open incidents keep their level"
SAFE_AT_THE_NEXT_CALL = "checked when someone next acts; nothing recorded depends on it"
SAFE_AT_THE_NEXT_ENTRY = "takes effect when an incident next enters the state"
SAFE_TIMER = (
    "takes effect when an incident next enters the state; running timers keep their deadline"
)
SAFE_WORDING = "wording only"
SAFE_ADDED = "new; nothing recorded refers to it"
SAFE_PROVED = "the compiler proves it of the new version; nothing recorded depends on it"
SAFE_BEHAVIOUR = "a consequence of the changes above; the new version is checked as a whole"
SAFE_CHECKED_WHOLE = (
    "the new version is checked whole: from every state it has, an incident can still "
    "finish at every level (IF301, IF312, IF313)"
)


@dataclass(frozen=True)
class Rules:
    """The classification rules for one pair of versions (``old`` states already renamed
    to their ``new`` ids where a rename was recognised)."""

    old: Process
    renamed_states: dict[str, str]

    @cached_property
    def open_states(self) -> frozenset[str]:
        """The old states (under their new ids) an open incident can be in."""
        reachable: set[str] = set()
        for level in self.old.level_ids:
            reachable |= self.old.view_at(level).reachable
        return frozenset(
            self.renamed_states.get(s, s) for s in reachable if not self.old.is_terminal(s)
        )

    def _in_open_state(self, state: str, what: str, safe: str) -> Verdict:
        if state in self.open_states:
            return True, f"an open incident can be in `{state}`: {what}"
        return False, f"no open incident can be in `{state}` (terminal or never reached); {safe}"

    def state_removed(self, state: str) -> Verdict:
        """A removed state that an open incident can be in needs a new state to go to."""
        return self._in_open_state(state, "the new version has no such state", "safe")

    def state_renamed(self, old_id: str, state: str) -> Verdict:
        """A renamed state is a removed state for an incident recorded in it."""
        if state in self.open_states:
            return True, f"an open incident can be in `{old_id}`, which the new version lacks"
        return False, f"no open incident can be in `{old_id}` (terminal or never reached)"

    def became_terminal(self, state: str) -> Verdict:
        """A state that becomes terminal would end open incidents without a close."""
        return self._in_open_state(state, "it would end there without ever being closed", "safe")

    def checklist_item_removed(self, state: str, item: str) -> Verdict:
        """Ticks recorded for an item the new version lacks must be kept or dropped."""
        return self._in_open_state(
            state, f"ticks recorded for `{item}` name an item the new version lacks", "safe"
        )

    def requires_added(self, state: str, transition: str, items: list[str]) -> Verdict:
        """A newly required item on an exit: an incident about to leave has not done it."""
        names = ", ".join(f"`{i}`" for i in items)
        return self._in_open_state(
            state,
            f"it may be ready to leave by `{transition}` without {names}, which is now required",
            "safe",
        )

    def timer_removed(self, state: str, timer: str) -> Verdict:
        """A running timer the new version lacks must be kept, restarted or cancelled."""
        return self._in_open_state(
            state, f"a running `{timer}` timer names a timer the new version lacks", "safe"
        )

    def timer_moves_differently(self, state: str, timer: str) -> Verdict:
        """A running timer whose transition changed would do something else on expiry."""
        return self._in_open_state(
            state, f"a running `{timer}` timer would fire a different transition", "safe"
        )

    @staticmethod
    def level_removed(level: str) -> Verdict:
        """Open incidents at a removed level need a new level."""
        return True, f"open incidents at {level} would have a level the new version lacks"

    @staticmethod
    def role_removed(role: str) -> Verdict:
        """Assignments to a removed role must be moved or dropped."""
        return True, f"open incidents may have people assigned to `{role}`"

    @staticmethod
    def holders_kept_apart(pairs: list[str]) -> Verdict:
        """A new separation of duties may already be broken on an open incident."""
        return True, f"an open incident may already have one person in {' and '.join(pairs)}"

    @staticmethod
    def process_renamed() -> Verdict:
        """Another name is another process: its incidents are not this one's."""
        return True, "open incidents belong to the process by name"

    @staticmethod
    def uninterpreted() -> Verdict:
        """A key the diff does not interpret is treated as needing migration, to be safe."""
        return True, "this version of incidentflow diff does not interpret it; review it by hand"
