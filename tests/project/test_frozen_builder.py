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


def test_a_default_factory_is_refused_rather_than_made_a_required_field() -> None:
    @dataclass(frozen=True, slots=True)
    class Listed:
        items: list[int] = dataclasses.field(default_factory=list)

    with pytest.raises(TypeError, match="default_factory"):
        builder(Listed)


@pytest.mark.parametrize(
    ("cls", "order"),
    [
        (
            Event,
            "incident_id seq time actor kind data spec_name spec_version spec_digest "
            "prev_hash hash data_json",
        ),
        (
            Incident,
            "id process title state phase severity fields opened_by opened_at "
            "state_entered_at assignments checklist timers closed version actions "
            "process_version process_digest",
        ),
    ],
)
def test_the_field_orders_the_positional_builders_are_called_in(cls: type, order: str) -> None:
    # audit/events.py seal() and engine/state.py snapshot() and _plan() pass every field
    # by position: a field added or moved must be added or moved there too.
    assert [f.name for f in dataclasses.fields(cls)] == order.split()


def test_planned_action_field_order() -> None:
    from incidentflow.engine.state import PlannedAction

    assert [f.name for f in dataclasses.fields(PlannedAction)] == [
        "id",
        "action",
        "params",
        "origin",
        "status",
        "error",
        "attempts",
        "retry_at",
        "planned_at",
        "idempotency_key",
        "holder",
        "lease_until",
    ]
