"""Where the example process specs are: the working directory's ``process_specs/``,
else the copy shipped in the wheel, else the source checkout's."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def example_specs_dir() -> Path:
    """The directory holding the example specs."""
    for candidate in (
        Path.cwd() / "process_specs",
        _HERE / "process_specs",
        _HERE.parents[1] / "process_specs",
    ):
        if candidate.is_dir() and any(candidate.glob("*.yaml")):
            return candidate
    raise FileNotFoundError("the example specs (process_specs/) are not installed")


def example_spec(name: str) -> Path:
    """The example spec file ``name``."""
    return example_specs_dir() / name
