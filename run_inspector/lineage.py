"""What the endpoints around a run say about it: its trace, its groups' batches and item runs.

No Textual import. `load_lineage(source, graph)` asks, in a bounded number of requests:

* the trace (`GET /orchestration/traces/{traceUuid}`): Cargo's own verdict and the credits of
  the whole lineage;
* for each group (a node whose executions are items): its batch (`GET /orchestration/batches/
  {uuid}`, when its execution started one) and its item runs (`POST /orchestration/runs/list`
  by `batchUuid`, else by `parentUuid` + `parentNodeUuid`; failed ones first, then the rest);
* the first few failed item runs in full (`GET` each): the node that failed in each and its
  error, for the parent's first screen, `--print` and `--json`; and, when a group has few
  items, every item run, for the counts of its sub-graph's nodes across items.

Never all of a 5,000-item batch: the list and the fetches have limits. An endpoint that is
missing (404), forbidden (403) or not in a file leaves its part empty, with a note; only a
fault of the run's own fetch stops anything.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from .errors import FetchError, ForbiddenError, NotAvailableError, NotFoundError
from .graph import NodeState, RunGraph
from .models import FAILED_STATUSES, Run, parse_run_response
from .resources import ItemFailure, ItemRuns, Lineage
from .source import RunSource

ITEM_ROWS = 500
"""Item runs listed per group at the most (failed ones first)."""
PAGE = 100
"""Runs asked for per `runs/list` page."""
FAILURES_FETCHED = 3
"""Failed item runs fetched in full per group: where each failed, for the first screen."""
ALL_FETCHED_UP_TO = 20
"""A group with at most this many items has every item run fetched (sub-graph counts)."""
AT_ONCE = 4
"""Requests in flight at once."""

T = TypeVar("T")


async def load_lineage(source: RunSource, graph: RunGraph, *, lineage: Lineage | None = None) -> Lineage:
    """Everything the endpoints around `graph`'s run say, as far as they answer."""
    lineage = lineage or Lineage()
    limit = asyncio.Semaphore(AT_ONCE)
    run = graph.run
    if run.trace_uuid:
        trace = await _ask(lineage, "trace", limit, source.get_trace(run.trace_uuid))
        if trace is not None:
            lineage.trace = trace
    groups = [state for state in graph.states.values() if state.items is not None and state.scope is None]
    await asyncio.gather(*(_load_group(source, graph, state, lineage, limit) for state in groups))
    return lineage


async def _load_group(
    source: RunSource, graph: RunGraph, state: NodeState, lineage: Lineage, limit: asyncio.Semaphore
) -> None:
    if state.batch_uuid:
        batch = await _ask(lineage, "batch", limit, source.get_batch(state.batch_uuid))
        if batch is not None:
            lineage.batches[state.batch_uuid] = batch
    items = await list_items(source, graph, state, lineage, limit)
    if items is None:
        return
    lineage.items[state.uuid] = items
    await _fetch_items(source, items, limit)


def item_query(graph: RunGraph, state: NodeState) -> dict[str, object]:
    """The `runs/list` filter that finds a group's item runs."""
    if state.batch_uuid:
        return {"batchUuid": state.batch_uuid}
    return {"parentUuid": graph.run.uuid, "parentNodeUuid": state.uuid}


async def list_items(
    source: RunSource, graph: RunGraph, state: NodeState, lineage: Lineage, limit: asyncio.Semaphore
) -> ItemRuns | None:
    """The group's item runs, failed ones first (a bounded number). When the list cannot be
    asked for, the runs its executions started are fetched one by one instead (a file)."""
    query = item_query(graph, state)
    failed = await _ask(
        lineage,
        "runs.list",
        limit,
        source.list_runs({**query, "statuses": sorted(FAILED_STATUSES), "limit": PAGE}),
    )
    if failed is None:
        return await _items_by_uuid(source, state, lineage, limit)
    runs: dict[str, Run] = {run.uuid: run for run in failed.runs or [] if run.uuid}
    count: int | None = None
    offset = 0
    while len(runs) < ITEM_ROWS:
        page = await _ask(
            lineage, "runs.list", limit, source.list_runs({**query, "limit": PAGE, "offset": offset})
        )
        if page is None or not page.runs:
            break
        count = page.count
        for run in page.runs:
            if run.uuid and run.uuid not in runs and len(runs) < ITEM_ROWS:
                runs[run.uuid] = run
        offset += len(page.runs)
        if count is not None and offset >= count:
            break
    ordered = sorted(runs.values(), key=lambda run: (run.status not in FAILED_STATUSES, _created(run)))
    return ItemRuns(state.uuid, ordered, count if count is not None else len(ordered), failed.count)


async def _items_by_uuid(
    source: RunSource, state: NodeState, lineage: Lineage, limit: asyncio.Semaphore
) -> ItemRuns | None:
    """Item runs from the runs the group's executions name (bounded), fetched one by one."""
    uuids = state.child_runs[:ALL_FETCHED_UP_TO]
    if not uuids:
        return None
    graphs = await asyncio.gather(*(_run_graph(source, uuid, lineage, limit) for uuid in uuids))
    runs = [graph.run for graph in graphs if graph is not None]
    if not runs:
        return None
    items = ItemRuns(
        state.uuid, sorted(runs, key=lambda run: run.status not in FAILED_STATUSES), len(state.child_runs)
    )
    _take_details(items, [graph for graph in graphs if graph is not None])
    items.fetched = len(runs)
    return items


async def _fetch_items(source: RunSource, items: ItemRuns, limit: asyncio.Semaphore) -> None:
    """The failed item runs (the first few) in full, and every item run of a small group."""
    failed = [run for run in items.runs if run.status in FAILED_STATUSES][:FAILURES_FETCHED]
    every = items.count is not None and items.count <= ALL_FETCHED_UP_TO and len(items.runs) == items.count
    wanted = items.runs if every else failed
    scratch = Lineage()
    graphs = await asyncio.gather(*(_run_graph(source, run.uuid or "", scratch, limit) for run in wanted))
    _take_details(items, [graph for graph in graphs if graph is not None])
    items.fetched = sum(graph is not None for graph in graphs)


def _take_details(items: ItemRuns, graphs: list[RunGraph]) -> None:
    """Where each failed item failed, and how each sub-graph node ended across the items."""
    for graph in graphs:
        if graph.summary.status in FAILED_STATUSES and len(items.failures) < FAILURES_FETCHED:
            items.failures.append(item_failure(graph))
        for state in graph.states.values():
            if state.slug and state.executions:
                counts = items.sub_counts.setdefault(state.slug, {})
                counts[state.status] = counts.get(state.status, 0) + 1
                if state.failed and graph.run.uuid:
                    items.failed_at.setdefault(state.slug, []).append(graph.run.uuid)


def item_failure(graph: RunGraph) -> ItemFailure:
    """Where an item run failed: its first failed node and that node's error (else the run's)."""
    run = graph.run
    uuid = graph.summary.first_failed
    state = graph.states.get(uuid) if uuid is not None else None
    error = (state.first_error if state is not None else None) or run.error_message
    return ItemFailure(
        run.uuid or "?",
        run.record_title,
        state.slug if state is not None else None,
        state.uuid if state is not None else None,
        error,
    )


async def _run_graph(
    source: RunSource, uuid: str, lineage: Lineage, limit: asyncio.Semaphore
) -> RunGraph | None:
    async def fetch() -> RunGraph:
        return RunGraph.build(parse_run_response(await source.fetch_bytes(uuid)), snapshot=not source.live)

    return await _ask(lineage, "runs.get", limit, fetch())


async def _ask(lineage: Lineage, what: str, limit: asyncio.Semaphore, call: Awaitable[T]) -> T | None:
    """The answer, or None with a note: an endpoint that is missing, forbidden or not in a
    file leaves its part empty; so does any other fault (the run itself is shown anyway)."""
    async with limit:
        try:
            return await call
        except (NotAvailableError, NotFoundError) as error:
            lineage.notes.setdefault(what, f"not available ({error.one_line()})")
        except ForbiddenError as error:
            lineage.notes.setdefault(what, f"forbidden ({error.one_line()})")
        except FetchError as error:
            lineage.notes.setdefault(what, error.one_line())
    return None


def _created(run: Run) -> float:
    moment = run.created_at
    try:
        return moment.timestamp() if moment is not None else 0.0
    except (OverflowError, ValueError, OSError):
        return 0.0
