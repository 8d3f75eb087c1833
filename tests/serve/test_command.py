"""``incidentflow serve`` as a command: start-up errors in one line, the install hint, the
lazy imports, and a real server on the loopback address answering with the worker inside."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from incidentflow.serve.tokens import TokenFile
from tests.conftest import EXAMPLES, ROOT, CliResult

Cli = Callable[..., CliResult]
STARTUP_S = 60


def test_serve_without_tokens_says_how_to_make_one(cli: Cli, tmp_path: Path) -> None:
    result = cli(
        "serve",
        str(EXAMPLES),
        "--store",
        str(tmp_path / "s.db"),
        "--tokens",
        str(tmp_path / "t.json"),
    )
    assert result.code == 2
    assert "incidentflow token add NAME" in result.err
    assert "Traceback" not in result.err


def test_serve_with_a_bad_spec_exits_1(cli: Cli, tmp_path: Path) -> None:
    TokenFile(tmp_path / "t.json").add("carol")
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: incidentflow/v1\nkind: Process\n", encoding="utf-8")
    result = cli(
        "serve", str(bad), "--store", str(tmp_path / "s.db"), "--tokens", str(tmp_path / "t.json")
    )
    assert result.code == 1
    assert "bad.yaml" in result.err


def test_serve_without_the_extra_prints_the_install_hint(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn raises ImportError
    result = cli("serve", str(EXAMPLES), "--store", str(tmp_path / "s.db"))
    assert result.code == 2
    assert result.err == (
        "incidentflow serve: needs FastAPI, uvicorn and Jinja2 (uvicorn is missing): "
        "pip install 'incidentflow[serve]'\n"
    )


def test_validate_and_token_never_import_the_web_stack(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from incidentflow.cli import run\n"
        f"run(['validate', {str(EXAMPLES)!r}], sys.stdout, sys.stderr)\n"
        f"run(['token', 'add', 'carol', '--tokens', {str(tmp_path / 't.json')!r}], sys.stdout, sys.stderr)\n"
        "print(sorted(m for m in ('fastapi', 'starlette', 'uvicorn', 'jinja2') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    assert out.splitlines()[-1] == "[]"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str, token: str | None = None) -> tuple[int, object]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_serve_runs_on_loopback_with_its_worker_and_stops_on_sigterm(tmp_path: Path) -> None:
    tokens = TokenFile(tmp_path / "t.json")
    carol = tokens.add("carol")
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "incidentflow",
            "serve",
            str(EXAMPLES / "major-incident.yaml"),
            "--store",
            str(tmp_path / "s.db"),
            "--tokens",
            str(tmp_path / "t.json"),
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            try:
                status, _ = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                assert server.poll() is None, server.communicate()[1]
                assert time.monotonic() < deadline, "serve did not answer in time"
                time.sleep(0.2)
        assert status == 200
        assert _get(f"http://127.0.0.1:{port}/api/me")[0] == 401
        assert _get(f"http://127.0.0.1:{port}/api/me", carol) == (
            200,
            {"name": "carol", "kind": "person"},
        )
    finally:
        server.terminate()
        out, err = server.communicate(timeout=60)
    assert server.returncode == 0, err
    assert "1 person token(s)" in out
    assert "worker " in out
    assert "stopped" in out


def test_serve_on_a_port_in_use_exits_2_with_one_line(cli: Cli, tmp_path: Path) -> None:
    TokenFile(tmp_path / "t.json").add("carol")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli(
            "serve", str(EXAMPLES / "major-incident.yaml"), "--store", str(tmp_path / "s.db"),
            "--tokens", str(tmp_path / "t.json"), "--port", str(port),
        )  # fmt: skip
    assert result.code == 2
    assert f"cannot serve on 127.0.0.1:{port}" in result.err


def test_no_worker_and_mermaid_options_reach_the_app(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    served: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append((app, options)))
    TokenFile(tmp_path / "t.json").add("carol")
    mermaid = tmp_path / "mermaid.min.js"
    mermaid.write_text("/* a stand-in */", encoding="utf-8")
    args = ["--store", str(tmp_path / "s.db"), "--tokens", str(tmp_path / "t.json")]
    result = cli("serve", str(EXAMPLES), *args, "--no-worker", "--mermaid", str(mermaid))
    assert result.code == 0, result.err
    assert "no worker (--no-worker)" in result.out
    ((app, options),) = served
    assert options["host"] == "127.0.0.1"
    assert options["port"] == 8080
    assert app.state.mermaid == mermaid  # type: ignore[attr-defined]
    missing = cli("serve", str(EXAMPLES), *args, "--mermaid", str(tmp_path / "nope.js"))
    assert missing.code == 2
    assert "nope.js: no such file" in missing.err
