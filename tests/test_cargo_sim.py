"""The simulated Cargo API: every endpoint, every list filter, paging, errors, recording, time,
and the worlds built on it (Cargo's real shapes, one behaviour each)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import pytest

from run_inspector.cargo_sim import ENDPOINTS, CargoSim, Json, World, iso, make_run, run_body
from run_inspector.graph import RunGraph
from run_inspector.models import parse_run_response

from .cargo_server import cargo_server
from .cargo_worlds import (
    FIXTURES,
    NOW,
    Scenario,
    agent_world,
    busy_workflow_world,
    dump,
    error_run_with_fallback_world,
    fallback_without_child_world,
    fixture_files,
    group_batch_world,
    group_items_world,
    workflow_runs_world,
)

BASE = "https://cargo.test/v1"
ALL_WORLDS: list[Callable[[], Scenario]] = [
    group_items_world,
    group_batch_world,
    lambda: group_batch_world(live=True),
    fallback_without_child_world,
    error_run_with_fallback_world,
    workflow_runs_world,
    agent_world,
    lambda: busy_workflow_world(30),
]


def client_for(sim: CargoSim) -> httpx.Client:
    return httpx.Client(transport=sim.transport(), base_url=BASE)


def combined() -> tuple[CargoSim, World]:
    """Three worlds in one API, so each filter has runs to leave out."""
    world = workflow_runs_world().world
    world.merge(group_batch_world().world).merge(group_items_world().world)
    return CargoSim(world), world


def every_run(world: World) -> list[Json]:
    return [body["run"] for body in world.bodies(0.0)]


def post(sim: CargoSim, path: str, payload: Any) -> httpx.Response:
    with client_for(sim) as client:
        return client.post(path, json=payload)


def get(sim: CargoSim, path: str) -> httpx.Response:
    with client_for(sim) as client:
        return client.get(path)


def listed_uuids(sim: CargoSim, payload: Json) -> list[str]:
    response = post(sim, "/orchestration/runs/list", payload)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["count"] == len(data["runs"])
    return [run["uuid"] for run in data["runs"]]


# -- GET-run, routes, methods -------------------------------------------------------------------


def test_get_run_answers_cargos_three_keys_and_404_run_not_found() -> None:
    scenario = group_items_world()
    sim = scenario.sim()
    response = get(sim, f"/orchestration/runs/{scenario.run}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert set(response.json()) == {"run", "runContext", "runComputedConfigs"}
    assert response.json() == scenario.body()
    missing = get(sim, "/orchestration/runs/no-such-run")
    assert missing.status_code == 404
    assert missing.json() == {"errorMessage": "Run not found", "reason": "runNotFound"}


def test_unknown_route_is_404_and_a_wrong_method_405() -> None:
    sim = CargoSim()
    unknown = get(sim, "/orchestration/workflows/list")
    assert (unknown.status_code, unknown.json()) == (
        404,
        {"errorMessage": "Route not found", "reason": "notFound"},
    )
    listed_by_get = get(sim, "/orchestration/runs/list")
    assert listed_by_get.status_code == 405 and listed_by_get.headers["allow"] == "POST"
    assert listed_by_get.json()["reason"] == "methodNotAllowed"
    assert post(sim, "/orchestration/runs/some-run", {}).status_code == 405
    assert post(sim, "/orchestration/traces/t", {}).status_code == 405


def test_any_base_path_works() -> None:
    scenario = fallback_without_child_world()
    with httpx.Client(transport=scenario.sim().transport(), base_url="http://localhost:9/api/v2") as client:
        assert client.get(f"/orchestration/runs/{scenario.run}").status_code == 200


# -- runs/list: shape, order, every filter, paging ----------------------------------------------


def test_listed_runs_have_no_graph_or_executions_and_are_not_newest_first() -> None:
    scenario = workflow_runs_world()
    data = post(scenario.sim(), "/orchestration/runs/list", {"workflowUuid": scenario.ids["workflow"]}).json()
    assert data["count"] == 25 and len(data["runs"]) == 25
    for run in data["runs"]:
        assert run["nodes"] is None and run["executions"] == []
        full = scenario.body(run["uuid"])["run"]
        assert {k: v for k, v in full.items() if k not in ("nodes", "executions")} == {
            k: v for k, v in run.items() if k not in ("nodes", "executions")
        }
    created = [run["createdAt"] for run in data["runs"]]
    assert created != sorted(created, reverse=True) and created != sorted(created)
    assert [run["uuid"] for run in data["runs"]] == sorted(run["uuid"] for run in data["runs"])
    again = post(
        scenario.sim(), "/orchestration/runs/list", {"workflowUuid": scenario.ids["workflow"]}
    ).json()
    assert again == data


def _after(moment: datetime) -> str:
    return iso(moment)


FILTERS: list[
    tuple[str, Callable[[Scenario, Scenario], Json], Callable[[Json, Scenario, Scenario], bool]]
] = [
    ("none", lambda w, b: {}, lambda r, w, b: True),
    (
        "workflowUuid",
        lambda w, b: {"workflowUuid": w.ids["workflow"]},
        lambda r, w, b: r["workflowUuid"] == w.ids["workflow"],
    ),
    (
        "userUuid",
        lambda w, b: {"userUuid": w.body()["run"]["userUuid"]},
        lambda r, w, b: r["userUuid"] == w.body()["run"]["userUuid"],
    ),
    (
        "releaseUuid",
        lambda w, b: {"releaseUuid": w.ids["release_v1"]},
        lambda r, w, b: r["releaseUuid"] == w.ids["release_v1"],
    ),
    ("batchUuid", lambda w, b: {"batchUuid": b.ids["batch"]}, lambda r, w, b: r["uuid"] in b.children),
    (
        "statuses",
        lambda w, b: {"statuses": ["error", "cancelled"]},
        lambda r, w, b: r["status"] in ("error", "cancelled"),
    ),
    ("parentUuid", lambda w, b: {"parentUuid": b.run}, lambda r, w, b: r["uuid"] in b.children),
    (
        "parentUuid+parentNodeUuid",
        lambda w, b: {"parentUuid": b.run, "parentNodeUuid": b.ids["group_node"]},
        lambda r, w, b: r["uuid"] in b.children,
    ),
    ("parentNodeUuid elsewhere", lambda w, b: {"parentNodeUuid": "no-node"}, lambda r, w, b: False),
    ("parentBatchUuid", lambda w, b: {"parentBatchUuid": "no-batch"}, lambda r, w, b: False),
    ("isGroupParent", lambda w, b: {"isGroupParent": True}, lambda r, w, b: bool(r["isGroupParent"])),
    ("isGroupParent false", lambda w, b: {"isGroupParent": False}, lambda r, w, b: not r["isGroupParent"]),
    ("recordId", lambda w, b: {"recordId": "initech-1002"}, lambda r, w, b: r["recordId"] == "initech-1002"),
    ("recordTitle", lambda w, b: {"recordTitle": "ACME"}, lambda r, w, b: "acme" in r["recordTitle"].lower()),
    (
        "recordTitleOrId",
        lambda w, b: {"recordTitleOrId": "globex.io"},
        lambda r, w, b: "globex.io" in r["recordTitle"].lower() or r["recordId"] == "globex.io",
    ),
    ("isFinished", lambda w, b: {"isFinished": True}, lambda r, w, b: r["finishedAt"] is not None),
    ("isFinished false", lambda w, b: {"isFinished": False}, lambda r, w, b: r["finishedAt"] is None),
    (
        "createdAfter/Before",
        lambda w, b: {"createdAfter": "2026-11-17T00:00:00Z", "createdBefore": "2026-11-23T00:00:00.000Z"},
        lambda r, w, b: "2026-11-17T00:00:00" < r["createdAt"] < "2026-11-23T00:00:00",
    ),
    (
        "updatedAfter",
        lambda w, b: {"updatedAfter": "2026-11-24T14:00:00Z"},
        lambda r, w, b: r["updatedAt"] > "2026-11-24T14:00:00.000Z",
    ),
    (
        "updatedBefore",
        lambda w, b: {"updatedBefore": "2026-11-20T00:00:00+00:00"},
        lambda r, w, b: r["updatedAt"] < "2026-11-20T00:00:00.000Z",
    ),
]


@pytest.mark.parametrize("name,payload,expected", FILTERS, ids=[f[0] for f in FILTERS])
def test_each_list_filter_keeps_exactly_the_matching_runs(
    name: str,
    payload: Callable[[Scenario, Scenario], Json],
    expected: Callable[[Json, Scenario, Scenario], bool],
) -> None:
    sim, world = combined()
    runs_world, batch_world = workflow_runs_world(), group_batch_world()
    wanted = sorted(r["uuid"] for r in every_run(world) if expected(r, runs_world, batch_world))
    got = listed_uuids(sim, payload(runs_world, batch_world))
    assert got == wanted
    if name not in ("none", "parentNodeUuid elsewhere", "parentBatchUuid"):
        assert 0 < len(got) < len(every_run(world)), name  # the filter kept some and left some


def node_filter(*conditions: Json, conjonction: str = "and", outer: str = "and") -> Json:
    return {
        "executionsFilter": {
            "conjonction": outer,
            "groups": [{"conjonction": conjonction, "conditions": list(conditions)}],
        }
    }


def executed(run: Json, slug: str, status: str, text: str = "") -> bool:
    key = "errorMessage" if status == "error" else "title"
    return any(
        e["nodeSlug"] == slug and e["status"] == status and text.lower() in str(e.get(key) or "").lower()
        for e in run["executions"]
    )


def test_executions_filter_finds_runs_by_what_one_node_did() -> None:
    scenario = workflow_runs_world()
    sim = scenario.sim()
    runs = every_run(scenario.world)
    workflow = {"workflowUuid": scenario.ids["workflow"]}

    def check(payload: Json, predicate: Callable[[Json], bool], size: int) -> None:
        wanted = sorted(r["uuid"] for r in runs if predicate(r))
        assert listed_uuids(sim, {**workflow, **payload}) == wanted and len(wanted) == size

    rate_limited = {"kind": "node", "nodeSlug": "enrich_company", "status": "error", "value": "429"}
    check(node_filter(rate_limited), lambda r: executed(r, "enrich_company", "error", "429"), 3)
    check(
        node_filter({**rate_limited, "value": "too many REQUESTS"}),
        lambda r: executed(r, "enrich_company", "error"),
        3,
    )
    absent = {"kind": "node", "nodeSlug": "sync_crm", "status": "absent"}
    check(node_filter(absent), lambda r: not any(e["nodeSlug"] == "sync_crm" for e in r["executions"]), 10)
    pending = {"kind": "node", "nodeSlug": "qualify", "status": "pending"}
    check(node_filter(pending), lambda r: executed(r, "qualify", "pending"), 4)
    titled = {"kind": "node", "nodeSlug": "qualify", "status": "success", "value": "Qualify"}
    check(node_filter(titled), lambda r: executed(r, "qualify", "success"), 15)
    hubspot = {"kind": "node", "nodeSlug": "sync_crm", "status": "error", "value": "409"}
    check(
        node_filter(rate_limited, hubspot, conjonction="or"),
        lambda r: executed(r, "enrich_company", "error") or executed(r, "sync_crm", "error"),
        5,
    )
    check(node_filter(rate_limited, hubspot), lambda r: False, 0)
    both = {
        "executionsFilter": {
            "conjonction": "or",
            "groups": [
                {"conjonction": "and", "conditions": [rate_limited]},
                {"conjonction": "and", "conditions": [hubspot]},
            ],
        }
    }
    check(both, lambda r: executed(r, "enrich_company", "error") or executed(r, "sync_crm", "error"), 5)


def test_paging_with_limit_and_offset_and_count_of_all_matches() -> None:
    scenario = workflow_runs_world()
    sim = scenario.sim()
    workflow = {"workflowUuid": scenario.ids["workflow"]}
    pages = []
    for offset in (0, 10, 20):
        data = post(sim, "/orchestration/runs/list", {**workflow, "limit": 10, "offset": offset}).json()
        assert data["count"] == 25
        pages.append([run["uuid"] for run in data["runs"]])
    assert [len(page) for page in pages] == [10, 10, 5]
    assert [uuid for page in pages for uuid in page] == listed_uuids(sim, workflow)
    beyond = post(sim, "/orchestration/runs/list", {**workflow, "limit": 10, "offset": 30}).json()
    assert beyond == {"runs": [], "count": 25}
    none = post(sim, "/orchestration/runs/list", {**workflow, "limit": 0}).json()
    assert none == {"runs": [], "count": 25}
    errors = post(sim, "/orchestration/runs/list", {**workflow, "statuses": ["error"], "limit": 2}).json()
    assert len(errors["runs"]) == 2 and errors["count"] == 6


def test_count_answers_the_number_of_matches_ignoring_paging() -> None:
    scenario = workflow_runs_world()
    sim = scenario.sim()
    payload = {"workflowUuid": scenario.ids["workflow"], "statuses": ["success"], "limit": 3, "offset": 1}
    assert post(sim, "/orchestration/runs/count", payload).json() == {"count": 13}
    assert post(sim, "/orchestration/runs/count", {}).json() == {"count": 25}


@pytest.mark.parametrize(
    "payload",
    [
        {"statuses": "error"},
        {"limit": -1},
        {"offset": "10"},
        {"limit": True},
        {"createdAfter": "last tuesday"},
        {"workflowUuid": 7},
        {"isFinished": "yes"},
        {"executionsFilter": {"conjonction": "xor", "groups": []}},
        {
            "executionsFilter": {
                "conjonction": "and",
                "groups": [{"conjonction": "and", "conditions": [{"kind": "run"}]}],
            }
        },
        [1, 2],
    ],
)
def test_an_invalid_payload_is_400(payload: Any) -> None:
    response = post(CargoSim(), "/orchestration/runs/list", payload)
    assert response.status_code == 400 and response.json()["reason"] == "invalidPayload"


def test_a_body_that_is_not_json_is_400_and_unknown_fields_are_ignored() -> None:
    sim = CargoSim(workflow_runs_world().world)
    with client_for(sim) as client:
        response = client.post("/orchestration/runs/list", content=b"{not json")
        assert response.status_code == 400
        assert client.post("/orchestration/runs/list", json={"sortBy": "createdAt"}).json()["count"] == 25
        assert client.post("/orchestration/runs/list").json()["count"] == 25


# -- batches, traces, messages, metrics -----------------------------------------------------------


def test_batch_answers_its_progress_and_404_batch_not_found() -> None:
    scenario = group_batch_world()
    sim = scenario.sim()
    batch = get(sim, f"/orchestration/batches/{scenario.ids['batch']}").json()["batch"]
    assert batch["uuid"] == scenario.ids["batch"] and batch["workflowUuid"] == scenario.ids["workflow"]
    assert (batch["status"], batch["runsStatus"]) == ("success", "unhealthy")
    assert (batch["runsCount"], batch["executedRunsCount"], batch["failedRunsCount"]) == (5, 5, 2)
    assert batch["data"] == {
        "kind": "group",
        "s3Filename": batch["data"]["s3Filename"],
        "parentRunUuid": scenario.run,
        "parentNodeUuid": scenario.ids["group_node"],
    }
    credits = sum(
        e["creditsUsedCount"] for c in scenario.children for e in scenario.body(c)["run"]["executions"]
    )
    assert batch["creditsUsedCount"] == credits and batch["finishedAt"] is not None
    for key in ("errorMessage", "createdAt", "updatedAt"):
        assert key in batch
    missing = get(sim, "/orchestration/batches/nope")
    assert (missing.status_code, missing.json()) == (
        404,
        {"errorMessage": "Batch not found", "reason": "batchNotFound"},
    )


def test_a_live_batch_progresses_as_time_passes() -> None:
    scenario = group_batch_world(live=True)
    sim = scenario.sim()
    seen = []
    with client_for(sim) as client:
        for _ in range(5):
            batch = client.get(f"/orchestration/batches/{scenario.ids['batch']}").json()["batch"]
            run = client.get(f"/orchestration/runs/{scenario.run}").json()["run"]
            items = client.post("/orchestration/runs/list", json={"batchUuid": scenario.ids["batch"]}).json()
            statuses = sorted(r["status"] for r in items["runs"])
            seen.append(
                (
                    batch["status"],
                    batch["executedRunsCount"],
                    batch["failedRunsCount"],
                    run["status"],
                    statuses,
                )
            )
            sim.advance(2.0)
    assert seen[0] == ("running", 2, 1, "running", ["error", "pending", "running", "running", "success"])
    assert seen[-1] == ("success", 5, 2, "success", ["error", "error", "success", "success", "success"])
    executed = [s[1] for s in seen]
    assert executed == sorted(executed) and len(set(executed)) > 2
    group = next(
        e for e in scenario.body()["run"]["executions"] if e["nodeUuid"] == scenario.ids["group_node"]
    )
    assert group["status"] == "pending" and group["startedAt"] is not None
    assert group["nodeBatchUuid"] == scenario.ids["batch"] and group["nodeRunUuid"] is None


@pytest.mark.parametrize(
    "build,status",
    [
        (group_items_world, "error"),
        (group_batch_world, "degraded"),
        (lambda: group_batch_world(live=True), "pending"),
        (fallback_without_child_world, "degraded"),
        (error_run_with_fallback_world, "error"),
        (agent_world, "success"),
    ],
)
def test_trace_of_each_world(build: Callable[[], Scenario], status: str) -> None:
    scenario = build()
    sim = scenario.sim()
    root = scenario.body()["run"]
    trace = get(sim, f"/orchestration/traces/{root['traceUuid']}").json()["trace"]
    lineage = [b["run"] for b in scenario.world.bodies(0.0) if b["run"]["traceUuid"] == root["traceUuid"]]
    executions = [e for run in lineage for e in run["executions"]]
    assert trace["status"] == status
    assert (trace["uuid"], trace["rootRunUuid"], trace["rootRecordTitle"]) == (
        root["traceUuid"],
        scenario.run,
        root["recordTitle"],
    )
    assert trace["creditsUsedCount"] == sum(e["creditsUsedCount"] for e in executions)
    assert (
        trace["creditsUsedCount"] > sum(e["creditsUsedCount"] for e in root["executions"])
        or len(lineage) == 1
    )
    assert trace["spansCount"] == len(executions)
    assert trace["failedSpansCount"] == sum(e["status"] == "error" for e in executions)
    assert (trace["finishedAt"] is None) == (status == "pending")


def test_trace_statuses_across_the_workflow_runs_and_404() -> None:
    scenario = workflow_runs_world()
    sim = scenario.sim()
    found = set()
    for run in every_run(scenario.world):
        trace = get(sim, f"/orchestration/traces/{run['traceUuid']}").json()["trace"]
        found.add(trace["status"])
        assert trace["status"] == {"success": "success", "error": "error", "cancelled": "error"}.get(
            run["status"], "pending"
        )
    assert found == {"success", "error", "pending"}
    missing = get(sim, "/orchestration/traces/nope")
    assert missing.json() == {"errorMessage": "Trace not found", "reason": "traceNotFound"}
    scenario.world.traces["given"] = {"uuid": "given", "status": "degraded"}
    assert get(sim, "/orchestration/traces/given").json() == {
        "trace": {"uuid": "given", "status": "degraded"}
    }


def test_agent_message_has_every_part_type_and_its_tool_run_exists() -> None:
    scenario = agent_world()
    sim = scenario.sim()
    execution = next(e for e in scenario.body()["run"]["executions"] if e["nodeKind"] == "agent")
    assert execution["nodeMessageUuid"] == scenario.ids["message"]
    message = get(sim, f"/ai/messages/{scenario.ids['message']}").json()["message"]
    assert message["languageModelSlug"] == "gpt-4.1" and message["systemPrompt"]
    assert {"inputTokensCount", "outputTokensCount", "reasoningTokensCount", "creditsUsedCount"} <= set(
        message["usage"]
    )
    assert set(message["evaluatedTools"]) == {"enrich_company", "find_contacts", "send_email"}
    types = [part["type"] for part in message["parts"]]
    for wanted in ("step-start", "reasoning", "text", "dynamic-tool", "file", "source-url", "data-weird"):
        assert wanted in types
    tools = {part["state"]: part for part in message["parts"] if part["type"].startswith("tool-")}
    assert set(tools) == {"input-available", "output-available", "output-error"}
    assert tools["output-error"]["errorText"]
    output = tools["output-available"]["output"]
    assert output["outcome"] == "executed" and output["data"]
    tool_run = get(sim, f"/orchestration/runs/{output['runUuid']}").json()["run"]
    assert (
        tool_run["uuid"] == scenario.ids["tool_run"]
        and tool_run["parentMessageUuid"] == scenario.ids["message"]
    )
    summarize = next(n for n in scenario.body()["run"]["nodes"] if n["slug"] == "summarize")
    assert (summarize["kind"], summarize["actionSlug"]) == ("native", "agent")
    assert isinstance(scenario.body()["runContext"]["summarize"]["answer"], str)
    missing = get(sim, "/ai/messages/nope")
    assert missing.json() == {"errorMessage": "Message not found", "reason": "messageNotFound"}


def test_metrics_count_each_nodes_executions_across_the_workflows_runs() -> None:
    scenario = workflow_runs_world()
    sim = scenario.sim()
    nodes = {n["slug"]: n["uuid"] for n in scenario.body()["run"]["nodes"]}
    response = post(sim, "/orchestration/runs/metrics", {"workflowUuid": scenario.ids["workflow"]})
    metrics = {m["nodeUuid"]: m for m in response.json()["runMetrics"]}
    enrich = metrics[nodes["enrich_company"]]
    assert (enrich["totalExecutionsCount"], enrich["errorExecutionsCount"]) == (23, 3)
    sync = metrics[nodes["sync_crm"]]
    assert (sync["totalExecutionsCount"], sync["errorExecutionsCount"]) == (15, 2)
    for row in metrics.values():
        assert (
            0.10 < row["errorExecutionsCount"] / row["totalExecutionsCount"] < 0.15
            or row["errorExecutionsCount"] <= 1
        )
        assert row["totalExecutionsCount"] == sum(
            row[f"{s}ExecutionsCount"] for s in ("pending", "success", "error")
        )
        for key in (
            "idleExecutionsCount",
            "runningExecutionsCount",
            "cancelledExecutionsCount",
            "creditsUsedCount",
        ):
            assert key in row
    recent = post(
        sim,
        "/orchestration/runs/metrics",
        {"workflowUuid": scenario.ids["workflow"], "createdAfter": iso(NOW)[:10]},
    ).json()["runMetrics"]
    assert sum(m["totalExecutionsCount"] for m in recent) < sum(
        m["totalExecutionsCount"] for m in metrics.values()
    )
    assert post(sim, "/orchestration/runs/metrics", {}).status_code == 400
    scenario.world.metrics[scenario.ids["workflow"]] = [{"nodeUuid": "n", "totalExecutionsCount": 1}]
    given = post(sim, "/orchestration/runs/metrics", {"workflowUuid": scenario.ids["workflow"]}).json()
    assert given == {"runMetrics": [{"nodeUuid": "n", "totalExecutionsCount": 1}]}


# -- cancel -------------------------------------------------------------------------------------


def test_cancel_makes_a_running_run_cancelling_then_cancelled_and_leaves_finished_ones() -> None:
    scenario = workflow_runs_world()
    sim = scenario.sim()
    by_status: dict[str, list[str]] = {}
    for run in every_run(scenario.world):
        by_status.setdefault(run["status"], []).append(run["uuid"])
    running, done = by_status["running"][0], by_status["success"][0]
    before = scenario.body(running)["run"]
    payload = {"workflowUuid": scenario.ids["workflow"], "uuids": [running, done, "no-such-run"]}
    response = post(sim, "/orchestration/runs/cancel", payload)
    assert (response.status_code, response.json()) == (200, {})
    run = get(sim, f"/orchestration/runs/{running}").json()["run"]
    assert run["status"] == "cancelling" and run["finishedAt"] is None
    assert run["executions"] == before["executions"]
    assert listed_uuids(sim, {"statuses": ["cancelling"]}) == [running]
    sim.advance(sim.cancel_delay)
    run = get(sim, f"/orchestration/runs/{running}").json()["run"]
    assert run["status"] == "cancelled" and run["finishedAt"] is not None
    assert run["finishedAt"] >= before["updatedAt"]
    assert get(sim, f"/orchestration/runs/{done}").json() == scenario.body(done)
    other_workflow = post(
        sim, "/orchestration/runs/cancel", {"workflowUuid": "other", "uuids": by_status["pending"]}
    )
    assert other_workflow.status_code == 200
    assert get(sim, f"/orchestration/runs/{by_status['pending'][0]}").json()["run"]["status"] == "pending"
    assert post(sim, "/orchestration/runs/cancel", {"uuids": [running]}).status_code == 400


def test_cancelling_a_run_cancels_its_item_runs_and_its_batch() -> None:
    scenario = group_batch_world(live=True)
    sim = scenario.sim()
    workflow = scenario.body()["run"]["workflowUuid"]
    assert (
        post(
            sim, "/orchestration/runs/cancel", {"workflowUuid": workflow, "uuids": [scenario.run]}
        ).status_code
        == 200
    )
    sim.advance(10.0)  # long after the batch would have finished
    assert get(sim, f"/orchestration/runs/{scenario.run}").json()["run"]["status"] == "cancelled"
    statuses = sorted(get(sim, f"/orchestration/runs/{c}").json()["run"]["status"] for c in scenario.children)
    assert statuses == ["cancelled", "cancelled", "cancelled", "error", "success"]
    batch = get(sim, f"/orchestration/batches/{scenario.ids['batch']}").json()["batch"]
    assert (batch["status"], batch["executedRunsCount"]) == ("cancelled", 2)


# -- switches, recording, auth, time, mutation ----------------------------------------------------


def test_fail_switches_make_one_endpoint_answer_403_404_500_or_html() -> None:
    scenario = group_batch_world()
    sim = scenario.sim()
    sim.fail("runs.list", 403)
    forbidden = post(sim, "/orchestration/runs/list", {})
    assert forbidden.status_code == 403 and forbidden.json()["reason"] == "forbidden"
    assert "orchestration:read" in forbidden.json()["errorMessage"]
    assert get(sim, f"/orchestration/runs/{scenario.run}").status_code == 200  # only that endpoint
    sim.fail("traces.get", 404)
    assert get(sim, "/orchestration/traces/x").json() == {
        "errorMessage": "Route not found",
        "reason": "notFound",
    }
    sim.fail("batches.get", 500, message="boom")
    assert get(sim, f"/orchestration/batches/{scenario.ids['batch']}").json() == {
        "errorMessage": "boom",
        "reason": "internalError",
    }
    sim.fail("runs.get", 502, html=True, times=1)
    page = get(sim, f"/orchestration/runs/{scenario.run}")
    assert (
        page.status_code == 502
        and page.headers["content-type"].startswith("text/html")
        and b"<html>" in page.content
    )
    assert get(sim, f"/orchestration/runs/{scenario.run}").status_code == 200  # `times` ran out
    sim.heal("runs.list")
    assert post(sim, "/orchestration/runs/list", {}).status_code == 200
    sim.heal()
    assert get(sim, "/orchestration/traces/x").json()["reason"] == "traceNotFound"
    with pytest.raises(ValueError, match="one of"):
        sim.fail("runs.delete")
    assert len(ENDPOINTS) == 8


def test_every_request_is_recorded_without_the_token() -> None:
    scenario = workflow_runs_world()
    sim = scenario.sim()
    with httpx.Client(
        transport=sim.transport(), base_url=BASE, headers={"Authorization": "Bearer secret-1"}
    ) as client:
        client.post(
            "/orchestration/runs/list",
            json={"workflowUuid": "w", "limit": 10},
            headers={"selected-workspace-uuid": "ws-1"},
        )
        client.get(f"/orchestration/runs/{scenario.run}")
        client.get("/nowhere")
    listed, fetched, lost = sim.requests
    assert (listed.method, listed.endpoint, listed.path) == (
        "POST",
        "runs.list",
        "/v1/orchestration/runs/list",
    )
    assert listed.json == {"workflowUuid": "w", "limit": 10}
    assert listed.headers["selected-workspace-uuid"] == "ws-1" and listed.authorized
    assert all(
        "authorization" not in r.headers and "secret-1" not in json.dumps(r.headers) for r in sim.requests
    )
    assert (fetched.endpoint, fetched.json) == ("runs.get", None)
    assert lost.endpoint is None
    assert sim.requests_to("runs.list") == [listed]


def test_a_token_is_required_when_the_sim_has_one() -> None:
    scenario = fallback_without_child_world()
    sim = scenario.sim(token="t0ken")
    assert get(sim, f"/orchestration/runs/{scenario.run}").json() == {
        "errorMessage": "Unauthorized",
        "reason": "unauthorized",
    }
    with httpx.Client(
        transport=sim.transport(), base_url=BASE, headers={"Authorization": "Bearer t0ken"}
    ) as client:
        assert client.get(f"/orchestration/runs/{scenario.run}").status_code == 200


def test_a_world_can_change_between_polls() -> None:
    scenario = fallback_without_child_world()
    sim = scenario.sim()
    assert get(sim, f"/orchestration/runs/{scenario.run}").json()["run"]["status"] == "success"
    body = scenario.world.runs[scenario.run]
    assert isinstance(body, dict)
    body["run"]["status"] = "error"
    assert get(sim, f"/orchestration/runs/{scenario.run}").json()["run"]["status"] == "error"
    run = make_run(
        "later", workspace="ws", workflow="wf", trace="tr", nodes=[], created="2026-11-24T14:00:00.000Z"
    )
    sim.world.runs["later"] = lambda elapsed: run_body(run) if elapsed >= 5 else None
    assert get(sim, "/orchestration/runs/later").status_code == 404
    sim.advance(5)
    assert get(sim, "/orchestration/runs/later").json()["run"]["uuid"] == "later"


def test_time_starts_at_the_first_request_with_a_given_clock_and_can_be_frozen() -> None:
    now = [100.0]
    sim = CargoSim(clock=lambda: now[0])
    assert sim.elapsed() == 0.0
    now[0] = 103.5
    assert sim.elapsed() == 3.5
    with pytest.raises(TypeError):
        sim.advance(1)
    assert CargoSim(frozen_at=7.0).elapsed() == 7.0


async def test_the_async_transport_serves_the_same_answers() -> None:
    scenario = group_items_world()
    sim = scenario.sim()
    async with httpx.AsyncClient(transport=sim.transport(), base_url=BASE) as client:
        response = await client.get(f"/orchestration/runs/{scenario.run}")
        listing = await client.post("/orchestration/runs/list", json={"parentUuid": scenario.run})
    assert response.json() == scenario.body()
    assert sorted(r["uuid"] for r in listing.json()["runs"]) == sorted(scenario.children)


def test_the_loopback_server_wraps_the_same_sim_for_get_and_post() -> None:
    scenario = group_batch_world()
    with cargo_server(scenario.world) as (base, sim):
        assert base.startswith("http://127.0.0.1:") and base.endswith("/v1")
        with httpx.Client(base_url=base, headers={"Authorization": "Bearer x"}) as client:
            run = client.get(f"/orchestration/runs/{scenario.run}")
            items = client.post(
                "/orchestration/runs/list", json={"batchUuid": scenario.ids["batch"], "limit": 2}
            )
            wrong = client.get("/orchestration/runs/count")
            sim.fail("batches.get", 503, html=True)
            page = client.get(f"/orchestration/batches/{scenario.ids['batch']}")
    assert run.json() == scenario.body()
    assert len(items.json()["runs"]) == 2 and items.json()["count"] == 5
    assert wrong.status_code == 405
    assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
    assert [r.endpoint for r in sim.requests] == ["runs.get", "runs.list", None, "batches.get"]
    assert sim.requests[1].json == {"batchUuid": scenario.ids["batch"], "limit": 2}
    assert all(r.authorized and "authorization" not in r.headers for r in sim.requests)


# -- the worlds: Cargo's real shapes, one behaviour each ------------------------------------------


@pytest.mark.parametrize("build", ALL_WORLDS)
def test_every_world_body_is_a_clean_run(build: Callable[[], Scenario]) -> None:
    scenario = build()
    for elapsed in (0.0, 2.0, 10.0):
        for body in scenario.world.bodies(elapsed):
            parsed = parse_run_response(json.dumps(body).encode())
            assert parsed.anomalies == []
            assert RunGraph.build(parsed).anomalies == []
            for execution in body["run"]["executions"]:
                assert execution["status"] in ("pending", "success", "error")
                assert execution["nodeKind"] != "native" or execution["creditsUsedCount"] == 0


def test_group_items_world_one_execution_and_one_child_run_per_item() -> None:
    scenario = group_items_world()
    sim = scenario.sim()
    run = scenario.body()["run"]
    assert (run["status"], run["errorMessage"]) == ("error", "Node contacts_loop failed")
    group = next(n for n in run["nodes"] if n["uuid"] == scenario.ids["group_node"])
    assert (group["kind"], group["actionSlug"], len(group["config"]["items"])) == ("native", "group", 3)
    assert [n["actionSlug"] for n in group["config"]["_nodes"]] == ["start", "find_email", "end"]
    executions = [e for e in run["executions"] if e["nodeUuid"] == group["uuid"]]
    assert [e["status"] for e in executions] == ["success", "error", "success"]
    assert [e["nodeRunUuid"] for e in executions] == scenario.children
    for index, child in enumerate(scenario.children):
        child_run = get(sim, f"/orchestration/runs/{child}").json()["run"]
        assert (child_run["parentUuid"], child_run["parentNodeUuid"]) == (scenario.run, group["uuid"])
        contact = group["config"]["items"][index]
        assert child_run["recordTitle"] == f"{contact['firstName']} {contact['lastName']}"
        assert child_run["status"] == ["success", "error", "success"][index]
    failed = scenario.body(scenario.children[1])["run"]
    find_email = next(e for e in failed["executions"] if e["nodeSlug"] == "find_email")
    assert find_email["status"] == "error" and len(find_email["errorMessage"].splitlines()) > 2


def test_group_batch_world_items_are_found_by_batch_or_by_parent() -> None:
    scenario = group_batch_world()
    sim = scenario.sim()
    group = next(
        e for e in scenario.body()["run"]["executions"] if e["nodeUuid"] == scenario.ids["group_node"]
    )
    assert (group["nodeBatchUuid"], group["nodeRunUuid"]) == (scenario.ids["batch"], None)
    by_batch = post(sim, "/orchestration/runs/list", {"batchUuid": scenario.ids["batch"]}).json()
    by_parent = post(
        sim,
        "/orchestration/runs/list",
        {"parentUuid": scenario.run, "parentNodeUuid": scenario.ids["group_node"]},
    ).json()
    assert by_batch == by_parent and by_batch["count"] == 5
    failed = [r for r in by_batch["runs"] if r["status"] == "error"]
    assert len(failed) == 2 and len({r["errorMessage"] for r in failed}) == 2
    errors = {
        e["errorMessage"]
        for r in failed
        for e in scenario.body(r["uuid"])["run"]["executions"]
        if e["status"] == "error"
    }
    assert len(errors) == 2 and all("\n" in error for error in errors)


def test_fallback_worlds_show_what_happened_by_evidence() -> None:
    went_on = fallback_without_child_world()
    run = went_on.body()["run"]
    node = next(n for n in run["nodes"] if n["uuid"] == went_on.ids["failed_node"])
    assert node["fallbackOnFailure"] is True and node["fallbackChildUuid"] is None
    failed_index = next(i for i, e in enumerate(run["executions"]) if e["status"] == "error")
    failed = run["executions"][failed_index]
    after = run["executions"][failed_index + 1]
    assert failed["nextNodeUuid"] == after["nodeUuid"] == node["childrenUuids"][0]
    assert after["startedAt"] >= failed["finishedAt"] and run["status"] == "success"

    stopped = error_run_with_fallback_world()
    run = stopped.body()["run"]
    node = next(n for n in run["nodes"] if n["uuid"] == stopped.ids["failed_node"])
    assert node["fallbackOnFailure"] is False and node["fallbackChildUuid"] == stopped.ids["fallback_node"]
    failed = next(e for e in run["executions"] if e["status"] == "error")
    assert failed["nextNodeUuid"] == stopped.ids["fallback_node"]
    assert [e["status"] for e in run["executions"] if e["nodeUuid"] == stopped.ids["fallback_node"]] == [
        "success"
    ]
    assert (run["status"], run["errorMessage"]) == ("error", "Node sync_crm failed")
    assert not any(e["nodeSlug"] == "end" for e in run["executions"])


def test_workflow_runs_world_mixes_states_over_ten_days() -> None:
    scenario = workflow_runs_world()
    runs = every_run(scenario.world)
    statuses = [r["status"] for r in runs]
    assert {s: statuses.count(s) for s in set(statuses)} == {
        "success": 13,
        "error": 6,
        "cancelled": 2,
        "running": 2,
        "pending": 2,
    }
    created = sorted(r["createdAt"] for r in runs)
    span = datetime.fromisoformat(created[-1]) - datetime.fromisoformat(created[0])
    assert 9 <= span.days <= 11
    assert len({r["recordTitle"] for r in runs}) == 25
    assert sum("429 Too Many Requests" in str(e["errorMessage"]) for r in runs for e in r["executions"]) == 3
    assert all(r["executions"] == [] for r in runs if r["status"] == "pending")


def test_fixtures_are_the_worlds_bodies() -> None:
    files = fixture_files()
    assert sorted(files) == sorted(p.name for p in FIXTURES.glob("*.json"))
    for name, body in files.items():
        assert (FIXTURES / name).read_text(encoding="utf-8") == dump(body), (
            f"{name}: run python -m tests.cargo_worlds"
        )
