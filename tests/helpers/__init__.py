"""Subprocess entry points for the tests (run as ``python -m tests.helpers.NAME``)."""
