"""View models for the run tree: what the TUI shows, derived from a `RunGraph`.

No Textual import. The display tree is made of the core's `TreeItem`s (the same items and
keys `--print` renders), with three views on top:

* flat (the default): `graph.root` as it is, plus an "Anomalies" group;
* nested: every node under its parent (parent → child), built here;
* failed-only: any of the two, cut down to failed nodes and their ancestors.

Every walk is iterative: a nested run of 5,000 nodes is 5,000 levels deep.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from ..graph import EdgeKind, ItemKind, NodeState, RunGraph, TreeItem
from ..models import ACTIVE_STATUSES
from ..sanitize import one_line


@dataclass
class NodeView:
    """What one line of the run tree stands for (kept on `TreeNode.data`)."""

    item: TreeItem
    state: NodeState | None
    """The node the line is about: the node itself, a reference's or an edge's target."""

    @property
    def key(self) -> str:
        return self.item.key

    @property
    def node_uuid(self) -> str | None:
        return self.state.uuid if self.state is not None else None


@dataclass
class DisplayTree:
    """The items shown, indexed by key."""

    root: TreeItem
    items: dict[str, TreeItem] = field(default_factory=dict)
    parent: dict[str, str] = field(default_factory=dict)
    node_keys: dict[str, str] = field(default_factory=dict)
    """Node uuid → key of the item that shows the node in full."""
    order: list[str] = field(default_factory=list)
    """Keys in display (pre-)order, root excluded."""

    def path_to(self, key: str) -> list[str]:
        """Keys from the top level down to `key` (the root excluded)."""
        path: list[str] = []
        current: str | None = key
        while current is not None and current != self.root.key:
            path.append(current)
            current = self.parent.get(current)
        path.reverse()
        return path

    def view(self, key: str, graph: RunGraph) -> NodeView:
        item = self.items[key]
        return NodeView(item, graph.states.get(item.node_uuid or ""))


def walk(root: TreeItem) -> Iterator[tuple[TreeItem, TreeItem | None]]:
    """(item, parent) in pre-order, without recursion."""
    stack: list[tuple[TreeItem, TreeItem | None]] = [(root, None)]
    while stack:
        item, parent = stack.pop()
        yield item, parent
        stack.extend((child, item) for child in reversed(item.children))


def index(root: TreeItem) -> DisplayTree:
    tree = DisplayTree(root)
    for item, parent in walk(root):
        tree.items[item.key] = item
        if parent is not None:
            tree.parent[item.key] = parent.key
            tree.order.append(item.key)
        if item.kind is ItemKind.NODE and item.node_uuid is not None:
            tree.node_keys.setdefault(item.node_uuid, item.key)
    return tree


def build_display(graph: RunGraph, *, nested: bool = False, failed_only: bool = False) -> DisplayTree:
    base = nested_root(graph) if nested else graph.root
    root = replace(base, children=[*base.children, *anomaly_items(graph)])
    if failed_only:
        root = failed_only_root(graph, root)
    return index(root)


def anomaly_items(graph: RunGraph) -> list[TreeItem]:
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


def failed_only_root(graph: RunGraph, root: TreeItem) -> TreeItem:
    """Failed nodes and their ancestors; the rest is left out."""

    def failed(item: TreeItem) -> bool:
        state = graph.states.get(item.node_uuid or "")
        return item.kind is ItemKind.NODE and state is not None and state.failed

    kept: dict[str, TreeItem] = {}
    # Post-order: children are decided before their parent.
    for item, _ in reversed(list(walk(root))):
        children = [kept[child.key] for child in item.children if child.key in kept]
        if children or failed(item) or item is root:
            kept[item.key] = replace(item, children=children)
    result = kept[root.key]
    if not result.children:
        result.children = [TreeItem("note:no-failed", ItemKind.NOTE, text="No failed nodes in this run")]
    return result


class _Keys:
    def __init__(self) -> None:
        self.used: set[str] = set()

    def __call__(self, base: str) -> str:
        key, n = base, 2
        while key in self.used:
            key = f"{base}~{n}"
            n += 1
        self.used.add(key)
        return key


def _entries(graph: RunGraph, uuids: list[str]) -> list[str]:
    for uuid in uuids:
        node = graph.states[uuid].node
        if node is not None and node.kind == "native" and node.action_slug == "start":
            return [uuid]
    members = set(uuids)
    pointed = {
        e.target for u in uuids for e in graph.states[u].edges if e.target in members and e.target != u
    }
    return [u for u in uuids if u not in pointed] or uuids[:1]


def nested_root(graph: RunGraph) -> TreeItem:
    """Every node under the node it comes from: fully nested parent → child.

    Each node is shown in full once (where a depth-first walk meets it first) and as a
    reference elsewhere. Labelled edges (routes, fallbacks) keep their own line.
    """
    key = _Keys()
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

    def push_scope(scope: str | None, into: list[TreeItem]) -> None:
        entries = [reserve(uuid, into, False) for uuid in _entries(graph, graph.scope_nodes(scope))]
        stack.extend(reversed(entries))

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
                pending.extend(
                    reserve(sub, section.children, dimmed) for sub in _entries(graph, graph.scope_nodes(uuid))
                )
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
                    missing = "is null" if edge.target is None else f"→ {edge.target} (no such node)"
                    holder.append(
                        TreeItem(
                            key(f"m:{edge.source}:{edge.index}"),
                            ItemKind.NOTE,
                            text=f"child {edge.index} {missing}",
                            dimmed=edge_dimmed,
                        )
                    )
                    continue
                pending.append(reserve(edge.target, holder, edge_dimmed))
            stack.extend(reversed(pending))

    push_scope(None, root.children)
    run_stack()
    leftovers = [u for u in states if u not in placed]
    if leftovers:
        section = TreeItem(key("s:unreachable"), ItemKind.SECTION, text="Unreachable nodes")
        root.children.append(section)
        for uuid in leftovers:
            if uuid not in placed:
                stack.append(reserve(uuid, section.children, False))
                run_stack()
    return root


def initial_node(graph: RunGraph) -> str | None:
    """Where the cursor starts: the first failed node, else the running one, else the start."""
    if graph.summary.first_failed is not None:
        return graph.summary.first_failed
    for uuid in graph.order:
        if graph.states[uuid].status in ACTIVE_STATUSES:
            return uuid
    return graph.order[0] if graph.order else None


def node_matches(state: NodeState, query: str) -> bool:
    """Does the search text occur in the node's slug, name or error text (any case)?"""
    needle = query.casefold()
    if not needle:
        return False
    node = state.node
    fields = [state.slug, node.name if node is not None else None, state.first_error]
    fields.extend(e.error_message for e in state.executions)
    return any(needle in value.casefold() for value in fields if value)


def search(graph: RunGraph, display: DisplayTree, query: str) -> list[str]:
    """Keys of the node items that match `query`, in display order."""
    if not query:
        return []
    found: list[str] = []
    for key in display.order:
        item = display.items[key]
        if item.kind is not ItemKind.NODE:
            continue
        state = graph.states.get(item.node_uuid or "")
        if state is not None and node_matches(state, query):
            found.append(key)
    return found
