"""The detail panes for the selected node: overview, executions, error, output, input, events.

Each pane gets a `Selection` (the graph, the node and the chosen execution) and draws it with
plain `Text`; API strings never reach a markup parser. A pane with nothing to show says why.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.console import Group
from rich.padding import Padding
from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.renderables.blank import Blank
from textual.widget import Widget
from textual.widgets import DataTable, OptionList, Static, TextArea, Tree
from textual.widgets.option_list import Option
from textual.widgets.tree import TreeNode

from ..findings import Finding, Kind
from ..graph import IN_CHILD_RUNS, NOT_REACHED, EdgeKind, NodeState, RunGraph
from ..models import Execution
from ..present import edge_text, fmt_attempts, fmt_credits, fmt_duration, status_look
from ..sanitize import clean, one_line
from .feed import TransitionLike
from .labels import clip, execution_cells, finding_parts, json_label, local_time

JSON_CHILD_LIMIT = 500


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


def _field(text: Text, name: str, value: str | Text, style: str = "") -> None:
    text.append(f"{name:<12}", style="dim")
    if isinstance(value, Text):
        text.append_text(value)
    else:
        text.append(value, style=style)
    text.append("\n")


def why_empty(state: NodeState | None) -> str | None:
    """A plain reason a node has nothing to show, or None if it ran."""
    if state is None:
        return "Nothing selected"
    if state.status == NOT_REACHED:
        return "Not reached: this node did not run in this run"
    if state.status == IN_CHILD_RUNS:
        return "This node runs inside the group's child runs: select the group node and press o"
    return None


class ReadOnlyText(TextArea):
    """Long plain text (an error): wrapped, selectable (ctrl+c copies a selection), literal.

    A `Static` re-wraps all of its text at every layout, seconds for a 1 MB error; a text area
    wraps once per width and draws only the rows on screen. It never parses markup, and what it
    is given goes through `clean` first. Height follows the text, up to the pane's height.
    """

    DEFAULT_CSS = """
    ReadOnlyText {
        height: auto; max-height: 100%;
        border: none; padding: 0 1; background: transparent;
        scrollbar-size-vertical: 1;
        &:focus { border: none; background-tint: $foreground 4%; }
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(
            id=id,
            classes=classes,
            read_only=True,
            soft_wrap=True,
            highlight_cursor_line=False,
            language=None,
        )
        self.match_cursor_bracket = False  # a bracket in the text is not code
        self.source: str | None = None
        """The text last given, as it came: the same text again is not reloaded."""

    def show(self, text: str) -> None:
        if text == self.source:
            return
        self.source = text
        self.load_text(for_display(clean(text)))


def for_display(text: str) -> str:
    """`text` without trailing blank lines, and with each line of more than `LONG_LINE`
    characters broken: a text area renders the whole line for each row of it it draws."""
    text = text.rstrip("\n")
    if _TOO_LONG.search(text) is None:
        return text
    return _TOO_LONG_RUN.sub("\\g<0>\n", text)


LONG_LINE = 10_000
_TOO_LONG = re.compile(f"[^\\n]{{{LONG_LINE + 1}}}")
_TOO_LONG_RUN = re.compile(f"[^\\n]{{{LONG_LINE}}}(?=[^\\n])")

OVERVIEW_EDGES = 100
"""The Overview lists this many children; the tree has them all."""
OVERVIEW_PARENTS = 20
DESCRIPTION_LINES = 40
DESCRIPTION_CHARS = 4_000


class LazyPane(Widget):
    """A detail pane whose contents are made the first time it is shown (`open`).

    The app has seven panes and shows one: making all of their widgets at start (text areas,
    tables, JSON trees) was most of the time to the first screen. Until `open`, a pane is an
    empty container, its `show` methods do nothing, and the app keeps track of what it has
    to show once opened (see `InspectorApp._refresh_tab`).
    """

    opened = False

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


class OverviewPane(LazyPane, VerticalScroll):
    """What the node is: status, ids, executions, retry, fallback, children, and its config as a
    JSON tree (opened a level at a time: a config can be hundreds of levels deep)."""

    DEFAULT_CSS = """
    OverviewPane { height: 1fr; }
    OverviewPane > Static { width: 1fr; padding: 0 1; }
    OverviewPane > JsonTree { height: auto; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._config: tuple[str, Any] | None = None

    def contents(self) -> ComposeResult:
        yield Static(Text(""), markup=False, expand=True, id="overview-text")
        yield JsonTree(id="config-tree")

    def show(self, selection: Selection) -> None:
        if not self.opened:
            return
        body = self.query_one("#overview-text", Static)
        tree = self.query_one("#config-tree", JsonTree)
        state = selection.state
        config = state.node.config if state is not None and state.node is not None else None
        if state is None:
            body.update(Text("Nothing selected", style="dim"))
        else:
            body.update(overview_text(selection.graph, state, has_config=bool(config)))
        tree.display = bool(config)
        if not config:
            self._config = None
        elif self._config != (state.uuid if state else "", config):
            self._config = (state.uuid if state else "", config)
            tree.set_value(json_label("config", config), config)


def _more(text: Text, count: int, what: str) -> None:
    text.append(f"  … {count:,} more ({what})\n", style="dim")


def overview_text(graph: RunGraph, state: NodeState, *, has_config: bool) -> Text:
    """The Overview's fields. Lists and free text are cut: a `Static` re-wraps all it holds."""
    node = state.node
    look = status_look(state.status)
    text = Text()
    text.append(one_line(state.title, 120), style="bold")
    text.append("\n\n")
    _field(text, "status", Text(f"{look.glyph} {look.word}", style=look.style))
    if state.first_error and state.failed:
        _field(text, "error", Text(one_line(state.first_error, 300), style="red"))
    _field(text, "uuid", one_line(state.uuid, 200))
    _field(text, "slug", one_line(state.slug or "—", 200))
    _field(text, "name", one_line(node.name or "—", 200) if node is not None else "—")
    _field(text, "kind/action", one_line(state.kind_action, 200))
    if node is not None and node.description:
        description, more = clip(clean(node.description), lines=DESCRIPTION_LINES, chars=DESCRIPTION_CHARS)
        _field(text, "description", description if more is None else f"{description}\n{more}")
    runs = [x for x in (fmt_attempts(state) or f"×{state.attempts}", fmt_credits(state.credits)) if x]
    if state.duration is not None:
        runs.append(fmt_duration(state.duration))
    _field(text, "executions", "  ".join(runs))
    if state.child_runs:
        shown_runs = ", ".join(one_line(r, 60) for r in state.child_runs[:OVERVIEW_PARENTS])
        if len(state.child_runs) > OVERVIEW_PARENTS:
            shown_runs += f" … {len(state.child_runs) - OVERVIEW_PARENTS:,} more"
        _field(text, "child runs", shown_runs, "cyan")
    if node is not None and node.retry is not None:
        retry = node.retry
        interval = f"{retry.initial_interval:g} ms" if retry.initial_interval is not None else "?"
        _field(
            text,
            "retry",
            f"up to {retry.maximum_attempts or '?'} attempts, first wait {interval}, "
            f"backoff ×{retry.backoff_coefficient or 1:g}",
        )
    else:
        _field(text, "retry", "no retry policy", "dim")
    fallback = state.fallback_edge
    if fallback is not None:
        target = graph.states.get(fallback.target or "")
        name = one_line(target.title, 60) if target else one_line(fallback.target or "?", 60)
        goes_on = "the run goes on" if fallback.continues else "the run stops"
        taken = {True: ", it ran", False: ", it did not run", None: ""}[fallback.taken]
        _field(text, "fallback", f"{name} ({goes_on}{taken})", "dark_orange")
    else:
        _field(text, "fallback", "none", "dim")
    ordinary = [e for e in state.edges if e.kind is not EdgeKind.FALLBACK]
    if ordinary:
        text.append("children\n", style="dim")
        for edge in ordinary[:OVERVIEW_EDGES]:
            target = graph.states.get(edge.target or "")
            name = one_line(target.title, 60) if target else one_line(edge.target or "(null)", 60)
            mark = {True: "  ← taken", False: "  (not taken)", None: ""}[edge.taken]
            word = "next" if edge.kind is EdgeKind.NEXT else one_line(edge_text(edge), 40)
            text.append(f"  [{word}] ", style="magenta")
            text.append(name)
            text.append(mark + "\n", style="dim")
        if len(ordinary) > OVERVIEW_EDGES:
            _more(text, len(ordinary) - OVERVIEW_EDGES, "the tree lists them all")
    else:
        _field(text, "children", "none", "dim")
    if state.parents:
        parents = ", ".join(one_line(graph.states[p].title, 40) for p in state.parents[:OVERVIEW_PARENTS])
        if len(state.parents) > OVERVIEW_PARENTS:
            parents += f" … {len(state.parents) - OVERVIEW_PARENTS:,} more"
        _field(text, "parents", parents)
    if not has_config:
        text.append("\nconfig      ", style="dim")
        text.append("no config", style="dim")
    return text


class ErrorPane(LazyPane, VerticalScroll):
    """The chosen execution's error (else the node's first), in full, then the run's error.

    Both errors are in read-only text areas (`ReadOnlyText`): an error can be megabytes.
    """

    DEFAULT_CSS = """
    ErrorPane { height: 1fr; }
    ErrorPane > Static { width: 1fr; padding: 0 1; }
    ErrorPane > ReadOnlyText { color: ansi_red; }
    ErrorPane > #run-error-head { margin-top: 1; }
    """

    def contents(self) -> ComposeResult:
        yield Static(Text(""), markup=False, expand=True, id="error-head")
        yield ReadOnlyText(id="error-text")
        yield Static(Text(""), markup=False, expand=True, id="run-error-head")
        yield ReadOnlyText(id="run-error-text")

    def show(self, selection: Selection) -> None:
        if not self.opened:
            return
        state, graph = selection.state, selection.graph
        head = Text()
        message: str | None = None
        where = ""
        chosen = selection.chosen
        if chosen is not None and chosen.error_message:
            message = chosen.error_message
            where = f"execution {(selection.execution or 0) + 1} of {len(state.executions) if state else 0}"
        elif state is not None and state.first_error:
            message = state.first_error
            where = "first error"
        if state is not None:
            head.append(one_line(state.title, 120), style="bold")
            head.append("\n")
        if message is not None:
            head.append(where, style="dim")
        else:
            head.append(why_empty(state) or "No error recorded for this node", style="dim")
        self.query_one("#error-head", Static).update(head)
        self._show_text("#error-text", message)
        run_error = graph.run.error_message
        run_head = Text("run error", style="dim")
        if not run_error:
            run_head.append("\nnone", style="dim")
        self.query_one("#run-error-head", Static).update(run_head)
        self._show_text("#run-error-text", run_error or None)

    def _show_text(self, selector: str, text: str | None) -> None:
        area = self.query_one(selector, ReadOnlyText)
        area.display = text is not None
        area.show(text or "")


class ExecutionTable(DataTable[Text]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    COLUMNS = ("#", "status", "started", "took", "credits", "title", "child", "next node", "child run")

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


class ExecutionsPane(LazyPane, VerticalScroll):
    DEFAULT_CSS = """
    ExecutionsPane { height: 1fr; }
    ExecutionsPane > Static { padding: 0 1; height: auto; }
    ExecutionsPane > ExecutionTable { height: auto; max-height: 100%; }
    """

    def contents(self) -> ComposeResult:
        yield Static(Text(""), markup=False, id="executions-note")
        yield ExecutionTable(id="executions-table")

    def show(self, selection: Selection) -> None:
        if not self.opened:
            return
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


class JsonTree(Tree[Any]):
    """A navigable JSON value; children are added when a branch is opened."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Text("value"), id=id)
        self.guide_depth = 2
        self.value: Any = None
        self._filled: set[int] = set()

    def set_value(self, label: Text, value: Any) -> None:
        self.value = value
        self.clear()
        self._filled.clear()
        self.root.set_label(label)
        self.root.data = value
        self._fill(self.root)
        self.root.expand()
        for child in list(self.root.children)[:20]:
            if isinstance(child.data, (dict, list)) and len(child.data) <= 20:
                self._fill(child)
                child.expand()

    def _fill(self, node: TreeNode[Any]) -> None:
        if id(node) in self._filled:
            return
        self._filled.add(id(node))
        value = node.data
        pairs: list[tuple[str, Any]]
        if isinstance(value, dict):
            pairs = [(str(k), v) for k, v in value.items()]
        elif isinstance(value, list):
            pairs = [(str(i), v) for i, v in enumerate(value)]
        else:
            return
        for key, child in pairs[:JSON_CHILD_LIMIT]:
            expandable = isinstance(child, (dict, list)) and len(child) > 0
            node.add(json_label(key, child), child, allow_expand=expandable)
        if len(pairs) > JSON_CHILD_LIMIT:
            node.add_leaf(Text(f"… {len(pairs) - JSON_CHILD_LIMIT} more (y copies all)", style="dim"))

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[Any]) -> None:
        self._fill(event.node)


class JsonPane(LazyPane, VerticalScroll):
    """Output (`runContext[slug]`) or input (`runComputedConfigs[slug]`) of the node."""

    DEFAULT_CSS = """
    JsonPane { height: 1fr; }
    JsonPane > Static { padding: 0 1; height: auto; }
    JsonPane > JsonTree { height: auto; }
    """

    def __init__(self, which: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.which = which
        self.plain = ""
        self._shown: tuple[str, Any] | None = None

    def contents(self) -> ComposeResult:
        yield Static(Text(""), markup=False, classes="json-note")
        yield JsonTree()

    def show(self, selection: Selection) -> None:
        if not self.opened:
            return
        note = self.query_one(".json-note", Static)
        tree = self.query_one(JsonTree)
        state = selection.state
        uuid = state.uuid if state is not None else ""
        if self.which == "output":
            value = selection.graph.output_of(uuid)
            source, missing = "runContext", "No output recorded"
        else:
            value = selection.graph.input_of(uuid)
            source, missing = "runComputedConfigs", "No input recorded"
        if value is None:
            reason = why_empty(state) or f"{missing} for this node (no {source} entry for its slug)"
            note.update(Text(reason, style="dim"))
            tree.display = False
            self.plain = ""
            self._shown = None
            return
        slug = one_line(state.slug or "?", 60) if state is not None else "?"
        note.update(Text.assemble((f"{source}[", "dim"), (slug, "bold"), ("]", "dim")))
        tree.display = True
        self.plain = json.dumps(value, indent=2, ensure_ascii=False, default=str)
        if self._shown != (uuid, value):
            self._shown = (uuid, value)
            tree.set_value(json_label(None, value), value)


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
        self._pending: list[TransitionLike] = []

    def on_mount(self) -> None:
        for column in ("time", "node", "change"):
            self.add_column(Text(column), key=column)

    def add_events(self, transitions: Sequence[TransitionLike]) -> None:
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

    def reset(self, transitions: Sequence[TransitionLike]) -> None:
        self.clear()
        self.node_uuids = []
        self._pending = []
        self.add_events(transitions)


class EventsPane(LazyPane, VerticalScroll):
    DEFAULT_CSS = """
    EventsPane { height: 1fr; }
    EventsPane > Static { padding: 0 1; height: auto; }
    EventsPane > EventsTable { height: auto; }
    """

    def contents(self) -> ComposeResult:
        yield Static(Text(""), markup=False, id="events-note")
        yield EventsTable(id="events-table")

    def show_count(self, count: int, live: bool) -> None:
        if not self.opened:
            return
        note = self.query_one("#events-note", Static)
        if count:
            note.update(Text(f"{count} status change(s) seen while watching; enter jumps to the node", "dim"))
        elif live:
            note.update(Text("No status changes yet: they are listed here as the run moves", "dim"))
        else:
            note.update(
                Text("No events: this run is not polled (events appear while a live run is watched)", "dim")
            )


class FindingsList(OptionList):
    """The findings, most severe first; enter (or a click) goes to the finding's node."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "first", "First", show=False),
        Binding("G", "last", "Last", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self.findings: list[Finding] = []


def finding_key(finding: Finding) -> tuple[str, str | None, str]:
    """What identifies a finding across refreshes of a live run."""
    return (finding.kind, finding.node_uuid, finding.message)


class FindingsPane(LazyPane, Vertical):
    """Every finding about the run (what `--print` lists under Findings), not only this node's."""

    DEFAULT_CSS = """
    FindingsPane { height: 1fr; }
    FindingsPane > Static { padding: 0 1; height: auto; }
    FindingsPane > FindingsList { height: 1fr; border: none; padding: 0; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.shown: list[Finding] | None = None

    def contents(self) -> ComposeResult:
        yield Static(Text(""), markup=False, id="findings-note")
        yield FindingsList(id="findings-list")

    def show(self, graph: RunGraph, findings: list[Finding], highlight: Finding | None = None) -> None:
        """List `findings` (anomalies excepted: the tree has them).

        The highlighted finding stays highlighted when it is still there (a live run's
        refresh); otherwise `highlight`, else the first one, is.
        """
        if not self.opened:
            return
        if findings is self.shown or findings == self.shown:
            return  # a live run's refresh usually finds what the last one found
        self.shown = findings
        listed = listed_findings(findings)
        box = self.query_one(FindingsList)
        before = box.highlighted
        kept = (
            finding_key(box.findings[before]) if before is not None and before < len(box.findings) else None
        )
        box.clear_options()
        box.findings = listed
        options: list[Option | None] = []
        for number, finding in enumerate(listed):
            if number:
                options.append(None)
            head, body = finding_parts(graph, finding)
            options.append(Option(Group(head, Padding(body, (0, 0, 0, 2))), id=str(number)))
        box.add_options(options)
        keys = [finding_key(f) for f in listed]
        if listed:
            if kept in keys:
                box.highlighted = keys.index(kept)
            elif highlight is not None and finding_key(highlight) in keys:
                box.highlighted = keys.index(finding_key(highlight))
            else:
                box.highlighted = 0
        note = self.query_one("#findings-note", Static)
        if listed:
            counts = [
                f"{n} {severity}{'s' if n > 1 else ''}"
                for severity in ("error", "warning", "info")
                if (n := sum(f.severity == severity for f in listed))
            ]
            note.update(Text(f"{', '.join(counts)}, most severe first · enter goes to the node", "dim"))
        else:
            note.update(Text("No findings: nothing looks wrong in this run", "dim"))
        box.display = bool(listed)

    def selected(self, option_index: int) -> Finding | None:
        box = self.query_one(FindingsList)
        option = box.get_option_at_index(option_index)
        if option.id is None:
            return None
        number = int(option.id)
        return box.findings[number] if number < len(box.findings) else None


def listed_findings(findings: list[Finding]) -> list[Finding]:
    """The findings the pane lists: graph anomalies have their own group in the tree."""
    return [f for f in findings if f.kind != Kind.ANOMALY]
