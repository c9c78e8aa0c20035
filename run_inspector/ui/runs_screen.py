"""The Runs screen: the runs of a workflow, newest first, live while any of them is at work.

`run-inspector --workflow W` opens on it, and `R` opens it from an inspected run for that run's
workflow. The table (status, record, created, took, credits, error, uuid) refreshes while a
listed run is unfinished, keeping the cursor on the same run. `/` filters the rows, `s` shows
one status at a time, enter opens a run in the inspector (`u` there comes back here, the cursor
where it was), `X` cancels the run under the cursor after a confirmation. The rows come from
`runlist.fetch_runs`; record titles and errors are API text, shown as plain text.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from ..errors import FetchError
from ..models import ACTIVE_STATUSES, Run
from ..present import fmt_credits, fmt_duration
from ..runlist import RunPage, RunQuery, RunRow, count_line, fetch_runs
from ..sanitize import one_line
from ..source import RunSource
from .labels import relative_time, status_cell

STATUS_CYCLE: tuple[str | None, ...] = (None, "error", "running", "success", "cancelled", "pending")
"""What `s` steps through: every run, then one status at a time."""
REFRESH_FLOOR = 3.0
"""The list is asked again at most this often (a list is heavier than one run)."""


class RunsTable(DataTable[Text]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "scroll_top", "Top", show=False),
        Binding("G", "scroll_bottom", "Bottom", show=False),
    ]

    COLUMNS = ("status", "record", "created", "took", "credits", "error", "run")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.uuids: list[str] = []

    def on_mount(self) -> None:
        for column in self.COLUMNS:
            self.add_column(Text(column), key=column)

    def show(self, rows: list[RunRow]) -> None:
        """The rows, in place when they are the same runs; the cursor stays on its run."""
        uuids = [row.uuid or "" for row in rows]
        cells = [row_cells(row) for row in rows]
        if uuids == self.uuids:
            for key, row in zip(uuids, cells, strict=True):
                for column, cell in zip(self.COLUMNS, row, strict=True):
                    if self.get_cell(key, column) != cell:
                        self.update_cell(key, column, cell)
            return
        kept = self.chosen
        self.clear()
        self.uuids = uuids
        for key, row in zip(uuids, cells, strict=True):
            self.add_row(*row, key=key)
        if kept in uuids:
            self.move_cursor(row=uuids.index(kept), animate=False)

    @property
    def chosen(self) -> str | None:
        row = self.cursor_row
        return self.uuids[row] if 0 <= row < len(self.uuids) else None


def row_cells(row: RunRow) -> list[Text]:
    return [
        status_cell(row.status),
        Text(("↳ " if row.parent_uuid else "") + one_line(row.record_title or "—", 50)),
        Text(relative_time(row.created_at)),
        Text(fmt_duration(row.took) or ("…" if (row.status or "") in ACTIVE_STATUSES else "—")),
        Text(fmt_credits(row.credits or 0.0)),
        Text(row.error or "", style="red"),
        Text(one_line(row.uuid or "?", 40), style="cyan"),
    ]


def runs_keys() -> list[tuple[str, str]]:
    """The Runs screen's keys, for the README and help: (keys, what they do)."""
    names = {"slash": "/", "u,backspace": "u backspace"}
    return [
        ("enter", "Open the run in the inspector"),
        *((names.get(k, k), what) for k, _, _, what in RunsScreen.KEYS),
    ]


class RunsScreen(Screen[None]):
    """The runs of one query (a workflow, maybe a status, a record, a failing node)."""

    KEYS: ClassVar[list[tuple[str, str, str, str]]] = [
        ("slash", "filter", "filter", "Filter the rows by record, error, status or uuid"),
        ("s", "next_status", "status", "Show every run, then one status at a time"),
        ("i", "toggle_items", "item runs", "Show or hide item runs (a group's items are runs too)"),
        (
            "r",
            "refresh",
            "refresh",
            "Ask for the list again now (it refreshes by itself while a run is at work)",
        ),
        ("X", "cancel", "cancel run", "Cancel the run under the cursor, if it is running (asks first)"),
        ("escape", "clear", "clear", "Clear the filter and the status shown"),
        ("u,backspace", "back", "back", "Back to the run you came from"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            keys,
            action,
            short,
            show=keys != "escape",
            key_display={"slash": "/", "u,backspace": "u"}.get(keys),
            tooltip=what,
        )
        for keys, action, short, what in KEYS
    ]
    DEFAULT_CSS = """
    RunsScreen #runs-head { height: auto; padding: 0 1; background: $boost; }
    RunsScreen #runs-filter { display: none; }
    RunsScreen #runs-table { height: 1fr; }
    """

    class Chosen(Message):
        """Open this run in the inspector."""

        def __init__(self, run_uuid: str) -> None:
            super().__init__()
            self.run_uuid = run_uuid

    class Back(Message):
        """Back to the inspected run (`u`), if there is one."""

    class CancelAsked(Message):
        """Cancel this run (the app confirms first)."""

        def __init__(self, run: Run) -> None:
            super().__init__()
            self.run = run

    def __init__(self, source: RunSource, query: RunQuery, *, interval: float) -> None:
        super().__init__()
        self.source = source
        self.query_ = query
        self.interval = max(interval, REFRESH_FLOOR)
        self.page: RunPage | None = None
        self.problem: str | None = None
        self.status: str | None = None
        """The status shown (None: every run)."""
        self.text = ""
        """The filter typed after `/`."""
        self.items = False
        """Show item runs too (a group's item runs are runs of the same workflow)."""
        self._wake = asyncio.Event()

    @property
    def workflow_uuid(self) -> str:
        return self.query_.workflow_uuid

    def compose(self) -> ComposeResult:
        yield Static(Text("loading the runs…"), markup=False, id="runs-head")
        yield Input(placeholder="filter: record, error, status or uuid", id="runs-filter", compact=True)
        yield RunsTable(id="runs-table")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(RunsTable).focus()
        self.run_worker(self._keep_listing(), name="runs", group="runs", exclusive=True, exit_on_error=False)

    async def _keep_listing(self) -> None:
        """Ask for the list; again while a listed run is at work (or when `r` asks), never two
        at once."""
        while True:
            self._wake.clear()
            try:
                self.page = await fetch_runs(self.source, self.query_)
                self.problem = None
            except FetchError as error:
                self.problem = error.one_line()
            self._show()
            at_work = self.page is not None and any(
                (run.status or "") in ACTIVE_STATUSES for run in self.page.runs
            )
            with contextlib.suppress(TimeoutError):  # the wait ends by itself, or by `r`
                await asyncio.wait_for(
                    self._wake.wait(), timeout=self.interval if at_work or self.problem else None
                )

    def _rows(self) -> list[RunRow]:
        page = self.page
        if page is None:
            return []
        needle = self.text.casefold()
        rows = []
        for row in page.rows:
            if self.status is not None and row.status != self.status:
                continue
            if row.parent_uuid and not self.items:
                continue
            haystack = " ".join(
                str(part) for part in (row.record_title, row.error, row.status, row.uuid) if part
            )
            if needle and needle not in haystack.casefold():
                continue
            rows.append(row)
        return rows

    def _show(self) -> None:
        rows = self._rows()
        head = Text()
        described = one_line(self.query_.describe(), 200)
        head.append(described[:1].upper() + described[1:], style="bold")
        page = self.page
        if page is not None:
            head.append("\n")
            filtered = bool(self.status or self.text or not self.items)
            head.append(count_line([row.status for row in rows], None if filtered else page.count))
            shown = []
            hidden = sum(1 for run in page.runs if run.parent_uuid)
            if hidden and not self.items:
                shown.append(f"{hidden:,} item runs hidden (i shows them)")
            if self.status:
                shown.append(f"showing {self.status} only (s for the next)")
            if self.text:
                shown.append(f"filtered by {one_line(self.text, 40)!r}")
            if shown:
                head.append("  " + " · ".join(shown), style="yellow")
            if page.cap_text():
                head.append("\n" + one_line(page.cap_text(), 300), style="dim")
            if not page.runs:
                head.append("\n" + one_line(page.empty_text(), 300), style="yellow")
        if self.problem:
            head.append("\n⚠ " + one_line(self.problem, 300), style="bold red")
        head.append("\nenter opens a run · u in it comes back here", style="dim")
        self.query_one("#runs-head", Static).update(head)
        self.query_one(RunsTable).show(rows)

    # -- keys ---------------------------------------------------------------------------

    def action_refresh(self) -> None:
        self._wake.set()

    def action_next_status(self) -> None:
        position = STATUS_CYCLE.index(self.status) if self.status in STATUS_CYCLE else 0
        self.status = STATUS_CYCLE[(position + 1) % len(STATUS_CYCLE)]
        self._show()

    def action_toggle_items(self) -> None:
        self.items = not self.items
        self._show()

    def show_status(self, status: str | None) -> None:
        self.status = status
        self._show()

    def action_filter(self) -> None:
        field = self.query_one("#runs-filter", Input)
        field.display = True
        field.value = self.text
        self.set_focus(field)

    @on(Input.Changed, "#runs-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.text = event.value
        self._show()

    @on(Input.Submitted, "#runs-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        event.stop()
        self.set_focus(self.query_one(RunsTable))

    def action_clear(self) -> None:
        field = self.query_one("#runs-filter", Input)
        if field.display or self.text or self.status:
            self.text, self.status = "", None
            field.display = False
            self.set_focus(self.query_one(RunsTable))
            self._show()

    def action_back(self) -> None:
        """Back to the run the list was opened from (none: the list is where the app starts)."""
        self.post_message(self.Back())

    def action_cancel(self) -> None:
        run = self.chosen_run()
        if run is None:
            self.app.notify("No run selected", severity="warning", timeout=2)
            return
        self.post_message(self.CancelAsked(run))

    def chosen_run(self) -> Run | None:
        uuid = self.query_one(RunsTable).chosen
        page = self.page
        return (
            next((run for run in page.runs if run.uuid == uuid), None) if page is not None and uuid else None
        )

    @on(DataTable.RowSelected, "#runs-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        event.stop()
        uuid = self.query_one(RunsTable).chosen
        if uuid:
            self.post_message(self.Chosen(uuid))
