"""The detail panes, one module each, and the registry the app is generated from.

`PANES` lists them in order: the tabs, the number keys (`1`, `2`, …), the help screen and the
command palette are all made from it. A new pane is one module here plus one entry below.
"""

from __future__ import annotations

from dataclasses import dataclass

from .agent import AgentPane
from .base import Copy, Pane, RunContext, Selection
from .data import InputPane, JsonPane, OutputPane
from .error import ErrorPane
from .events import EventsPane, EventsTable
from .executions import ExecutionsPane, ExecutionTable
from .findings import FindingsList, FindingsPane
from .items import ItemsPane, ItemsTable
from .overview import OverviewPane
from .widgets import JsonTree, ReadOnlyText


@dataclass(frozen=True)
class PaneSpec:
    id: str
    """The tab's id; the pane's is `{id}-pane`."""
    title: str
    """The tab's label."""
    cls: type[Pane]
    help: str
    """What the pane shows, for the help screen and the palette."""
    follows_selection: bool = True
    """Shows the node under the cursor (else the whole run)."""
    short: str = ""
    """The tab's label where the tabs are cramped (under `NARROW_WIDTH` columns)."""

    @property
    def pane_id(self) -> str:
        return f"{self.id}-pane"


PANES: tuple[PaneSpec, ...] = (
    PaneSpec("overview", "Overview", OverviewPane, "Show the Overview pane", short="Info"),
    PaneSpec("executions", "Execs", ExecutionsPane, "Show the Executions pane", short="Exec"),
    PaneSpec("error", "Error", ErrorPane, "Show the Error pane", short="Err"),
    PaneSpec("output", "Output", OutputPane, "Show the Output pane (runContext)", short="Out"),
    PaneSpec("input", "Input", InputPane, "Show the Input pane (runComputedConfigs)", short="In"),
    PaneSpec("events", "Events", EventsPane, "Show the Events pane (status changes)", False, short="Ev"),
    PaneSpec(
        "findings", "Findings", FindingsPane, "Show the Findings pane (what looks wrong)", False, short="⚑"
    ),
    PaneSpec(
        "agent",
        "Agent",
        AgentPane,
        "Show the Agent pane (the agent's steps, tool calls and answer)",
        short="AI",
    ),
    PaneSpec(
        "items",
        "Items",
        ItemsPane,
        "Show the Items pane (a group's item runs; enter opens one)",
        short="Items",
    ),
)
PANE_IDS: tuple[str, ...] = tuple(spec.id for spec in PANES)


def pane_key(spec: PaneSpec) -> str:
    """The number key that shows a pane: its place in the registry."""
    return str(PANES.index(spec) + 1)


__all__ = [
    "PANES",
    "PANE_IDS",
    "AgentPane",
    "Copy",
    "ErrorPane",
    "EventsPane",
    "EventsTable",
    "ExecutionTable",
    "ExecutionsPane",
    "FindingsList",
    "FindingsPane",
    "InputPane",
    "ItemsPane",
    "ItemsTable",
    "JsonPane",
    "JsonTree",
    "OutputPane",
    "OverviewPane",
    "Pane",
    "PaneSpec",
    "ReadOnlyText",
    "RunContext",
    "Selection",
    "pane_key",
]
