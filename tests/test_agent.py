"""An agent's message (`agent.py`): its parts as steps, tool calls, the answer; loading the
messages of a run's agent executions, cached and tolerant of 403/404."""

from __future__ import annotations

import json
from typing import Any

import pytest

from run_inspector.agent import (
    AgentUsage,
    FilePart,
    MessageCache,
    OtherPart,
    SourcePart,
    TextPart,
    ToolCall,
    agent_dict,
    agent_view,
    load_agents,
    part_dict,
    read_part,
)
from run_inspector.cargo_sim import CargoSim, make_message
from run_inspector.client import CargoClient
from run_inspector.graph import RunGraph
from run_inspector.models import parse_run_response
from run_inspector.resources import Message
from run_inspector.source import ApiSource, FileSource

from .cargo_worlds import WORKSPACE, agent_world

BASE = "https://cargo.test/v1"


def message(parts: list[Any], **fields: Any) -> Message:
    data = make_message(
        "m1", workspace=WORKSPACE, chat="c1", agent="a1", parts=parts, created="2026-11-24T10:00:00Z"
    )
    return Message.model_validate({**data, **fields})


def world_message() -> Message:
    scenario = agent_world()
    value = scenario.world.messages[scenario.ids["message"]]
    assert isinstance(value, dict)
    return Message.model_validate(value)


def test_the_worlds_message_reads_as_two_steps_with_every_part_in_order() -> None:
    scenario = agent_world()
    view = agent_view(world_message())
    assert (view.model, view.status, view.error) == ("gpt-4.1", "success", None)
    assert view.usage == AgentUsage(8120, 640, 860, 2048, 7.0)
    assert view.usage.text() == "8,120 in · 640 out · 860 reasoning · 2,048 cached · 7 credits"
    assert view.system_prompt == "You are a B2B research assistant. Use the tools; cite sources."
    assert [step.index for step in view.steps] == [1, 2]
    first, second = view.steps
    assert [type(part).__name__ for part in first.parts] == [
        "TextPart", "ToolCall", "ToolCall", "ToolCall", "ToolCall", "FilePart", "SourcePart", "OtherPart",
    ]  # fmt: skip
    reasoning = first.parts[0]
    assert isinstance(reasoning, TextPart) and reasoning.reasoning and first.text == ""
    enrich, contacts, email, search = first.parts[1:5]
    assert isinstance(enrich, ToolCall) and isinstance(contacts, ToolCall)
    assert isinstance(email, ToolCall) and isinstance(search, ToolCall)
    assert (enrich.name, enrich.tool_kind, enrich.state, enrich.call_id) == (
        "enrich_company", "connector", "output-available", "call_enrich_1",
    )  # fmt: skip
    assert enrich.outcome is not None and enrich.outcome.outcome == "executed"
    assert (enrich.outcome.run_uuid, enrich.outcome.credits, enrich.outcome.data) == (
        scenario.ids["tool_run"], 1.0, {"employees": 240},
    )  # fmt: skip
    assert (contacts.state, contacts.output, contacts.outcome) == ("input-available", None, None)
    assert contacts.input == {"domain": "acme.com", "titles": ["VP Sales", "Head of Growth"]}
    assert email.failed and email.error_text == "Gmail: 403 Forbidden - insufficient authentication scopes"
    assert (search.name, search.dynamic, search.tool_kind, search.outcome) == (
        "mcp_web_search",
        True,
        None,
        None,
    )
    assert search.output["results"][0]["title"] == "Acme raises Series B"
    assert first.parts[5] == FilePart(
        "application/pdf", "acme-10k.pdf", "https://files.example.com/acme-10k.pdf"
    )
    assert first.parts[6] == SourcePart(
        "source-url", "src-1", "https://news.example.com/acme", "Acme raises Series B"
    )
    unknown = first.parts[7]
    assert isinstance(unknown, OtherPart) and unknown.type == "data-weird"
    assert unknown.raw == {"type": "data-weird", "id": "weird-1", "data": {"anything": [1, 2, 3]}}
    assert second.text == view.answer == "Acme Corp: 240 employees on Salesforce, Segment and Snowflake."
    assert view.started_runs == [scenario.ids["tool_run"]]


def test_parts_before_the_first_step_start_are_step_one_and_empty_steps_are_kept() -> None:
    view = agent_view(
        message(
            [
                {"type": "text", "text": "Looking."},
                {"type": "step-start"},
                {"type": "step-start"},
                {"type": "text", "text": "Done: "},
                {"type": "text", "text": "qualified."},
            ]
        )
    )
    assert [len(step.parts) for step in view.steps] == [1, 0, 2]
    assert view.answer == "Done: \nqualified."


def test_an_agent_that_stopped_on_a_tool_call_has_no_answer_and_its_output_is_kept() -> None:
    view = agent_view(
        message(
            [{"type": "step-start"}, {"type": "tool-lookup", "toolCallId": "c1", "state": "input-streaming"}],
            output={"score": 82},
            status="generating",
        )
    )
    assert view.answer is None and view.output == {"score": 82} and view.status == "generating"
    assert agent_view(message([]), fallback_output={"qualified": True}).output == {"qualified": True}
    assert agent_view(message([])).steps == ()


def test_a_tool_call_gets_its_display_name_and_kind_from_evaluated_tools() -> None:
    tools = {"find_lookalikes": {"kind": "tool", "name": "Find lookalike accounts", "toolUuid": "t1"}}
    call = read_part({"type": "tool-find_lookalikes", "toolCallId": "c1", "state": "input-available"}, tools)
    assert isinstance(call, ToolCall)
    assert (call.name, call.display_name, call.tool_kind) == (
        "find_lookalikes",
        "Find lookalike accounts",
        "tool",
    )
    other = read_part({"type": "tool-unlisted", "state": "output-available", "output": 3}, tools)
    assert isinstance(other, ToolCall) and (other.display_name, other.tool_kind, other.output) == (
        "unlisted",
        None,
        3,
    )


@pytest.mark.parametrize(
    ("output", "outcome", "run", "batch", "credits", "error"),
    [
        ({"outcome": "executed", "runUuid": "r9", "creditsUsedCount": 2}, "executed", "r9", None, 2.0, None),
        ({"outcome": "executing", "batchUuid": "b9"}, "executing", None, "b9", None, None),
        ({"outcome": "notExecuted", "errorMessage": "Tool disabled"}, "notExecuted", None, None, None, "Tool disabled"),
        ({"outcome": "someday", "runUuid": 7, "creditsUsedCount": "2"}, "someday", None, None, None, None),
    ],
)  # fmt: skip
def test_a_cargo_tool_output_gives_its_outcome_and_the_run_or_batch_it_started(
    output: dict[str, Any],
    outcome: str,
    run: str | None,
    batch: str | None,
    credits: float | None,
    error: str | None,
) -> None:
    call = read_part(
        {"type": "tool-find", "toolCallId": "c1", "state": "output-available", "output": output}, {}
    )
    assert isinstance(call, ToolCall) and call.outcome is not None
    found = call.outcome
    assert (found.outcome, found.run_uuid, found.batch_uuid, found.credits, found.error) == (
        outcome, run, batch, credits, error,
    )  # fmt: skip
    assert call.failed == (error is not None)


@pytest.mark.parametrize(
    "raw",
    [
        "a bare string",
        None,
        {"no": "type"},
        {"type": 7},
        {"type": "text", "text": ["not", "a", "string"]},
        {"type": "dynamic-tool", "toolCallId": "c1"},
        {"type": "tool-", "state": "input-available"},
        {"type": "reasoning-delta", "delta": "…"},
    ],
)
def test_an_unknown_or_malformed_part_is_kept_as_it_came(raw: Any) -> None:
    part = read_part(raw, {})
    assert isinstance(part, OtherPart) and part.raw == raw
    assert part_dict(part) == {"type": "unknown", "partType": part.type, "part": raw}


def test_source_documents_and_files_without_fields_are_read() -> None:
    document = read_part(
        {"type": "source-document", "sourceId": "d1", "mediaType": "text/plain", "title": "Notes"}, {}
    )
    assert document == SourcePart("source-document", "d1", None, "Notes", "text/plain", None)
    assert read_part({"type": "file"}, {}) == FilePart(None, None, None)


# -- loading ------------------------------------------------------------------------------------


async def _graph(source: ApiSource, uuid: str) -> RunGraph:
    return RunGraph.build(parse_run_response(await source.fetch_bytes(uuid)))


def _api(sim: CargoSim) -> ApiSource:
    return ApiSource(CargoClient(BASE, None, transport=sim.transport(), retries=0), "", "the test API")


async def test_load_agents_asks_once_per_agent_execution_and_caches_finished_messages() -> None:
    scenario = agent_world()
    sim = scenario.sim()
    source = _api(sim)
    graph = await _graph(source, scenario.run)
    cache = MessageCache()
    agents = await load_agents(source, graph, cache=cache)
    assert list(agents) == [scenario.ids["agent_node"]]
    [execution] = agents[scenario.ids["agent_node"]]
    assert (execution.attempt, execution.message_uuid, execution.note) == (1, scenario.ids["message"], None)
    assert execution.view is not None and execution.view.started_runs == [scenario.ids["tool_run"]]
    assert execution.view.output == scenario.body()["runContext"]["research_account"]["answer"]
    assert [r.path for r in sim.requests_to("messages.get")] == [f"/v1/ai/messages/{scenario.ids['message']}"]
    await load_agents(source, graph, cache=cache)
    assert len(sim.requests_to("messages.get")) == 1  # finished: asked once


async def test_a_message_still_generating_is_asked_again() -> None:
    scenario = agent_world()
    sim = scenario.sim()
    value = scenario.world.messages[scenario.ids["message"]]
    assert isinstance(value, dict)
    scenario.world.messages[scenario.ids["message"]] = {**value, "status": "generating"}
    source = _api(sim)
    cache = MessageCache()
    view, note = await cache.load(source, scenario.ids["message"])
    assert view is not None and view.status == "generating" and note is None
    await cache.load(source, scenario.ids["message"])
    assert len(sim.requests_to("messages.get")) == 2


@pytest.mark.parametrize(("status", "words"), [(403, "forbidden (the token may not read agent message"),
                                                (404, "not available (agent message")])  # fmt: skip
async def test_a_forbidden_or_missing_message_is_a_note_not_a_failure(status: int, words: str) -> None:
    scenario = agent_world()
    sim = scenario.sim()
    source = _api(sim)
    graph = await _graph(source, scenario.run)
    sim.fail("messages.get", status)
    cache = MessageCache()
    [execution] = (await load_agents(source, graph, cache=cache))[scenario.ids["agent_node"]]
    assert execution.view is None and execution.note is not None and execution.note.startswith(words)
    assert f"({status})" in execution.note
    assert agent_dict(execution)["note"] == execution.note and agent_dict(execution)["steps"] == []
    await load_agents(source, graph, cache=cache)
    assert len(sim.requests_to("messages.get")) == 1  # a refusal is not asked for again
    cache.forget()
    sim.heal()
    [again] = (await load_agents(source, graph, cache=cache))[scenario.ids["agent_node"]]
    assert again.view is not None and again.note is None


async def test_a_server_fault_is_a_note_and_is_asked_again() -> None:
    scenario = agent_world()
    sim = scenario.sim()
    source = _api(sim)
    graph = await _graph(source, scenario.run)
    sim.fail("messages.get", 500, times=1)
    cache = MessageCache()
    [failed] = (await load_agents(source, graph, cache=cache))[scenario.ids["agent_node"]]
    assert failed.view is None and failed.note is not None and "(500)" in failed.note
    [again] = (await load_agents(source, graph, cache=cache))[scenario.ids["agent_node"]]
    assert again.view is not None


async def test_a_file_has_no_messages_and_says_so() -> None:
    scenario = agent_world()
    source = FileSource(json.dumps(scenario.body()).encode(), "run.json")
    graph = RunGraph.build(parse_run_response(source.body))
    [execution] = (await load_agents(source, graph))[scenario.ids["agent_node"]]
    assert execution.note == "not available (the agent's message is not available from run.json)"


async def test_past_the_cap_messages_are_not_loaded_and_say_why() -> None:
    scenario = agent_world()
    sim = scenario.sim()
    source = _api(sim)
    graph = await _graph(source, scenario.run)
    [execution] = (await load_agents(source, graph, cap=0))[scenario.ids["agent_node"]]
    assert execution.note == "not loaded: the run has more than 0 agent messages"
    assert sim.requests_to("messages.get") == []


def test_the_json_of_a_message_keeps_every_part_and_its_text_exact() -> None:
    view = agent_view(message([{"type": "text", "text": "a\x1b[2J[bold]b"}, {"type": "data-x", "v": 1}]))
    steps = [{"parts": [part_dict(p) for p in step.parts]} for step in view.steps]
    assert steps == [
        {
            "parts": [
                {"type": "text", "text": "a\x1b[2J[bold]b"},
                {"type": "unknown", "partType": "data-x", "part": {"type": "data-x", "v": 1}},
            ]
        }
    ]
