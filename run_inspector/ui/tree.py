"""The run tree: a Textual `Tree` kept in step with a `Layout` by key.

Children are added when a node is first expanded (as `DirectoryTree` does), and a new
snapshot updates the tree in place: changed labels are set, new items are added and gone
items removed, so expansion, cursor and scroll survive a refresh. Nothing here walks more
than the lines that exist, and nothing calls `expand_all` or `clear` on a refresh.

The tree tells the app where its cursor is (`NodeChosen`), jumps from a reference to the
node's full entry itself, and marks the lines of nodes that just changed for a few seconds.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text, TextType
from textual.binding import Binding, BindingType
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from ..graph import NodeState, RunGraph
from ..layout import ItemKind, Layout, TreeItem
from ..search import node_matches
from ..treeline import Rates
from .labels import tree_label
from .messages import NodeChosen

FLASH_SECONDS = 3.0
"""How long the line of a node that just changed stays marked."""


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


RunTreeNode = TreeNode[NodeView]


class RunTree(Tree[NodeView]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("l,right", "expand_cursor", "Expand", show=False),
        Binding("h,left", "collapse_cursor", "Collapse / parent", show=False),
        Binding("g,home", "scroll_home", "Top", show=False),
        Binding("G,end", "scroll_end", "Bottom", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
    ]

    _pass_style: Style | None = None
    _batched = False
    """Inside `_batch`: the line caches are dropped at its end."""
    _invalidated = False

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("run", id=id)
        self.show_root = False
        self.guide_depth = 3
        self.auto_expand = False
        self.tree_layout: Layout | None = None
        self.graph: RunGraph | None = None
        self.query_text = ""
        self.rates: Rates | None = None
        """Node uuid → (failed, total) recent executions: nodes that fail often are flagged."""
        self.flashing: set[str] = set()
        """Node uuids whose lines are marked because their status just changed."""
        self._flash_until: dict[str, float] = {}
        self.expanded_keys: set[str] = set()
        self._by_key: dict[str, RunTreeNode] = {}
        self._populated: set[str] = set()

    # -- many lines at once: the tree's caches are dropped once, not once a line ------------

    def _invalidate(self) -> None:
        if self._batched:
            self._invalidated = True
            return
        super()._invalidate()

    @contextmanager
    def _batch(self) -> Iterator[None]:
        """Add, remove and open lines, then invalidate the tree's line caches once (Textual's
        `Tree` does it for each line: ~700 times when a big run first shows)."""
        if self._batched:
            yield
            return
        self._batched = True
        try:
            yield
        finally:
            self._batched = False
            if self._invalidated:
                self._invalidated = False
                super()._invalidate()

    def process_label(self, label: TextType) -> Text:
        """A label as given: labels here are one line of `Text` already (Textual copies it)."""
        if isinstance(label, Text) and "\n" not in label.plain:
            return label
        return super().process_label(label)

    # -- cheap width: the label is already a Text ---------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        # `Tree.render_line` asks for the widget's `rich_style` for each line, and Textual
        # works it out again each time from every ancestor's styles: once per pass is enough.
        self._pass_style = self.rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._pass_style = None

    @property
    def rich_style(self) -> Style:
        return self._pass_style or super().rich_style

    def get_label_width(self, node: RunTreeNode) -> int:
        label = node.label
        width = label.cell_len if isinstance(label, Text) else len(label)
        return width + (2 if node.allow_expand else 0)

    # -- lookups ------------------------------------------------------------------------

    def node_for(self, key: str) -> RunTreeNode | None:
        return self._by_key.get(key)

    @property
    def cursor_view(self) -> NodeView | None:
        node = self.cursor_node
        return node.data if node is not None else None

    def _label(self, view: NodeView) -> Text:
        state = view.state
        assert self.graph is not None
        matched = bool(self.query_text) and state is not None and node_matches(state, self.query_text)
        flash = state is not None and state.uuid in self.flashing
        return tree_label(
            self.graph, view.item, query=self.query_text, matched=matched, flash=flash, rates=self.rates
        )

    def _view(self, key: str) -> NodeView:
        assert self.tree_layout is not None and self.graph is not None
        item = self.tree_layout.items[key]
        return NodeView(item, self.graph.states.get(item.node_uuid or ""))

    # -- building -----------------------------------------------------------------------

    def show(self, layout: Layout, graph: RunGraph, *, reset: bool) -> None:
        """Show `layout`: rebuilt from scratch when `reset`, otherwise updated in place."""
        with self._batch():
            self._show(layout, graph, reset=reset)

    def _show(self, display: Layout, graph: RunGraph, *, reset: bool) -> None:
        self.tree_layout, self.graph = display, graph
        if reset:
            self.clear()
            self._by_key.clear()
            self._populated.clear()
            self._by_key[display.root.key] = self.root
            self.root.data = NodeView(display.root, None)
            self._populate(self.root)
            self.root.expand()
            return
        self._by_key[display.root.key] = self.root
        self.root.data = NodeView(display.root, None)
        self._sync_children(self.root)

    def _add(self, parent: RunTreeNode, key: str, before: int | None = None) -> RunTreeNode:
        view = self._view(key)
        node = parent.add(self._label(view), view, before=before, allow_expand=bool(view.item.children))
        self._by_key[key] = node
        return node

    def _populate(self, node: RunTreeNode) -> None:
        """Add the children of `node` the first time it is opened (and reopen remembered ones)."""
        stack = [node]
        while stack:
            current = stack.pop()
            view = current.data
            if view is None or view.key in self._populated:
                continue
            self._populated.add(view.key)
            for child in view.item.children:
                added = self._add(current, child.key)
                if child.key in self.expanded_keys and child.children:
                    added.expand()
                    stack.append(added)

    def _sync_children(self, top: RunTreeNode) -> None:
        """Update `top`'s subtree in place to the current display tree (iteratively)."""
        assert self.tree_layout is not None and self.graph is not None
        display, graph = self.tree_layout, self.graph
        stack = [top]
        while stack:
            node = stack.pop()
            old = node.data
            if old is None:
                continue
            item = display.items.get(old.key)
            if item is None:
                continue
            view = NodeView(item, graph.states.get(item.node_uuid or ""))
            node.data = view
            if node is not self.root:
                label = self._label(view)
                if label != node.label:
                    node.set_label(label)
                if node.allow_expand != bool(item.children):
                    node.allow_expand = bool(item.children)
            if view.key not in self._populated:
                continue
            wanted = [child.key for child in item.children]
            have = {child.data.key: child for child in node.children if child.data is not None}
            if list(have) != wanted:
                wanted_set = set(wanted)
                for key, child in list(have.items()):
                    if key not in wanted_set:
                        self._forget(child)
                        child.remove()
                        del have[key]
                for position, key in enumerate(wanted):
                    if key not in have:
                        added = self._add(node, key, before=position)
                        if key in self.expanded_keys and added.allow_expand:
                            self._populate(added)
                            added.expand()
            stack.extend(
                child for child in node.children if child.data is not None and child.data.key in have
            )

    def _forget(self, node: RunTreeNode) -> None:
        stack = [node]
        while stack:
            current = stack.pop()
            if current.data is not None:
                self._by_key.pop(current.data.key, None)
                self._populated.discard(current.data.key)
            stack.extend(current.children)

    def relabel(self, only: set[str] | None = None) -> None:
        """Recompute existing labels (after a search), or those of the nodes in `only`."""
        for node in self._by_key.values():
            if node is self.root or node.data is None:
                continue
            if only is not None and node.data.node_uuid not in only:
                continue
            label = self._label(node.data)
            if label != node.label:
                node.set_label(label)

    # -- expansion and moving -----------------------------------------------------------

    def expand_node(self, node: RunTreeNode) -> None:
        if node.data is not None:
            self.expanded_keys.add(node.data.key)
        with self._batch():
            self._populate(node)
            node.expand()

    def reveal(self, key: str) -> RunTreeNode | None:
        """Expand the path down to `key` and return its tree node."""
        if self.tree_layout is None or key not in self.tree_layout.items:
            return None
        path = self.tree_layout.path_to(key)
        node: RunTreeNode | None = self.root
        for step in path:
            assert node is not None
            if not node.is_expanded or (node.data is not None and node.data.key not in self._populated):
                self.expand_node(node)
            node = self._by_key.get(step)
            if node is None:
                return None
        return node

    def go_to(self, key: str) -> bool:
        """Put the cursor on `key`, expanding the path to it, and bring it into view."""
        node = self.reveal(key)
        if node is None:
            return False
        _ = self.last_line  # lay the lines out so the node knows its line
        self.move_cursor(node)
        self.scroll_to_node(node, animate=False)
        self.call_after_refresh(self.scroll_to_node, node, animate=False)
        return True

    def go_to_node(self, uuid: str) -> bool:
        """Put the cursor on the full entry of a node."""
        key = self.tree_layout.node_keys.get(uuid) if self.tree_layout is not None else None
        return key is not None and self.go_to(key)

    # -- lines of nodes that just changed -------------------------------------------------

    def flash(self, uuids: Iterable[str]) -> None:
        """Mark the lines of these nodes for a few seconds (set before the lines are synced,
        so each changed line gets its label once)."""
        until = time.monotonic() + FLASH_SECONDS
        added = False
        for uuid in uuids:
            self._flash_until[uuid] = until
            added = True
        if added:
            self.flashing = set(self._flash_until)
            self.set_timer(FLASH_SECONDS + 0.1, self._fade)

    def stop_flashing(self) -> None:
        self._flash_until.clear()
        self.flashing = set()

    def _fade(self) -> None:
        now = time.monotonic()
        self._flash_until = {uuid: t for uuid, t in self._flash_until.items() if t > now}
        changed = self.flashing ^ set(self._flash_until)
        self.flashing = set(self._flash_until)
        if changed:
            self.relabel(changed)

    # -- telling the app ------------------------------------------------------------------

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[NodeView]) -> None:
        # A highlight can arrive after the tree is gone, while the app closes.
        event.stop()
        view = event.node.data
        if view is not None and self.is_attached:
            self.post_message(NodeChosen(view.key, view.node_uuid))

    def on_tree_node_selected(self, event: Tree.NodeSelected[NodeView]) -> None:
        """enter: toggle a branch; on a reference, jump to the node's full entry."""
        event.stop()
        view = event.node.data
        if view is None:
            return
        if view.item.kind is ItemKind.REF and view.item.node_uuid and self.go_to_node(view.item.node_uuid):
            return
        if event.node.allow_expand:
            if event.node.is_expanded:
                event.node.collapse()
            else:
                self.expand_node(event.node)

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[NodeView]) -> None:
        node = event.node
        if node.data is not None:
            self.expanded_keys.add(node.data.key)
        with self._batch():
            self._populate(node)

    def on_tree_node_collapsed(self, event: Tree.NodeCollapsed[NodeView]) -> None:
        if event.node.data is not None:
            self.expanded_keys.discard(event.node.data.key)

    def action_expand_cursor(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.allow_expand and not node.is_expanded:
            self.expand_node(node)
        elif node.children:
            self.action_cursor_down()

    def action_collapse_cursor(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.allow_expand and node.is_expanded:
            node.collapse()
        elif node.parent is not None and node.parent is not self.root:
            self.move_cursor(node.parent)
