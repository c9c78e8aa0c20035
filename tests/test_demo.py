"""The embedded demo: Cargo's API simulated, with a live run that plays out over time, served
through an httpx transport. Faithful to Cargo's types, and showing both group shapes."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from run_inspector.demo import (
    DEMO_AGENT_NODE_UUID,
    DEMO_API_URL,
    DEMO_BATCH_GROUP_NODE_UUID,
    DEMO_BATCH_UUID,
    DEMO_CHILD_RUN_UUIDS,
    DEMO_GROUP_NODE_UUID,
    DEMO_LOOKALIKE_RUN_UUIDS,
    DEMO_MESSAGE_UUID,
    DEMO_RUN_UUID,
    DEMO_TOOL_RUN_UUID,
    DEMO_TRACE_UUID,
    DEMO_WORKFLOW_UUID,
    DemoTransport,
    demo_response,
    demo_run_uuids,
)
from run_inspector.graph import NOT_REACHED, RunGraph
from run_inspector.layout import failed_nodes
from run_inspector.models import TERMINAL_STATUSES, parse_run_response

RUN_RANK = {"pending": 0, "running": 1, "success": 2, "error": 2}
EXECUTION_RANK = {"pending": 0, "success": 1, "error": 1}
RUN_PATH = "/orchestration/runs/{}"
MOMENTS = [i * 0.5 for i in range(51)]  # 0 .. 25 s


def body(elapsed: float, run_uuid: str = DEMO_RUN_UUID, duration: float = 20.0) -> dict[str, Any]:
    data = demo_response(elapsed, run_uuid, duration)
    assert data is not None, (run_uuid, elapsed)
    return data


def graph_of(data: dict[str, Any]) -> RunGraph:
    parsed = parse_run_response(json.dumps(data).encode())
    assert parsed.anomalies == []
    graph = RunGraph.build(parsed)
    assert graph.anomalies == []
    return graph


def by_slug(graph: RunGraph) -> dict[str | None, Any]:
    return {state.slug: state for state in graph.states.values()}


def executions_of(data: dict[str, Any], slug: str) -> list[dict[str, Any]]:
    return [e for e in data["run"]["executions"] if e["nodeSlug"] == slug]


class FakeClock:
    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def client(transport: DemoTransport | None = None) -> httpx.Client:
    return httpx.Client(transport=transport or DemoTransport.finished(), base_url=DEMO_API_URL)


# -- faithful to Cargo's types --------------------------------------------------------------------


def test_executions_are_only_pending_success_or_error_and_a_started_one_is_pending() -> None:
    seen = set()
    for t in MOMENTS:
        for run_uuid in demo_run_uuids():
            data = demo_response(t, run_uuid)
            if data is None:
                continue
            for execution in data["run"]["executions"]:
                seen.add(execution["status"])
                assert execution["status"] in ("pending", "success", "error")
                if execution["status"] == "pending":
                    assert execution["finishedAt"] is None
                else:
                    assert execution["startedAt"] <= execution["finishedAt"]
    assert seen == {"pending", "success", "error"}
    started = [e for e in body(5.0)["run"]["executions"] if e["status"] == "pending"]
    assert started and all(e["startedAt"] is not None for e in started)


def test_nodes_follow_cargos_node_schema() -> None:
    """What the cargo-schema tool checks: each kind's required field, booleans, positions."""
    required = {
        "native": "actionSlug",
        "connector": "integrationSlug",
        "agent": "agentUuid",
        "tool": "toolUuid",
    }
    for run_uuid in demo_run_uuids():
        data = demo_response(20.0, run_uuid)
        assert data is not None
        nodes = list(data["run"]["nodes"])
        nodes += [n for node in data["run"]["nodes"] for n in node["config"].get("_nodes", [])]
        for node in nodes:
            assert isinstance(node[required[node["kind"]]], str), node["slug"]
            assert node["kind"] != "connector" or isinstance(node["actionSlug"], str)
            assert isinstance(node["fallbackOnFailure"], bool) and set(node["position"]) == {"x", "y"}
            assert all(child is None or isinstance(child, str) for child in node["childrenUuids"])


# -- the live run over time ------------------------------------------------------------------------


def test_at_start_the_run_is_pending_with_no_executions() -> None:
    data = body(0.0)
    run = data["run"]
    assert (run["uuid"], run["status"], run["executions"], run["finishedAt"]) == (
        DEMO_RUN_UUID,
        "pending",
        [],
        None,
    )
    assert run["recordTitle"] == "Acme Corp" and run["workflowUuid"] == DEMO_WORKFLOW_UUID
    assert data["runContext"] == {} and data["runComputedConfigs"] == {}
    graph = graph_of(data)
    assert graph.summary.verdict == "pending" and graph.summary.nodes_reached == 0


def test_midway_the_run_is_running_with_unfinished_work() -> None:
    data = body(10.0)
    assert data["run"]["status"] == "running" and data["run"]["finishedAt"] is None
    states = by_slug(graph_of(data))
    assert states["qualify"].status == "success"
    assert states["contacts_loop"].status == "pending"
    assert states["sync_crm"].status == NOT_REACHED and states["end"].status == NOT_REACHED
    assert "qualify" in data["runContext"] and "sync_crm" not in data["runComputedConfigs"]
    assert [e["status"] for e in executions_of(data, "contacts_loop")] == ["success", "pending", "pending"]


def test_final_state() -> None:
    data = body(20.0)
    run = data["run"]
    assert (run["status"], run["errorMessage"]) == ("success", None)
    assert run["finishedAt"].endswith("Z")
    graph = graph_of(data)
    states = by_slug(graph)
    assert graph.summary.verdict == "degraded"

    enrich = states["enrich_company"]
    assert [e.status for e in enrich.executions] == ["error", "success"]
    assert enrich.executions[0].error_message == "Clearbit: 503 Service Unavailable"
    assert enrich.node.retry.maximum_attempts == 3

    qualify = executions_of(data, "qualify")[0]
    assert (qualify["nodeKind"], qualify["nodeMessageUuid"], qualify["creditsUsedCount"]) == (
        "agent",
        DEMO_MESSAGE_UUID,
        5,
    )
    assert data["runContext"]["qualify"]["answer"]["score"] == 82
    assert len(data["runContext"]["qualify"]["answer"]["lookalikes"]) == 5

    assert states["is_qualified"].taken_indexes == [0]
    assert states["mark_disqualified"].status == NOT_REACHED
    assert states["sync_crm"].status == "error" and states["sync_crm"].fallback_took_over
    assert "HubSpot" in states["sync_crm"].first_error
    assert states["notify_owner"].status == "success" and states["end"].status == "success"
    assert states["sync_crm"].uuid in failed_nodes(graph)
    assert data["runContext"]["end"]["score"] == 82

    for execution in run["executions"]:
        assert execution["status"] in TERMINAL_STATUSES
        assert (execution["creditsUsedCount"] == 0) == (execution["nodeKind"] == "native")
    assert {s.slug for s in graph.states.values() if s.executions} == {
        "start", "enrich_company", "qualify", "is_qualified", "contacts_loop", "score_lookalikes",
        "sync_crm", "notify_owner", "end",
    }  # fmt: skip


def test_the_contacts_group_runs_one_child_run_per_item_and_goes_on_after_item_2_fails() -> None:
    data = body(20.0)
    group = next(n for n in data["run"]["nodes"] if n["uuid"] == DEMO_GROUP_NODE_UUID)
    assert (group["slug"], group["actionSlug"], group["fallbackOnFailure"], group["fallbackChildUuid"]) == (
        "contacts_loop",
        "group",
        True,
        None,
    )
    executions = executions_of(data, "contacts_loop")
    assert [e["status"] for e in executions] == ["success", "error", "success"]
    assert [e["nodeRunUuid"] for e in executions] == list(DEMO_CHILD_RUN_UUIDS)
    assert {e["nextNodeUuid"] for e in executions} == {DEMO_BATCH_GROUP_NODE_UUID}  # the run went on
    later = executions_of(data, "score_lookalikes")[0]
    assert later["startedAt"] > executions[1]["finishedAt"]
    for index, child in enumerate(DEMO_CHILD_RUN_UUIDS):
        child_data = body(20.0, child)
        run = child_data["run"]
        assert (run["parentUuid"], run["parentNodeUuid"], run["traceUuid"]) == (
            DEMO_RUN_UUID,
            DEMO_GROUP_NODE_UUID,
            DEMO_TRACE_UUID,
        )
        assert run["nodes"] == group["config"]["_nodes"]
        graph_of(child_data)
        if index == 1:
            assert (run["status"], run["errorMessage"], run["recordTitle"]) == (
                "error",
                "Node find_email failed",
                "Marcus Oyelaran",
            )
            failed = executions_of(child_data, "find_email")[0]
            assert failed["status"] == "error" and "Hunter: 422" in failed["errorMessage"]
        else:
            assert run["status"] == "success" and child_data["runContext"]["find_email"]["email"].endswith(
                "@acme.com"
            )


def test_the_lookalikes_group_runs_a_batch_that_progresses_live() -> None:
    executions = executions_of(body(20.0), "score_lookalikes")
    assert len(executions) == 1
    assert (executions[0]["nodeBatchUuid"], executions[0]["nodeRunUuid"]) == (DEMO_BATCH_UUID, None)
    clock = FakeClock(0.0)
    transport = DemoTransport(clock=clock, start=0.0)
    seen = []
    with client(transport) as http:
        for t in MOMENTS:
            clock.now = t
            response = http.get(f"/orchestration/batches/{DEMO_BATCH_UUID}")
            if response.status_code == 404:
                assert not seen
                continue
            batch = response.json()["batch"]
            seen.append((batch["status"], batch["executedRunsCount"], batch["failedRunsCount"]))
        items = http.post("/orchestration/runs/list", json={"batchUuid": DEMO_BATCH_UUID}).json()
        by_parent = http.post(
            "/orchestration/runs/list",
            json={"parentUuid": DEMO_RUN_UUID, "parentNodeUuid": DEMO_BATCH_GROUP_NODE_UUID},
        ).json()
    assert seen[-1] == ("success", 5, 2)
    done = [s[1] for s in seen]
    assert done == sorted(done) and done[0] == 0 and len(set(done)) >= 4
    assert "running" in {s[0] for s in seen}
    assert items == by_parent and sorted(r["uuid"] for r in items["runs"]) == sorted(DEMO_LOOKALIKE_RUN_UUIDS)
    failed = {r["uuid"]: r["errorMessage"] for r in items["runs"] if r["status"] == "error"}
    assert failed == {
        DEMO_LOOKALIKE_RUN_UUIDS[1]: "Node enrich_account failed",
        DEMO_LOOKALIKE_RUN_UUIDS[3]: "Node fit_score failed",
    }


def test_the_agents_message_streams_reasoning_a_tool_run_and_the_answer() -> None:
    clock = FakeClock(0.0)
    transport = DemoTransport(clock=clock, start=0.0)
    states = []
    with client(transport) as http:
        for t in (4.0, 4.7, 5.0, 5.5, 6.5, 7.0, 8.0):
            clock.now = t
            response = http.get(f"/ai/messages/{DEMO_MESSAGE_UUID}")
            if response.status_code == 404:
                states.append(None)
                continue
            message = response.json()["message"]
            states.append(
                (message["status"], [p["type"] + "/" + p.get("state", "") for p in message["parts"]])
            )
        tool_run = http.get(RUN_PATH.format(DEMO_TOOL_RUN_UUID)).json()["run"]
    assert states[0] is None and states[1] == ("generating", ["step-start/"])
    assert states[3] == (
        "generating",
        ["step-start/", "reasoning/done", "tool-find_lookalikes/input-available"],
    )
    assert states[4] is not None and "tool-find_lookalikes/output-available" in states[4][1]
    assert states[-1] is not None and states[-1][0] == "success" and states[-1][1][-1] == "text/done"
    final = demo_world_message()
    tool = next(p for p in final["parts"] if p["type"] == "tool-find_lookalikes")
    assert tool["output"]["outcome"] == "executed" and tool["output"]["runUuid"] == DEMO_TOOL_RUN_UUID
    assert final["usage"]["creditsUsedCount"] == 5 and final["languageModelSlug"] == "gpt-4.1"
    assert (tool_run["parentMessageUuid"], tool_run["parentNodeUuid"], tool_run["status"]) == (
        DEMO_MESSAGE_UUID,
        DEMO_AGENT_NODE_UUID,
        "success",
    )


def demo_world_message() -> dict[str, Any]:
    with client() as http:
        message: dict[str, Any] = http.get(f"/ai/messages/{DEMO_MESSAGE_UUID}").json()["message"]
    return message


# -- the rest of the API ----------------------------------------------------------------------------


def test_the_workflow_lists_twenty_runs_in_mixed_states_each_fetchable() -> None:
    with client(DemoTransport(clock=FakeClock(0.0), start=0.0)) as http:
        listing = http.post(
            "/orchestration/runs/list", json={"workflowUuid": DEMO_WORKFLOW_UUID, "isGroupParent": True}
        ).json()
        page = http.post(
            "/orchestration/runs/list",
            json={"workflowUuid": DEMO_WORKFLOW_UUID, "isGroupParent": True, "limit": 5},
        ).json()
        for run in listing["runs"]:
            assert run["nodes"] is None and run["executions"] == []
            fetched = http.get(RUN_PATH.format(run["uuid"]))
            assert fetched.status_code == 200 and fetched.json()["run"]["nodes"]
        rate_limited = http.post(
            "/orchestration/runs/count",
            json={
                "workflowUuid": DEMO_WORKFLOW_UUID,
                "executionsFilter": {
                    "conjonction": "and",
                    "groups": [
                        {
                            "conjonction": "and",
                            "conditions": [
                                {
                                    "kind": "node",
                                    "nodeSlug": "enrich_company",
                                    "status": "error",
                                    "value": "429",
                                }
                            ],
                        }
                    ],
                },
            },
        ).json()
    runs = listing["runs"]
    assert listing["count"] == 20 == len(runs) and page["count"] == 20 and len(page["runs"]) == 5
    assert DEMO_RUN_UUID in {r["uuid"] for r in runs}
    statuses = {r["status"] for r in runs}
    assert {"pending", "running", "success", "error", "cancelled"} <= statuses
    created = [r["createdAt"] for r in runs]
    assert created != sorted(created, reverse=True)  # the API does not sort: clients do
    assert rate_limited == {"count": 3}


def test_metrics_count_the_workflows_executions() -> None:
    with client() as http:
        metrics = http.post("/orchestration/runs/metrics", json={"workflowUuid": DEMO_WORKFLOW_UUID}).json()
    rows = {m["nodeUuid"]: m for m in metrics["runMetrics"]}
    enrich = next(n for n in body(20.0)["run"]["nodes"] if n["slug"] == "enrich_company")
    row = rows[enrich["uuid"]]
    assert row["errorExecutionsCount"] > 0 and row["successExecutionsCount"] > row["errorExecutionsCount"]
    assert row["creditsUsedCount"] == row["totalExecutionsCount"]  # 1 credit a call


def test_the_trace_is_pending_while_the_run_plays_and_ends_degraded() -> None:
    clock = FakeClock(0.0)
    transport = DemoTransport(clock=clock, start=0.0)
    with client(transport) as http:
        middle = http.get(f"/orchestration/traces/{DEMO_TRACE_UUID}").json()["trace"]
        clock.now = 25.0
        end = http.get(f"/orchestration/traces/{DEMO_TRACE_UUID}").json()["trace"]
    assert (middle["status"], middle["rootRunUuid"]) == ("pending", DEMO_RUN_UUID)
    assert end["status"] == "degraded" and end["finishedAt"] is not None
    own = sum(e["creditsUsedCount"] for e in body(20.0)["run"]["executions"])
    assert end["creditsUsedCount"] > own  # the child runs' credits count too


def test_cancelling_the_live_run_makes_it_cancelling_then_cancelled() -> None:
    clock = FakeClock(0.0)
    transport = DemoTransport(clock=clock, start=0.0)
    with client(transport) as http:
        clock.now = 9.0
        answer = http.post(
            "/orchestration/runs/cancel", json={"workflowUuid": DEMO_WORKFLOW_UUID, "uuids": [DEMO_RUN_UUID]}
        )
        cancelling = http.get(RUN_PATH.format(DEMO_RUN_UUID)).json()["run"]
        clock.now = 30.0
        cancelled = http.get(RUN_PATH.format(DEMO_RUN_UUID)).json()["run"]
        child = http.get(RUN_PATH.format(DEMO_CHILD_RUN_UUIDS[2])).json()["run"]
    assert (answer.status_code, answer.json()) == (200, {})
    assert cancelling["status"] == "cancelling" and cancelling["finishedAt"] is None
    assert cancelled["status"] == "cancelled" and cancelled["finishedAt"] is not None
    assert len(cancelled["executions"]) == len(cancelling["executions"])  # it stopped where it was
    assert child["status"] == "cancelled"


# -- the transport ---------------------------------------------------------------------------------


async def test_child_runs_fetchable_through_the_transport() -> None:
    async with httpx.AsyncClient(transport=DemoTransport.finished(), base_url=DEMO_API_URL) as http:
        parent = await http.get(RUN_PATH.format(DEMO_RUN_UUID), headers={"Authorization": "Bearer x"})
        assert parent.status_code == 200 and parent.headers["content-type"] == "application/json"
        child_runs = by_slug(graph_of(parent.json()))["contacts_loop"].child_runs
        assert child_runs == list(DEMO_CHILD_RUN_UUIDS)
        for child in child_runs:
            run = (await http.get(RUN_PATH.format(child))).json()["run"]
            assert (run["uuid"], run["parentUuid"], run["parentNodeUuid"]) == (
                child,
                DEMO_RUN_UUID,
                DEMO_GROUP_NODE_UUID,
            )


async def test_unknown_run_is_404() -> None:
    assert demo_response(20.0, "no-such-run") is None
    async with httpx.AsyncClient(transport=DemoTransport(), base_url=DEMO_API_URL) as http:
        response = await http.get(RUN_PATH.format("no-such-run"))
    assert response.status_code == 404 and response.headers["content-type"] == "application/json"
    assert response.json() == {"errorMessage": "Run not found", "reason": "runNotFound"}


async def test_any_base_path_and_no_auth() -> None:
    async with httpx.AsyncClient(
        transport=DemoTransport.finished(), base_url="http://localhost:9/api/v2"
    ) as http:
        response = await http.get(RUN_PATH.format(DEMO_RUN_UUID))
    assert response.status_code == 200 and response.json()["run"]["status"] == "success"


def test_sync_client_works_too() -> None:
    with client() as http:
        assert http.get(RUN_PATH.format(DEMO_CHILD_RUN_UUIDS[0])).status_code == 200


def test_progress_is_monotonic() -> None:
    live = (DEMO_RUN_UUID, *DEMO_CHILD_RUN_UUIDS, *DEMO_LOOKALIKE_RUN_UUIDS, DEMO_TOOL_RUN_UUID)
    assert demo_run_uuids()[: len(live)] == live and len(demo_run_uuids()) > 60
    for run_uuid in live:
        previous: dict[str, Any] | None = None
        for t in MOMENTS:
            data = demo_response(t, run_uuid)
            if data is None:
                assert previous is None, f"{run_uuid} vanished at {t}"
                continue
            run = data["run"]
            if previous is not None:
                old = previous["run"]
                assert RUN_RANK[run["status"]] >= RUN_RANK[old["status"]]
                assert run["updatedAt"] >= old["updatedAt"]
                assert len(run["executions"]) >= len(old["executions"])
                for before, after in zip(old["executions"], run["executions"], strict=False):
                    assert before["nodeUuid"] == after["nodeUuid"]
                    assert before["nodeRunUuid"] in (None, after["nodeRunUuid"])
                    assert EXECUTION_RANK[after["status"]] >= EXECUTION_RANK[before["status"]], (
                        run_uuid,
                        t,
                        after,
                    )
                assert set(data["runContext"]) >= set(previous["runContext"])
                assert set(data["runComputedConfigs"]) >= set(previous["runComputedConfigs"])
            graph_of(data)
            previous = data
        assert previous is not None and previous["run"]["status"] in ("success", "error")


def test_every_child_run_an_execution_points_at_exists_and_ends_as_it_does() -> None:
    for t in MOMENTS:
        for execution in body(t)["run"]["executions"]:
            child = execution["nodeRunUuid"]
            if child is None:
                continue
            status = body(t, child)["run"]["status"]
            if execution["status"] != "pending":  # the item's run ended before its execution did
                assert status == execution["status"], (t, child)


def test_deterministic() -> None:
    for t in (0.0, 3.3, 10.0, 17.25, 20.0):
        for run_uuid in demo_run_uuids()[:10]:
            assert json.dumps(demo_response(t, run_uuid)) == json.dumps(demo_response(t, run_uuid))


async def test_transport_bytes_are_deterministic_with_an_injected_clock() -> None:
    contents = []
    for _ in range(2):
        transport = DemoTransport(clock=FakeClock(50.0), start=40.0)
        async with httpx.AsyncClient(transport=transport, base_url=DEMO_API_URL) as http:
            contents.append((await http.get(RUN_PATH.format(DEMO_RUN_UUID))).content)
    assert contents[0] == contents[1] == json.dumps(demo_response(10.0)).encode()


async def test_live_transport_advances_with_its_clock() -> None:
    clock = FakeClock(1000.0)
    transport = DemoTransport(clock=clock)  # the clock starts at the first request
    seen = []
    async with httpx.AsyncClient(transport=transport, base_url=DEMO_API_URL) as http:
        for now in (1000.0, 1001.0, 1010.0, 1030.0):
            clock.now = now
            run = (await http.get(RUN_PATH.format(DEMO_RUN_UUID))).json()["run"]
            seen.append((run["status"], len(run["executions"]), run["finishedAt"] is not None))
    assert seen[0] == ("pending", 0, False)
    assert seen[1][0] == "running"
    assert seen[2][0] == "running" and seen[2][1] > seen[1][1]
    assert seen[3][0] == "success" and seen[3][2]


def test_duration_scales_the_timeline() -> None:
    assert body(0.9, duration=2.0)["run"]["status"] == "running"
    fast = body(2.0, duration=2.0)
    assert fast["run"]["status"] == "success"
    assert len(fast["run"]["executions"]) == len(body(20.0)["run"]["executions"])
    with pytest.raises(ValueError):
        demo_response(1.0, duration=0.0)


def test_finished_transport_ignores_the_clock() -> None:
    transport = DemoTransport.finished()
    assert transport.elapsed() == transport.duration
    assert body(transport.elapsed())["run"]["status"] == "success"
