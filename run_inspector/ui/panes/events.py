"""The Events pane: the status changes seen while watching the run; enter goes to the node."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from ...poller import Transition
from ...present import status_look
from ...sanitize import one_line
from ..labels import local_time
from ..messages import GoToNode
from .base import Pane, RunContext


class EventsTable(DataTable[Text]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    ROWS_PER_STEP = 200
    """Rows added per turn of the event loop: a 1% refresh of 200k executions brings ~2,000
    events, which as one step held the UI for ~100 ms."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.node_uuids: list[str | None] = []
        self._pending: list[Transition] = []

    def on_mount(self) -> None:
        for column in ("time", "node", "change"):
            self.add_column(Text(column), key=column)

    def add_events(self, transitions: Sequence[Transition]) -> None:
        """Append rows for `transitions`, a few hundred per turn of the event loop."""
        flushing = bool(self._pending)
        self._pending.extend(transitions)
        if not flushing:
            self._add_some()

    def _add_some(self) -> None:
        batch, self._pending = self._pending[: self.ROWS_PER_STEP], self._pending[self.ROWS_PER_STEP :]
        for transition in batch:
            old = status_look(transition.old).word if transition.old else "—"
            new = status_look(transition.new)
            change = Text.assemble((old, "dim"), " → ", (new.word, new.style))
            name = one_line(transition.title, 50) if transition.node_uuid else "run"
            self.add_row(
                Text(local_time(transition.at)),
                Text(name, style="" if transition.node_uuid else "bold"),
                change,
                key=str(len(self.node_uuids)),
            )
            self.node_uuids.append(transition.node_uuid)
        if self._pending:
            # A timer, not `call_later`: queued callbacks run back to back without letting the
            # event loop in, so a key press would wait for all the rows.
            self.set_timer(0.001, self._add_some)
        elif batch:
            self.move_cursor(row=self.row_count - 1, animate=False)

    @property
    def pending(self) -> int:
        """Events not in the table yet (they are being added)."""
        return len(self._pending)

    @property
    def listed(self) -> int:
        """Events in the table or on their way to it."""
        return len(self.node_uuids) + len(self._pending)

    def reset(self, transitions: Sequence[Transition]) -> None:
        self.clear()
        self.node_uuids = []
        self._pending = []
        self.add_events(transitions)


class EventsPane(Pane, VerticalScroll):
    DEFAULT_CSS = """
    EventsPane { height: 1fr; }
    EventsPane > Static { padding: 0 1; height: auto; }
    EventsPane > EventsTable { height: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._list: list[Transition] | None = None
        """The run's list of events that the table shows (a new run brings a new list)."""

    def contents(self) -> ComposeResult:
        yield Static(Text(""), markup=False, id="events-note")
        yield EventsTable(id="events-table")

    def draw_key(self, context: RunContext) -> object:
        return (id(context.transitions), len(context.transitions), context.live)

    def draw(self, context: RunContext) -> None:
        table = self.query_one(EventsTable)
        events = context.transitions
        if events is not self._list or table.listed > len(events):
            self._list = events
            table.reset(events)
        elif table.listed < len(events):
            table.add_events(events[table.listed :])
        note = self.query_one("#events-note", Static)
        if events:
            note.update(
                Text(f"{len(events)} status change(s) seen while watching; enter jumps to the node", "dim")
            )
        elif context.live:
            note.update(Text("No status changes yet: they are listed here as the run moves", "dim"))
        else:
            note.update(
                Text("No events: this run is not polled (events appear while a live run is watched)", "dim")
            )

    @on(DataTable.RowSelected, "EventsTable")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        table = self.query_one(EventsTable)
        if event.row_key.value is None:
            return
        uuid = table.node_uuids[int(event.row_key.value)]
        if uuid is not None:
            self.post_message(GoToNode(uuid))
