"""The benchmark suite's own helpers must not stop a run (issue 9, "Done when")."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from benchmarks.common import table
from benchmarks.engine import (
    build_floor,
    chain_process,
    fire_engine,
    fire_floor,
    new_engine,
    open_incidents,
)
from tests.conftest import MINIMAL, ROOT

PROFILE_ONE_LOAD = f"""
import incidentflow
from benchmarks.profiling import hot_functions
print(incidentflow.__file__)
print(hot_functions(lambda: incidentflow.load({str(MINIMAL)!r}), "load"))
"""


def test_a_table_with_no_rows_still_prints_its_header() -> None:
    printed = table("nothing measured", ("function", "calls"), [])
    assert printed.splitlines()[2].split() == ["function", "calls"]


def test_the_profile_finds_the_package_outside_the_source_tree(tmp_path: Path) -> None:
    # Installed, the package lives in site-packages rather than src/: the profile must
    # still find its functions (it found none, then stopped the suite with a TypeError).
    installed = tmp_path / "site-packages"
    shutil.copytree(ROOT / "src" / "incidentflow", installed / "incidentflow")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(installed), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, "-c", PROFILE_ONE_LOAD],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    imported_from, *printed = done.stdout.splitlines()
    assert imported_from.startswith(str(installed))
    rows = [row for row in printed[4:] if row]
    assert rows
    assert all(row.startswith("incidentflow/") for row in rows)


def test_the_fire_floor_seals_the_engines_very_events() -> None:
    # The floor is a fair one only while it seals what the engine seals: its run checks
    # the final states and every event's hash; so does this, on a few incidents.
    process = chain_process()
    engine = new_engine(process)
    ids = open_incidents(engine, process, 4)
    fire_engine(engine, ids)
    floor = build_floor(process, engine, ids)
    fire_floor(floor)
    assert [i[1] for i in floor.incidents] == [engine.get(i).state for i in ids]
    for incident, iid in zip(floor.incidents, ids, strict=True):
        assert [e.hash for e in incident[5]] == [e.hash for e in engine.history(iid)[3:]]
        assert len(incident[5]) == 5
