"""The Executions pane: one row per execution of the selected node; a row chooses the
execution the other panes show, and enter on one that started a run opens it."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from ...sanitize import one_line
from ..labels import execution_cells
from ..messages import ExecutionChosen, OpenRun
from .base import Pane, RunContext, Selection, why_empty


class ExecutionTable(DataTable[Text]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    COLUMNS = ("#", "status", "started", "took", "credits", "title", "way", "next node", "child run")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.shown: tuple[str, int] | None = None
        """(node uuid, number of rows) last drawn, to update in place."""

    def on_mount(self) -> None:
        self._add_columns()

    def _add_columns(self) -> None:
        for column in self.COLUMNS:
            self.add_column(Text(column), key=column)

    def show(self, selection: Selection) -> None:
        state = selection.state
        executions = state.executions if state is not None else []
        rows = [
            execution_cells(selection.graph, state, number + 1, execution)
            for number, execution in enumerate(executions)
            if state is not None
        ]
        uuid = state.uuid if state is not None else ""
        if self.shown is not None and self.shown[0] == uuid and self.shown[1] <= len(rows):
            # Same node: update cells, add new rows, keep the cursor.
            for number, cells in enumerate(rows):
                key = str(number)
                if number < self.shown[1]:
                    for column, cell in zip(self.COLUMNS, cells, strict=True):
                        if self.get_cell(key, column) != cell:
                            self.update_cell(key, column, cell)
                else:
                    self.add_row(*cells, key=key)
        else:
            self.clear(columns=True)  # columns only ever widen: start afresh for each node
            self._add_columns()
            for number, cells in enumerate(rows):
                self.add_row(*cells, key=str(number))
        self.shown = (uuid, len(rows))
        wanted = selection.execution
        if wanted is not None and wanted < len(rows) and self.cursor_row != wanted:
            self.move_cursor(row=wanted, animate=False)


class ExecutionsPane(Pane, VerticalScroll):
    DEFAULT_CSS = """
    ExecutionsPane { height: 1fr; }
    ExecutionsPane > Static { padding: 0 1; height: auto; }
    ExecutionsPane > ExecutionTable { height: auto; max-height: 100%; }
    """

    def contents(self) -> ComposeResult:
        yield Static(Text(""), markup=False, id="executions-note")
        yield ExecutionTable(id="executions-table")

    def draw(self, context: RunContext) -> None:
        selection = context.selection
        note = self.query_one("#executions-note", Static)
        table = self.query_one(ExecutionTable)
        state = selection.state
        if state is None or not state.executions:
            note.update(Text(why_empty(state) or "No executions recorded", style="dim"))
            table.display = False
        else:
            chosen = (selection.execution or 0) + 1
            note.update(
                Text.assemble(
                    (one_line(state.title, 80), "bold"),
                    (f"  {len(state.executions)} execution(s), row {chosen} selected", "dim"),
                )
            )
            table.display = True
        table.show(selection)

    @on(DataTable.RowHighlighted, "ExecutionTable")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        table = event.data_table
        # Only a move to another row counts: redrawing the table also posts highlights, late
        # (for rows the cursor has left since, or even after the screen is gone, while the app
        # closes), and its own move lands on the execution already chosen.
        selection = self.context.selection if self.context is not None else None
        if selection is None or selection.state is None or not self.is_attached:
            return
        if event.cursor_row != table.cursor_row or event.cursor_row == selection.execution:
            return
        self.post_message(ExecutionChosen(selection.state.uuid, event.cursor_row))

    @on(DataTable.RowSelected, "ExecutionTable")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        """enter on an execution that started a run opens it (as `o` does)."""
        event.stop()
        selection = self.context.selection if self.context is not None else None
        if selection is None or event.cursor_row != selection.execution:
            return
        chosen = selection.chosen
        if chosen is not None and chosen.node_run_uuid:
            self.post_message(OpenRun(chosen.node_run_uuid))
