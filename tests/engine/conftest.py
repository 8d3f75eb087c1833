"""Fixtures of the engine behaviour tests: a test clock and an in-memory engine on it."""

from __future__ import annotations

from datetime import datetime

import pytest

from incidentflow import Engine
from tests.engine.common import MAJOR, T0


@pytest.fixture
def now() -> list[datetime]:
    """The test clock: a mutable list holding the current time."""
    return [T0]


@pytest.fixture
def engine(now: list[datetime]) -> Engine:
    """An in-memory engine on the major-incident process."""
    return Engine(MAJOR, clock=lambda: now[0])
