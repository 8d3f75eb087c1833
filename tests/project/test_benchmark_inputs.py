"""The benchmarks measure inputs the library accepts: a hostile spec the limits refuse
would measure the refusal, not the checks (and stopped the benchmark run)."""

from __future__ import annotations

import pytest

from benchmarks.hostile_triggers import _hostile_specs
from incidentflow.spec.loader import load_text


@pytest.mark.parametrize(("name", "text"), list(_hostile_specs().items()))
def test_every_hostile_trigger_spec_is_within_the_limits(name: str, text: str) -> None:
    assert load_text(text, name).loaded is not None


def test_the_output_benchmark_runs_to_the_end(monkeypatch: pytest.MonkeyPatch) -> None:
    # It stopped the benchmark run once the loader capped diagnostics at 1,000 per file.
    from benchmarks import output

    monkeypatch.setattr(output, "SIZES", (20, 40))
    monkeypatch.setattr(output, "ROUNDS", 1)
    outcomes = output.run()
    assert [o.metric for o in outcomes] == [
        "text / json, 40 diagnostics",
        "growth of text / json, 20 to 40",
    ]
