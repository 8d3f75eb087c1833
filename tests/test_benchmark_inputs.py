"""The benchmarks measure inputs the library accepts: a hostile spec the limits refuse
would measure the refusal, not the checks (and stopped the benchmark run)."""

from __future__ import annotations

import pytest

from benchmarks.hostile_triggers import _hostile_specs
from incidentflow.spec.loader import load_text


@pytest.mark.parametrize(("name", "text"), list(_hostile_specs().items()))
def test_every_hostile_trigger_spec_is_within_the_limits(name: str, text: str) -> None:
    assert load_text(text, name).loaded is not None
