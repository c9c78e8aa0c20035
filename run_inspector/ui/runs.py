"""The runs a user opened in a session: the breadcrumb trail, and where they were in each."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..agent import AgentView
from ..findings import Finding
from ..graph import RunGraph
from ..metrics import FailureRates
from ..poller import Transition
from ..resources import Lineage


@dataclass
class RunView:
    """One run in the breadcrumb trail, with where the user was in it."""

    fetch_uuid: str
    graph: RunGraph | None = None
    transitions: list[Transition] = field(default_factory=list)
    cursor_key: str | None = None
    focus_node: str | None = None
    """Node to put the cursor on when the run first shows (e.g. the parent's group node)."""
    expanded: set[str] | None = None
    executions: dict[str, int] = field(default_factory=dict)
    """Node uuid → index of the execution chosen in the Executions pane."""
    tab: str | None = None
    auto_key: str | None = None
    """Where the app put the cursor by itself; while it stays there, it follows the run."""
    replaces_below: bool = False
    """Opened as the parent of the run below it: once loaded, it takes that run's place."""
    findings: list[Finding] = field(default_factory=list)
    """`compute_findings` of the graph, computed once per new graph."""
    lineage: Lineage = field(default_factory=Lineage)
    """What the endpoints around the run said last (its trace, its groups' item runs)."""

    @property
    def title(self) -> str:
        if self.graph is not None:
            return self.graph.run.record_title or self.graph.run.uuid or self.fetch_uuid
        return self.fetch_uuid


@dataclass
class Known:
    """What the app fetched besides runs, shared by every run of the session: agent messages
    (by message uuid: the message, or why there is none) and failure rates (by workflow)."""

    agents: dict[str, AgentView | str] = field(default_factory=dict)
    rates: dict[str, FailureRates] = field(default_factory=dict)
