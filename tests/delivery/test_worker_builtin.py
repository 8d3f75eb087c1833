"""``incidentflow worker --actions builtin``: the built-in handlers from the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from incidentflow.delivery import PagerDuty, Slack
from incidentflow.worker_command import CommandError, load_handlers
from tests.delivery.test_delivery import PROCESS

SPEC = Path(__file__).parents[1] / "intake" / "alerting.yaml"


def test_builtin_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INCIDENTFLOW_ACTIONS", "page=pagerduty")
    monkeypatch.setenv("INCIDENTFLOW_PAGERDUTY_ROUTING_KEY", "RK")
    handlers = load_handlers("builtin", [PROCESS])
    assert list(handlers) == ["page"]
    assert isinstance(handlers["page"], PagerDuty)
    monkeypatch.setenv("INCIDENTFLOW_ACTIONS", "page=slack")
    monkeypatch.setenv("INCIDENTFLOW_SLACK_URL", "http://127.0.0.1:9/")
    assert isinstance(load_handlers("builtin", [PROCESS])["page"], Slack)


def test_builtin_says_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INCIDENTFLOW_ACTIONS", raising=False)
    with pytest.raises(CommandError, match="--actions builtin: set INCIDENTFLOW_ACTIONS"):
        load_handlers("builtin", [PROCESS])


def test_the_worker_command_refuses_a_missing_configuration(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCIDENTFLOW_")}
    env["INCIDENTFLOW_ACTIONS"] = "page=webhook"
    env["INCIDENTFLOW_WEBHOOK_URL"] = "http://127.0.0.1:9/"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "incidentflow",
            "worker",
            str(SPEC),
            "--actions",
            "builtin",
            "--store",
            f"sqlite:///{tmp_path / 'store.db'}",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "set INCIDENTFLOW_WEBHOOK_SECRET" in done.stderr
    assert "Traceback" not in done.stderr
