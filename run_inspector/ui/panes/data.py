"""The Output and Input panes: `runContext[slug]` and `runComputedConfigs[slug]` as JSON trees."""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...sanitize import one_line
from ..labels import json_label
from .base import Copy, Pane, RunContext, why_empty
from .widgets import JsonTree


class JsonPane(Pane, VerticalScroll):
    """A JSON value of the selected node: its output or its resolved input."""

    DEFAULT_CSS = """
    JsonPane { height: 1fr; }
    JsonPane > Static { padding: 0 1; height: auto; }
    JsonPane > JsonTree { height: auto; }
    """

    SOURCE = ""
    """Where the value comes from in the response."""
    WHAT = ""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.plain = ""
        self._shown: tuple[str, Any] | None = None

    def contents(self) -> ComposeResult:
        yield Static(Text(""), markup=False, classes="json-note")
        yield JsonTree()

    def value(self, context: RunContext, uuid: str) -> Any:
        raise NotImplementedError

    def draw(self, context: RunContext) -> None:
        note = self.query_one(".json-note", Static)
        tree = self.query_one(JsonTree)
        state = context.selection.state
        uuid = state.uuid if state is not None else ""
        value = self.value(context, uuid)
        if value is None:
            missing = f"No {self.WHAT} recorded"
            reason = why_empty(state) or f"{missing} for this node (no {self.SOURCE} entry for its slug)"
            note.update(Text(reason, style="dim"))
            tree.display = False
            self.plain = ""
            self._shown = None
            return
        slug = one_line(state.slug or "?", 60) if state is not None else "?"
        note.update(Text.assemble((f"{self.SOURCE}[", "dim"), (slug, "bold"), ("]", "dim")))
        tree.display = True
        self.plain = json.dumps(value, indent=2, ensure_ascii=False, default=str)
        if self._shown != (uuid, value):
            self._shown = (uuid, value)
            tree.set_value(json_label(None, value), value)

    def copy(self) -> Copy | None:
        return Copy(self.WHAT, self.plain) if self.plain else None


class OutputPane(JsonPane):
    """What the node produced (`runContext[slug]`)."""

    SOURCE = "runContext"
    WHAT = "output"

    def value(self, context: RunContext, uuid: str) -> Any:
        return context.graph.output_of(uuid)


class InputPane(JsonPane):
    """What the node was really called with (`runComputedConfigs[slug]`)."""

    SOURCE = "runComputedConfigs"
    WHAT = "input"

    def value(self, context: RunContext, uuid: str) -> Any:
        return context.graph.input_of(uuid)
