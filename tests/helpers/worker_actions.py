"""Action handlers for the ``incidentflow worker`` processes of tests/engine/test_workers_processes.py.

``--actions tests.helpers.worker_actions:handlers``. Every delivery appends a line
``<pid> <idempotency key> <attempt> <action> <role>`` to the file named by
``INCIDENTFLOW_TEST_DELIVERIES``. A ``page`` of the role named by
``INCIDENTFLOW_TEST_HANG`` never returns (the worker is to be killed in it).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from incidentflow import ActionRequest

ACTIONS = (
    "page",
    "page_if_severe",
    "open_channel",
    "post_status",
    "create_ticket",
    "notify_executives",
    "schedule_postmortem",
)


def deliver(request: ActionRequest) -> None:
    role = str(request.params.get("role", "-"))
    line = f"{os.getpid()} {request.idempotency_key} {request.attempt} {request.action} {role}\n"
    with open(os.environ["INCIDENTFLOW_TEST_DELIVERIES"], "a", encoding="utf-8") as out:
        out.write(line)
    if request.action == "page" and role == os.environ.get("INCIDENTFLOW_TEST_HANG"):
        while True:  # hangs until the test kills this process
            time.sleep(1)


def handlers() -> dict[str, Callable[[ActionRequest], None]]:
    return dict.fromkeys(ACTIONS, deliver)
