"""Snapshot tests of the main screens at fixed terminal sizes (pytest-textual-snapshot).

Update after an intended change with `pytest tests/test_ui_snapshots.py --snapshot-update`,
and look at the report before committing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from run_inspector.source import FileSource
from run_inspector.ui.app import make_app

from .helpers import fixture_bytes
from .ui_helpers import until_loaded

Before = Callable[[Pilot[None]], Awaitable[None]]


@pytest.fixture(autouse=True)
def no_animations(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("textual.constants.TEXTUAL_ANIMATIONS", "none")


def after_load(*keys: str) -> Before:
    async def run_before(pilot: Pilot[None]) -> None:
        await until_loaded(pilot)
        await pilot.press(*keys)
        await pilot.pause()

    return run_before


def test_main_screen_120x36(snap_compare: Any, failed_source: FileSource) -> None:
    assert snap_compare(make_app(failed_source), terminal_size=(120, 36), run_before=after_load())


def test_main_screen_80x24(snap_compare: Any, failed_source: FileSource) -> None:
    assert snap_compare(make_app(failed_source), terminal_size=(80, 24), run_before=after_load())


def test_failed_only_120x36(snap_compare: Any, failed_source: FileSource) -> None:
    assert snap_compare(make_app(failed_source), terminal_size=(120, 36), run_before=after_load("f"))


def test_executions_pane_120x36(snap_compare: Any, failed_source: FileSource) -> None:
    app = make_app(failed_source)
    assert snap_compare(app, terminal_size=(120, 36), run_before=after_load("N", "2"))


def test_output_pane_120x36(snap_compare: Any, failed_source: FileSource) -> None:
    app = make_app(failed_source)
    assert snap_compare(app, terminal_size=(120, 36), run_before=after_load("N", "j", "j", "j", "j", "4"))


def test_nested_tree_80x24(snap_compare: Any, failed_source: FileSource) -> None:
    assert snap_compare(make_app(failed_source), terminal_size=(80, 24), run_before=after_load("t"))


def test_help_screen_80x24(snap_compare: Any, failed_source: FileSource) -> None:
    assert snap_compare(
        make_app(failed_source), terminal_size=(80, 24), run_before=after_load("question_mark")
    )


def test_findings_pane_120x36(snap_compare: Any) -> None:
    """A run that succeeded but went wrong opens on its findings, the cursor on the branch."""
    source = FileSource(fixture_bytes("findings_wrong_path.json"), "findings_wrong_path.json")
    assert snap_compare(make_app(source), terminal_size=(120, 36), run_before=after_load())


def test_why_view_120x36(snap_compare: Any, failed_source: FileSource) -> None:
    assert snap_compare(make_app(failed_source), terminal_size=(120, 36), run_before=after_load("w"))
