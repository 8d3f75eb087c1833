"""What the command line does to its own process before a command runs.

pydantic asks ``pydantic.plugin._loader.get_plugins()`` for plugins every time it builds
a model's validator. That module imports :mod:`importlib.metadata` (and with it email,
zipfile, csv and socket) to read entry points, even when ``PYDANTIC_DISABLE_PLUGINS``
turns the scan off: about a tenth of the start-up of ``incidentflow validate``. The
commands that run none of the user's code build only incidentflow's own spec models,
which no pydantic plugin is meant for, so in their process :func:`prepare` puts a
stand-in loader in place that finds no plugins without that import.

Only the command line's own process is touched, and only before pydantic loads:

- nothing is set in the environment, so child processes (Graphviz) and hosts that
  ``import incidentflow`` see pydantic exactly as configured;
- ``worker`` and ``serve`` import the user's handlers (and ``serve`` runs FastAPI): their
  process keeps pydantic's own loader, and with it the user's plugins;
- should a later pydantic ask the loader for anything but ``get_plugins``, the stand-in
  hands over to the real loader (tests/cli/test_lazy_imports.py checks that the stand-in
  is what pydantic uses).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from importlib.abc import Loader  # not at run time: it imports importlib.resources

PLUGIN_LOADER = "pydantic.plugin._loader"
RUNS_USER_CODE = frozenset({"worker", "serve"})
"""Commands that import the user's code: pydantic's plugins stay as configured there."""


def command_of(argv: Sequence[str]) -> str | None:
    """The command named by a command line (without the program name), if any.

    The top-level options (``--help``, ``--version``) take no value, so the command is
    the first argument that is not an option.
    """
    return next((arg for arg in argv if not arg.startswith("-")), None)


def prepare(argv: Sequence[str]) -> None:
    """Ready this process to run the command line ``argv`` (see the module docstring)."""
    if command_of(argv) in RUNS_USER_CODE or PLUGIN_LOADER in sys.modules:
        return
    sys.meta_path.insert(0, _StandInFinder())


class _StandInFinder:
    """An import hook that answers the first import of pydantic's plugin loader.

    Through the import system (not by writing to ``sys.modules``), so that pydantic's
    packages are imported first and the stand-in is bound in them as the loader would be.
    """

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname != PLUGIN_LOADER:
            return None
        sys.meta_path.remove(self)  # once: from now on the import system has the module
        return ModuleSpec(fullname, cast("Loader", self))  # a Loader by its two methods

    def create_module(self, spec: ModuleSpec) -> ModuleType:
        return _NoPlugins(spec.name)

    def exec_module(self, module: ModuleType) -> None:
        pass


class _NoPlugins(ModuleType):
    """pydantic's plugin loader for a process that loads no plugin."""

    @staticmethod
    def get_plugins() -> tuple[()]:
        """No plugins: what pydantic's loader answers with ``PYDANTIC_DISABLE_PLUGINS=1``."""
        return ()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # the import system asks for __path__ and such: not here
            raise AttributeError(name)
        # Anything else: step aside for the real loader, and answer from it.
        if sys.modules.get(PLUGIN_LOADER) is self:
            del sys.modules[PLUGIN_LOADER]
        return getattr(importlib.import_module(PLUGIN_LOADER), name)
