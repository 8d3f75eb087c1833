"""The collector pause is restored in every case."""

from __future__ import annotations

import gc

import pytest

from incidentflow.gcpause import gc_paused


@gc_paused
def _state() -> bool:
    return gc.isenabled()


@gc_paused
def _fail() -> None:
    raise ValueError("boom")


def test_paused_inside_and_restored_after() -> None:
    assert gc.isenabled()
    assert _state() is False
    assert gc.isenabled()


def test_restored_after_an_exception() -> None:
    with pytest.raises(ValueError, match="boom"):
        _fail()
    assert gc.isenabled()


def test_left_disabled_if_the_caller_disabled_it() -> None:
    gc.disable()
    try:
        assert _state() is False
        assert not gc.isenabled()
    finally:
        gc.enable()
