"""Shared fixtures for the TUI tests: the failed run, and a bundle with its child runs."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from run_inspector.source import FileSource, bundle_bytes

FIXTURES = Path(__file__).parent / "fixtures"
CHILD_RUNS = ("run-child-1", "run-child-2", "run-child-3")


@pytest.fixture(autouse=True)
def _unfreeze_after_test() -> Iterator[None]:
    """The poller freezes what is alive after each snapshot (`gc.freeze`), an app's widgets
    included. A real session has one app; the suite has hundreds, one after the other: hand each
    test's objects back to the collector so finished apps do not pile up."""
    yield
    gc.unfreeze()


def child_bodies() -> dict[str, bytes]:
    return {uuid: (FIXTURES / "child_runs" / f"{uuid}.json").read_bytes() for uuid in CHILD_RUNS}


@pytest.fixture
def failed_body() -> bytes:
    return (FIXTURES / "failed_run.json").read_bytes()


@pytest.fixture
def failed_source(failed_body: bytes) -> FileSource:
    """The failed run as `--file` opens it (a short description keeps snapshots stable)."""
    return FileSource(failed_body, "failed_run.json")


@pytest.fixture
def bundle_source(failed_body: bytes) -> FileSource:
    """The failed run saved with its three child runs (the group node's items)."""
    return FileSource(bundle_bytes(failed_body, child_bodies()), "bundle.json")
