"""How a run's graph is drawn as a tree: the flat, nested and failed-only layouts.

Pure Python (no Textual). `--print`, `--json` and the TUI all show a `Layout`: a tree of
`TreeItem`s with stable keys, indexed by key. Three layouts, one key allocator:

* **flat** (`flat_layout`, the default; the way steps stand in `argo get`): a sequence stays
  flat, so a node's single ordinary successor sits at the node's own depth. Nesting happens
  only where the graph branches: routing nodes' labelled children, fallback edges and group
  sub-graphs. Where the branches of a routing node join again (its immediate post-dominator,
  `RunGraph.ipdom`), the walk continues at the routing node's depth, and each branch ends with
  a reference to the join.
* **nested** (`nested_layout`): every node under the node it comes from, parent → child.
* **failed-only** (`failed_only`): either of them cut down to failed nodes and their ancestors.

A node reached from several parents is shown in full once and as a reference elsewhere, so a
walk ends even on cycles. Every walk is iterative, and no tree is deeper than `DEPTH_LIMIT`:
what lies deeper is shown, flat, under one "… N more levels" item (a chain of 600 branches
nests 1,200 levels, and Textual's tree, like any recursive reader, has a limit).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import partial

from .graph import Edge, EdgeKind, NodeState, RunGraph
from .sanitize import one_line

DEPTH_LIMIT = 48
"""The deepest a layout goes; deeper items are listed flat under a "more levels" item."""


class ItemKind(StrEnum):
    NODE = "node"
    """A node shown in full."""
    REF = "ref"
    """A node shown in full elsewhere."""
    EDGE = "edge"
    """A labelled edge (yes/no, route, A/B, if true, on failure) holding the branch below."""
    SECTION = "section"
    """A heading: a group's sub-graph, unreachable nodes, anomalies..."""
    NOTE = "note"
    """A line of text: an anomaly, a null child, a child that points to no node."""


@dataclass
class TreeItem:
    key: str
    """Stable across refreshes of the same run, unique within the tree."""
    kind: ItemKind
    node_uuid: str | None = None
    edge: Edge | None = None
    text: str = ""
    children: list[TreeItem] = field(default_factory=list)
    dimmed: bool = False
    """On a branch the run did not take."""


def walk(root: TreeItem) -> Iterator[tuple[TreeItem, TreeItem | None, int]]:
    """(item, parent, depth) in pre-order, without recursion; the root has depth 0."""
    stack: list[tuple[TreeItem, TreeItem | None, int]] = [(root, None, 0)]
    while stack:
        item, parent, depth = stack.pop()
        yield item, parent, depth
        stack.extend((child, item, depth + 1) for child in reversed(item.children))


@dataclass
class Layout:
    """The items of one tree, indexed by key."""

    root: TreeItem
    items: dict[str, TreeItem] = field(default_factory=dict)
    parent: dict[str, str] = field(default_factory=dict)
    node_keys: dict[str, str] = field(default_factory=dict)
    """Node uuid → key of the item that shows the node in full."""
    order: list[str] = field(default_factory=list)
    """Keys in display (pre-)order, root excluded."""
    node_order: list[str] = field(default_factory=list)
    """Node uuids in the order they are shown in full."""

    def path_to(self, key: str) -> list[str]:
        """Keys from the top level down to `key` (the root excluded)."""
        path: list[str] = []
        current: str | None = key
        while current is not None and current != self.root.key:
            path.append(current)
            current = self.parent.get(current)
        path.reverse()
        return path


def index(root: TreeItem) -> Layout:
    layout = Layout(root)
    for item, parent, _ in walk(root):
        layout.items[item.key] = item
        if parent is not None:
            layout.parent[item.key] = parent.key
            layout.order.append(item.key)
        if (
            item.kind is ItemKind.NODE
            and item.node_uuid is not None
            and item.node_uuid not in layout.node_keys
        ):
            layout.node_keys[item.node_uuid] = item.key
            layout.node_order.append(item.node_uuid)
    return layout


class Keys:
    """Hands out unique keys: `base`, then `base~2`, `base~3`… A base used 10,000 times stays
    linear: the last suffix handed out per base is remembered."""

    def __init__(self) -> None:
        self.used: set[str] = set()
        self.last_suffix: dict[str, int] = {}

    def __call__(self, base: str) -> str:
        key = base
        n = self.last_suffix.get(base, 1)
        while key in self.used:
            n += 1
            key = f"{base}~{n}"
        self.last_suffix[base] = n
        self.used.add(key)
        return key


# -- the flat layout ----------------------------------------------------------------------------


def flat_layout(graph: RunGraph) -> Layout:
    """The flat layout of `graph` (made once per graph)."""
    return _cached(graph, "flat", lambda: _FlatBuilder(graph).layout())


def _cached(graph: RunGraph, name: str, make: Callable[[], Layout]) -> Layout:
    layout = graph.layouts.get(name)
    if not isinstance(layout, Layout):
        layout = graph.layouts[name] = make()
    return layout


def node_order(graph: RunGraph) -> list[str]:
    """Node uuids in the order the flat layout shows them in full."""
    return flat_layout(graph).node_order


def failed_nodes(graph: RunGraph) -> list[str]:
    """Failed nodes, in the order they are shown (then any not shown)."""
    shown = [uuid for uuid in node_order(graph) if graph.states[uuid].failed]
    placed = set(shown)
    return shown + [uuid for uuid, s in graph.states.items() if s.failed and uuid not in placed]


def group_text(state: NodeState) -> str:
    """The heading of a group's sub-graph."""
    items = (state.node.config or {}).get("items") if state.node else None
    count = f"{len(items)} items" if isinstance(items, list) else "each item"
    runs = f", {len(state.child_runs)} child runs" if state.child_runs else ""
    return f"for {count}: sub-graph of {state.sub_nodes} nodes{runs}"


def missing_child(key: str, edge: Edge, dimmed: bool) -> TreeItem:
    """The note for a child that is null or names no node."""
    text = (
        f"child {edge.index} is null"
        if edge.target is None
        else f"{edge.label or 'child'} → {edge.target} (no such node)"
    )
    return TreeItem(key, ItemKind.NOTE, text=text, dimmed=dimmed)


Task = Callable[[], None]


class _FlatBuilder:
    """The flat walk as a stack of tasks: the depth of the graph is never the depth of a call.

    Items are made (and keys handed out) in the same order as a recursive walk would: a node,
    its group's sub-graph, each branch in turn, then the walk goes on where the branches join.
    """

    def __init__(self, graph: RunGraph) -> None:
        self.graph = graph
        self.states = graph.states
        self.placed: set[str] = set()
        self.key = Keys()
        self.tasks: list[Task] = []

    def layout(self) -> Layout:
        return index(bound_depth(self.build(), self.key))

    def build(self) -> TreeItem:
        graph = self.graph
        root = TreeItem(
            self.key("root"), ItemKind.SECTION, text=graph.run.record_title or graph.run.uuid or "run"
        )
        self.run([partial(self.scope, None, root.children)])
        # A child that points to a node missing from the graph, but with executions, is shown
        # where the run reached it; only the ones never reached that way are listed here.
        unknown = [uuid for uuid in graph.unknown_node_states if uuid not in self.placed]
        if unknown:
            section = TreeItem(self.key("s:unknown"), ItemKind.SECTION, text="Executions of unknown nodes")
            for uuid in unknown:
                self.placed.add(uuid)
                section.children.append(TreeItem(self.key(f"n:{uuid}"), ItemKind.NODE, node_uuid=uuid))
            root.children.append(section)
        return root

    def run(self, tasks: list[Task]) -> None:
        """Run `tasks` in order, and every task they add before going on to the next."""
        self.tasks.extend(reversed(tasks))
        while self.tasks:
            self.tasks.pop()()

    def then(self, tasks: list[Task]) -> None:
        """Run `tasks` (in order) next, before whatever was due."""
        self.tasks.extend(reversed(tasks))

    def scope(self, scope: str | None, into: list[TreeItem]) -> None:
        uuids = self.graph.scope_nodes(scope)
        if not uuids:
            return
        tasks: list[Task] = [partial(self.entry, entry, into) for entry in self.graph.entries(scope)]
        tasks.append(partial(self.unreachable, scope, uuids, into))
        self.then(tasks)

    def entry(self, uuid: str, into: list[TreeItem]) -> None:
        """Walk from `uuid` unless an earlier walk placed it."""
        if uuid not in self.placed:
            self.sequence(uuid, frozenset(), False, into)

    def unreachable(self, scope: str | None, uuids: list[str], into: list[TreeItem]) -> None:
        left = [u for u in uuids if u not in self.placed]
        if not left:
            return
        section = TreeItem(self.key(f"s:unreachable:{scope}"), ItemKind.SECTION, text="Unreachable nodes")
        into.append(section)
        self.then([partial(self.entry, uuid, section.children) for uuid in left])

    def sequence(self, uuid: str | None, stops: frozenset[str], dimmed: bool, into: list[TreeItem]) -> None:
        """A flat run of nodes from `uuid` into `into`, nesting only where the graph branches."""
        current = uuid
        while current is not None:
            if current in stops or current in self.placed:
                where = "above" if current in self.placed else "below"
                into.append(
                    TreeItem(
                        self.key(f"r:{current}"), ItemKind.REF, node_uuid=current, text=where, dimmed=dimmed
                    )
                )
                return
            state = self.states[current]
            self.placed.add(current)
            item = TreeItem(self.key(f"n:{current}"), ItemKind.NODE, node_uuid=current, dimmed=dimmed)
            into.append(item)
            tasks: list[Task] = []
            if state.node is not None and state.sub_nodes:
                section = TreeItem(
                    self.key(f"g:{current}"), ItemKind.SECTION, text=group_text(state), dimmed=dimmed
                )
                item.children.append(section)
                tasks.append(partial(self.scope, current, section.children))
            ordinary = [e for e in state.edges if e.kind is not EdgeKind.FALLBACK]
            fallback = state.fallback_edge
            join = self.graph.ipdom.get(current)
            if not tasks and len(ordinary) == 1 and ordinary[0].kind is EdgeKind.NEXT and fallback is None:
                edge = ordinary[0]
                if edge.target is None or edge.target not in self.states:
                    item.children.append(
                        missing_child(self.key(f"m:{edge.source}:{edge.index}"), edge, dimmed)
                    )
                    return
                if edge.taken is False:
                    dimmed = True
                current = edge.target
                continue
            if len(ordinary) == 1 and ordinary[0].kind is EdgeKind.NEXT and fallback is None:
                # A group with one way on: its sub-graph first, then the walk goes on.
                tasks.append(partial(self.go_on, ordinary[0], stops, dimmed, into, item))
                self.then(tasks)
                return
            branch_stops = stops | {join} if join is not None else stops
            for edge in [*ordinary, *([fallback] if fallback is not None else [])]:
                if edge.kind is EdgeKind.NEXT and edge.target == join:
                    continue  # the unlabelled way on: shown by continuing at this depth
                tasks.append(partial(self.branch, edge, branch_stops, dimmed, item.children))
            tasks.append(partial(self.join, join, stops, dimmed, into))
            self.then(tasks)
            return

    def go_on(
        self, edge: Edge, stops: frozenset[str], dimmed: bool, into: list[TreeItem], item: TreeItem
    ) -> None:
        """The single plain way on from `item`, a node whose sub-graph came first."""
        if edge.target is None or edge.target not in self.states:
            item.children.append(missing_child(self.key(f"m:{edge.source}:{edge.index}"), edge, dimmed))
            return
        self.sequence(edge.target, stops, dimmed or edge.taken is False, into)

    def join(self, join: str | None, stops: frozenset[str], dimmed: bool, into: list[TreeItem]) -> None:
        if join is not None and join not in self.placed:
            self.sequence(join, stops, dimmed, into)

    def branch(self, edge: Edge, stops: frozenset[str], dimmed: bool, into: list[TreeItem]) -> None:
        branch_dimmed = dimmed or edge.taken is False
        item = TreeItem(
            self.key(f"e:{edge.source}:{edge.kind.value}:{edge.index}"),
            ItemKind.EDGE,
            node_uuid=edge.target,
            edge=edge,
            text=edge.label or "",
            dimmed=branch_dimmed,
        )
        into.append(item)
        if edge.target is None or edge.target not in self.states:
            item.children.append(
                missing_child(self.key(f"m:{edge.source}:{edge.index}"), edge, branch_dimmed)
            )
        else:
            self.sequence(edge.target, stops, branch_dimmed, item.children)


# -- depth ------------------------------------------------------------------------------------


def bound_depth(root: TreeItem, key: Keys, limit: int = DEPTH_LIMIT) -> TreeItem:
    """`root` with nothing deeper than `limit`: the children of each item at the limit are
    replaced by one "… N more levels" item listing everything below it flat, in reading order."""
    for item, _, depth in list(walk(root)):
        if depth != limit or not item.children:
            continue
        below = [(sub, d) for sub, _, d in walk(item) if sub is not item]
        levels = max(d for _, d in below)
        flat = [replace(sub, children=[]) for sub, _ in below]
        for sub in flat:
            key.used.add(sub.key)
        item.children = [
            TreeItem(
                key(f"deep:{item.key}"),
                ItemKind.SECTION,
                text=f"… {levels:,} more level{'s' if levels != 1 else ''}, shown flat",
                children=flat,
                dimmed=item.dimmed,
            )
        ]
    return root


# -- the nested layout ----------------------------------------------------------------------


def nested_layout(graph: RunGraph) -> Layout:
    """Every node under the node it comes from: fully nested parent → child (made once per graph).

    Each node is shown in full once (where a depth-first walk meets it first) and as a
    reference elsewhere. Labelled edges (routes, fallbacks) keep their own line.
    """
    return _cached(graph, "nested", lambda: _nested(graph))


def _nested(graph: RunGraph) -> Layout:
    key = Keys()
    states = graph.states
    placed: set[str] = set()
    root = TreeItem(key("root"), ItemKind.SECTION, text=graph.run.record_title or graph.run.uuid or "run")
    # Each entry: (node uuid, list holding its slot, slot index, dimmed). The slot is reserved
    # when the entry is pushed, so children keep the order of their edges.
    Entry = tuple[str, list[TreeItem], int, bool]
    stack: list[Entry] = []
    slot = TreeItem("", ItemKind.NOTE)

    def reserve(uuid: str, into: list[TreeItem], dimmed: bool) -> Entry:
        into.append(slot)
        return (uuid, into, len(into) - 1, dimmed)

    def run_stack() -> None:
        while stack:
            uuid, into, position, dimmed = stack.pop()
            if uuid in placed:
                into[position] = TreeItem(
                    key(f"r:{uuid}"), ItemKind.REF, node_uuid=uuid, text="above", dimmed=dimmed
                )
                continue
            placed.add(uuid)
            state = states[uuid]
            item = TreeItem(key(f"n:{uuid}"), ItemKind.NODE, node_uuid=uuid, dimmed=dimmed)
            into[position] = item
            pending: list[Entry] = []
            if state.node is not None and state.sub_nodes:
                section = TreeItem(key(f"g:{uuid}"), ItemKind.SECTION, text="sub-graph", dimmed=dimmed)
                item.children.append(section)
                pending.extend(reserve(sub, section.children, dimmed) for sub in graph.entries(uuid))
            ordinary = [e for e in state.edges if e.kind is not EdgeKind.FALLBACK]
            plain = len(ordinary) == 1 and ordinary[0].kind is EdgeKind.NEXT
            for edge in state.edges:
                edge_dimmed = dimmed or edge.taken is False
                holder = item.children
                if not (plain and edge is ordinary[0]):
                    edge_item = TreeItem(
                        key(f"e:{edge.source}:{edge.kind.value}:{edge.index}"),
                        ItemKind.EDGE,
                        node_uuid=edge.target,
                        edge=edge,
                        text=edge.label or "",
                        dimmed=edge_dimmed,
                    )
                    item.children.append(edge_item)
                    holder = edge_item.children
                if edge.target is None or edge.target not in states:
                    holder.append(missing_child(key(f"m:{edge.source}:{edge.index}"), edge, edge_dimmed))
                    continue
                pending.append(reserve(edge.target, holder, edge_dimmed))
            stack.extend(reversed(pending))

    stack.extend(reversed([reserve(uuid, root.children, False) for uuid in graph.entries(None)]))
    run_stack()
    leftovers = [u for u in states if u not in placed]
    if leftovers:
        section = TreeItem(key("s:unreachable"), ItemKind.SECTION, text="Unreachable nodes")
        root.children.append(section)
        for uuid in leftovers:
            if uuid not in placed:
                stack.append(reserve(uuid, section.children, False))
                run_stack()
    return index(bound_depth(root, key))


# -- views on a layout ----------------------------------------------------------------------


def anomaly_items(graph: RunGraph) -> list[TreeItem]:
    """The "Anomalies" group the TUI adds below the tree."""
    if not graph.anomalies:
        return []
    section = TreeItem("s:anomalies", ItemKind.SECTION, text=f"Anomalies ({len(graph.anomalies)})")
    for number, anomaly in enumerate(graph.anomalies):
        uuid = anomaly.node_uuid if anomaly.node_uuid in graph.states else None
        where = f"{graph.states[uuid].title}: " if uuid is not None else ""
        section.children.append(
            TreeItem(
                f"a:{number}", ItemKind.NOTE, node_uuid=uuid, text=one_line(where + anomaly.message, 300)
            )
        )
    return [section]


def failed_only(graph: RunGraph, root: TreeItem) -> TreeItem:
    """Failed nodes and their ancestors; the rest is left out."""

    def failed(item: TreeItem) -> bool:
        state = graph.states.get(item.node_uuid or "")
        return item.kind is ItemKind.NODE and state is not None and state.failed

    kept: dict[str, TreeItem] = {}
    # Post-order: children are decided before their parent.
    for item, _, _ in reversed(list(walk(root))):
        children = [kept[child.key] for child in item.children if child.key in kept]
        if children or failed(item) or item is root:
            kept[item.key] = replace(item, children=children)
    result = kept[root.key]
    if not result.children:
        result.children = [TreeItem("note:no-failed", ItemKind.NOTE, text="No failed nodes in this run")]
    return result


def display_layout(graph: RunGraph, *, nested: bool = False, failed: bool = False) -> Layout:
    """What the TUI's tree shows: a layout with the anomalies below it, maybe failed nodes only."""
    base = nested_layout(graph) if nested else flat_layout(graph)
    root = replace(base.root, children=[*base.root.children, *anomaly_items(graph)])
    if failed:
        root = failed_only(graph, root)
    return index(root)
