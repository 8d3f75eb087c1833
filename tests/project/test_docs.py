"""The documentation matches the code: every key is documented, every code is real."""

from __future__ import annotations

import re
import runpy

import pytest
from pydantic import BaseModel

from incidentflow.rules import RULES
from incidentflow.spec import conditions, models
from tests.conftest import ROOT, SCENARIO_FIXTURES, SPECS

SRC = ROOT / "src" / "incidentflow"


def _models() -> list[type[BaseModel]]:
    found = []
    for module in (models, conditions):
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseModel)
                and value.__module__ == module.__name__
            ):
                found.append(value)
    return found


def test_spec_format_documents_every_key() -> None:
    text = (ROOT / "docs" / "spec-format.md").read_text(encoding="utf-8")
    missing = [
        f"{model.__name__}.{field.alias or name}"
        for model in _models()
        for name, field in model.model_fields.items()
        if f"`{field.alias or name}`" not in text
    ]
    assert missing == []


def test_every_code_used_in_the_source_is_in_the_table_and_vice_versa() -> None:
    used: set[str] = set()
    for path in SRC.rglob("*.py"):
        if path.name != "rules.py":
            used.update(re.findall(r'"(IF\d{3})"', path.read_text(encoding="utf-8")))
    assert used - set(RULES) == set(), "codes reported but not documented"
    assert set(RULES) - used == set(), "codes documented but never reported"


def test_every_code_has_an_example_fixture() -> None:
    fixtures = {p.name[:5] for p in (SPECS / "invalid").iterdir()}
    fixtures |= {p.name[:5] for p in (SCENARIO_FIXTURES / "invalid").iterdir()}
    fixtures |= {p.name[:5] for p in (ROOT / "tests" / "migrations" / "invalid").iterdir()}
    # IF110 (file too large) and IF115 (more than 1,000 problems) need files too big to
    # show as examples; tests/spec/test_hostile_yaml.py and tests/compiler/test_hostile_specs.py cover them
    assert set(RULES) - fixtures == {"IF110", "IF115"}


def test_rules_reference_is_generated_from_the_code() -> None:
    generator = runpy.run_path(str(ROOT / "docs" / "gen_rules.py"))
    current = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert current == generator["render"](), "run: python docs/gen_rules.py"


@pytest.mark.parametrize("code", sorted(RULES))
def test_rules_reference_has_an_entry_per_code(code: str) -> None:
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert f"### {code}\n" in text


def test_readme_quickstart_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "\nbash .ci/run\n" in readme  # README's test command is CI's script itself
    assert ".venv/bin/nox -s tests" in ci
    assert ".venv/bin/incidentflow validate --strict process_specs/" in readme


def test_links_between_docs_resolve() -> None:
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", doc.read_text(encoding="utf-8")):
            assert (doc.parent / target).exists(), f"{doc.name} links to missing {target}"
