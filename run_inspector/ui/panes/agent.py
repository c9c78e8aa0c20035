"""The Agent pane: what an agent execution really did, from its message (`GET /ai/messages/…`).

The model and its usage, the system prompt (folded), then each step in order: the reasoning,
each tool call with its name, input, outcome and output or error, and the final answer. A
tool call that started a run can be opened (`o` on it, or enter). Parts of a type the app does
not know are shown as JSON, never dropped. The pane asks the app for the message
(`AgentWanted`); the app fetches it once and caches it.
"""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Collapsible, OptionList, Static
from textual.widgets.option_list import Option

from ...agent import AgentView, FilePart, OtherPart, SourcePart, TextPart, ToolCall
from ...present import node_name
from ...sanitize import clean, one_line
from ..labels import clip
from ..messages import AgentWanted, OpenRun
from .base import Copy, Pane, RunContext

TEXT_LINES = 60
TEXT_CHARS = 6_000
JSON_CHARS = 2_000


def message_uuid_of(context: RunContext) -> str | None:
    """The message of the chosen execution, else of the node's last one that has a message."""
    selection = context.selection
    chosen = selection.chosen
    if chosen is not None and chosen.node_message_uuid:
        return chosen.node_message_uuid
    state = selection.state
    if state is None:
        return None
    return next((e.node_message_uuid for e in reversed(state.executions) if e.node_message_uuid), None)


def _json(value: Any, limit: int = JSON_CHARS) -> str:
    try:
        text = json.dumps(value, indent=1, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    shown, more = clip(clean(text), lines=TEXT_LINES, chars=limit)
    return shown if more is None else f"{shown}\n{more}"


def _text(value: str) -> str:
    shown, more = clip(clean(value), lines=TEXT_LINES, chars=TEXT_CHARS)
    return shown if more is None else f"{shown}\n{more}"


def agent_text(view: AgentView) -> Text:
    """The steps, the calls and the answer: the pane's body (plain Text, API text cleaned)."""
    text = Text()
    head = [one_line(view.model or "model unknown", 60)]
    if view.usage is not None and view.usage.text():
        head.append(view.usage.text())
    if view.status and view.status != "success":
        head.append(one_line(view.status, 30))
    text.append(" · ".join(head), style="dim")
    if view.error:
        text.append("\n" + _text(view.error), style="red")
    for step in view.steps:
        text.append(f"\n\nstep {step.index}", style="bold underline")
        for part in step.parts:
            text.append("\n")
            if isinstance(part, TextPart):
                label = "reasoning" if part.reasoning else "text"
                text.append(f"{label}: ", style="dim")
                text.append(_text(part.text), style="italic" if part.reasoning else "")
            elif isinstance(part, ToolCall):
                text.append_text(tool_call_text(part))
            elif isinstance(part, FilePart):
                text.append("file: ", style="dim")
                text.append(one_line(part.filename or part.url or "?", 200))
                if part.media_type:
                    text.append(f" ({one_line(part.media_type, 40)})", style="dim")
            elif isinstance(part, SourcePart):
                text.append("source: ", style="dim")
                text.append(one_line(part.title or part.url or part.source_id or "?", 200))
                if part.url and part.title:
                    text.append(f" {one_line(part.url, 200)}", style="dim")
            elif isinstance(part, OtherPart):
                text.append(
                    f"{one_line(part.type or 'part', 40)} (a part this app does not know): ", style="dim"
                )
                text.append(_json(part.raw))
    text.append("\n\nanswer\n", style="bold underline")
    if view.answer:
        text.append(_text(view.answer), style="bold")
    elif view.output is not None:
        text.append(_json(view.output))
    else:
        text.append("no final answer (the agent ended on a tool call, or is still at work)", style="dim")
    return text


def tool_call_text(call: ToolCall) -> Text:
    text = Text()
    mark, style = ("✖", "bold red") if call.failed else ("⚙", "bold cyan")
    text.append(f"{mark} tool ", style=style)
    text.append(one_line(call.display_name, 80), style="bold")
    if call.display_name != call.name:
        text.append(f" · {one_line(call.name, 80)}", style="dim")
    if call.state:
        text.append(f"  {one_line(call.state, 30)}", style="dim")
    if call.input is not None:
        text.append("\n  input ", style="dim")
        text.append(_json(call.input).replace("\n", "\n  "))
    outcome = call.outcome
    if outcome is not None:
        text.append("\n  outcome ", style="dim")
        text.append(one_line(outcome.outcome, 40), style="red" if outcome.error else "green")
        if outcome.run_uuid:
            text.append(f"  started run {one_line(outcome.run_uuid, 80)} (o opens it)", style="cyan")
        if outcome.batch_uuid:
            text.append(f"  started batch {one_line(outcome.batch_uuid, 80)}", style="cyan")
        if outcome.error:
            text.append("\n  error ", style="dim")
            text.append(_text(outcome.error), style="red")
        if outcome.data is not None:
            text.append("\n  output ", style="dim")
            text.append(_json(outcome.data).replace("\n", "\n  "))
    elif call.output is not None:
        text.append("\n  output ", style="dim")
        text.append(_json(call.output).replace("\n", "\n  "))
    if call.error_text:
        text.append("\n  error ", style="dim")
        text.append(_text(call.error_text), style="red")
    return text


class AgentPane(Pane, VerticalScroll):
    DEFAULT_CSS = """
    AgentPane { height: 1fr; }
    AgentPane > Static { padding: 0 1; height: auto; width: 1fr; }
    AgentPane > Collapsible { padding: 0 1; }
    AgentPane > OptionList { height: auto; max-height: 8; border: none; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.plain = ""
        self.runs: list[str] = []

    def contents(self) -> ComposeResult:
        yield Static(Text(""), markup=False, id="agent-head")
        # Children passed, not composed: a pane is made outside compose (`Pane.open`).
        yield Collapsible(
            Static(Text(""), markup=False, id="agent-prompt-text"),
            title="system prompt",
            collapsed=True,
            id="agent-prompt",
        )
        yield OptionList(id="agent-runs", markup=False)
        yield Static(Text(""), markup=False, id="agent-body")

    def draw_key(self, context: RunContext) -> object:
        uuid = message_uuid_of(context)
        return (context.selection.node_uuid, uuid, id(context.agents.get(uuid or "")))

    def draw(self, context: RunContext) -> None:
        head = self.query_one("#agent-head", Static)
        body = self.query_one("#agent-body", Static)
        prompt = self.query_one("#agent-prompt", Collapsible)
        runs = self.query_one("#agent-runs", OptionList)
        state = context.selection.state
        uuid = message_uuid_of(context)
        shown = Text(node_name(state, 80) if state is not None else "Nothing selected", style="bold")
        found = context.agents.get(uuid) if uuid is not None else None
        self.plain, self.runs = "", []
        if uuid is None:
            shown.append("\nno agent message: this execution has none (agent nodes have one)", style="dim")
        elif found is None:
            shown.append(f"\nmessage {one_line(uuid, 60)}: asking Cargo for it…", style="dim")
            # To the app itself: a draw runs inside another widget's handler (the screen's, on a
            # cursor move), and a message bubbling up stops at the widget that sent it.
            self.app.post_message(AgentWanted(uuid))
        elif isinstance(found, str):
            shown.append(f"\nmessage {one_line(uuid, 60)}: {one_line(found, 300)}", style="yellow")
        else:
            text = agent_text(found)
            body.update(text)
            self.plain = text.plain
            self.runs = found.started_runs
            prompt.query_one("#agent-prompt-text", Static).update(
                Text(_text(found.system_prompt or "none"))
                if found.system_prompt
                else Text("none", style="dim")
            )
        head.update(shown)
        showing = isinstance(found, AgentView)
        body.display = prompt.display = showing
        runs.clear_options()
        runs.add_options(
            [Option(f"open run {one_line(run, 80)} (started by a tool call)", id=run) for run in self.runs]
        )
        runs.display = bool(self.runs)

    @on(OptionList.OptionSelected, "#agent-runs")
    def _open(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(OpenRun(event.option.id))

    def chosen_run(self) -> str | None:
        """The run `o` opens from this pane: the highlighted tool call's run, else the first."""
        if not self.opened or not self.runs:
            return None
        runs = self.query_one("#agent-runs", OptionList)
        index = runs.highlighted
        return self.runs[index] if index is not None and index < len(self.runs) else self.runs[0]

    def copy(self) -> Copy | None:
        return Copy("agent's steps", self.plain) if self.plain else None
