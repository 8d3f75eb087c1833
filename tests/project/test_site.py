"""The documentation site is complete: nav pages exist, the CLI reference and the pre-commit hook
match the code. (The site itself is built and opened in Chromium by tests/project/test_docs_site_browser.py.)"""

from __future__ import annotations

import argparse
import io
import re
import tomllib
from collections.abc import Iterator
from typing import Any

from ruamel.yaml import YAML

import incidentflow
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
    assert [(ROOT / h).is_file() for h in config["hooks"]] == [True, True]
    assert set(config["hooks"]) == {"docs/hooks/handbooks.py", "docs/hooks/mermaid.py"}


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


def _yaml_blocks(markdown: str) -> list[Any]:
    blocks = re.findall(r"(?ms)^```yaml\n(.*?)^```", markdown)
    return [YAML(typ="safe").load(block) for block in blocks]


def _project_urls() -> dict[str, str]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        urls: dict[str, str] = tomllib.load(f)["project"]["urls"]
    return urls


def test_pre_commit_examples_match_the_repository_and_its_hook() -> None:
    """The pre-commit configs in docs/ci.md point at this repository, at this release, and the
    `local` variant runs exactly what the published hook runs."""
    configs = [
        b for b in _yaml_blocks((DOCS / "ci.md").read_text(encoding="utf-8")) if "repos" in b
    ]
    remote = [r for c in configs for r in c["repos"] if r["repo"] != "local"]
    local = [r for c in configs for r in c["repos"] if r["repo"] == "local"]
    assert len(remote) == 1
    assert len(local) == 1
    assert remote[0]["repo"] == _project_urls()["Repository"]
    assert remote[0]["rev"] == f"v{incidentflow.__version__}"
    published = {h["id"]: h for h in _yaml(".pre-commit-hooks.yaml")}
    assert [h["id"] for h in remote[0]["hooks"]] == ["incidentflow-validate"]
    (local_hook,) = local[0]["hooks"]
    hook = published[local_hook["id"]]
    assert local_hook["entry"] == hook["entry"]
    assert local_hook["files"] == hook["files"]


def test_site_addresses_match_the_project_urls() -> None:
    config, urls = _yaml("mkdocs.yml"), _project_urls()
    assert config["site_url"] == urls["Documentation"]
    # repo_url would make every page call api.github.com (see mkdocs.yml)
    assert "repo_url" not in config
