"""incidentflow._frozen.builder: instances indistinguishable from the class's own."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from dataclasses import dataclass

import pytest

from incidentflow._frozen import builder
from incidentflow.audit.events import Event
from incidentflow.engine.state import Incident


@dataclass(frozen=True, slots=True)
class Pair:
    left: int
    right: str = "r"


def test_an_instance_built_is_the_class_s_own_in_every_respect() -> None:
    build = builder(Pair)
    made, usual = build(1, "x"), Pair(1, "x")
    assert type(made) is Pair
    assert made == usual
    assert hash(made) == hash(usual)
    assert repr(made) == repr(usual)
    assert dataclasses.replace(made, left=2) == Pair(2, "x")
    assert pickle.loads(pickle.dumps(made)) == usual
    assert copy.deepcopy(made) == usual
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.left = 5  # type: ignore[misc]
    assert _refusal(made) == _refusal(usual)  # a new attribute: as the class refuses it


def _refusal(pair: Pair) -> type[BaseException]:
    try:
        pair.other = 1  # type: ignore[attr-defined]
    except Exception as error:  # (TypeError on Python 3.11, AttributeError later)
        return type(error)
    raise AssertionError("a new attribute was accepted")


def test_defaults_apply_to_fields_left_out() -> None:
    assert builder(Pair)(3) == Pair(3)


def test_the_hot_path_classes_build_fast() -> None:
    assert builder(Event) is not Event
    assert builder(Incident) is not Incident


def test_a_class_that_is_not_a_slotted_dataclass_is_refused() -> None:
    @dataclass(frozen=True)
    class Plain:
        value: int

    with pytest.raises(TypeError, match="not a slotted dataclass"):
        builder(Plain)
