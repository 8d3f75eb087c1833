"""The tokens file and ``incidentflow token``: hashes only, one kind each, checked names."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from incidentflow.serve.tokens import Principal, TokenFile, TokenFileError
from tests.conftest import CliResult


def test_the_file_holds_only_hashes_with_owner_only_permissions(tmp_path: Path) -> None:
    tokens = TokenFile(tmp_path / "tokens.json")
    token = tokens.add("carol")
    text = (tmp_path / "tokens.json").read_text(encoding="utf-8")
    assert token not in text
    assert token.startswith("ift_")
    assert len(token) > 40
    assert stat.S_IMODE((tmp_path / "tokens.json").stat().st_mode) == 0o600
    assert tokens.authenticate(token) == Principal("carol", "person")
    assert tokens.authenticate(token + "x") is None
    assert tokens.authenticate("") is None


def test_a_second_reader_sees_additions_and_revocations(tmp_path: Path) -> None:
    writer, reader = TokenFile(tmp_path / "t.json"), TokenFile(tmp_path / "t.json")
    first = writer.add("carol")
    assert reader.authenticate(first) == Principal("carol", "person")
    second = writer.add("am", "intake")
    assert reader.authenticate(second) == Principal("am", "intake")
    assert writer.revoke("carol") == 1
    assert reader.authenticate(first) is None
    assert writer.revoke("carol") == 0


@pytest.mark.parametrize("name", ["system", "TIMER", "", " carol", "a\u200bb", "x" * 201])
def test_names_that_cannot_be_actors_are_refused(tmp_path: Path, name: str) -> None:
    tokens = TokenFile(tmp_path / "t.json")
    with pytest.raises(TokenFileError):
        tokens.add(name)
    assert not (tmp_path / "t.json").exists()


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "[]",
        json.dumps({"format": "other", "version": 1, "tokens": []}),
        json.dumps({"format": "incidentflow-tokens", "version": 1, "tokens": [{"name": "x"}]}),
    ],
)
def test_a_malformed_file_is_a_clear_error(tmp_path: Path, content: str) -> None:
    (tmp_path / "t.json").write_text(content, encoding="utf-8")
    with pytest.raises(TokenFileError, match=r"t\.json"):
        TokenFile(tmp_path / "t.json").authenticate("ift_x")


def test_token_commands(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    path = str(tmp_path / "t.json")
    added = cli("token", "add", "rita", "--tokens", path)
    assert added.code == 0
    assert "shown once" in added.err
    token = added.out.strip()
    assert TokenFile(path).authenticate(token) == Principal("rita", "person")
    intake = cli("token", "add", "alertmanager", "--intake", "--tokens", path)
    assert TokenFile(path).authenticate(intake.out.strip()) == Principal("alertmanager", "intake")
    listed = cli("token", "list", "--tokens", path)
    assert [line.split("\t")[:2] for line in listed.out.splitlines()] == [
        ["rita", "person"],
        ["alertmanager", "intake"],
    ]
    assert token not in listed.out
    assert cli("token", "revoke", "rita", "--tokens", path).code == 0
    assert TokenFile(path).authenticate(token) is None
    missing = cli("token", "revoke", "rita", "--tokens", path)
    assert missing.code == 2
    assert "no token of 'rita'" in missing.err
    reserved = cli("token", "add", "system", "--tokens", path)
    assert reserved.code == 2
    assert "reserved" in reserved.err
    assert "Traceback" not in reserved.err
    nameless = cli("token", "add", "--tokens", path)
    assert nameless.code == 2
    assert "NAME is required" in nameless.err
