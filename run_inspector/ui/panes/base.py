"""What every detail pane shares: the context it draws, lazy making, and catching up.

A pane draws a `RunContext` (the run on screen and the selection). It owns its bookkeeping:
it is made the first time it is shown (`open`), it remembers what it last drew, and a pane
that is not on screen only stores the context and draws it when it is shown again
(`catch_up`). API strings are drawn as plain `Text`, never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.renderables.blank import Blank
from textual.widget import Widget

from ...agent import AgentView
from ...findings import Finding
from ...graph import IN_CHILD_RUNS, NOT_REACHED, NodeState, RunGraph
from ...metrics import FailureRates
from ...models import Execution
from ...poller import Transition


@dataclass(frozen=True)
class Selection:
    graph: RunGraph
    state: NodeState | None
    execution: int | None
    """Index into `state.executions` of the chosen execution, if any."""

    @property
    def chosen(self) -> Execution | None:
        if self.state is None or self.execution is None:
            return None
        if 0 <= self.execution < len(self.state.executions):
            return self.state.executions[self.execution]
        return None

    @property
    def node_uuid(self) -> str | None:
        return self.state.uuid if self.state is not None else None


@dataclass(frozen=True)
class RunContext:
    """Everything a pane may show: the run on screen, and what is selected in it."""

    graph: RunGraph
    findings: list[Finding]
    transitions: list[Transition]
    """Status changes seen while watching this run (the list grows as the run moves)."""
    live: bool
    selection: Selection
    highlight: Finding | None = None
    """The finding the run opens on (a run that succeeded but went wrong), if any."""
    agents: Mapping[str, AgentView | str] = field(default_factory=dict)
    """Agent messages fetched so far, by message uuid: the message, or why there is none."""
    rates: FailureRates | None = None
    """How often each node of the workflow failed lately, when known."""


@dataclass(frozen=True)
class Copy:
    """What `y` copies from a pane: a word for the notification, and the text."""

    what: str
    text: str


def why_empty(state: NodeState | None) -> str | None:
    """A plain reason a node has nothing to show, or None if it ran."""
    if state is None:
        return "Nothing selected"
    if state.status == NOT_REACHED:
        return "Not reached: this node did not run in this run"
    if state.status == IN_CHILD_RUNS:
        return "This node runs inside the group's child runs: select the group node and press o"
    return None


def field_line(text: Text, name: str, value: str | Text, style: str = "") -> None:
    """`name        value` on its own line."""
    text.append(f"{name:<12}", style="dim")
    if isinstance(value, Text):
        text.append_text(value)
    else:
        text.append(value, style=style)
    text.append("\n")


class Pane(Widget):
    """A detail pane: made when first shown, drawn when on screen and behind.

    Subclasses give `contents` (their widgets), `draw` (show a context) and, when they draw
    something other than the selected node, `draw_key` (what, changed, needs a redraw).
    """

    opened = False
    _nothing: ClassVar[object] = object()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.context: RunContext | None = None
        self._drawn: object = self._nothing

    def compose(self) -> ComposeResult:
        if self.opened:
            yield from self.contents()

    def render(self) -> RenderResult:
        # A widget with no children draws its own name ("OverviewPane#overview-pane"): a pane
        # not made yet (no run loaded, e.g. the token was refused) is blank instead.
        return super().render() if self.opened else Blank(self.background_colors[1])

    def contents(self) -> ComposeResult:
        """The pane's widgets, made when it is first opened."""
        yield from ()

    async def open(self) -> None:
        """Make and mount the pane's widgets, once; they are mounted when this returns."""
        if self.opened:
            return
        self.opened = True
        await self.mount_all(list(self.contents()))

    def set_context(self, context: RunContext, *, shown: bool) -> None:
        """Take what the pane would show now; draw it if the pane is on screen."""
        self.context = context
        if shown:
            self.catch_up()

    def catch_up(self) -> None:
        """Draw the context if the pane is made and shows something else."""
        context = self.context
        if not self.opened or context is None or not self.is_attached:
            return
        key = self.draw_key(context)
        if key != self._drawn:
            self._drawn = key
            self.draw(context)

    def draw_key(self, context: RunContext) -> object:
        """What the drawing depends on: by default, the run and the selected node and execution."""
        return (context.graph, context.selection.node_uuid, context.selection.execution)

    def draw(self, context: RunContext) -> None:
        """Show `context`."""

    def copy(self) -> Copy | None:
        """What this pane shows, as text to copy (None: nothing)."""
        return None

    def chosen_run(self) -> str | None:
        """The run `o` opens from this pane (an item run, a run a tool call started); None:
        the node decides (`focus.run_to_open`)."""
        return None

    def tab_label(self, context: RunContext, *, narrow: bool) -> Text | None:
        """The tab's label for `context` (a count, say); None: the registry's title."""
        return None
