"""The embedded demo API: a run that plays out over time, served through an httpx transport."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from run_inspector.demo import (
    DEMO_API_URL,
    DEMO_CHILD_RUN_UUIDS,
    DEMO_GROUP_NODE_UUID,
    DEMO_RUN_UUID,
    DemoTransport,
    demo_response,
    demo_run_uuids,
)
from run_inspector.graph import NOT_REACHED, RunGraph
from run_inspector.layout import failed_nodes
from run_inspector.models import ACTIVE_STATUSES, TERMINAL_STATUSES, parse_run_response

RANK = {"pending": 0, "running": 1, "success": 2, "error": 2}
RUN_PATH = "/orchestration/runs/{}"


def body(elapsed: float, run_uuid: str = DEMO_RUN_UUID, duration: float = 20.0) -> dict[str, Any]:
    data = demo_response(elapsed, run_uuid, duration)
    assert data is not None
    return data


def graph_of(data: dict[str, Any]) -> RunGraph:
    parsed = parse_run_response(json.dumps(data).encode())
    assert parsed.anomalies == []
    graph = RunGraph.build(parsed)
    assert graph.anomalies == []
    return graph


def by_slug(graph: RunGraph) -> dict[str | None, Any]:
    return {state.slug: state for state in graph.states.values()}


class FakeClock:
    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_at_start_the_run_is_pending_with_no_executions() -> None:
    data = body(0.0)
    run = data["run"]
    assert run["uuid"] == DEMO_RUN_UUID
    assert run["status"] == "pending"
    assert run["executions"] == []
    assert run["finishedAt"] is None
    assert run["recordTitle"] == "Acme Corp"
    assert data["runContext"] == {} and data["runComputedConfigs"] == {}
    graph = graph_of(data)
    assert graph.summary.verdict == "pending"
    assert graph.summary.nodes_reached == 0


def test_midway_the_run_is_running_with_unfinished_work() -> None:
    data = body(10.0)
    assert data["run"]["status"] == "running"
    assert data["run"]["finishedAt"] is None
    statuses = {e["status"] for e in data["run"]["executions"]}
    assert statuses & {"pending", "running"}
    graph = graph_of(data)
    states = by_slug(graph)
    assert states["qualify"].status == "success"
    assert states["contacts_loop"].status in ACTIVE_STATUSES
    assert states["sync_crm"].status == NOT_REACHED
    assert states["end"].status == NOT_REACHED
    assert "qualify" in data["runContext"]
    assert "sync_crm" not in data["runComputedConfigs"]


def test_final_state() -> None:
    data = body(20.0)
    run = data["run"]
    assert run["status"] == "success"
    assert run["finishedAt"] is not None and run["finishedAt"].endswith("Z")
    assert run["errorMessage"] is None
    graph = graph_of(data)
    states = by_slug(graph)
    assert graph.summary.status == "success"
    assert graph.summary.verdict == "degraded"

    enrich = states["enrich_company"]
    assert enrich.attempts == 2
    assert [e.status for e in enrich.executions] == ["error", "success"]
    assert enrich.executions[0].error_message == "Clearbit: 503 Service Unavailable"
    assert enrich.node.retry.maximum_attempts == 3
    assert enrich.status == "success"

    qualify = states["qualify"]
    assert qualify.kind == "agent" and qualify.credits == 5
    assert data["runContext"]["qualify"]["answer"]["qualified"] is True
    assert data["runContext"]["qualify"]["answer"]["score"] == 82

    branch = states["is_qualified"]
    assert branch.taken_indexes == [0]
    assert branch.executions[0].title == "✅ Condition is matched"
    assert branch.executions[0].next_node_uuid == DEMO_GROUP_NODE_UUID
    assert states["mark_disqualified"].status == NOT_REACHED

    group = states["contacts_loop"]
    assert group.uuid == DEMO_GROUP_NODE_UUID
    assert group.child_runs == list(DEMO_CHILD_RUN_UUIDS)
    assert group.sub_nodes == 3
    assert group.status == "success"

    sync = states["sync_crm"]
    assert sync.status == "error" and sync.failed
    assert sync.first_error is not None and "HubSpot" in sync.first_error and len(sync.first_error) > 120
    assert sync.fallback_took_over
    assert states["notify_owner"].status == "success"
    assert states["end"].status == "success"
    assert failed_nodes(graph) == [sync.uuid]
    assert data["runContext"]["end"]["score"] == 82

    for execution in run["executions"]:
        assert execution["status"] in TERMINAL_STATUSES
        for key in ("startedAt", "updatedAt", "finishedAt"):
            assert execution[key].endswith("Z")
        assert execution["startedAt"] <= execution["finishedAt"]
        if execution["nodeKind"] == "native":
            assert execution["creditsUsedCount"] == 0
        else:
            assert execution["creditsUsedCount"] > 0
    reached = {s.slug for s in graph.states.values() if s.executions}
    assert reached == {
        "start",
        "enrich_company",
        "qualify",
        "is_qualified",
        "contacts_loop",
        "sync_crm",
        "notify_owner",
        "end",
    }
    assert graph.summary.credits == 1 + 1 + 5 + 1 + 1


def test_child_runs_are_complete_runs() -> None:
    for index, child in enumerate(DEMO_CHILD_RUN_UUIDS):
        data = body(20.0, child)
        run = data["run"]
        assert run["parentUuid"] == DEMO_RUN_UUID
        assert run["parentNodeUuid"] == DEMO_GROUP_NODE_UUID
        assert run["status"] == "success"
        graph = graph_of(data)
        assert graph.summary.verdict == "ok"
        states = by_slug(graph)
        assert [states[s].status for s in ("item_start", "find_email", "item_end")] == ["success"] * 3
        assert data["runContext"]["find_email"]["email"].endswith("@acme.com")
        group = next(n for n in body(20.0)["run"]["nodes"] if n["uuid"] == DEMO_GROUP_NODE_UUID)
        assert run["nodes"] == group["config"]["_nodes"]
        assert data["runContext"]["item_start"] == group["config"]["items"][index]


async def test_child_runs_fetchable_through_the_transport() -> None:
    async with httpx.AsyncClient(transport=DemoTransport.finished(), base_url=DEMO_API_URL) as client:
        parent = await client.get(RUN_PATH.format(DEMO_RUN_UUID), headers={"Authorization": "Bearer x"})
        assert parent.status_code == 200
        assert parent.headers["content-type"] == "application/json"
        graph = graph_of(parent.json())
        child_runs = by_slug(graph)["contacts_loop"].child_runs
        assert len(child_runs) == 3
        for child in child_runs:
            response = await client.get(RUN_PATH.format(child))
            assert response.status_code == 200
            run = response.json()["run"]
            assert (run["uuid"], run["parentUuid"], run["parentNodeUuid"]) == (
                child,
                DEMO_RUN_UUID,
                DEMO_GROUP_NODE_UUID,
            )


async def test_unknown_run_is_404() -> None:
    assert demo_response(20.0, "no-such-run") is None
    async with httpx.AsyncClient(transport=DemoTransport(), base_url=DEMO_API_URL) as client:
        response = await client.get(RUN_PATH.format("no-such-run"))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"errorMessage": "Run not found", "reason": "notFound"}


async def test_any_base_path_and_no_auth() -> None:
    transport = DemoTransport.finished()
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:9/api/v2") as client:
        response = await client.get(RUN_PATH.format(DEMO_RUN_UUID))
    assert response.status_code == 200
    assert response.json()["run"]["status"] == "success"


def test_sync_client_works_too() -> None:
    with httpx.Client(transport=DemoTransport.finished(), base_url=DEMO_API_URL) as client:
        response = client.get(RUN_PATH.format(DEMO_CHILD_RUN_UUIDS[0]))
    assert response.status_code == 200


def test_progress_is_monotonic() -> None:
    steps = [i * 0.5 for i in range(51)]  # 0 .. 25 s
    for run_uuid in demo_run_uuids():
        previous: dict[str, Any] | None = None
        for t in steps:
            data = demo_response(t, run_uuid)
            if data is None:
                assert previous is None, f"{run_uuid} vanished at {t}"
                continue
            run = data["run"]
            if previous is not None:
                old = previous["run"]
                assert RANK[run["status"]] >= RANK[old["status"]]
                assert run["updatedAt"] >= old["updatedAt"]
                assert len(run["executions"]) >= len(old["executions"])
                for before, after in zip(old["executions"], run["executions"], strict=False):
                    assert (before["nodeUuid"], before["nodeRunUuid"]) == (
                        after["nodeUuid"],
                        after["nodeRunUuid"],
                    )
                    assert RANK[after["status"]] >= RANK[before["status"]], (run_uuid, t, after)
                assert set(data["runContext"]) >= set(previous["runContext"])
                assert set(data["runComputedConfigs"]) >= set(previous["runComputedConfigs"])
            graph_of(data)
            previous = data
        assert previous is not None and previous["run"]["status"] == "success"


def test_child_runs_exist_as_soon_as_the_group_points_at_them_and_move_in_step() -> None:
    for i in range(51):
        t = i * 0.5
        executions = body(t)["run"]["executions"]
        group = {e["nodeRunUuid"]: e["status"] for e in executions if e["nodeRunUuid"]}
        for child in DEMO_CHILD_RUN_UUIDS:
            data = demo_response(t, child)
            if child not in group:
                assert data is None
                continue
            assert data is not None
            status = data["run"]["status"]
            if group[child] == "pending":
                assert status == "pending"
            if group[child] == "success":
                assert status == "success"
            if status == "running":
                assert group[child] == "running"


def test_deterministic() -> None:
    for t in (0.0, 3.3, 10.0, 17.25, 20.0):
        for run_uuid in demo_run_uuids():
            assert json.dumps(demo_response(t, run_uuid)) == json.dumps(demo_response(t, run_uuid))


async def test_transport_bytes_are_deterministic_with_an_injected_clock() -> None:
    contents = []
    for _ in range(2):
        clock = FakeClock(50.0)
        transport = DemoTransport(clock=clock, start=40.0)
        async with httpx.AsyncClient(transport=transport, base_url=DEMO_API_URL) as client:
            contents.append((await client.get(RUN_PATH.format(DEMO_RUN_UUID))).content)
    assert contents[0] == contents[1]
    assert contents[0] == json.dumps(demo_response(10.0)).encode()


async def test_live_transport_advances_with_its_clock() -> None:
    clock = FakeClock(1000.0)
    transport = DemoTransport(clock=clock)  # the clock starts at the first request
    seen = []
    async with httpx.AsyncClient(transport=transport, base_url=DEMO_API_URL) as client:
        for now in (1000.0, 1001.0, 1010.0, 1030.0):
            clock.now = now
            run = (await client.get(RUN_PATH.format(DEMO_RUN_UUID))).json()["run"]
            seen.append((run["status"], len(run["executions"]), run["finishedAt"] is not None))
    assert seen[0] == ("pending", 0, False)
    assert seen[1][0] == "running"
    assert seen[2][0] == "running" and seen[2][1] > seen[1][1]
    assert seen[3][0] == "success" and seen[3][2]


def test_duration_scales_the_timeline() -> None:
    assert body(0.9, duration=2.0)["run"]["status"] == "running"
    fast = body(2.0, duration=2.0)
    assert fast["run"]["status"] == "success"
    slow = body(20.0)
    assert len(fast["run"]["executions"]) == len(slow["run"]["executions"])
    with pytest.raises(ValueError):
        demo_response(1.0, duration=0.0)


def test_finished_transport_ignores_the_clock() -> None:
    transport = DemoTransport.finished()
    assert transport.elapsed() == transport.duration
    assert body(transport.elapsed())["run"]["status"] == "success"
