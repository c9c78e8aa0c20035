"""What an agent did: its message (`GET /ai/messages/{uuid}`) as steps, tool calls and an answer.

No Textual import. An agent execution's `nodeMessageUuid` is the agent's reply, whose `parts`
follow the Vercel AI SDK's UI message parts. `agent_view(message)` reads them in order:

* `step-start` starts a new step (parts before the first one form step 1);
* `text` and `reasoning` are text; `file`, `source-url` and `source-document` are attachments;
* `tool-<name>` and `dynamic-tool` (with `toolName`) are tool calls, with their state
  (`input-streaming`, `input-available`, `output-available`, `output-error`), input, output and
  error. A Cargo tool's output `{"outcome", "data", "runUuid", "batchUuid", "creditsUsedCount",
  "errorMessage"}` says whether it ran and which run or batch it started, so a view can open it;
* any other part (a newer SDK's, `data-*`) is kept as it came, never dropped.

The answer is the text of the last step; `output` is the message's structured output, else
(for a native `agent` node) the node's `runContext[slug].answer`.

Texts are kept as the API sent them (the JSON output keeps them exact): a view shows them
through `sanitize.clean`/`one_line`. `load_agents(source, graph)` fetches the messages of a
run's agent executions, a few at a time, cached by message uuid, and tolerant: a message that
is forbidden (403), missing (404) or not in a file becomes a note on its execution.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from typing import Any

from .errors import FetchError, ForbiddenError, NotAvailableError, NotFoundError
from .graph import NodeState, RunGraph
from .resources import Message
from .source import RunSource

MESSAGES_CAP = 50
"""Agent messages fetched for one run at the most."""
AT_ONCE = 4
FINISHED = frozenset({"success", "error", "cancelled"})
"""Message statuses that no longer change: such a message is cached."""
OUTCOMES = ("executed", "executing", "notExecuted")


@dataclass(frozen=True)
class AgentUsage:
    input_tokens: int | None = None
    output_tokens: int | None = None
    reasoning_tokens: int | None = None
    cache_read_tokens: int | None = None
    credits: float | None = None

    def text(self) -> str:
        """`8,120 in · 640 out · 860 reasoning · 7 credits` (what is known)."""
        pieces = [
            f"{value:,} {label}"
            for value, label in (
                (self.input_tokens, "in"),
                (self.output_tokens, "out"),
                (self.reasoning_tokens, "reasoning"),
                (self.cache_read_tokens, "cached"),
            )
            if value is not None
        ]
        if self.credits is not None:
            pieces.append(f"{self.credits:g} credits")
        return " · ".join(pieces)


@dataclass(frozen=True)
class TextPart:
    text: str
    reasoning: bool = False
    """A `reasoning` part (the model thinking), not a `text` part."""


@dataclass(frozen=True)
class ToolOutcome:
    """A Cargo tool's output: whether it ran, and the run or batch it started."""

    outcome: str
    """`executed`, `executing` or `notExecuted` (another value is kept as sent)."""
    run_uuid: str | None = None
    batch_uuid: str | None = None
    credits: float | None = None
    error: str | None = None
    data: Any = None


@dataclass(frozen=True)
class ToolCall:
    name: str
    """The tool's name: `tool-<name>`'s, or a `dynamic-tool`'s `toolName`."""
    display_name: str
    """Its name in `evaluatedTools`, when the message lists it; else `name`."""
    tool_kind: str | None
    """`evaluatedTools[name].kind` (`tool`, `connector`…), when known."""
    call_id: str | None
    state: str | None
    input: Any = None
    output: Any = None
    error_text: str | None = None
    outcome: ToolOutcome | None = None
    dynamic: bool = False

    @property
    def failed(self) -> bool:
        return self.state == "output-error" or bool(self.outcome and self.outcome.error)


@dataclass(frozen=True)
class FilePart:
    media_type: str | None
    filename: str | None
    url: str | None


@dataclass(frozen=True)
class SourcePart:
    type: str
    """`source-url` or `source-document`."""
    source_id: str | None
    url: str | None
    title: str | None
    media_type: str | None = None
    filename: str | None = None


@dataclass(frozen=True)
class OtherPart:
    """A part of a type this module does not know (or a malformed one), as it came."""

    type: str | None
    raw: Any


Part = TextPart | ToolCall | FilePart | SourcePart | OtherPart


@dataclass(frozen=True)
class Step:
    index: int
    """From 1."""
    parts: tuple[Part, ...]

    @property
    def text(self) -> str:
        """The step's text parts (not its reasoning), one after the other."""
        return "\n".join(p.text for p in self.parts if isinstance(p, TextPart) and not p.reasoning)


@dataclass(frozen=True)
class AgentView:
    message_uuid: str | None
    status: str | None
    error: str | None
    model: str | None
    usage: AgentUsage | None
    system_prompt: str | None
    steps: tuple[Step, ...]
    answer: str | None
    """The text of the last step (None: it has none, e.g. the agent stopped on a tool call)."""
    output: Any
    """The message's structured output (for a native agent node without one: its answer)."""

    @property
    def tool_calls(self) -> list[ToolCall]:
        """Every tool call, in order, across the steps."""
        return [part for step in self.steps for part in step.parts if isinstance(part, ToolCall)]

    @property
    def started_runs(self) -> list[str]:
        """The runs the agent's tool calls started, in order (each once): openable."""
        seen: list[str] = []
        for call in self.tool_calls:
            uuid = call.outcome.run_uuid if call.outcome else None
            if uuid and uuid not in seen:
                seen.append(uuid)
        return seen


def agent_view(message: Message, *, fallback_output: Any = None) -> AgentView:
    """The message as steps in order, its model, usage and answer."""
    tools = message.evaluated_tools if isinstance(message.evaluated_tools, dict) else {}
    steps: list[list[Part]] = []
    started = False
    for raw in message.parts or []:
        if isinstance(raw, dict) and raw.get("type") == "step-start":
            steps.append([])
            started = True
            continue
        if not started:
            steps.append([])
            started = True
        steps[-1].append(read_part(raw, tools))
    built = tuple(Step(index, tuple(parts)) for index, parts in enumerate(steps, 1))
    usage = message.usage
    model = message.language_model_slug or (usage.language_model_slug if usage is not None else None)
    return AgentView(
        message.uuid,
        message.status,
        message.error_message,
        model,
        AgentUsage(
            usage.input_tokens_count,
            usage.output_tokens_count,
            usage.reasoning_tokens_count,
            usage.cache_read_tokens_count,
            usage.credits_used_count,
        )
        if usage is not None
        else None,
        message.system_prompt,
        built,
        (built[-1].text or None) if built else None,
        message.output if message.output is not None else fallback_output,
    )


def read_part(raw: Any, tools: dict[str, Any]) -> Part:
    """One UI part; anything unexpected (a new type, a field of the wrong type) as `OtherPart`."""
    if not isinstance(raw, dict):
        return OtherPart(None, raw)
    kind = raw.get("type")
    if not isinstance(kind, str):
        return OtherPart(None, raw)
    if kind in ("text", "reasoning") and isinstance(raw.get("text"), str):
        return TextPart(raw["text"], reasoning=kind == "reasoning")
    if kind.startswith("tool-") or kind == "dynamic-tool":
        name = raw.get("toolName") if kind == "dynamic-tool" else kind[len("tool-") :]
        if isinstance(name, str) and name:
            return _tool_call(raw, name, tools, dynamic=kind == "dynamic-tool")
    if kind == "file":
        return FilePart(_text(raw, "mediaType"), _text(raw, "filename"), _text(raw, "url"))
    if kind in ("source-url", "source-document"):
        return SourcePart(
            kind,
            _text(raw, "sourceId"),
            _text(raw, "url"),
            _text(raw, "title"),
            _text(raw, "mediaType"),
            _text(raw, "filename"),
        )
    return OtherPart(kind, raw)


def _tool_call(raw: dict[str, Any], name: str, tools: dict[str, Any], *, dynamic: bool) -> ToolCall:
    known = tools.get(name)
    known = known if isinstance(known, dict) else {}
    display = next(
        (
            known[key]
            for key in ("displayName", "title", "name")
            if isinstance(known.get(key), str) and known[key]
        ),
        name,
    )
    output = raw.get("output")
    return ToolCall(
        name,
        display,
        _text(known, "kind"),
        _text(raw, "toolCallId"),
        _text(raw, "state"),
        raw.get("input"),
        output,
        _text(raw, "errorText"),
        tool_outcome(output),
        dynamic,
    )


def tool_outcome(output: Any) -> ToolOutcome | None:
    """A Cargo tool's `{"outcome", …}` output (None: another shape, e.g. an MCP tool's)."""
    if not isinstance(output, dict) or not isinstance(output.get("outcome"), str):
        return None
    credits = output.get("creditsUsedCount")
    return ToolOutcome(
        output["outcome"],
        _text(output, "runUuid"),
        _text(output, "batchUuid"),
        float(credits)
        if isinstance(credits, int | float) and not isinstance(credits, bool) and math.isfinite(credits)
        else None,
        _text(output, "errorMessage"),
        output.get("data"),
    )


def _text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def context_answer(graph: RunGraph, state: NodeState) -> Any:
    """A native `agent` node's answer: `runContext[slug].answer` (None when there is none)."""
    output = graph.output_of(state.uuid)
    return output.get("answer") if isinstance(output, dict) else None


def is_agent(state: NodeState) -> bool:
    """An agent node: kind `agent`, or a native node whose action is `agent`."""
    return state.kind == "agent" or (state.kind == "native" and state.action == "agent")


# -- loading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentExecution:
    """One execution's agent message, or why there is none (`note`)."""

    node_uuid: str
    attempt: int
    """The execution's place among the node's executions, from 1."""
    message_uuid: str
    view: AgentView | None
    note: str | None = None


@dataclass
class MessageCache:
    """Messages by uuid: a finished message never changes, nor a refusal (403, 404, not in a
    file), so neither is asked for twice; one still generating is asked again."""

    views: dict[str, AgentView] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def forget(self, message_uuid: str | None = None) -> None:
        """Ask again next time (None: for every message)."""
        if message_uuid is None:
            self.views.clear()
            self.notes.clear()
        else:
            self.views.pop(message_uuid, None)
            self.notes.pop(message_uuid, None)

    async def load(
        self, source: RunSource, message_uuid: str, *, fallback_output: Any = None
    ) -> tuple[AgentView | None, str | None]:
        """(the message's view, None), or (None, why there is none)."""
        if message_uuid in self.views:
            return self.views[message_uuid], None
        if message_uuid in self.notes:
            return None, self.notes[message_uuid]
        try:
            message = await source.get_message(message_uuid)
        except (NotAvailableError, NotFoundError) as error:
            self.notes[message_uuid] = f"not available ({error.one_line()})"
            return None, self.notes[message_uuid]
        except ForbiddenError as error:
            self.notes[message_uuid] = f"forbidden ({error.one_line()})"
            return None, self.notes[message_uuid]
        except FetchError as error:
            return None, error.one_line()  # a fault that may pass: asked again next time
        view = agent_view(message, fallback_output=fallback_output)
        if view.status in FINISHED:
            self.views[message_uuid] = view
        return view, None


async def load_agents(
    source: RunSource, graph: RunGraph, *, cache: MessageCache | None = None, cap: int = MESSAGES_CAP
) -> dict[str, list[AgentExecution]]:
    """Node uuid → its executions' agent messages, in order: one request per execution with a
    `nodeMessageUuid` (each message once, `AT_ONCE` at a time, at most `cap`)."""
    cache = cache if cache is not None else MessageCache()
    gate = asyncio.Semaphore(AT_ONCE)
    wanted: list[tuple[NodeState, int, str]] = []
    for state in graph.states.values():
        for attempt, execution in enumerate(state.executions, 1):
            if execution.node_message_uuid:
                wanted.append((state, attempt, execution.node_message_uuid))
    distinct = list(dict.fromkeys(uuid for _, _, uuid in wanted))
    asked = set(distinct[:cap])

    async def one(state: NodeState, attempt: int, uuid: str) -> AgentExecution:
        if uuid not in asked:
            return AgentExecution(
                state.uuid, attempt, uuid, None, f"not loaded: the run has more than {cap} agent messages"
            )
        async with gate:
            view, note = await cache.load(source, uuid, fallback_output=context_answer(graph, state))
        return AgentExecution(state.uuid, attempt, uuid, view, note)

    loaded = await asyncio.gather(*(one(*entry) for entry in wanted))
    by_node: dict[str, list[AgentExecution]] = {}
    for entry in loaded:
        by_node.setdefault(entry.node_uuid, []).append(entry)
    return by_node


# -- JSON ---------------------------------------------------------------------------------------


def part_dict(part: Part) -> dict[str, Any]:
    """A part for `--json` (texts exact; the output escapes them)."""
    if isinstance(part, TextPart):
        return {"type": "reasoning" if part.reasoning else "text", "text": part.text}
    if isinstance(part, ToolCall):
        outcome = part.outcome
        return {
            "type": "tool",
            "name": part.name,
            "displayName": part.display_name,
            "toolKind": part.tool_kind,
            "dynamic": part.dynamic,
            "toolCallId": part.call_id,
            "state": part.state,
            "input": part.input,
            "output": part.output,
            "errorText": part.error_text,
            "outcome": outcome.outcome if outcome else None,
            "runUuid": outcome.run_uuid if outcome else None,
            "batchUuid": outcome.batch_uuid if outcome else None,
            "credits": outcome.credits if outcome else None,
            "outcomeError": outcome.error if outcome else None,
        }
    if isinstance(part, FilePart):
        return {"type": "file", "mediaType": part.media_type, "filename": part.filename, "url": part.url}
    if isinstance(part, SourcePart):
        return {
            "type": part.type,
            "sourceId": part.source_id,
            "url": part.url,
            "title": part.title,
            "mediaType": part.media_type,
            "filename": part.filename,
        }
    return {"type": "unknown", "partType": part.type, "part": part.raw}


def agent_dict(execution: AgentExecution) -> dict[str, Any]:
    """`{messageUuid, status, errorMessage, model, usage, systemPrompt, steps, answer, output,
    note}` for `--json --with-agents`."""
    view = execution.view
    usage = view.usage if view is not None else None
    return {
        "messageUuid": execution.message_uuid,
        "status": view.status if view else None,
        "errorMessage": view.error if view else None,
        "model": view.model if view else None,
        "usage": {
            "inputTokens": usage.input_tokens,
            "outputTokens": usage.output_tokens,
            "reasoningTokens": usage.reasoning_tokens,
            "cacheReadTokens": usage.cache_read_tokens,
            "credits": usage.credits,
        }
        if usage is not None
        else None,
        "systemPrompt": view.system_prompt if view else None,
        "steps": [{"parts": [part_dict(p) for p in step.parts]} for step in view.steps] if view else [],
        "answer": view.answer if view else None,
        "output": view.output if view else None,
        "startedRuns": view.started_runs if view else [],
        "note": execution.note,
    }
