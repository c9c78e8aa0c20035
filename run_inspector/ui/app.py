"""The inspector TUI: one app for the CLI, the demo and the tests (`make_app`).

The app holds the key table and the runs: the stack of runs the user opened, the feed
(`feed.py`) that polls the one on top, the bodies a bundle saves, and the notifications.
Its screen (`run_screen.py`) shows the run on top; each widget keeps its own state: the
header its text and clock, the tree its lines, the panes (`panes/`) what they last drew.
Where to put the cursor first is the core's `focus` module's decision. Failures land in
`_report_problem`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import App, SystemCommand
from textual.binding import BindingType
from textual.notifications import SeverityLevel
from textual.screen import Screen

from ..agent import FINISHED, MessageCache
from ..errors import InspectorError
from ..findings import compute_findings
from ..focus import first_focus, run_to_open, wrong_finding
from ..graph import NodeState, RunGraph
from ..metrics import failure_rates
from ..models import FAILED_STATUSES, TERMINAL_STATUSES, Run
from ..poller import Transition
from ..present import status_look
from ..runlist import RunQuery, build_query, can_cancel, cancel_run
from ..sanitize import clean, one_line
from ..source import RunSource, bundle_bytes, write_bundle
from ..why import explain, explain_run
from .feed import RunFeed
from .header import RunHeader
from .labels import message_text, why_text
from .messages import AgentWanted, OpenRun
from .panes import Selection
from .panes.deck import NARROW_WIDTH, PaneDeck
from .run_screen import RunScreen
from .runs import Known, RunView
from .runs_screen import RunsScreen
from .screens import COMMANDS, ConfirmScreen, HelpScreen, WhyScreen, command_bindings
from .tree import RunTree

FILE_PAINT_HOLD_SECONDS = 0.4
"""A file's screen is first painted when its run shows, or after this long (then "Loading…")."""


class InspectorApp(App[None]):
    CSS_PATH = "inspector.tcss"
    TITLE = "run-inspector"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW_WIDTH, "-wide")]  # noqa: RUF012 - Textual's declaration
    BINDINGS: ClassVar[list[BindingType]] = command_bindings()

    main: RunScreen
    """The screen with the tree and the panes: `App.query_one` sees only the top screen."""

    def __init__(
        self,
        source: RunSource,
        *,
        interval: float = 2.0,
        run_uuid: str | None = None,
        bell: bool = False,
        query: RunQuery | None = None,
    ) -> None:
        super().__init__()
        self.source = source
        self.interval = interval
        self.bell_on_finish = bell
        self.stack: list[RunView] = [RunView(run_uuid or source.root_uuid)]
        self.runs: RunsScreen | None = (
            RunsScreen(source, query, interval=interval) if query is not None else None
        )
        """The Runs screen last shown (`--workflow`, or `R`): `u` on a top run goes back to it."""
        self.inspecting = query is None
        """A run was opened (the app started on one, or one was chosen in the Runs screen)."""
        self.bodies: dict[str, bytes] = {}
        """Run uuid → the latest response of each run shown this session: what `s` saves."""
        self.save_dir: Path | None = None
        """Where `s` writes bundles; None: the current directory at the time."""
        self._notified_error: str | None = None
        self._paint_hold = ExitStack()
        """Holds the screen's updates while a file loads (`_hold_paint`)."""
        self.feed = RunFeed(source, interval=interval, id="feed")
        self.known = Known()
        """Agent messages and failure rates fetched this session (`Known`)."""
        self.messages = MessageCache()
        self._asked: set[str] = set()
        """The poller of the run on screen (kept here: it is stopped after the screen is gone)."""

    # -- layout -------------------------------------------------------------------------

    def get_default_screen(self) -> Screen[object]:
        """The main screen, with its breakpoint class (`-narrow`/`-wide`) set from the start:
        set at the first resize, once every widget is styled, it restyled them all."""
        screen = self.main = RunScreen(
            self.stack, self.feed, self.known, description=self.source.description, live=self.source.live
        )
        width = self.size.width
        for _, name in self.HORIZONTAL_BREAKPOINTS:
            screen.set_class(name == self._breakpoint(width), name, update=False)
        return screen

    def _breakpoint(self, width: int) -> str:
        """The `HORIZONTAL_BREAKPOINTS` class of a screen `width` columns wide."""
        return [name for least, name in self.HORIZONTAL_BREAKPOINTS if width >= least][-1]

    @on(RunScreen.Ready)
    def _start(self, message: RunScreen.Ready) -> None:
        if self.runs is not None and not self.inspecting:  # `--workflow`: the list first
            self.main.show_message("Choose a run in the list (R shows it again)")
            self._show_runs(self.runs)
            return
        self.main.show_message(f"Loading {self.view.fetch_uuid}…")
        self.header.show_loading(self.view.fetch_uuid)
        if not self.source.live:
            self._hold_paint()
        self.feed.start(self.view.fetch_uuid)

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
        self.feed.stop()
        await self.source.aclose()

    @property
    def view(self) -> RunView:
        return self.stack[-1]

    @property
    def graph(self) -> RunGraph | None:
        return self.view.graph

    @property
    def run_tree(self) -> RunTree:
        return self.main.run_tree

    @property
    def header(self) -> RunHeader:
        return self.main.header

    @property
    def deck(self) -> PaneDeck:
        return self.main.deck

    def selected_state(self) -> NodeState | None:
        return self.main.selected_state()

    def selection(self) -> Selection | None:
        return self.main.selection()

    # -- what the feed brings -----------------------------------------------------------

    @on(RunFeed.SnapshotArrived)
    async def _on_snapshot(self, message: RunFeed.SnapshotArrived) -> None:
        if not self.is_running:
            return  # the app is closing
        snapshot, view = message.snapshot, self.view
        graph = snapshot.graph
        findings = snapshot.findings if snapshot.findings is not None else compute_findings(graph)
        lineage = view.lineage
        known = lineage.trace is not None or lineage.items or lineage.batches
        # What the endpoints said last holds until they say otherwise: the counts of a batch,
        # the failed items, Cargo's verdict. (The feed's findings were made without them.)
        if known and (graph.apply_lineage(lineage) or lineage.items):
            findings = compute_findings(graph, parent=self._parent_graph())
        if view.tab is None:
            # The first screen's pane is made before the run shows, so that the first screen
            # with the run on it has that pane filled in too.
            view.tab = first_focus(graph, findings).pane
            await self.deck.open(view.tab)
            if message.generation != self.feed.generation or not self.is_running:
                return
        first = view.graph is None
        view.graph = graph
        view.findings = findings
        if snapshot.body:
            self.bodies[graph.run.uuid or view.fetch_uuid] = snapshot.body
        if first and view.replaces_below and len(self.stack) > 1:
            self.stack[:-1] = []
            view.replaces_below = False
        # A new poller's first snapshot reports the run as changed from nothing: not news.
        transitions = [t for t in snapshot.transitions if t.node_uuid is not None or t.old is not None]
        view.transitions.extend(transitions)
        for uuid, entry in list(self.known.agents.items()):  # a message still generating moves on
            if not isinstance(entry, str) and entry.status not in FINISHED:
                del self.known.agents[uuid]
        self.header.show_problem(None)
        self.main.show_message(None)
        self.run_tree.flash(t.node_uuid for t in transitions if t.node_uuid is not None)
        self.main.show_run(reset=first)
        self._release_paint()
        self.feed.ask_lineage(graph, force=first or graph.summary.status in TERMINAL_STATUSES)
        if first:
            self._ask_rates(graph.run.workflow_uuid)
        if transitions:
            # The notification waits for the next turn of the event loop: a big refresh is
            # then two steps, neither of them long (see benchmarks/README.md).
            self.call_later(self._announce, transitions)

    @on(RunFeed.LineageArrived)
    def _on_lineage(self, message: RunFeed.LineageArrived) -> None:
        """What the endpoints around the run said: taken into the graph on screen (a batch's
        failed items fail its group), the findings and every view brought up to date."""
        view, graph = self.view, self.graph
        if graph is None or not self.is_running:
            return
        lineage = view.lineage = message.lineage
        graph.apply_lineage(lineage)
        if lineage.trace is not None or lineage.items or lineage.batches:  # else: nothing to say
            view.findings = compute_findings(graph, parent=self._parent_graph())
        self.main.show_run(reset=False)

    def _parent_graph(self) -> RunGraph | None:
        """The run below the one on top, when it is the one that started it."""
        if len(self.stack) < 2:
            return None
        below, graph = self.stack[-2].graph, self.graph
        if below is None or graph is None or not graph.run.parent_uuid:
            return None
        return below if below.run.uuid == graph.run.parent_uuid else None

    @on(RunFeed.StatusChanged)
    def _on_poll_status(self, message: RunFeed.StatusChanged) -> None:
        if not self.is_running:
            return
        status = message.status
        if status.error is not None:
            self._report_problem(status.error.one_line(), fatal=status.state == "failed")
        else:
            self._notified_error = None
        self.header.show_status(status)

    @on(RunFeed.Crashed)
    def _on_feed_crash(self, message: RunFeed.Crashed) -> None:
        if self.is_running:
            error = message.error
            self._report_problem(f"polling stopped: {type(error).__name__}: {error}", fatal=True)

    def _report_problem(self, text: str, *, fatal: bool) -> None:
        """The one place failures end up: a notification, the header, and the body if empty.

        The last good data stays on screen. A run that cannot be opened at all sends the
        user back to the run they came from. `text` may quote the server or any exception:
        it is cleaned and cut (`message_text`) before anything shows it.
        """
        text = message_text(text)
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
                self.main.show_message(f"Could not load {one_line(view.fetch_uuid, 60)}:\n{text}{retrying}")
        self.header.show_problem(text)

    def _announce(self, transitions: list[Transition]) -> None:
        """The run ended: say so (and ring, if asked)."""
        if not self.is_running:
            return
        for transition in transitions:
            if transition.node_uuid is None and transition.new in TERMINAL_STATUSES:
                word = status_look(transition.new).word
                graph = self.graph
                if graph is not None and wrong_finding(graph, self.view.findings) is not None:
                    word += ", but the findings (7) say something went wrong"
                self.notify(
                    f"The run finished: {word}",
                    title="Run finished",
                    severity="error" if transition.new in FAILED_STATUSES else "information",
                )
                if self.bell_on_finish:
                    self.bell()

    # -- showing a run ------------------------------------------------------------------

    def _ask_rates(self, workflow: str | None) -> None:
        """How often each node of the workflow failed lately: asked once per workflow, off
        the UI; the Overview says it and the tree flags the nodes that fail often."""
        if not workflow or workflow in self.known.rates or not self.source.has_lineage:
            return

        async def load() -> None:
            rates = await failure_rates(self.source, workflow)
            self.known.rates[workflow] = rates
            if self.is_running:
                self.main.show_rates()

        self.run_worker(load(), name="rates", group=f"rates-{workflow}", exit_on_error=False)

    @on(AgentWanted)
    def _on_agent_wanted(self, message: AgentWanted) -> None:
        """Fetch an agent message a pane would show (once: it is cached), off the UI."""
        uuid = message.message_uuid
        if uuid in self.known.agents or uuid in self._asked:
            return
        self._asked.add(uuid)

        async def load() -> None:
            try:
                view, note = await self.messages.load(self.source, uuid)
            except Exception as error:  # a bug below: said in the pane, never swallowed
                view, note = None, f"could not be read ({type(error).__name__}: {error})"
            finally:
                self._asked.discard(uuid)
            if view is not None and view.status in FINISHED:
                self.known.agents[uuid] = view
            elif view is None:
                self.known.agents[uuid] = note or "not available"
            else:  # still generating: shown, and asked again when shown next
                self.known.agents[uuid] = view
                self.messages.forget(uuid)
            if self.is_running:
                self.main.show_panes()

        self.run_worker(load(), name="agent", group=f"agent-{uuid}", exit_on_error=False)

    @on(OpenRun)
    def _on_open_run(self, message: OpenRun) -> None:
        self._open_run(RunView(message.run_uuid))

    # -- the panes and the why view ------------------------------------------------------------

    def action_show_help(self) -> None:
        self.push_screen(HelpScreen())

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
        self.push_screen(WhyScreen(why_text(graph, report, self.known.agents)))

    # -- copy and save ------------------------------------------------------------------

    def copy_to_clipboard(self, text: str) -> None:
        """`App.copy_to_clipboard`, cleaned: the one door to the clipboard (keys, the why view, a
        text selection). A line break may stay; escape codes and control characters, which a
        paste into a shell would run, may not."""
        super().copy_to_clipboard(clean(text))

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
            runs = {**source.saved_runs(), **others}  # a reopened bundle keeps every run it had
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

    # -- polling ------------------------------------------------------------------------

    def action_refresh(self) -> None:
        self.feed.refresh_now()
        self.notify("Refreshing", timeout=1.5)

    def action_toggle_pause(self) -> None:
        if not self.source.live:
            self.notify("Nothing to pause: this run is not polled", timeout=2)
            return
        self.feed.toggle_pause()

    # -- the stack of runs --------------------------------------------------------------

    def action_open_child(self) -> None:
        """The run the pane on screen points at (an item run, a tool call's run); else the run
        the node leads to (`focus.run_to_open`: a group's failed item, the execution's run)."""
        state, selection = self.selected_state(), self.selection()
        if state is None or selection is None:
            return
        pane = self.deck.active_pane
        target = pane.chosen_run() if pane is not None else None
        target = target or run_to_open(selection.graph, state, selection.execution)
        if target is None:
            self.notify(f"{one_line(state.title, 60)} started no child run", severity="warning", timeout=3)
            return
        self._open_run(RunView(target))

    def action_go_back(self) -> None:
        if len(self.stack) > 1:
            self.feed.stop()
            self._save_view()
            self.stack.pop()
            self._restore_view()
            return
        graph = self.graph
        if self.runs is not None:  # the run was opened from a list of runs: back to it
            self._show_runs(self.runs)
        elif graph is not None and graph.run.parent_uuid:
            self._open_run(
                RunView(graph.run.parent_uuid, focus_node=graph.run.parent_node_uuid, replaces_below=True)
            )
        else:
            self.notify("This is the top run: it has no parent", timeout=2)

    def _open_run(self, view: RunView) -> None:
        if self.graph is not None:
            self._save_view()
        self.stack.append(view)
        self._notified_error = None
        self.run_tree.stop_flashing()
        self.main.show_message(f"Loading run {one_line(view.fetch_uuid, 60)}…")
        self.header.show_loading(view.fetch_uuid)
        self._start_feed()

    def _restore_view(self) -> None:
        """Show the run on top of the stack again, as it was left, and poll it."""
        view = self.view
        self.run_tree.stop_flashing()
        self.header.show_loading(view.fetch_uuid)
        if view.graph is not None:
            self.main.show_message(None)
            self.main.show_run(reset=True)
        self._start_feed()

    # -- the Runs screen and cancelling ----------------------------------------------------

    def action_show_runs(self) -> None:
        """The runs of the inspected run's workflow (the list kept, if it is that one)."""
        graph = self.graph
        workflow = graph.run.workflow_uuid if graph is not None else None
        if self.runs is not None and (workflow is None or self.runs.workflow_uuid == workflow):
            self._show_runs(self.runs)
            return
        if workflow is None:
            self.notify("The run names no workflow to list the runs of", severity="warning", timeout=3)
            return
        self._show_runs(RunsScreen(self.source, build_query(workflow), interval=self.interval))

    def _show_runs(self, screen: RunsScreen) -> None:
        """Put the Runs screen on top (kept between visits: its cursor stays where it was)."""
        if screen is not self.runs:
            if self.runs is not None and self.runs.is_attached:
                self.uninstall_screen(self.runs)
            self.runs = screen
        if not self.is_screen_installed(screen):
            self.install_screen(screen, name="runs")
        if self.screen is not screen:
            self.push_screen(screen)

    @on(RunsScreen.Chosen)
    def _on_run_chosen(self, message: RunsScreen.Chosen) -> None:
        """A run chosen in the list: the inspector shows it, as the top of a new trail."""
        if self.screen is self.runs:
            self.pop_screen()
        self.feed.stop()
        self.inspecting = True
        self.stack[:] = [RunView(message.run_uuid)]
        self.run_tree.stop_flashing()
        self.main.show_message(f"Loading run {one_line(message.run_uuid, 60)}…")
        self.header.show_loading(message.run_uuid)
        self._start_feed()

    @on(RunsScreen.Back)
    def _on_runs_back(self, message: RunsScreen.Back) -> None:
        if self.inspecting and self.screen is self.runs:
            self.pop_screen()

    def action_cancel_run(self) -> None:
        """Cancel the inspected run (if it is at work), after a confirmation."""
        graph = self.graph
        if graph is None or not can_cancel(graph.run):
            self.notify("Nothing to cancel: this run is not running", timeout=2)
            return
        self._confirm_cancel(graph.run)

    @on(RunsScreen.CancelAsked)
    def _on_cancel_asked(self, message: RunsScreen.CancelAsked) -> None:
        if not can_cancel(message.run):
            self.notify("Nothing to cancel: that run is not running", timeout=2)
            return
        self._confirm_cancel(message.run)

    def _confirm_cancel(self, run: Run) -> None:
        question = Text.assemble(
            ("Cancel this run?\n\n", "bold"),
            (one_line(run.record_title or "(untitled record)", 80), "bold"),
            "\n",
            (one_line(run.uuid or "?", 80), "dim"),
            ("\n\ny cancels it · n keeps it running", "dim"),
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_worker(self._cancel(run), name="cancel", group="cancel", exit_on_error=False)

        self.push_screen(ConfirmScreen(question), answered)

    async def _cancel(self, run: Run) -> None:
        try:
            uuid = await cancel_run(self.source, run)
        except InspectorError as error:
            self.notify(
                one_line(error.one_line(), 300), title="Could not cancel the run", severity="error", timeout=8
            )
            return
        self.notify(
            f"Asked Cargo to cancel run {one_line(uuid, 60)}; it shows as cancelled once it stops",
            title="Cancelling",
        )
        self.feed.refresh_now()
        if self.runs is not None:
            self.runs.action_refresh()

    def _start_feed(self) -> None:
        """Poll the run on top; the run below is handed over as its parent (used if it is)."""
        self.feed.start(self.view.fetch_uuid, parent=self.stack[-2].graph if len(self.stack) > 1 else None)

    def _save_view(self) -> None:
        view = self.view
        cursor = self.run_tree.cursor_view
        view.cursor_key = cursor.key if cursor is not None else None
        view.expanded = set(self.run_tree.expanded_keys)
        view.tab = self.deck.active or None

    # -- messages and the command palette -------------------------------------------------

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
    source: RunSource, *, interval: float = 2.0, run_uuid: str | None = None, bell: bool = False
) -> InspectorApp:
    """The app for a run source: the CLI, the demo and the tests all start here."""
    return InspectorApp(source, interval=interval, run_uuid=run_uuid, bell=bell)


def make_runs_app(source: RunSource, query: RunQuery, *, interval: float = 2.0) -> InspectorApp:
    """The app opened on the Runs screen of `query` (`run-inspector --workflow W`)."""
    return InspectorApp(source, interval=interval, query=query)


__all__ = ["InspectorApp", "RunView", "make_app", "make_runs_app"]
