"""Finding runs (`runlist.py`): the query and its `runs/list` body, paging and sorting, rows,
counts, and cancel, against the simulated Cargo API."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from run_inspector.cargo_sim import CargoSim, World, listed, make_run
from run_inspector.client import CargoClient
from run_inspector.errors import ForbiddenError, InvalidResponseError, NotFoundError, UsageError
from run_inspector.graph import RunGraph
from run_inspector.models import RUN_STATUSES, Run, parse_run_response
from run_inspector.runlist import (
    RunQuery,
    RunRow,
    build_query,
    can_cancel,
    cancel_run,
    count_line,
    fetch_runs,
    latest_run,
    parse_since,
)
from run_inspector.source import ApiSource

from .cargo_worlds import NOW, busy_workflow_world, workflow_runs_world

BASE = "https://cargo.test/v1"


def api(sim: CargoSim | httpx.AsyncBaseTransport) -> ApiSource:
    transport = sim.transport() if isinstance(sim, CargoSim) else sim
    return ApiSource(CargoClient(BASE, None, transport=transport, retries=0), "", "the test API")


def created(body: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(body["run"]["createdAt"])


# -- the query ----------------------------------------------------------------------------------


def test_statuses_are_comma_lists_lowercased_once_each_and_checked() -> None:
    query = build_query("w", statuses=["error, Cancelled", "error", " running "])
    assert query.statuses == ("error", "cancelled", "running")
    with pytest.raises(UsageError) as caught:
        build_query("w", statuses=["error,eror"])
    assert "unknown run status 'eror'" in caught.value.message
    assert all(status in caught.value.hint for status in RUN_STATUSES)
    with pytest.raises(UsageError):
        build_query("w", statuses=["absent"])  # an execution filter's status, not a run's


@pytest.mark.parametrize(
    ("said", "back"),
    [
        ("24h", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
        ("90m", timedelta(minutes=90)),
        ("30s", timedelta(seconds=30)),
        ("2w", timedelta(weeks=2)),
        ("1.5h", timedelta(minutes=90)),
        (" 7D ", timedelta(days=7)),
    ],
)
def test_since_as_a_duration_counts_back_from_now(said: str, back: timedelta) -> None:
    since = parse_since(said, NOW)
    assert since.moment == NOW - back and since.relative
    assert since.describe().startswith(f"in the last {said.strip().lower()} (since 2026-11-")


@pytest.mark.parametrize(
    ("said", "moment", "shown"),
    [
        ("2026-11-20", datetime(2026, 11, 20, tzinfo=UTC), "since 2026-11-20"),
        ("2026-11-20T09:30Z", datetime(2026, 11, 20, 9, 30, tzinfo=UTC), "since 2026-11-20 09:30 UTC"),
        ("2026-11-20T09:30", datetime(2026, 11, 20, 9, 30, tzinfo=UTC), "since 2026-11-20 09:30 UTC"),
        ("2026-11-20 11:30+02:00", datetime(2026, 11, 20, 9, 30, tzinfo=UTC), "since 2026-11-20 09:30 UTC"),
    ],
)
def test_since_as_a_date_is_utc_unless_it_says_otherwise(said: str, moment: datetime, shown: str) -> None:
    since = parse_since(said, NOW)
    assert since.moment == moment and not since.relative and since.describe() == shown


@pytest.mark.parametrize(
    ("said", "words"),
    [
        ("yesterday", "neither a duration nor an ISO date"),
        ("7", "neither a duration nor an ISO date"),
        ("-7d", "neither a duration nor an ISO date"),
        ("7y", "neither a duration nor an ISO date"),
        ("0h", "not a positive duration"),
        ("2026-13-01", "neither a duration nor an ISO date"),
        ("2026-11-25", "is in the future"),
        ("99999999999d", "reaches back too far"),
        ("\x1b[2Jx", "neither a duration nor an ISO date"),
    ],
)
def test_a_bad_since_is_a_usage_error_that_shows_the_formats(said: str, words: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_since(said, NOW)
    assert words in caught.value.message and "\x1b" not in caught.value.message
    assert "24h" in caught.value.hint or "future" in caught.value.message


def test_failed_at_takes_a_slug_and_the_text_after_the_first_colon() -> None:
    plain = build_query("w", failed_at="enrich_company").failed_at
    assert plain is not None and (plain.slug, plain.text) == ("enrich_company", None)
    text = build_query("w", failed_at="sync_crm:HubSpot: 409 Conflict").failed_at
    assert text is not None and (text.slug, text.text) == ("sync_crm", "HubSpot: 409 Conflict")
    empty = build_query("w", failed_at="sync_crm:").failed_at
    assert empty is not None and empty.text is None
    for bad in ("", ":429", "two words:x"):
        with pytest.raises(UsageError):
            build_query("w", failed_at=bad)


def test_limit_and_record_are_checked() -> None:
    assert build_query("w").limit == 50
    for bad in (0, -1, 2001):
        with pytest.raises(UsageError):
            build_query("w", limit=bad)
    with pytest.raises(UsageError):
        build_query("w", record="  ")


def test_the_body_holds_each_filter_in_cargos_shape() -> None:
    query = build_query(
        "wf-1",
        statuses=["error"],
        record="acme",
        failed_at="enrich_company:429",
        since="2026-11-20",
        limit=5,
        now=NOW,
    )
    assert query.body(limit=100, offset=200) == {
        "workflowUuid": "wf-1",
        "statuses": ["error"],
        "recordTitleOrId": "acme",
        "executionsFilter": {
            "conjonction": "and",
            "groups": [
                {
                    "conjonction": "and",
                    "conditions": [
                        {"kind": "node", "nodeSlug": "enrich_company", "status": "error", "value": "429"}
                    ],
                }
            ],
        },
        "createdAfter": "2026-11-20T00:00:00.000Z",
        "limit": 100,
        "offset": 200,
    }
    assert RunQuery("wf-1").body(limit=3) == {"workflowUuid": "wf-1", "limit": 3, "offset": 0}
    assert query.describe() == (
        "runs of workflow wf-1 with status error whose record matches 'acme' "
        "that failed at enrich_company with '429' in the error since 2026-11-20"
    )


# -- fetching: each filter's request and its answer ---------------------------------------------


@pytest.mark.parametrize(
    ("options", "sent", "kept"),
    [
        ({"statuses": ["error"]}, {"statuses": ["error"]}, lambda r: r["status"] == "error"),
        (
            {"statuses": ["running,pending"]},
            {"statuses": ["running", "pending"]},
            lambda r: r["status"] in ("running", "pending"),
        ),
        ({"record": "stark"}, {"recordTitleOrId": "stark"}, lambda r: "Stark" in r["recordTitle"]),
        ({"record": "cyberdyne-1009"}, {"recordTitleOrId": "cyberdyne-1009"}, lambda r: r["recordId"] == "cyberdyne-1009"),
        (
            {"failed_at": "sync_crm"},
            {"executionsFilter": {"conjonction": "and", "groups": [{"conjonction": "and", "conditions": [
                {"kind": "node", "nodeSlug": "sync_crm", "status": "error"}]}]}},
            lambda r: r["errorMessage"] == "Node sync_crm failed",
        ),
        (
            {"failed_at": "enrich_company:429 Too Many"},
            {"executionsFilter": {"conjonction": "and", "groups": [{"conjonction": "and", "conditions": [
                {"kind": "node", "nodeSlug": "enrich_company", "status": "error", "value": "429 Too Many"}]}]}},
            lambda r: r["errorMessage"] == "Node enrich_company failed",
        ),
        (
            {"since": "3d"},
            {"createdAfter": "2026-11-21T15:00:00.000Z"},
            lambda r: datetime.fromisoformat(r["createdAt"]) > NOW - timedelta(days=3),
        ),
    ],
)  # fmt: skip
async def test_each_filter_is_sent_as_cargo_reads_it_and_keeps_the_matching_runs(
    options: dict[str, Any], sent: dict[str, Any], kept: Any
) -> None:
    scenario = workflow_runs_world()
    sim = scenario.sim()
    workflow = scenario.ids["workflow"]
    page = await fetch_runs(api(sim), build_query(workflow, now=NOW, **options))
    [request] = sim.requests_to("runs.list")
    assert request.json == {"workflowUuid": workflow, **sent, "limit": 100, "offset": 0}
    expected = [b["run"]["uuid"] for b in scenario.world.bodies(0) if kept(b["run"])]
    assert expected and sorted(r.uuid or "" for r in page.runs) == sorted(expected)
    assert page.count == len(expected) == page.fetched and not page.capped


async def test_more_runs_than_a_page_are_all_read_and_sorted_newest_first() -> None:
    scenario = busy_workflow_world(250)
    sim = scenario.sim()
    workflow = scenario.ids["workflow"]
    # The sim's pages are in uuid order, which has nothing to do with the creation order.
    first_page = sim.handle(
        "POST", "/v1/orchestration/runs/list", json.dumps({"workflowUuid": workflow, "limit": 100}).encode()
    )
    page_order = [r["createdAt"] for r in first_page.json()["runs"]]
    assert page_order != sorted(page_order, reverse=True)
    sim.requests.clear()
    page = await fetch_runs(api(sim), build_query(workflow, limit=30))
    asked = sorted((r.json["offset"], r.json["limit"]) for r in sim.requests_to("runs.list"))
    assert asked == [(0, 100), (100, 100), (200, 50)]
    assert [r.uuid for r in page.runs] == scenario.children[:30]
    assert (page.count, page.fetched, page.capped, page.cap_text()) == (250, 250, False, "")


async def test_pages_that_come_shuffled_give_the_same_newest_runs() -> None:
    """The API promises no order, within a page or across pages: shuffle every answer."""
    scenario = busy_workflow_world(250)
    sim = scenario.sim()
    shuffler = random.Random(7)

    def handler(request: httpx.Request) -> httpx.Response:
        answer = sim.handle(request.method, request.url.path, request.content)
        data = answer.json()
        shuffler.shuffle(data["runs"])
        return httpx.Response(answer.status, json=data)

    page = await fetch_runs(
        api(httpx.MockTransport(handler)), build_query(scenario.ids["workflow"], limit=12)
    )
    assert [r.uuid for r in page.runs] == scenario.children[:12]


async def test_the_cap_bounds_the_scan_and_says_so() -> None:
    scenario = busy_workflow_world(250)
    sim = scenario.sim()
    page = await fetch_runs(api(sim), build_query(scenario.ids["workflow"], limit=10), page_size=50, cap=120)
    asked = sorted((r.json["offset"], r.json["limit"]) for r in sim.requests_to("runs.list"))
    assert asked == [(0, 50), (50, 50), (100, 20)]
    assert (page.count, page.fetched, page.capped) == (250, 120, True)
    assert "250 runs match" in page.cap_text() and "newest of the 120 read" in page.cap_text()
    assert page.runs == sorted(page.runs, key=lambda r: r.created_at or NOW, reverse=True)


async def test_one_page_is_one_request_and_an_empty_answer_says_what_was_searched() -> None:
    scenario = workflow_runs_world()
    sim = scenario.sim()
    query = build_query(scenario.ids["workflow"], statuses=["skipped"], since="2026-11-20", now=NOW)
    page = await fetch_runs(api(sim), query)
    assert len(sim.requests_to("runs.list")) == 1
    assert (page.runs, page.count) == ([], 0)
    assert page.empty_text() == (
        f"no runs of workflow {scenario.ids['workflow']} with status skipped since 2026-11-20"
    )
    assert await latest_run(api(sim), query) is None


def _listing(runs: list[dict[str, Any]], count: int | None) -> dict[str, Any]:
    return {"runs": runs, **({"count": count} if count is not None else {})}


async def test_without_a_count_pages_are_read_until_a_short_one() -> None:
    runs = [listed(make_run(f"r{i:03d}", workspace="ws", workflow="w", trace="t", nodes=None,
                            status="success", created=f"2026-11-{1 + i % 28:02d}T00:00:00.000Z"))
            for i in range(25)]  # fmt: skip
    offsets: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        offsets.append(body["offset"])
        return httpx.Response(200, json=_listing(runs[body["offset"] : body["offset"] + body["limit"]], None))

    page = await fetch_runs(api(httpx.MockTransport(handler)), build_query("w", limit=3), page_size=10)
    assert offsets == [0, 10, 20]
    assert (page.count, page.fetched) == (25, 25)
    assert [r.created_at for r in page.runs] == sorted((r.created_at for r in page.runs), reverse=True)


async def test_a_run_seen_on_two_pages_is_listed_once() -> None:
    """A run created while paging shifts the pages: the last run of one page is the first of the
    next (listed once), and the oldest is pushed past the count (read on, still listed)."""
    runs = [listed(make_run(f"r{i}", workspace="ws", workflow="w", trace="t", nodes=None,
                            created=f"2026-11-0{1 + i}T00:00:00.000Z")) for i in range(5)]  # fmt: skip

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        start = max(body["offset"] - 1, 0) if body["offset"] else 0
        return httpx.Response(200, json=_listing(runs[start : start + body["limit"]], 5))

    page = await fetch_runs(api(httpx.MockTransport(handler)), build_query("w"), page_size=3)
    assert [r.uuid for r in page.runs] == ["r4", "r3", "r2", "r1", "r0"]


@pytest.mark.parametrize(("status", "error", "words"), [
    (403, ForbiddenError, "orchestration:read"),
    (404, NotFoundError, "no runs/list endpoint"),
])  # fmt: skip
async def test_a_forbidden_or_missing_list_is_one_clear_error(
    status: int, error: type[Exception], words: str
) -> None:
    sim = workflow_runs_world().sim()
    sim.fail("runs.list", status)
    with pytest.raises(error) as caught:
        await fetch_runs(api(sim), build_query("w"))
    assert isinstance(caught.value, ForbiddenError | NotFoundError)
    assert f"({status})" in caught.value.message and words in caught.value.one_line()


# -- rows and counts ----------------------------------------------------------------------------


def _run(**fields: Any) -> Run:
    base = {"uuid": "r1", "status": "error", "recordTitle": "Acme", "createdAt": "2026-11-24T10:00:00Z"}
    return Run.model_validate({**base, **fields})


def test_a_row_has_what_the_table_shows_with_the_api_text_made_safe() -> None:
    row = RunRow.of(
        _run(
            finishedAt="2026-11-24T10:01:30Z",
            recordTitle="Acme\x1b[2J [bold]Corp[/bold]\n",
            errorMessage="  Node enrich_company failed\n\x07second line" + "x" * 400,
            creditsUsedCount=4.5,
            parentUuid="p1",
        )
    )
    assert (row.uuid, row.status, row.took, row.credits, row.parent_uuid) == ("r1", "error", 90.0, 4.5, "p1")
    assert row.record_title == "Acme [bold]Corp[/bold] ⏎ "
    assert row.error is not None and row.error.startswith("Node enrich_company failed ⏎ ␇second line")
    assert len(row.error) == 200 and row.error.endswith("…")
    running = RunRow.of(_run(status="running", errorMessage=None))
    assert (running.took, running.credits, running.error) == (None, None, None)


@pytest.mark.parametrize("credits", [True, "3", None, [], {"n": 1}])
def test_credits_that_are_not_a_number_are_unknown(credits: Any) -> None:
    assert RunRow.of(_run(creditsUsedCount=credits)).credits is None


def test_credits_that_are_not_finite_are_unknown() -> None:
    body = json.dumps({"uuid": "r1", "creditsUsedCount": 1}).replace("1}", "NaN}")
    assert RunRow.of(Run.model_validate(json.loads(body))).credits is None


def test_the_count_line_names_what_went_wrong_and_how_many_match() -> None:
    statuses: list[str | None] = ["success", "error", "error", "running", "success", "error", "success"]
    assert count_line(statuses) == "7 runs · 3 error · 1 running"
    assert count_line(statuses, 312) == "7 of 312 runs · 3 error · 1 running"
    assert count_line(["success"]) == "1 run"
    assert count_line([]) == "0 runs"
    assert (
        count_line(["timed_out\x1b[31m", None, "cancelled"])
        == "3 runs · 1 cancelled · 1 timed_out · 1 unknown"
    )


# -- cancel -------------------------------------------------------------------------------------


def _running(scenario: Any) -> RunGraph:
    body = next(b for b in scenario.world.bodies(0) if b["run"]["status"] == "running")
    return RunGraph.build(parse_run_response(json.dumps(body).encode()))


async def test_cancel_posts_the_workflow_and_the_run_and_the_run_goes_cancelling() -> None:
    scenario = workflow_runs_world()
    sim = scenario.sim()
    graph = _running(scenario)
    assert can_cancel(graph.run)
    assert await cancel_run(api(sim), graph) == graph.run.uuid
    [request] = sim.requests_to("runs.cancel")
    assert request.json == {"workflowUuid": scenario.ids["workflow"], "uuids": [graph.run.uuid]}
    after = sim.run(graph.run.uuid or "")
    assert after is not None and after["run"]["status"] == "cancelling"
    assert not can_cancel(Run.model_validate(after["run"]))
    await cancel_run(api(sim), graph.run)  # a Run will do too; Cargo leaves a cancelling run be
    assert len(sim.requests_to("runs.cancel")) == 2


@pytest.mark.parametrize(("status", "error", "words"), [
    (403, ForbiddenError, "the token may not cancel run"),
    (404, NotFoundError, "could not be cancelled (404): Route not found"),
])  # fmt: skip
async def test_a_refused_cancel_says_so_and_cancels_nothing(
    status: int, error: type[Exception], words: str
) -> None:
    scenario = workflow_runs_world()
    sim = scenario.sim()
    graph = _running(scenario)
    sim.fail("runs.cancel", status)
    with pytest.raises(error) as caught:
        await cancel_run(api(sim), graph)
    assert isinstance(caught.value, ForbiddenError | NotFoundError)
    assert words in caught.value.message and caught.value.hint
    after = sim.run(graph.run.uuid or "")
    assert after is not None and after["run"]["status"] == "running"


async def test_a_run_without_a_workflow_cannot_be_cancelled() -> None:
    sim = CargoSim(World())
    with pytest.raises(InvalidResponseError):
        await cancel_run(api(sim), Run.model_validate({"uuid": "r1", "status": "running"}))
    assert sim.requests == []


def test_busy_world_shapes_are_clean() -> None:
    scenario = busy_workflow_world(30)
    for body in scenario.world.bodies(0):
        parsed = parse_run_response(json.dumps(body).encode())
        assert parsed.anomalies == [] and RunGraph.build(parsed).anomalies == []
    ages = [created(scenario.body(uuid)) for uuid in scenario.children]
    assert ages == sorted(ages, reverse=True) and len(set(ages)) == 30
