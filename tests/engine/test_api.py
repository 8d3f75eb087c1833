"""The public library API: load, loads, load_set, check, and the exception tree."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import networkx as nx
import pytest

import incidentflow
from incidentflow import Diagnostic, Process, SpecError, SpecFileError
from incidentflow.errors import DeliveryError, IntakeError
from tests.conftest import EXAMPLES, MINIMAL

PUBLIC = {
    "CheckResult",
    "CompiledTrigger",
    "Diagnostic",
    "IncidentflowError",
    "Limits",
    "Note",
    "Process",
    "Severity",
    "Spec",
    "SpecError",
    "SpecFileError",
    "Suppressed",
    "SuppressedBy",
    "InvalidSuppression",
    "__version__",
    "check",
    "load",
    "load_set",
    "loads",
    # the engine and its audit trail
    "ActionRequest",
    "Allowed",
    "Anchor",
    "AuditError",
    "ChainProblem",
    "ConcurrencyError",
    "Engine",
    "EngineError",
    "Event",
    "Incident",
    "IncidentProblem",
    "IncidentIndex",
    "IndexedStore",
    "InvalidArgument",
    "InvalidOperation",
    "LatestStore",
    "MemoryStore",
    "MissingHandlers",
    "NotAuthorized",
    "OperationRefused",
    "PlannedAction",
    "PostgresStore",
    "SQLiteStore",
    "Store",
    "StoreError",
    "StoreSchemaError",
    "TickResult",
    "StoreClosed",
    "TransitionNotAllowed",
    "UnknownIncident",
    "UnknownProcess",
    "VerifyReport",
    # workers sharing a store
    "Worker",
    # time
    "Calendar",
    "Deadline",
    "ClockedStore",
    "NotifyingStore",
    # what a change to a process does
    "ProcessDiff",
    "diff",
    # versions side by side, and migrations between them
    "MigrationPlan",
    "MigrationRefused",
    "SpecArchive",
    "StoredSpec",
    "plan_migration",
    "Append",
    "BatchStore",
    "ChangeFeed",
    "DueIndexStore",
}


def test_all_is_exactly_the_public_surface() -> None:
    assert set(incidentflow.__all__) == PUBLIC
    assert all(hasattr(incidentflow, name) for name in incidentflow.__all__)
    exported = {n for n in dir(incidentflow) if not n.startswith("_")} - {
        "api",
        "calendars",
        "cli",
        "compiler",
        "diagnostics",
        "errors",
        "spec",
        "rules",
        "audit",
        "engine",
        "suggest",
        "reporting",
        "sarif",
        "suppressions",
        "schema",
        "gcpause",
        "drill",
        "testing",
        "timeline",
        "demo",
        "examples",
        "render",
        "publish",
        "worker_command",
        "intake",
        "delivery",
        "changes",
        "serve",
        "command_spec",
        "migration",
        "startup",
    }
    assert exported <= PUBLIC | {"__version__"}


def test_exception_tree() -> None:
    assert issubclass(SpecError, incidentflow.IncidentflowError)
    assert issubclass(SpecFileError, incidentflow.IncidentflowError)
    assert issubclass(IntakeError, incidentflow.IncidentflowError)
    assert issubclass(IntakeError, ValueError)
    assert issubclass(DeliveryError, incidentflow.IncidentflowError)


def test_load_returns_an_immutable_process_with_identity() -> None:
    process = incidentflow.load(MINIMAL)
    assert isinstance(process, Process)
    assert (process.name, process.version, process.initial) == ("minimal", "1", "open")
    assert process.digest.startswith("sha256:")
    assert len(process.digest) == len("sha256:") + 64
    assert process.level_ids == ("SEV1",)
    assert process.spec.severity.levels[0].acknowledge_within == timedelta(minutes=5)
    assert set(process.graph.nodes) == {"open", "closed"}
    assert list(process.graph.edges(keys=True, data="name")) == [("open", "closed", 0, "close")]
    with pytest.raises(TypeError):
        process.states["x"] = process.states["open"]  # type: ignore[index]
    with pytest.raises(nx.NetworkXError, match="Frozen"):
        process.graph.add_node("sneaky")
    with pytest.raises(Exception, match="frozen"):
        process.spec.metadata.name = "other"  # type: ignore[misc]


def test_loads_raises_spec_error_with_every_diagnostic(minimal_text: str) -> None:
    text = minimal_text.replace("by: [responder]", "by: [respnder]").replace(
        "owner: lead", "owner: leed"
    )
    with pytest.raises(SpecError) as caught:
        incidentflow.loads(text, filename="inline.yaml")
    codes = [(d.code, d.line) for d in caught.value.errors]
    assert codes == [("IF203", 26), ("IF203", 33)]
    assert str(caught.value).startswith("inline.yaml:26:")
    assert "(and 1 more)" in str(caught.value)


def test_check_never_raises_for_spec_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: incidentflow/v2\nkind: Process\n")
    diagnostics = incidentflow.check(bad)
    assert [d.code for d in diagnostics] == ["IF106"]
    assert all(isinstance(d, Diagnostic) for d in diagnostics)


def test_check_on_a_directory_checks_the_set() -> None:
    assert incidentflow.check(EXAMPLES) == []


def test_io_problems_raise_spec_file_error(tmp_path: Path) -> None:
    with pytest.raises(SpecFileError, match="no such file"):
        incidentflow.load(tmp_path / "missing.yaml")
    with pytest.raises(SpecFileError, match="is a directory"):
        incidentflow.load(tmp_path)
    with pytest.raises(SpecFileError, match="is not a directory"):
        incidentflow.load_set(MINIMAL)


def test_load_set_returns_every_process() -> None:
    names = sorted(p.name for p in incidentflow.load_set(EXAMPLES))
    assert names == ["major-incident", "security-incident", "service-desk"]


def test_load_set_rejects_duplicate_names(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(MINIMAL.read_text())
    (tmp_path / "b.yaml").write_text(MINIMAL.read_text())
    with pytest.raises(SpecError) as caught:
        incidentflow.load_set(tmp_path)
    [error] = caught.value.errors
    assert error.code == "IF130"
    assert error.file.endswith("b.yaml")
    assert "a.yaml" in error.message


def test_warnings_are_kept_on_the_process(minimal_text: str) -> None:
    process = incidentflow.loads(minimal_text.replace("    backups: [lead]\n", ""))
    assert [w.code for w in process.warnings] == ["IF502"]


def test_limits_are_configurable(minimal_text: str) -> None:
    with pytest.raises(SpecError) as caught:
        incidentflow.loads(minimal_text, limits=incidentflow.Limits(max_depth=2))
    assert caught.value.errors[0].code == "IF111"


def test_matching_picks_the_most_severe_then_the_earliest() -> None:
    process = incidentflow.load(EXAMPLES / "service-desk.yaml")
    levels = process.level_ids
    assert levels == ("P1", "P2", "P3", "P4", "P5")
    assert process.match({"nothing": "here"}) is None or process.match({}) is None
    for trig in process.triggers:
        assert trig.level in levels
        assert trig.rank == levels.index(trig.level)


def test_matrix_lookup() -> None:
    process = incidentflow.load(EXAMPLES / "major-incident.yaml")
    assert process.level_for("extensive", "critical") == "SEV1"
    with pytest.raises(KeyError):
        process.level_for("nope", "critical")
