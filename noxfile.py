"""The one entry point for tests, lint, typing, docs and benchmarks.

README's test command and `.ci/run` both call `nox -s tests`.
"""

from __future__ import annotations

from pathlib import Path

import nox

MERMAID_JS = Path(__file__).parent / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"

nox.options.sessions = ["tests", "lint", "typing"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = None  # the interpreter nox itself runs on; CI and README use python3


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the test suite (pytest with Hypothesis).

    The docs extra is installed too: a test builds the site and opens it in Chromium;
    the postgres extra too: the PostgreSQL tests run when INCIDENTFLOW_TEST_DATABASE_URL
    names a server (``.ci/run`` starts one with ``.ci/with-postgres``).
    """
    session.install("-e", ".[test,docs,postgres,serve]")
    # Any non-zero exit fails the session, including 5 ("no tests collected"):
    # an empty suite is a broken suite (tests/conftest.py says so in the output).
    session.run("pytest", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff: lint and import order."""
    session.install("ruff>=0.5")
    session.run("ruff", "check", "src", "tests", "benchmarks", "noxfile.py")


@nox.session(python=PYTHON)
def typing(session: nox.Session) -> None:
    """mypy --strict on the package."""
    session.install("-e", ".[postgres,serve]", "mypy>=1.10")
    session.run("mypy", "--strict", "src")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks, reported as ratios against baselines measured in the same run."""
    session.install("-e", ".[bench,postgres,serve]")
    session.run("python", "-m", "benchmarks", *session.posargs)


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the documentation site (mkdocs-material, mkdocstrings) into site/, --strict."""
    session.install("-e", ".[docs]")
    if not MERMAID_JS.is_file():
        # the site serves the pinned Mermaid itself (docs/hooks/mermaid.py)
        session.run("npm", "ci", "--no-audit", "--no-fund", external=True)
    session.run(
        "mkdocs",
        "build",
        "--strict",
        "-d",
        "site",
        *session.posargs,
        env={"NO_MKDOCS_2_WARNING": "1"},  # Material's banner about a future MkDocs 2
    )
