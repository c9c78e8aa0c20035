"""The Items pane: the item runs of the selected group (one run per item), failed ones first.

Item runs are found with `runs/list` (by the group's batch, else by parent run and node) and
arrive with the run's lineage (`lineage.py`); a batch's progress comes with them. enter (or
`o`) opens the item run under the cursor.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from ...graph import NodeState, RunGraph, duration_between
from ...models import Run
from ...present import fmt_credits, fmt_duration, items_text, node_name
from ...resources import ItemRuns
from ...sanitize import one_line
from ..labels import relative_time, status_cell
from ..messages import OpenRun
from .base import Pane, RunContext

ERROR_EXCERPT = 60


def items_of(graph: RunGraph, state: NodeState | None) -> ItemRuns | None:
    """The item runs known for `state`, or for the group whose sub-graph holds it."""
    if state is None:
        return None
    group = state.uuid if state.items is not None else state.scope
    return graph.lineage.items.get(group or "")


class ItemsTable(DataTable[Text]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    COLUMNS = ("status", "record", "started", "took", "credits", "error", "run")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.run_uuids: list[str] = []

    def on_mount(self) -> None:
        for column in self.COLUMNS:
            self.add_column(Text(column), key=column)

    def show(self, runs: list[Run]) -> None:
        """The rows for `runs`, in place when the same runs come again (a live batch)."""
        uuids = [run.uuid or "" for run in runs]
        rows = [item_cells(run) for run in runs]
        if uuids == self.run_uuids:
            for key, cells in zip(uuids, rows, strict=True):
                for column, cell in zip(self.COLUMNS, cells, strict=True):
                    if self.get_cell(key, column) != cell:
                        self.update_cell(key, column, cell)
            return
        kept = self.run_uuids[self.cursor_row] if 0 <= self.cursor_row < len(self.run_uuids) else None
        self.clear()
        self.run_uuids = uuids
        for key, cells in zip(uuids, rows, strict=True):
            self.add_row(*cells, key=key)
        if kept in uuids:
            self.move_cursor(row=uuids.index(kept), animate=False)

    @property
    def chosen(self) -> str | None:
        row = self.cursor_row
        return self.run_uuids[row] if 0 <= row < len(self.run_uuids) else None


def item_cells(run: Run) -> list[Text]:
    error = one_line(run.error_message or "", ERROR_EXCERPT)
    return [
        status_cell(run.status),
        Text(one_line(run.record_title or run.record_id or "—", 40)),
        Text(relative_time(run.created_at)),
        Text(fmt_duration(duration_between(run.created_at, run.finished_at))),
        Text(fmt_credits(_credits(run))),
        Text(error, style="red" if error else ""),
        Text(one_line(run.uuid or "?", 40), style="cyan"),
    ]


def _credits(run: Run) -> float:
    extra = run.model_extra or {}
    value = extra.get("creditsUsedCount")
    return float(value) if isinstance(value, (int, float)) else 0.0


class ItemsPane(Pane, VerticalScroll):
    DEFAULT_CSS = """
    ItemsPane { height: 1fr; }
    ItemsPane > Static { padding: 0 1; height: auto; }
    ItemsPane > ItemsTable { height: auto; max-height: 100%; }
    """

    def contents(self) -> ComposeResult:
        yield Static(Text(""), markup=False, id="items-note")
        yield ItemsTable(id="items-table")

    def draw_key(self, context: RunContext) -> object:
        state = context.selection.state
        group = (
            state.uuid if state is not None and state.items is not None else state.scope if state else None
        )
        return (context.graph, id(context.graph.lineage), group)

    def draw(self, context: RunContext) -> None:
        note = self.query_one("#items-note", Static)
        table = self.query_one(ItemsTable)
        graph, state = context.graph, context.selection.state
        group = graph.states.get(
            state.uuid
            if state is not None and state.items is not None
            else (state.scope if state else "") or ""
        )
        items = items_of(graph, state)
        if group is None or group.items is None:
            note.update(Text("Select a group (a node that runs once per item) to list its item runs", "dim"))
            table.display = False
            return
        head = Text.assemble((node_name(group, 80), "bold"), "  ", items_text(group.items))
        if items is None:
            why = graph.lineage.notes.get("runs.list") or "asking Cargo for them…"
            head.append(f"\nitem runs: {one_line(why, 200)}", style="dim")
            note.update(head)
            table.display = False
            return
        listed = len(items.runs)
        if items.count is not None and items.count > listed:
            head.append(f"\n{listed:,} of {items.count:,} item runs listed, failed first", style="dim")
        else:
            head.append(f"\n{listed:,} item run{'s' if listed != 1 else ''}, failed first", style="dim")
        head.append(" · enter opens one", style="dim")
        note.update(head)
        table.display = bool(items.runs)
        table.show(items.runs)

    @on(DataTable.RowSelected, "ItemsTable")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        uuid = self.query_one(ItemsTable).chosen
        if uuid:
            self.post_message(OpenRun(uuid))

    def chosen_run(self) -> str | None:
        """The item run under the table's cursor (what `o` opens on this pane)."""
        if not self.opened:
            return None
        table = self.query_one(ItemsTable)
        return table.chosen if table.display else None
