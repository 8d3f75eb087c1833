"""The documentation site is complete: nav pages exist, the CLI reference and the pre-commit hook
match the code. (The site itself is built with `mkdocs build --strict` by `nox -s docs`.)"""

from __future__ import annotations

import argparse
import io
import re
from collections.abc import Iterator
from typing import Any

from ruamel.yaml import YAML

from incidentflow.cli import _parser
from tests.conftest import ROOT

DOCS = ROOT / "docs"


def _yaml(name: str) -> Any:
    # round-trip loader: mkdocs.yml uses a !!python/name tag, which it keeps as data
    return YAML(typ="rt").load((ROOT / name).read_text(encoding="utf-8"))


def _nav_pages(nav: Any) -> Iterator[str]:
    if isinstance(nav, str):
        yield nav
    elif isinstance(nav, list):
        for entry in nav:
            yield from _nav_pages(entry)
    elif isinstance(nav, dict):
        for value in nav.values():
            yield from _nav_pages(value)


def _commands() -> dict[str, argparse.ArgumentParser]:
    """Every command and sub-command, by its full name ("validate", "audit verify")."""
    found: dict[str, argparse.ArgumentParser] = {}

    def walk(parser: argparse.ArgumentParser, prefix: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    full = f"{prefix} {name}".strip()
                    nested = any(isinstance(a, argparse._SubParsersAction) for a in sub._actions)
                    if nested:
                        walk(sub, full)
                    else:
                        found[full] = sub

    walk(_parser(io.StringIO()), "")
    return found


def _sections(text: str) -> dict[str, str]:
    parts = re.split(r"(?m)^## (.+)$", text)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def test_every_nav_page_exists() -> None:
    config = _yaml("mkdocs.yml")
    pages = list(_nav_pages(config["nav"]))
    assert "index.md" in pages
    assert [p for p in pages if not (DOCS / p).is_file()] == []


def test_every_page_is_in_the_nav() -> None:
    pages = set(_nav_pages(_yaml("mkdocs.yml")["nav"]))
    assert {p.name for p in DOCS.glob("*.md")} - pages == set()


def test_the_handbooks_hook_is_configured() -> None:
    config = _yaml("mkdocs.yml")
    assert [(ROOT / h).is_file() for h in config["hooks"]] == [True]
    assert "docs/hooks/handbooks.py" in config["hooks"]


def test_pre_commit_hook() -> None:
    hooks = _yaml(".pre-commit-hooks.yaml")
    assert [h["id"] for h in hooks] == ["incidentflow-validate"]
    hook = hooks[0]
    assert hook["entry"] == "incidentflow validate --strict"
    assert hook["language"] == "python"
    files = re.compile(hook["files"])
    assert files.search("process_specs/major-incident.yaml")
    assert files.search("process_specs/sub/service-desk.yml")
    assert not files.search("scenarios/major-incident-missed-ack.yaml")
    assert not files.search("process_specs/README.md")


def test_every_cli_command_and_option_is_in_the_cli_reference() -> None:
    sections = _sections((DOCS / "cli.md").read_text(encoding="utf-8"))
    commands = _commands()
    assert {"validate", "render", "demo", "drill", "report", "audit verify", "schema"} <= set(
        commands
    )
    missing = []
    for name, parser in commands.items():
        section = sections.get(name)
        if section is None:
            missing.append(name)
            continue
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            words = list(action.option_strings) or [action.metavar or action.dest]
            words += (
                [f"{words[0]} {c}" for c in action.choices or ()] if action.option_strings else []
            )
            missing += [f"{name}: {w}" for w in words if f"`{w}" not in section]
    assert missing == []


def test_cli_reference_lists_exit_codes() -> None:
    exits = _sections((DOCS / "cli.md").read_text(encoding="utf-8"))["Exit codes"]
    assert all(f"| `{code}` |" in exits for code in (0, 1, 2))
