"""How often each node fails across a workflow's runs (`metrics.py`, `runs/metrics`)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from run_inspector.cargo_sim import CargoSim
from run_inspector.client import CargoClient
from run_inspector.metrics import FailureRate, failure_rates
from run_inspector.source import ApiSource, FileSource

from .cargo_worlds import NOW, workflow_runs_world

BASE = "https://cargo.test/v1"


def api(sim: CargoSim) -> ApiSource:
    return ApiSource(CargoClient(BASE, None, transport=sim.transport(), retries=0), "", "the test API")


@pytest.mark.parametrize(
    ("failed", "total", "text"),
    [
        (30, 250, "this node failed in 12% of executions (30/250, 7 d)"),
        (0, 40, "this node failed in 0% of executions (0/40, 7 d)"),
        (1, 1000, "this node failed in <1% of executions (1/1,000, 7 d)"),
        (999, 1000, "this node failed in >99% of executions (999/1,000, 7 d)"),
        (5, 5, "this node failed in 100% of executions (5/5, 7 d)"),
        (0, 0, "this node did not run in the last 7 d"),
    ],
)
def test_the_rate_reads_as_the_overview_says_it(failed: int, total: int, text: str) -> None:
    rate = FailureRate("n1", failed, total)
    assert rate.text() == text
    assert rate.rate == (failed / total if total else None)


async def test_rates_come_from_the_workflows_runs_of_the_last_7_days() -> None:
    scenario = workflow_runs_world()
    sim = scenario.sim()
    rates = await failure_rates(api(sim), scenario.ids["workflow"], now=NOW)
    [request] = sim.requests_to("runs.metrics")
    assert request.json == {
        "workflowUuid": scenario.ids["workflow"],
        "createdAfter": "2026-11-17T15:00:00.000Z",
    }
    recent = [
        b["run"]
        for b in scenario.world.bodies(0)
        if datetime.fromisoformat(b["run"]["createdAt"]) > NOW - timedelta(days=7)
    ]
    executions = [e for run in recent for e in run["executions"] if e["nodeSlug"] == "enrich_company"]
    node = executions[0]["nodeUuid"]
    rate = rates.of(node)
    assert rate is not None and rates.note is None and rates.since == NOW - timedelta(days=7)
    assert (rate.failed, rate.total) == (sum(e["status"] == "error" for e in executions), len(executions))
    assert 0 < rate.failed < rate.total


async def test_odd_counts_are_read_as_none_and_repeated_nodes_add_up() -> None:
    scenario = workflow_runs_world()
    sim = scenario.sim()
    sim.world.metrics[scenario.ids["workflow"]] = [
        {"nodeUuid": "n1", "totalExecutionsCount": 10, "errorExecutionsCount": 3},
        {"nodeUuid": "n1", "totalExecutionsCount": 5, "errorExecutionsCount": None},
        {"nodeUuid": "n2", "totalExecutionsCount": None, "errorExecutionsCount": 2},
        {"nodeUuid": "n3", "totalExecutionsCount": -4, "errorExecutionsCount": -1},
        {"totalExecutionsCount": 9},
    ]
    rates = await failure_rates(api(sim), scenario.ids["workflow"], now=NOW)
    assert {uuid: (r.failed, r.total) for uuid, r in rates.by_node.items()} == {
        "n1": (3, 15),
        "n2": (2, 2),
        "n3": (0, 0),
    }


@pytest.mark.parametrize(
    ("status", "words"), [(403, "forbidden ("), (404, "not available ("), (500, "server error")]
)
async def test_a_forbidden_or_missing_metrics_endpoint_leaves_the_rates_empty(
    status: int, words: str
) -> None:
    scenario = workflow_runs_world()
    sim = scenario.sim()
    sim.fail("runs.metrics", status)
    rates = await failure_rates(api(sim), scenario.ids["workflow"], now=NOW)
    assert rates.by_node == {} and rates.note is not None and words in rates.note
    assert f"({status})" in rates.note


async def test_a_file_or_a_run_without_a_workflow_has_no_rates() -> None:
    scenario = workflow_runs_world()
    source = FileSource(json.dumps(scenario.body()).encode(), "run.json")
    rates = await failure_rates(source, scenario.ids["workflow"], now=NOW)
    assert (
        rates.by_node == {}
        and rates.note == "not available (the workflow's metrics is not available from run.json)"
    )
    sim = scenario.sim()
    assert (await failure_rates(api(sim), None, now=NOW)).note == "the run names no workflow"
    assert sim.requests == []
