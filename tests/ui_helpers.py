"""Helpers shared by the Pilot tests of the TUI: wait for the first snapshot, read what is shown."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Static, TextArea

from run_inspector.ui.app import InspectorApp
from run_inspector.ui.messages import GoToLine
from run_inspector.ui.panes import ErrorPane, OverviewPane


async def until_loaded(pilot: Pilot[None], tries: int = 200) -> InspectorApp:
    """Wait (at most `tries` pauses of 10 ms) until the first snapshot is in the tree."""
    app = pilot.app
    assert isinstance(app, InspectorApp)
    for _ in range(tries):
        if app.graph is not None and app.run_tree.cursor_node is not None:
            break
        await pilot.pause(0.01)
    return app


async def ready(pilot: Pilot[None], tries: int = 200) -> InspectorApp:
    """Wait until the first snapshot is on screen."""
    app = await until_loaded(pilot, tries)
    await pilot.pause()
    return app


def cursor_key(app: InspectorApp) -> str | None:
    view = app.run_tree.cursor_view
    return view.key if view is not None else None


def static_text(app: InspectorApp, selector: str) -> str:
    return str(app.main.query_one(selector, Static).render())


def pane_text(app: InspectorApp, pane: type[OverviewPane] | type[ErrorPane]) -> str:
    """What a pane shows: its text and its text areas, in order."""
    parts = []
    for widget in app.main.query_one(pane).query("Static, TextArea"):
        if widget.display:
            parts.append(widget.text if isinstance(widget, TextArea) else str(widget.render()))
    return "\n".join(parts)


def notices(app: InspectorApp) -> list[str]:
    return [n.message for n in app._notifications]


async def go_to(pilot: Pilot[None], key: str) -> None:
    """Put the tree's cursor on the line `key` (as a finding or an event does), and wait for it."""
    app = pilot.app
    assert isinstance(app, InspectorApp)
    app.main.post_message(GoToLine(key))
    await pilot.pause()
