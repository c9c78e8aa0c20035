"""Widgets the panes share: long literal text, and a navigable JSON value."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import TextArea, Tree
from textual.widgets.tree import TreeNode

from ...sanitize import clean
from ..labels import json_label

JSON_CHILD_LIMIT = 500


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
