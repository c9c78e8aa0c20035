"""The Error pane: the chosen execution's error in full, then the run's error."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...sanitize import one_line
from .base import Copy, Pane, RunContext, why_empty
from .widgets import ReadOnlyText


class ErrorPane(Pane, VerticalScroll):
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

    def draw(self, context: RunContext) -> None:
        selection = context.selection
        state = selection.state
        head = Text()
        message = node_error(context)
        if state is not None:
            head.append(one_line(state.title, 120), style="bold")
            head.append("\n")
        chosen = selection.chosen
        if message is not None:
            where = (
                f"execution {(selection.execution or 0) + 1} of {len(state.executions) if state else 0}"
                if chosen is not None and chosen.error_message
                else "first error"
            )
            head.append(where, style="dim")
        else:
            head.append(why_empty(state) or "No error recorded for this node", style="dim")
        self.query_one("#error-head", Static).update(head)
        self._show_text("#error-text", message)
        run_error = context.graph.run.error_message
        run_head = Text("run error", style="dim")
        if not run_error:
            run_head.append("\nnone", style="dim")
        self.query_one("#run-error-head", Static).update(run_head)
        self._show_text("#run-error-text", run_error or None)

    def _show_text(self, selector: str, text: str | None) -> None:
        area = self.query_one(selector, ReadOnlyText)
        area.display = text is not None
        area.show(text or "")

    def copy(self) -> Copy | None:
        message = node_error(self.context) if self.context is not None else None
        return Copy("error", message) if message else None


def node_error(context: RunContext) -> str | None:
    """The error of the chosen execution, else the node's first error."""
    selection = context.selection
    chosen = selection.chosen
    if chosen is not None and chosen.error_message:
        return chosen.error_message
    state = selection.state
    return state.first_error if state is not None and state.first_error else None
