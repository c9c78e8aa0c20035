"""The inspector's screen: the header, the run tree on the left, the panes on the right.

It shows the run on top of the app's stack (`show_run`) and owns what is only about showing
it: the tree's layout (flat or nested, all or failed-only), the search, where the cursor goes
and what the panes are told. The app owns the runs (the feed, the stack, the bundle).
"""

from __future__ import annotations

import json

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static

from ..focus import chosen_execution, first_focus, wrong_finding
from ..graph import NodeState, RunGraph
from ..layout import ItemKind, Layout, display_layout
from ..sanitize import clean, one_line
from ..search import search
from .feed import RunFeed
from .header import RunHeader
from .labels import message_text
from .messages import ExecutionChosen, GoToLine, GoToNode, NodeChosen
from .panes import RunContext, Selection
from .panes.deck import NARROW_WIDTH, PaneDeck
from .runs import Known, RunView
from .search import SearchBar
from .tree import RunTree

AUTO_EXPAND_ITEMS = 400
"""Trees up to this many items open fully on first show; bigger ones open the path only."""


class RunScreen(Screen[object]):
    class Ready(Message):
        """The screen's widgets are mounted: the app can start showing runs."""

    def __init__(
        self, stack: list[RunView], feed: RunFeed, known: Known, *, description: str, live: bool
    ) -> None:
        super().__init__(id="_default")
        self.stack = stack
        """The app's stack of runs: the screen shows the top one."""
        self.known = known
        self.feed = feed
        self.description = description
        self.live = live
        self.tree_layout: Layout | None = None
        self.nested = False
        self.failed_only = False
        self.query_text = ""
        self.matches: list[str] = []
        self._shown = False

    def compose(self) -> ComposeResult:
        yield RunHeader(self.description, live=self.live, id="header")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield Static(Text(""), markup=False, id="message")
                yield Static(Text(""), markup=False, id="tree-mode")
                yield RunTree(id="tree")
                yield SearchBar(id="search-bar")
            yield PaneDeck(id="deck")
        yield Footer(compact=True)
        yield self.feed

    def on_mount(self) -> None:
        self.run_tree.focus()
        self.post_message(self.Ready())

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        # Runs before Textual's own handler. Textual restyles every widget of a screen each time
        # it shows, as the app's CSS may have changed while another screen was on top. The
        # first time, each widget was styled as it mounted, a moment ago: ~55 widgets for
        # nothing. Later resumes (after the help or why screen) restyle as usual.
        if not self._shown:
            self._shown = True
            event.refresh_styles = False

    def on_resize(self) -> None:
        if self.graph is not None:
            self.show_panes()  # the findings tab's label shortens below `NARROW_WIDTH`

    @property
    def view(self) -> RunView:
        return self.stack[-1]

    @property
    def graph(self) -> RunGraph | None:
        return self.view.graph

    @property
    def run_tree(self) -> RunTree:
        return self.query_one(RunTree)

    @property
    def header(self) -> RunHeader:
        return self.query_one(RunHeader)

    @property
    def deck(self) -> PaneDeck:
        return self.query_one(PaneDeck)

    # -- showing a run ------------------------------------------------------------------

    def show_rates(self) -> None:
        """The workflow's failure rates arrived: the tree flags what fails often, the Overview
        says how often."""
        graph = self.graph
        rates = self.known.rates.get(graph.run.workflow_uuid or "") if graph is not None else None
        tree = self.run_tree
        tree.rates = rates.counts() if rates is not None else None
        tree.relabel()
        self.show_panes()

    def show_run(self, *, reset: bool) -> None:
        view, graph = self.view, self.graph
        if graph is None:
            return
        rates = self.known.rates.get(graph.run.workflow_uuid or "")
        self.run_tree.rates = rates.counts() if rates is not None else None
        layout = display_layout(graph, nested=self.nested, failed=self.failed_only)
        self.tree_layout = layout
        tree = self.run_tree
        tree.query_text = self.query_text
        if reset:
            if view.expanded is None:
                view.expanded = self._default_expanded(layout)
            tree.expanded_keys = view.expanded
            tree.show(layout, graph, reset=True)
            start_key, automatic = self._start_key(view, layout)
            view.auto_key = start_key if automatic else None
            self.go_to(start_key)
            self.show_panes()
            self.deck.show_soon(view.tab or "overview")
        else:
            tree.show(layout, graph, reset=False)
            self._follow(view, layout, graph)
            self.show_panes()
        self._show_mode()
        self.matches = search(graph, layout, self.query_text)
        self.header.show_run(graph, view.findings, self.crumbs())

    def _follow(self, view: RunView, layout: Layout, graph: RunGraph) -> None:
        """Until the user moves, keep the cursor on the first failed (else running) node."""
        cursor = self.run_tree.cursor_view
        if view.auto_key is None or cursor is None or cursor.key != view.auto_key:
            view.auto_key = None
            return
        key = layout.node_keys.get(first_focus(graph, view.findings).node_uuid or "")
        if key is not None and key != cursor.key:
            view.auto_key = key
            self.go_to(key)

    def _show_mode(self) -> None:
        parts = []
        if self.failed_only:
            parts.append("failed nodes and their ancestors only (f shows all)")
        if self.nested:
            parts.append("fully nested (t for flat)")
        mode = self.query_one("#tree-mode", Static)
        mode.display = bool(parts)
        mode.update(Text(" · ".join(parts)))

    def _default_expanded(self, layout: Layout) -> set[str]:
        if len(layout.items) <= AUTO_EXPAND_ITEMS:
            return {key for key, item in layout.items.items() if item.children}
        return set()

    def _start_key(self, view: RunView, layout: Layout) -> tuple[str | None, bool]:
        """Where the cursor goes when a run shows, and whether the app chose it (then it
        follows the run while the user leaves it there): where the user was, else the node
        asked for (the parent's group), else where the answer is (`focus`)."""
        if view.cursor_key is not None and view.cursor_key in layout.items:
            return view.cursor_key, False
        if view.focus_node is not None and view.focus_node in layout.node_keys:
            return layout.node_keys[view.focus_node], False
        graph = view.graph
        assert graph is not None
        uuid = first_focus(graph, view.findings).node_uuid
        if uuid is not None and uuid in layout.node_keys:
            return layout.node_keys[uuid], True
        return (layout.order[0] if layout.order else None), True

    def go_to(self, key: str | None) -> None:
        if key is not None and self.run_tree.go_to(key):
            self.show_panes(moved=True)

    def show_message(self, text: str | None) -> None:
        message = self.query_one("#message", Static)
        message.display = text is not None
        message.update(Text(message_text(text or ""), style="bold"))

    def crumbs(self) -> Text | None:
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

    def selected_state(self) -> NodeState | None:
        view = self.run_tree.cursor_view
        if view is None or self.graph is None:
            return None
        return self.graph.states.get(view.node_uuid or "")

    def selection(self) -> Selection | None:
        graph = self.graph
        if graph is None:
            return None
        state = self.selected_state()
        remembered = self.view.executions.get(state.uuid) if state is not None else None
        return Selection(graph, state, chosen_execution(state, remembered))

    def show_panes(self, *, moved: bool = False) -> None:
        """The run or the selection changed: the pane on screen shows it, the others once shown."""
        selection = self.selection()
        if selection is None:
            return
        view = self.view
        graph = selection.graph
        context = RunContext(
            graph,
            view.findings,
            view.transitions,
            self.live,
            selection,
            wrong_finding(graph, view.findings),
            self.known.agents,
            self.known.rates.get(graph.run.workflow_uuid or ""),
        )
        self.deck.set_context(context, narrow=self.app.size.width < NARROW_WIDTH, moved=moved)

    @on(NodeChosen)
    def _on_node_chosen(self, message: NodeChosen) -> None:
        self.show_panes(moved=True)

    @on(ExecutionChosen)
    def _on_execution_chosen(self, message: ExecutionChosen) -> None:
        self.view.executions[message.node_uuid] = message.index
        self.show_panes(moved=True)

    @on(GoToNode)
    def _on_go_to_node(self, message: GoToNode) -> None:
        """Put the cursor on a node's full entry, showing every node again if `f` hides it."""
        if self.tree_layout is None:
            return
        if message.node_uuid not in self.tree_layout.node_keys and self.failed_only:
            self.failed_only = False
            self._rebuild_keeping_place()
        key = self.tree_layout.node_keys.get(message.node_uuid)
        if key is None:
            self.app.notify("That node is not in the tree", severity="warning", timeout=3)
            return
        self.go_to(key)
        self.run_tree.focus()

    @on(GoToLine)
    def _on_go_to_line(self, message: GoToLine) -> None:
        self.go_to(message.key)

    # -- the tree's views and moves -------------------------------------------------------

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
            display_layout(self.graph, nested=self.nested, failed=self.failed_only)
        )
        self.show_run(reset=True)

    def _failed_keys(self) -> list[str]:
        layout, graph = self.tree_layout, self.graph
        if layout is None or graph is None:
            return []
        return [
            key
            for key in layout.order
            if layout.items[key].kind is ItemKind.NODE
            and (state := graph.states.get(layout.items[key].node_uuid or "")) is not None
            and state.failed
        ]

    def _step(self, keys: list[str], forward: bool, what: str) -> None:
        if not keys or self.tree_layout is None:
            self.app.notify(f"No {what}", timeout=2)
            return
        order = {key: position for position, key in enumerate(self.tree_layout.order)}
        cursor = self.run_tree.cursor_view
        here = order.get(cursor.key, -1) if cursor is not None else -1
        if forward:
            target = next((k for k in keys if order[k] > here), keys[0])
        else:
            target = next((k for k in reversed(keys) if order[k] < here), keys[-1])
        self.go_to(target)

    def action_next_failed(self) -> None:
        self._step(self._failed_keys(), True, "failed nodes")

    def action_previous_failed(self) -> None:
        self._step(self._failed_keys(), False, "failed nodes")

    def action_search(self) -> None:
        self.query_one(SearchBar).open(self.query_text)

    @on(SearchBar.Changed)
    def _on_search_changed(self, message: SearchBar.Changed) -> None:
        self._set_query(message.query)

    @on(SearchBar.Submitted)
    def _on_search_submitted(self, message: SearchBar.Submitted) -> None:
        self._set_query(message.query)
        self.query_one(SearchBar).close()
        self.run_tree.focus()
        if self.query_text:
            self._step(self.matches, True, f"node matches {self.query_text!r}")

    def _set_query(self, value: str) -> None:
        self.query_text = value
        tree = self.run_tree
        tree.query_text = value
        tree.relabel()
        if self.graph is not None and self.tree_layout is not None:
            self.matches = search(self.graph, self.tree_layout, value)
        self.query_one(SearchBar).show_count(value, len(self.matches))

    def action_clear(self) -> None:
        bar = self.query_one(SearchBar)
        if bar.display or self.query_text:
            self._set_query("")
            bar.close()
            self.run_tree.focus()
        elif self.has_class("-zoomed"):
            self.remove_class("-zoomed")

    async def action_show_tab(self, tab: str) -> None:
        await self.deck.show(tab)

    def action_toggle_zoom(self) -> None:
        self.toggle_class("-zoomed")

    # -- copying ----------------------------------------------------------------------

    def _copy_id(self, what: str, value: str) -> None:
        """Copy an id as one line: an id with a line break or a control character, pasted into a
        shell, would run what follows it. Says so when the id had to change."""
        safe = one_line(value)
        self.app.copy_to_clipboard(safe)
        if safe == value:
            self.app.notify(f"Copied {what} {one_line(value, 60)}", timeout=2)
        else:
            self.app.notify(
                f"Copied {what} {one_line(value, 60)}, changed: it had line breaks or control characters",
                severity="warning",
                timeout=6,
            )

    def action_copy_node(self) -> None:
        state = self.selected_state()
        if state is None:
            self.app.notify("No node selected", severity="warning", timeout=2)
            return
        self._copy_id("node uuid", state.uuid)

    def action_copy_run(self) -> None:
        graph = self.graph
        uuid = graph.run.uuid if graph is not None else None
        if not uuid:
            self.app.notify("The run has no uuid", severity="warning", timeout=2)
            return
        self._copy_id("run uuid", uuid)

    def action_copy_pane(self) -> None:
        """The node's error (of the chosen execution) if it has one, else what the pane on screen
        shows (its output or input), else the node's output as JSON."""
        selection = self.selection()
        state = selection.state if selection is not None else None
        if selection is None or state is None:
            self.app.notify("No node selected", severity="warning", timeout=2)
            return
        chosen = selection.chosen
        error = chosen.error_message if chosen is not None and chosen.error_message else state.first_error
        shown = self.deck.copy()
        if error:
            what, text = "error", error
        elif shown is not None:
            what, text = shown.what, shown.text
        else:
            output = selection.graph.output_of(state.uuid)
            what = "output"
            text = "" if output is None else json.dumps(output, indent=2, ensure_ascii=False, default=str)
        text = clean(text)
        name = one_line(state.title, 60)
        if not text:
            self.app.notify(f"Nothing to copy: {name} has no {what}", severity="warning", timeout=2)
            return
        self.app.copy_to_clipboard(text)
        self.app.notify(f"Copied the {what} of {name} ({len(text)} characters)", timeout=2)
