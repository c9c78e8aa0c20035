"""The inspector TUI: one app for the CLI, the demo and the tests (`make_app`).

The app renders view models from the core (`RunGraph`, `views.DisplayTree`) and sends intents
back to a poller. It never fetches by itself: a poller (or the one-shot feed) runs in a worker
and hands over snapshots and poll states as messages. Failures land in `_report_problem`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, OptionList, Static, TabbedContent, TabPane, Tree
from textual.worker import Worker, WorkerState

from ..errors import InspectorError
from ..findings import Finding, compute_findings
from ..graph import ItemKind, NodeState, RunGraph
from ..models import FAILED_STATUSES, TERMINAL_STATUSES
from ..poller import Poller
from ..present import severity_look, status_look
from ..sanitize import clean, one_line
from ..source import FileSource, RunSource, bundle_bytes, write_bundle
from ..why import explain, explain_run
from .feed import (
    FeedStatus,
    OnSnapshot,
    OnStatus,
    PollerFactory,
    PollerLike,
    SnapshotLike,
    StatusLike,
    TransitionLike,
)
from .labels import header_text, local_time, message_text, why_text
from .panes import (
    ErrorPane,
    EventsPane,
    EventsTable,
    ExecutionsPane,
    FindingsPane,
    JsonPane,
    LazyPane,
    OverviewPane,
    Selection,
    listed_findings,
)
from .screens import COMMANDS, HelpScreen, WhyScreen, command_bindings
from .tree import RunTree
from .views import DisplayTree, NodeView, build_display, initial_node, search

FLASH_SECONDS = 3.0
AUTO_EXPAND_ITEMS = 400
"""Trees up to this many items open fully on first show; bigger ones open the path only."""
NARROW_WIDTH = 110
"""Below this many columns the tab labels are shortened (the `-narrow` breakpoint)."""
FILE_PAINT_HOLD_SECONDS = 0.4
"""A file's screen is first painted when its run shows, or after this long (then "Loading…")."""
TABS = ("overview", "executions", "error", "output", "input", "events", "findings")
SELECTION_TABS = ("overview", "executions", "error", "output", "input")
"""The panes that show the node under the cursor (the other two show the whole run)."""


class SnapshotArrived(Message):
    def __init__(self, snapshot: SnapshotLike, generation: int) -> None:
        super().__init__()
        self.snapshot = snapshot
        self.generation = generation


class PollStatusChanged(Message):
    def __init__(self, status: StatusLike, generation: int) -> None:
        super().__init__()
        self.status = status
        self.generation = generation


@dataclass
class RunView:
    """One run in the breadcrumb trail, with where the user was in it."""

    fetch_uuid: str
    graph: RunGraph | None = None
    transitions: list[TransitionLike] = field(default_factory=list)
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

    @property
    def title(self) -> str:
        if self.graph is not None:
            return self.graph.run.record_title or self.graph.run.uuid or self.fetch_uuid
        return self.fetch_uuid


def wrong_finding(graph: RunGraph, findings: list[Finding]) -> Finding | None:
    """For a run that succeeded but went wrong ("ok", with error or warning findings), the most
    severe finding that names a node; None for any other run."""
    if graph.summary.verdict != "ok":
        return None
    return next(
        (f for f in findings if f.severity in ("error", "warning") and f.node_uuid in graph.states),
        None,
    )


def core_poller(
    source: RunSource,
    run_uuid: str,
    *,
    interval: float,
    on_snapshot: OnSnapshot,
    on_status: OnStatus,
) -> PollerLike:
    """The core poller: polls a live run until it ends, fetches a file once."""
    return Poller(
        source, run_uuid, interval=interval, on_snapshot=on_snapshot, on_status=on_status, findings=True
    )


class MainScreen(Screen[object]):
    """Textual's screen, but the first time it shows it does not restyle its widgets."""

    _shown = False

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        # Runs before Textual's own handler. Textual restyles every widget of a screen each time
        # it shows, as the app's CSS may have changed while another screen was on top. The
        # first time, each widget was styled as it mounted, a moment ago: ~55 widgets for
        # nothing. Later resumes (after the help or why screen) restyle as usual.
        if not self._shown:
            self._shown = True
            event.refresh_styles = False


class InspectorApp(App[None]):
    CSS_PATH = "inspector.tcss"
    TITLE = "run-inspector"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW_WIDTH, "-wide")]  # noqa: RUF012 - Textual's declaration
    BINDINGS: ClassVar[list[BindingType]] = command_bindings()

    main: Screen[object]
    """The screen with the tree and the panes: `App.query_one` sees only the top screen."""

    def __init__(
        self,
        source: RunSource,
        *,
        interval: float = 2.0,
        run_uuid: str | None = None,
        poller_factory: PollerFactory | None = None,
        bell: bool = False,
    ) -> None:
        super().__init__()
        self.source = source
        self.interval = interval
        self.poller_factory: PollerFactory = poller_factory or core_poller
        self.bell_on_finish = bell
        self.stack: list[RunView] = [RunView(run_uuid or source.root_uuid)]
        self.poller: PollerLike | None = None
        self.poll_worker: Worker[None] | None = None
        self.generation = 0
        self.poll_status: StatusLike | None = None
        self.display_tree: DisplayTree | None = None
        self.nested = False
        self.failed_only = False
        self.query_text = ""
        self.matches: list[str] = []
        self.flash_until: dict[str, float] = {}
        self.problem: str | None = None
        self._notified_error: str | None = None
        self._status_at = 0.0
        self.bodies: dict[str, bytes] = {}
        """Run uuid → the latest response of each run shown this session: what `s` saves."""
        self._findings_label: Text | None = None
        self._header_text: Text | None = None
        self._paint_hold = ExitStack()
        """Holds the screen's updates while a file loads (`_hold_paint`)."""
        self.save_dir: Path | None = None
        """Where `s` writes bundles; None: the current directory at the time."""
        self._stale: set[str] = set(TABS)
        self._selection_key: tuple[RunGraph, str | None, int | None] | None = None
        """What the selection was when the panes were last told (graph, node, execution)."""
        """Tabs whose pane does not show what it would now. Only the pane on screen is kept up
        to date; another is brought up to date when its tab is shown (`_refresh_tab`)."""

    # -- layout -------------------------------------------------------------------------

    def get_default_screen(self) -> Screen[object]:
        """The main screen, with its breakpoint class (`-narrow`/`-wide`) set from the start:
        set at the first resize, once every widget is styled, it restyled them all."""
        screen = MainScreen(id="_default")
        width = self.size.width
        for _, name in self.HORIZONTAL_BREAKPOINTS:
            screen.set_class(name == self._breakpoint(width), name, update=False)
        return screen

    def _breakpoint(self, width: int) -> str:
        """The `HORIZONTAL_BREAKPOINTS` class of a screen `width` columns wide."""
        return [name for least, name in self.HORIZONTAL_BREAKPOINTS if width >= least][-1]

    def compose(self) -> ComposeResult:
        yield Static(Text("loading…"), markup=False, id="header")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield Static(Text(""), markup=False, id="message")
                yield Static(Text(""), markup=False, id="tree-mode")
                yield RunTree(id="tree")
                yield Horizontal(id="search-bar")  # its input is made at the first `/`
            with TabbedContent(id="panes"):
                with TabPane("Overview", id="overview"):
                    yield OverviewPane(id="overview-pane")
                with TabPane("Execs", id="executions"):
                    yield ExecutionsPane(id="executions-pane")
                with TabPane("Error", id="error"):
                    yield ErrorPane(id="error-pane")
                with TabPane("Output", id="output"):
                    yield JsonPane("output", id="output-pane")
                with TabPane("Input", id="input"):
                    yield JsonPane("input", id="input-pane")
                with TabPane("Events", id="events"):
                    yield EventsPane(id="events-pane")
                with TabPane("Findings", id="findings"):
                    yield FindingsPane(id="findings-pane")
        yield Footer(compact=True)

    def on_resize(self) -> None:
        if self.graph is not None:  # the header reflows ids for the new width
            self._update_header()
            self._label_findings_tab()

    def on_mount(self) -> None:
        self.main = self.screen
        self.main.query_one(RunTree).focus()
        self._show_message(f"Loading {self.view.fetch_uuid}…")
        self._update_header()
        self.main.query_one("#header").set_interval(1.0, self._tick)
        if not self.source.live:
            self._hold_paint()
        self._start_feed()

    def _hold_paint(self) -> None:
        """Paint a file's first screen once, with the run on it.

        A file is read and parsed at once: its "Loading…" screen would be up for a fraction of
        a second, and painting it took as long as painting the run (a full layout, every
        widget drawn). Updates wait until the run shows or the load fails, or at most
        `FILE_PAINT_HOLD_SECONDS` (a big file then shows "Loading…" until it is read).
        """
        self._paint_hold.enter_context(self.batch_update())
        self.set_timer(FILE_PAINT_HOLD_SECONDS, self._release_paint)

    def _release_paint(self) -> None:
        self._paint_hold.close()

    async def on_unmount(self) -> None:
        """Stop polling and release the source's connections."""
        self._stop_feed()
        await self.source.aclose()

    @property
    def view(self) -> RunView:
        return self.stack[-1]

    @property
    def graph(self) -> RunGraph | None:
        return self.view.graph

    @property
    def run_tree(self) -> RunTree:
        return self.main.query_one(RunTree)

    # -- the feed -----------------------------------------------------------------------

    def _start_feed(self) -> None:
        self._stop_feed()
        self.generation += 1
        generation = self.generation
        poller = self.poller_factory(
            self.source,
            self.view.fetch_uuid,
            interval=self.interval,
            on_snapshot=partial(self._post_snapshot, generation),
            on_status=partial(self._post_status, generation),
        )
        self.poller = poller
        self.poll_worker = self.run_worker(
            poller.run(), name="poll", group="poll", exclusive=True, exit_on_error=False
        )

    def _post_snapshot(self, generation: int, snapshot: SnapshotLike) -> None:
        self.post_message(SnapshotArrived(snapshot, generation))

    def _post_status(self, generation: int, status: StatusLike) -> None:
        # A poller may reuse one status object: send a copy of what it says now.
        copy = FeedStatus(
            status.state, status.last_success, status.error, status.retry_in, status.next_poll_in
        )
        self.post_message(PollStatusChanged(copy, generation))

    def _stop_feed(self) -> None:
        if self.poller is not None:
            self.poller.stop()
        if self.poll_worker is not None and not self.poll_worker.is_finished:
            self.poll_worker.cancel()
        self.poller = None
        self.poll_worker = None

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if not self.is_running:
            return
        if event.worker is self.poll_worker and event.state is WorkerState.ERROR:
            error = event.worker.error
            self._report_problem(f"polling stopped: {type(error).__name__}: {error}", fatal=True)

    @on(SnapshotArrived)
    async def _on_snapshot(self, message: SnapshotArrived) -> None:
        if message.generation != self.generation or not self.is_running:
            return  # from the feed of a run no longer shown, or the app is closing
        snapshot = message.snapshot
        view = self.view
        findings = snapshot.findings if snapshot.findings is not None else compute_findings(snapshot.graph)
        if view.tab is None:
            # The first screen's pane is made before the run shows, so that the first screen
            # with the run on it has that pane filled in too.
            view.tab = self._first_tab(view, snapshot.graph, findings)
            await self._open_tab(view.tab)
            if message.generation != self.generation or not self.is_running:
                return
        first = view.graph is None
        view.graph = snapshot.graph
        view.findings = findings
        if snapshot.body:
            self.bodies[snapshot.graph.run.uuid or view.fetch_uuid] = snapshot.body
        if first and view.replaces_below and len(self.stack) > 1:
            self.stack[:-1] = []
            view.replaces_below = False
        # A new poller's first snapshot reports the run as changed from nothing: not news.
        transitions = [t for t in snapshot.transitions if t.node_uuid is not None or t.old is not None]
        view.transitions.extend(transitions)
        self.problem = None
        self._show_message(None)
        # Lines of nodes that just changed are drawn marked: set that before the tree is synced,
        # so each changed line gets its label once.
        self._flash(transitions)
        self._show_run(reset=first)
        self._release_paint()
        if transitions:
            # The events list and the notification wait for the next turn of the event loop: a
            # big refresh is then two steps, neither of them long (see benchmarks/README.md).
            self.call_later(self._on_transitions, transitions)

    @on(PollStatusChanged)
    def _on_poll_status(self, message: PollStatusChanged) -> None:
        if message.generation != self.generation or not self.is_running:
            return
        status = message.status
        self.poll_status = status
        self._status_at = time.monotonic()
        error = status.error
        if error is not None:
            self._report_problem(error.one_line(), fatal=status.state == "failed")
        else:
            self._notified_error = None
        self._update_header()

    def _report_problem(self, text: str, *, fatal: bool) -> None:
        """The one place failures end up: a notification, the header, and the body if empty.

        The last good data stays on screen. A run that cannot be opened at all sends the
        user back to the run they came from. `text` may quote the server or any exception:
        it is cleaned and cut (`message_text`) before anything shows it.
        """
        text = message_text(text)
        self.problem = text
        self._release_paint()
        if text != self._notified_error:
            self._notified_error = text
            self.notify(one_line(text, 300), title="Could not fetch the run", severity="error", timeout=8)
        view = self.view
        if view.graph is None:
            if fatal and len(self.stack) > 1:
                self.stack.pop()
                self._restore_view()
            else:
                retrying = "" if fatal else "\n(retrying; the header shows when)"
                self._show_message(f"Could not load {one_line(view.fetch_uuid, 60)}:\n{text}{retrying}")
        self._update_header()

    def _flash(self, transitions: list[TransitionLike]) -> None:
        """Mark the lines of the nodes in `transitions` for a few seconds."""
        until = time.monotonic() + FLASH_SECONDS
        flashed = False
        for transition in transitions:
            if transition.node_uuid is not None:
                self.flash_until[transition.node_uuid] = until
                flashed = True
        if flashed:
            self.run_tree.flashing = set(self.flash_until)
            self.run_tree.set_timer(FLASH_SECONDS + 0.1, self._set_flashing)

    def _on_transitions(self, transitions: list[TransitionLike]) -> None:
        if not self.is_running:
            return
        if self.main.query_one(EventsPane).opened:
            self.main.query_one(EventsTable).add_events(transitions)
            self._show_event_count()
        else:
            self._stale.add("events")  # listed from `view.transitions` when first shown
        for transition in transitions:
            if transition.node_uuid is None and transition.new in TERMINAL_STATUSES:
                word = status_look(transition.new).word
                failed = transition.new in FAILED_STATUSES
                graph = self.graph
                wrong = wrong_finding(graph, self.view.findings) if graph is not None else None
                if wrong is not None:
                    word += ", but the findings (7) say something went wrong"
                self.notify(
                    f"The run finished: {word}",
                    title="Run finished",
                    severity="error" if failed else "information",
                )
                if self.bell_on_finish:
                    self.bell()

    def _set_flashing(self) -> None:
        if not self.is_running:
            return
        now = time.monotonic()
        self.flash_until = {uuid: t for uuid, t in self.flash_until.items() if t > now}
        tree = self.run_tree
        changed = tree.flashing ^ set(self.flash_until)
        tree.flashing = set(self.flash_until)
        if changed:
            tree.relabel(changed)

    def _tick(self) -> None:
        """Once a second: the elapsed time of a running run, the countdown of a retry."""
        if not self.is_running:
            return
        graph, status = self.graph, self.poll_status
        counting = status is not None and status.retry_in is not None
        if counting or (graph is not None and graph.summary.status not in TERMINAL_STATUSES):
            self._update_header()

    # -- showing a run ------------------------------------------------------------------

    def _show_run(self, *, reset: bool) -> None:
        view, graph = self.view, self.graph
        if graph is None:
            return
        display = build_display(graph, nested=self.nested, failed_only=self.failed_only)
        self.display_tree = display
        tree = self.run_tree
        tree.query_text = self.query_text
        if reset:
            if view.expanded is None:
                view.expanded = self._default_expanded(display)
            tree.expanded_keys = view.expanded
            tree.show(display, graph, reset=True)
            if view.tab is None:
                view.tab = self._first_tab(view, graph, view.findings)
            self._stale.update(TABS)
            self._show_tab(view.tab)
            start_key = self._start_key(view, display)
            view.auto_key = start_key if view.cursor_key != start_key else None
            self._go_to(start_key)
            self._refresh_tab("events")  # if it is open: the events pane lists this run's
        else:
            tree.show(display, graph, reset=False)
            self._follow(view, display, graph)
        self._show_mode()
        self._show_findings(view, graph)
        self.matches = search(graph, display, self.query_text)
        self._update_header()
        self._update_panes()

    def _first_tab(self, view: RunView, graph: RunGraph, findings: list[Finding]) -> str:
        """A failed node: its error. A run that succeeded but went wrong: the findings, with the
        cursor on the node of the first one. Otherwise the overview."""
        start = initial_node(graph)
        if start is not None and graph.states[start].failed:
            return "error"
        wrong = wrong_finding(graph, findings)
        if wrong is not None:
            if view.focus_node is None:
                view.focus_node = wrong.node_uuid
            return "findings"
        return "overview"

    def _start_node(self, view: RunView, graph: RunGraph) -> str | None:
        """The node the cursor goes to by itself (and follows while the user leaves it there)."""
        start = initial_node(graph)
        if start is not None and graph.states[start].failed:
            return start
        wrong = wrong_finding(graph, view.findings)
        return wrong.node_uuid if wrong is not None else start

    def _show_findings(self, view: RunView, graph: RunGraph) -> None:
        self._stale.add("findings")
        self._refresh_tab("findings")  # if it is open: it lists the run's, shown or not
        self._label_findings_tab()

    def _label_findings_tab(self) -> None:
        """`Findings 4`, the count in the colour of the worst; `⚑ 4` where the tabs are cramped."""
        listed = listed_findings(self.view.findings)
        label = Text("⚑" if self.size.width < NARROW_WIDTH else "Findings")
        if listed:
            label.append(f" {len(listed)}", style=severity_look(listed[0].severity).style)
        if label != self._findings_label:  # relabelling a tab re-lays the tab bar out
            self._findings_label = label
            self.main.query_one(TabbedContent).get_tab("findings").label = label

    def _follow(self, view: RunView, display: DisplayTree, graph: RunGraph) -> None:
        """Until the user moves, keep the cursor on the first failed (else running) node."""
        cursor = self.run_tree.cursor_view
        if view.auto_key is None or cursor is None or cursor.key != view.auto_key:
            view.auto_key = None
            return
        target = self._start_node(view, graph)
        key = display.node_keys.get(target or "")
        if key is not None and key != cursor.key:
            view.auto_key = key
            self._go_to(key)

    def _show_mode(self) -> None:
        parts = []
        if self.failed_only:
            parts.append("failed nodes and their ancestors only (f shows all)")
        if self.nested:
            parts.append("fully nested (t for flat)")
        mode = self.main.query_one("#tree-mode", Static)
        mode.display = bool(parts)
        mode.update(Text(" · ".join(parts)))

    def _default_expanded(self, display: DisplayTree) -> set[str]:
        if len(display.items) <= AUTO_EXPAND_ITEMS:
            return {key for key, item in display.items.items() if item.children}
        return set()

    def _start_key(self, view: RunView, display: DisplayTree) -> str | None:
        if view.cursor_key is not None and view.cursor_key in display.items:
            return view.cursor_key
        graph = view.graph
        assert graph is not None
        for uuid in (view.focus_node, self._start_node(view, graph)):
            if uuid is not None and uuid in display.node_keys:
                return display.node_keys[uuid]
        return display.order[0] if display.order else None

    def _go_to(self, key: str | None) -> None:
        if key is None:
            return
        tree = self.run_tree
        if tree.go_to(key):
            node = tree.node_for(key)
            if node is not None:
                self.call_after_refresh(tree.scroll_to_node, node, animate=False)
            self._update_panes()

    def _show_message(self, text: str | None) -> None:
        message = self.main.query_one("#message", Static)
        message.display = text is not None
        message.update(Text(message_text(text or ""), style="bold"))

    def _restore_view(self) -> None:
        """Show the run on top of the stack again, as it was left, and poll it."""
        view = self.view
        self.flash_until.clear()
        self.run_tree.flashing = set()
        if view.graph is not None:
            self._show_message(None)
            self._show_run(reset=True)
        self._start_feed()

    def _save_view(self) -> None:
        view = self.view
        cursor = self.run_tree.cursor_view
        view.cursor_key = cursor.key if cursor is not None else None
        view.expanded = set(self.run_tree.expanded_keys)
        view.tab = self.main.query_one(TabbedContent).active or None

    # -- header -------------------------------------------------------------------------

    def _poll_text(self) -> Text:
        text = self._poll_state_text()
        status = self.poll_status
        if self.problem and (status is None or status.error is None):
            text.append(f" · ⚠ {one_line(self.problem, 120)}", style="bold red")
        return text

    def _retry_in(self) -> float:
        status = self.poll_status
        if status is None or status.retry_in is None:
            return 0.0
        return max(status.retry_in - (time.monotonic() - self._status_at), 0.0)

    def _poll_state_text(self) -> Text:
        status = self.poll_status
        if status is None:
            return Text("◌ loading…", style="yellow")
        when = local_time(status.last_success)
        state = status.state
        if state == "live":
            return Text(f"● live · updated {when}", style="green")
        if state == "paused":
            return Text(f"⏸ paused · updated {when} · p resumes", style="yellow")
        if state == "stale":
            text = Text(f"⚠ stale · last ok {when}", style="bold red")
            if status.retry_in is not None:
                text.append(f" · retrying in {self._retry_in():.0f} s")
            if status.error is not None:
                text.append(f" · {one_line(status.error.message, 120)}")
            return text
        if state == "waiting":
            return Text(
                f"◌ waiting for the run to appear · retrying in {self._retry_in():.0f} s", style="yellow"
            )
        if state == "failed":
            text = Text("✖ polling stopped", style="bold red")
            if status.error is not None:
                text.append(f" · {one_line(status.error.message, 120)}")
            return text
        if state == "finished":
            return Text(f"■ finished · updated {when}", style="dim")
        if state == "static":
            return Text(f"▤ {one_line(self.source.description, 60)}", style="dim")
        if state == "loading":
            return Text("◌ loading…", style="yellow")
        return Text(one_line(state, 40))

    def _crumbs(self) -> Text | None:
        graph = self.graph
        parent = graph.run.parent_uuid if graph is not None else None
        if len(self.stack) == 1 and not parent:
            return None
        text = Text()
        for depth, view in enumerate(self.stack):
            if depth:
                text.append(" › ", style="dim")
            style = "bold" if depth == len(self.stack) - 1 else "cyan"
            text.append(one_line(view.title, 40), style=style)
        text.append("   u goes back" if len(self.stack) > 1 else "   u opens the parent run", style="dim")
        return text

    def _update_header(self) -> None:
        graph = self.graph
        if graph is None:
            text = Text.assemble(("run-inspector  ", "bold"), one_line(self.view.fetch_uuid, 60), "   ")
            text.append_text(self._poll_text())
            self._set_header(text)
            return
        summary = graph.summary
        elapsed = summary.elapsed
        if summary.status not in TERMINAL_STATUSES and summary.created_at is not None:
            elapsed = max((datetime.now(UTC) - summary.created_at).total_seconds(), 0.0)
        narrow = self.size.width < 100
        self._set_header(
            header_text(
                graph,
                elapsed=elapsed,
                poll=self._poll_text(),
                crumbs=self._crumbs(),
                narrow=narrow,
                alert=self._findings_alert(graph),
            )
        )

    def _set_header(self, text: Text) -> None:
        """Show `text` in the header, unless it shows that already: an update lays the screen
        out again (the header's height follows its text)."""
        if text != self._header_text:
            self._header_text = text
            self.main.query_one("#header", Static).update(text)

    def _findings_alert(self, graph: RunGraph) -> Text | None:
        """For a run that succeeded but went wrong: how many findings say so."""
        if wrong_finding(graph, self.view.findings) is None:
            return None
        serious = [f for f in self.view.findings if f.severity in ("error", "warning")]
        return Text(
            f"⚠ but {len(serious)} finding{'s' if len(serious) != 1 else ''} (7)", style="bold yellow"
        )

    # -- selection and panes -------------------------------------------------------------

    def selected_state(self) -> NodeState | None:
        view = self.run_tree.cursor_view
        if view is None or self.graph is None:
            return None
        return self.graph.states.get(view.node_uuid or "")

    def _chosen_execution(self, state: NodeState | None) -> int | None:
        if state is None or not state.executions:
            return None
        chosen = self.view.executions.get(state.uuid)
        if chosen is not None and chosen < len(state.executions):
            return chosen
        for number, execution in enumerate(state.executions):
            if (execution.status or "") in FAILED_STATUSES and execution.error_message:
                return number
        return len(state.executions) - 1

    def selection(self) -> Selection | None:
        graph = self.graph
        if graph is None:
            return None
        state = self.selected_state()
        return Selection(graph, state, self._chosen_execution(state))

    def _update_panes(self) -> None:
        """The selection may have changed: the pane on screen shows it; the others, once shown."""
        selection = self.selection()
        if selection is None:
            return
        state = selection.state
        key = (selection.graph, state.uuid if state is not None else None, selection.execution)
        old = self._selection_key
        if old is None or old[0] is not key[0] or old[1:] != key[1:]:  # a new graph: a refresh
            self._selection_key = key
            self._stale.update(SELECTION_TABS)
        self._refresh_tab(self.main.query_one(TabbedContent).active)

    def _pane(self, tab: str) -> LazyPane:
        return self.main.query_one(f"#{tab}-pane", LazyPane)

    def _refresh_tab(self, tab: str) -> None:
        """Bring the pane of `tab` up to date, if it is open and behind."""
        if tab not in self._stale or not self._pane(tab).opened:
            return
        graph, view = self.graph, self.view
        if tab == "events":
            self.main.query_one(EventsTable).reset(view.transitions)
            self._show_event_count()
        elif graph is None:
            return  # nothing to show yet: still behind
        elif tab == "findings":
            self.main.query_one(FindingsPane).show(graph, view.findings, wrong_finding(graph, view.findings))
        else:
            selection = self.selection()
            pane = self._pane(tab)
            assert selection is not None
            assert isinstance(pane, (OverviewPane, ExecutionsPane, ErrorPane, JsonPane))
            pane.show(selection)
        self._stale.discard(tab)

    def _show_event_count(self) -> None:
        self.main.query_one(EventsPane).show_count(len(self.view.transitions), self.source.live)

    async def _open_tab(self, tab: str) -> None:
        """Make the pane of `tab` (the first time) and bring it up to date."""
        pane = self._pane(tab)
        if not pane.opened:
            await pane.open()
            if not self.is_running:
                return
        self._refresh_tab(tab)

    def _show_tab(self, tab: str) -> None:
        """Show `tab`: at once if its pane is made, else as soon as it is."""
        self.main.query_one(TabbedContent).active = tab
        if self._pane(tab).opened:
            self._refresh_tab(tab)
        else:
            self.call_later(self._open_tab, tab)

    @on(TabbedContent.TabActivated, "#panes")
    async def _on_tab_shown(self, event: TabbedContent.TabActivated) -> None:
        """A tab was clicked, or shown by the app or by a focus change."""
        tab = event.pane.id
        if tab in TABS and self.is_running and self.graph is not None:  # else nothing to show yet
            await self._open_tab(tab)

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[NodeView]) -> None:
        # A highlight can arrive after the tree is gone, while the app closes.
        if isinstance(event.control, RunTree) and event.control.is_attached:
            self._update_panes()

    def on_tree_node_selected(self, event: Tree.NodeSelected[NodeView]) -> None:
        """enter: toggle a branch; on a reference, jump to the node's full entry."""
        if not isinstance(event.control, RunTree):
            return
        view = event.node.data
        if view is None:
            return
        if view.item.kind is ItemKind.REF and self.display_tree is not None:
            key = self.display_tree.node_keys.get(view.item.node_uuid or "")
            if key is not None:
                self._go_to(key)
                return
        if event.node.allow_expand:
            if event.node.is_expanded:
                event.node.collapse()
            else:
                self.run_tree.expand_node(event.node)

    @on(DataTable.RowHighlighted, "#executions-table")
    def _on_execution_row(self, event: DataTable.RowHighlighted) -> None:
        table = event.data_table
        # Only the user's own moves count: rebuilding the table also posts highlights, late
        # (even after the screen is gone, while the app closes).
        if not table.has_focus or event.cursor_row != table.cursor_row:
            return
        state = self.selected_state()
        if state is None:
            return
        self.view.executions[state.uuid] = event.cursor_row
        self._update_panes()

    @on(DataTable.RowSelected, "#executions-table")
    def _on_execution_chosen(self, event: DataTable.RowSelected) -> None:
        """enter on an execution that started a run opens it (as `o` does)."""
        selection = self.selection()
        if selection is None or event.cursor_row != selection.execution:
            return
        chosen = selection.chosen
        if chosen is not None and chosen.node_run_uuid:
            self._open_run(RunView(chosen.node_run_uuid))

    @on(OptionList.OptionSelected, "#findings-list")
    def _on_finding_chosen(self, event: OptionList.OptionSelected) -> None:
        """enter (or a click) on a finding puts the tree cursor on its node."""
        finding = self.main.query_one(FindingsPane).selected(event.option_index)
        if finding is None or finding.node_uuid is None:
            return  # about the run as a whole: nothing to go to
        self._go_to_node(finding.node_uuid)

    def _go_to_node(self, uuid: str) -> None:
        """Put the cursor on a node's full entry, showing every node again if `f` hides it."""
        key = self.display_tree.node_keys.get(uuid) if self.display_tree is not None else None
        if key is None and self.failed_only:
            self.failed_only = False
            self._rebuild_keeping_place()
            key = self.display_tree.node_keys.get(uuid) if self.display_tree is not None else None
        if key is None:
            self.notify("That node is not in the tree", severity="warning", timeout=3)
            return
        self._go_to(key)
        self.run_tree.focus()

    @on(DataTable.RowSelected, "#events-table")
    def _on_event_chosen(self, event: DataTable.RowSelected) -> None:
        table = self.main.query_one(EventsTable)
        if event.row_key.value is None or self.display_tree is None:
            return
        uuid = table.node_uuids[int(event.row_key.value)]
        key = self.display_tree.node_keys.get(uuid or "")
        if key is not None:
            self._go_to(key)
            self.run_tree.focus()

    # -- actions ------------------------------------------------------------------------

    def action_show_help(self) -> None:
        self.push_screen(HelpScreen())

    async def action_show_tab(self, tab: str) -> None:
        if tab not in TABS:
            return
        await self._open_tab(tab)  # filled in before it shows
        focused = self.focused
        self.main.query_one(TabbedContent).active = tab
        if focused is not None and any(isinstance(node, TabPane) for node in focused.ancestors):
            # Focus inside the pane left behind would move to a sibling there, and Textual shows
            # the pane that holds the focus: the tab would switch back. Focus follows the tab.
            pane = self.main.query_one(f"#{tab}-pane")
            target = pane if pane.focusable else next((w for w in pane.query("*") if w.focusable), None)
            (target or self.run_tree).focus()

    def action_show_why(self) -> None:
        """The why report of the selected node; with no node selected, of the run's culprit."""
        graph = self.graph
        if graph is None:
            self.notify("Nothing to explain yet: the run is loading", timeout=2)
            return
        state = self.selected_state()
        findings = self.view.findings
        report = (
            explain(graph, state.uuid, findings=findings)
            if state is not None
            else explain_run(graph, findings)
        )
        if report is None:
            self.notify("Nothing stands out in this run: select a node and press w", timeout=3)
            return
        self.push_screen(WhyScreen(why_text(graph, report)))

    def action_toggle_zoom(self) -> None:
        self.main.toggle_class("-zoomed")

    def action_toggle_failed(self) -> None:
        self.failed_only = not self.failed_only
        self._rebuild_keeping_place()

    def action_toggle_nested(self) -> None:
        self.nested = not self.nested
        self._rebuild_keeping_place()

    def _rebuild_keeping_place(self) -> None:
        if self.graph is None:
            return
        current = self.selected_state()
        self.view.cursor_key = None
        self.view.focus_node = current.uuid if current is not None else None
        self.view.expanded = set(self.run_tree.expanded_keys) | self._default_expanded(
            build_display(self.graph, nested=self.nested, failed_only=self.failed_only)
        )
        self._show_run(reset=True)

    def _failed_keys(self) -> list[str]:
        display, graph = self.display_tree, self.graph
        if display is None or graph is None:
            return []
        return [
            key
            for key in display.order
            if display.items[key].kind is ItemKind.NODE
            and (state := graph.states.get(display.items[key].node_uuid or "")) is not None
            and state.failed
        ]

    def _step(self, keys: list[str], forward: bool, what: str) -> None:
        if not keys:
            self.notify(f"No {what}", timeout=2)
            return
        display = self.display_tree
        cursor = self.run_tree.cursor_view
        assert display is not None
        here = display.order.index(cursor.key) if cursor is not None and cursor.key in display.items else -1
        positions = [display.order.index(k) for k in keys]
        if forward:
            later = [k for k, p in zip(keys, positions, strict=True) if p > here]
            target = later[0] if later else keys[0]
        else:
            earlier = [k for k, p in zip(keys, positions, strict=True) if p < here]
            target = earlier[-1] if earlier else keys[-1]
        self._go_to(target)

    def action_next_failed(self) -> None:
        self._step(self._failed_keys(), True, "failed nodes")

    def action_previous_failed(self) -> None:
        self._step(self._failed_keys(), False, "failed nodes")

    async def action_search(self) -> None:
        bar = self.main.query_one("#search-bar")
        if not bar.children:
            await bar.mount_all(
                [
                    Input(placeholder="search slug, name, error", id="search", compact=True),
                    Static(Text(""), markup=False, id="search-count"),
                ]
            )
        bar.display = True
        search_input = self.main.query_one("#search", Input)
        search_input.value = self.query_text
        search_input.focus()

    @on(Input.Changed, "#search")
    def _on_search_changed(self, event: Input.Changed) -> None:
        self._set_query(event.value)

    @on(Input.Submitted, "#search")
    def _on_search_submitted(self, event: Input.Submitted) -> None:
        self._set_query(event.value)
        self.main.query_one("#search-bar").display = False
        self.run_tree.focus()
        if self.query_text:
            self._step(self.matches, True, f"node matches {self.query_text!r}")

    def _set_query(self, value: str) -> None:
        self.query_text = value
        tree = self.run_tree
        tree.query_text = value
        tree.relabel()
        if self.graph is not None and self.display_tree is not None:
            self.matches = search(self.graph, self.display_tree, value)
        for count in self.main.query("#search-count").results(Static):
            count.update(
                Text(f" {len(self.matches)} match{'es' if len(self.matches) != 1 else ''}" if value else "")
            )

    def action_clear(self) -> None:
        if self.main.query_one("#search-bar").display or self.query_text:
            self._set_query("")
            self.main.query_one("#search-bar").display = False
            self.run_tree.focus()
        elif self.main.has_class("-zoomed"):
            self.main.remove_class("-zoomed")

    def copy_to_clipboard(self, text: str) -> None:
        """`App.copy_to_clipboard`, cleaned: the one door to the clipboard (keys, the why view, a
        text selection). A line break may stay; escape codes and control characters, which a
        paste into a shell would run, may not."""
        super().copy_to_clipboard(clean(text))

    def _copy_id(self, what: str, value: str) -> None:
        """Copy an id as one line: an id with a line break or a control character, pasted into a
        shell, would run what follows it. Says so when the id had to change."""
        safe = one_line(value)
        self.copy_to_clipboard(safe)
        if safe == value:
            self.notify(f"Copied {what} {one_line(value, 60)}", timeout=2)
        else:
            self.notify(
                f"Copied {what} {one_line(value, 60)}, changed: it had line breaks or control characters",
                severity="warning",
                timeout=6,
            )

    def action_copy_node(self) -> None:
        state = self.selected_state()
        if state is None:
            self.notify("No node selected", severity="warning", timeout=2)
            return
        self._copy_id("node uuid", state.uuid)

    def action_copy_run(self) -> None:
        graph = self.graph
        uuid = graph.run.uuid if graph is not None else None
        if not uuid:
            self.notify("The run has no uuid", severity="warning", timeout=2)
            return
        self._copy_id("run uuid", uuid)

    def action_copy_pane(self) -> None:
        """The node's error, else its output JSON; on the Input or Output pane, what it shows."""
        selection = self.selection()
        state = selection.state if selection is not None else None
        if selection is None or state is None:
            self.notify("No node selected", severity="warning", timeout=2)
            return
        tab = self.main.query_one(TabbedContent).active
        chosen = selection.chosen
        error = chosen.error_message if chosen is not None and chosen.error_message else state.first_error
        if tab in ("input", "output"):
            what, text = tab, self.main.query_one(f"#{tab}-pane", JsonPane).plain
        elif error:
            what, text = "error", error
        else:
            output = selection.graph.output_of(state.uuid)
            what = "output"
            text = "" if output is None else json.dumps(output, indent=2, ensure_ascii=False, default=str)
        text = clean(text)
        name = one_line(state.title, 60)
        if not text:
            self.notify(f"Nothing to copy: {name} has no {what}", severity="warning", timeout=2)
            return
        self.copy_to_clipboard(text)
        self.notify(f"Copied the {what} of {name} ({len(text)} characters)", timeout=2)

    def action_save_bundle(self) -> None:
        """Save the run on screen and every other run opened in this session to a new file."""
        graph = self.graph
        if graph is None:
            self.notify("Nothing to save yet: the run is loading", severity="warning", timeout=2)
            return
        root_uuid = graph.run.uuid or self.view.fetch_uuid
        root = self.bodies.get(root_uuid)
        if root is None:
            self.notify("This run's response is not at hand, so it cannot be saved", severity="warning")
            return
        others = {uuid: body for uuid, body in self.bodies.items() if uuid != root_uuid}
        directory = self.save_dir or Path.cwd()
        self.run_worker(
            self._save_bundle(directory, root_uuid, root, others),
            name="save",
            group="save",
            exit_on_error=False,
        )

    async def _save_bundle(
        self, directory: Path, root_uuid: str, root: bytes, others: dict[str, bytes]
    ) -> None:
        source = self.source

        def save() -> tuple[Path, int]:
            runs: dict[str, bytes] = {}
            if isinstance(source, FileSource):
                runs.update(source.children())  # a reopened bundle keeps every run it had
            runs.update(others)
            runs.pop(root_uuid, None)
            return write_bundle(directory, root_uuid, bundle_bytes(root, runs)), len(runs)

        try:
            path, count = await asyncio.to_thread(save)
        except Exception as error:  # shown, never swallowed: the user asked for a file
            reason = error.one_line() if isinstance(error, InspectorError) else str(error)
            self.notify(one_line(reason, 300), title="Could not save the bundle", severity="error", timeout=8)
            return
        more = f" and {count} other run{'s' if count != 1 else ''} opened" if count else ""
        self.notify(
            f"The run{more}, in {path}\nrun-inspector --file {path.name} reopens it",
            title="Saved a bundle",
            timeout=8,
        )

    def action_refresh(self) -> None:
        if self.poller is not None and self.poll_worker is not None and not self.poll_worker.is_finished:
            self.poller.refresh_now()
        else:
            self._start_feed()
        self.notify("Refreshing", timeout=1.5)

    def action_toggle_pause(self) -> None:
        if not self.source.live:
            self.notify("Nothing to pause: this run is not polled", timeout=2)
            return
        if self.poller is not None:
            self.poller.toggle_pause()

    def action_open_child(self) -> None:
        state = self.selected_state()
        selection = self.selection()
        if state is None or selection is None:
            return
        chosen = selection.chosen
        target = chosen.node_run_uuid if chosen is not None and chosen.node_run_uuid else None
        if target is None and state.child_runs:
            target = state.child_runs[0]
        if target is None:
            self.notify(f"{one_line(state.title, 60)} started no child run", severity="warning", timeout=3)
            return
        self._open_run(RunView(target))

    def action_go_back(self) -> None:
        if len(self.stack) > 1:
            self._stop_feed()
            self._save_view()
            self.stack.pop()
            self._restore_view()
            return
        graph = self.graph
        if graph is not None and graph.run.parent_uuid:
            self._open_run(
                RunView(graph.run.parent_uuid, focus_node=graph.run.parent_node_uuid, replaces_below=True)
            )
        else:
            self.notify("This is the top run: it has no parent", timeout=2)

    def _open_run(self, view: RunView) -> None:
        if self.graph is not None:
            self._save_view()
        self.stack.append(view)
        self.problem = None
        self.poll_status = None
        self.flash_until.clear()
        self.run_tree.flashing = set()
        self._show_message(f"Loading run {one_line(view.fetch_uuid, 60)}…")
        self._update_header()
        self._start_feed()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """`App.notify`, but plain text unless asked, cleaned and cut: messages here quote API
        text (titles, errors), which must never be read as markup, run an action when clicked,
        or reach the terminal with its escape codes."""
        super().notify(
            message_text(message),
            title=one_line(title, 120),
            severity=severity,
            timeout=timeout,
            markup=markup,
        )

    # -- the command palette ------------------------------------------------------------

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for command in COMMANDS:
            if command.action == "quit":
                continue  # Textual lists Quit already
            yield SystemCommand(
                command.help,
                f"key: {command.key_display or command.keys}",
                partial(self.run_action, command.action),
            )


def make_app(
    source: RunSource,
    *,
    interval: float = 2.0,
    run_uuid: str | None = None,
    poller_factory: PollerFactory | None = None,
    bell: bool = False,
) -> InspectorApp:
    """The app for a run source: the CLI, the demo and the tests all start here."""
    return InspectorApp(
        source, interval=interval, run_uuid=run_uuid, poller_factory=poller_factory, bell=bell
    )


__all__ = ["InspectorApp", "RunView", "make_app"]
