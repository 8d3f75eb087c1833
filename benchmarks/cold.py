"""(a) Cold-process validate: ``incidentflow validate`` vs ``check-jsonschema``.

Both run as new processes on process_specs/major-incident.yaml, alternately, after one
warm-up each (to warm the OS file cache). check-jsonschema gets the output of
``incidentflow schema`` as its schema file: the baseline is "validate the spec's shape
with a general JSON Schema tool"; incidentflow does that and every semantic check.

Both run from bytecode, as installed tools do (pip compiles a package's modules when it
installs it): the processes get a private bytecode cache (``PYTHONPYCACHEPREFIX``), which
the warm-up run fills, whatever the caller's environment says. Without it, an
environment with ``PYTHONDONTWRITEBYTECODE`` (or a read-only checkout) has incidentflow's
source compiled on every run while check-jsonschema's installed bytecode is used: the
comparison would be of the compiler, not of the tools.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import Outcome, interleaved_medians, ms, table

ROOT = Path(__file__).resolve().parent.parent  # commands run here, so SPEC stays relative
SPEC = Path("process_specs/major-incident.yaml")
RUNS = 9
TOP_IMPORTS = 8
TARGET = 0.7  # time ratio incidentflow / check-jsonschema


def _bin(name: str) -> Path | None:
    found = Path(sys.executable).parent / name
    return found if found.exists() else None


def incidentflow_cmd() -> list[str]:
    """The console script next to the interpreter, else ``python -m incidentflow``."""
    script = _bin("incidentflow")
    return [str(script)] if script else [sys.executable, "-m", "incidentflow"]


def bytecode_env(cache: Path) -> dict[str, str]:
    """This environment, with bytecode written to and read from ``cache`` (see the top)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


def _run(cmd: list[str], env: dict[str, str] | None = None) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stdout}{done.stderr}")


ImportRow = tuple[str, int, float, float]  # module, nesting depth, self s, cumulative s


def import_times(env: dict[str, str] | None = None) -> list[ImportRow]:
    """Every import of ``incidentflow validate`` in a fresh process, from ``-X importtime``."""
    cmd = [sys.executable, "-X", "importtime", "-m", "incidentflow", "validate", str(SPEC)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT, env=env)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        self_us, cum_us, name = line[len("import time:") :].split("|")
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        rows.append((name.strip(), depth, int(self_us) / 1e6, int(cum_us) / 1e6))
    return rows


def by_package(rows: list[ImportRow]) -> list[tuple[str, float]]:
    """Self import time summed per top-level package, largest first."""
    totals: dict[str, float] = {}
    for name, _, self_s, _ in rows:
        root = name.split(".")[0]
        totals[root] = totals.get(root, 0.0) + self_s
    return sorted(totals.items(), key=lambda kv: kv[1], reverse=True)


def run() -> list[Outcome]:
    """Run benchmark (a); print its tables; return its summary rows."""
    checker = _bin("check-jsonschema")
    if checker is None:
        print(
            f"cold: check-jsonschema not found next to {sys.executable}; install it with "
            "`pip install -e '.[bench]'` (or run `nox -s bench`). Skipping benchmark (a).\n"
        )
        return []
    ours = [*incidentflow_cmd(), "validate", str(SPEC)]
    with tempfile.TemporaryDirectory() as tmp:
        schema = Path(tmp) / "incidentflow.schema.json"
        schema.write_text(
            subprocess.run(
                [*incidentflow_cmd(), "schema"],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            ).stdout,
            encoding="utf-8",
        )
        theirs = [str(checker), "--schemafile", str(schema), str(SPEC)]
        env = bytecode_env(Path(tmp) / "pycache")
        _run(ours, env)  # the warm-up also compiles both tools into the cache
        _run(theirs, env)
        ours_s, theirs_s, ratio = interleaved_medians(
            lambda: _run(ours, env), lambda: _run(theirs, env), RUNS
        )
        every = import_times(env)
    print(
        table(
            f"(a) cold validate of {SPEC} ({RUNS} runs each, alternating)",
            ("command", "median"),
            [("incidentflow", ms(ours_s)), ("check-jsonschema", ms(theirs_s))],
        )
    )
    print("(the ratio is the median of the per-round ratios: a slow spell weighs on both)")
    print(f"ratio incidentflow / check-jsonschema = {ratio:.3f} (target <= {TARGET})\n")
    top = sorted(every, key=lambda r: r[3], reverse=True)[:TOP_IMPORTS]
    imports = [(name, depth, ms(s), ms(c)) for name, depth, s, c in top]
    print(
        table(
            "    largest cumulative imports of `incidentflow validate` (-X importtime)",
            ("module", "depth", "self", "cumulative"),
            imports,
        )
    )
    packages = ", ".join(f"{name} {ms(t)}" for name, t in by_package(every)[:5])
    print(f"    self time by package: {packages}\n")
    return [Outcome("cold", "validate: incidentflow / check-jsonschema", ratio, TARGET)]
