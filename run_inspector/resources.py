"""Cargo's other resources around a run: lists of runs, batches, traces, agent messages, metrics.

Pydantic models as tolerant as the run's (`models.CargoModel`: every field optional, unknown
fields kept, statuses plain strings), and `Lineage`: what those endpoints said about one run,
which the graph takes into account (`RunGraph.apply_lineage`). No Textual import.

The shapes are Cargo's (see `../shared/CARGO_API.md`); where an answer differs at run time the
answer wins, and an endpoint that is missing (404) or forbidden (403) leaves its part empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .models import CargoModel, Run

BATCH_ACTIVE = frozenset({"pending", "syncing", "querying", "running", "cancelling"})
"""Batch statuses of a batch still at work."""
TRACE_VERDICTS = {"error": "failed", "degraded": "degraded", "success": "ok", "pending": "running"}
"""A trace's status (Cargo's own verdict on a run and its lineage) as the inspector's verdict."""


def utc(moment: datetime) -> datetime:
    """Naive times are UTC (Cargo's are); aware ones are moved to UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def cargo_time(moment: datetime) -> str:
    """A time as Cargo's request bodies take it (`createdAfter`…): UTC, milliseconds, `Z`."""
    return utc(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class RunList(CargoModel):
    """`POST /orchestration/runs/list`: a page of runs, and how many match in all."""

    runs: list[Run] | None = None
    count: int | None = None


class Batch(CargoModel):
    """`GET /orchestration/batches/{uuid}` → `batch`: a group's items, run as a batch."""

    uuid: str | None = None
    workflow_uuid: str | None = None
    status: str | None = None
    runs_status: str | None = None
    runs_count: int | None = None
    executed_runs_count: int | None = None
    failed_runs_count: int | None = None
    credits_used_count: float | None = None
    error_message: str | None = None
    data: Any = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def active(self) -> bool:
        return (self.status or "") in BATCH_ACTIVE


class Trace(CargoModel):
    """`GET /orchestration/traces/{uuid}` → `trace`: a run and every run it started."""

    uuid: str | None = None
    workflow_uuid: str | None = None
    root_run_uuid: str | None = None
    root_record_title: str | None = None
    spans_count: int | None = None
    failed_spans_count: int | None = None
    pending_spans_count: int | None = None
    succeeded_spans_count: int | None = None
    credits_used_count: float | None = None
    """The whole lineage's credits, child runs included."""
    status: str | None = None
    """`pending`, `error`, `degraded` or `success`: Cargo's own verdict."""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    updated_at: datetime | None = None


class Usage(CargoModel):
    input_tokens_count: int | None = None
    output_tokens_count: int | None = None
    reasoning_tokens_count: int | None = None
    cache_read_tokens_count: int | None = None
    credits_used_count: float | None = None
    language_model_slug: str | None = None


class Message(CargoModel):
    """`GET /ai/messages/{uuid}` → `message`: an agent's reply, as the Vercel AI SDK's UI parts."""

    uuid: str | None = None
    chat_uuid: str | None = None
    agent_uuid: str | None = None
    status: str | None = None
    error_message: str | None = None
    type: str | None = None
    parts: list[Any] | None = None
    """Each part as sent (a dict with a `type`): unknown types are kept and shown as JSON."""
    system_prompt: str | None = None
    language_model_slug: str | None = None
    temperature: float | None = None
    max_steps: int | None = None
    evaluated_tools: dict[str, Any] | None = None
    usage: Usage | None = None
    output: Any = None
    created_at: datetime | None = None
    finished_at: datetime | None = None


class RunMetric(CargoModel):
    """One node's executions across the runs of a workflow (`POST /orchestration/runs/metrics`)."""

    node_uuid: str | None = None
    total_executions_count: int | None = None
    success_executions_count: int | None = None
    error_executions_count: int | None = None
    pending_executions_count: int | None = None
    credits_used_count: float | None = None


class RunMetrics(CargoModel):
    run_metrics: list[RunMetric] | None = None


@dataclass(frozen=True)
class ItemFailure:
    """Where an item run failed: its record, the node that failed in it, and the error."""

    run_uuid: str
    record_title: str | None
    node_slug: str | None
    node_uuid: str | None
    error: str | None


@dataclass
class ItemRuns:
    """The item runs of one group node: listed with `runs/list`, failed ones first."""

    node_uuid: str
    runs: list[Run] = field(default_factory=list)
    count: int | None = None
    """How many item runs match in all (the list may hold fewer: it is bounded)."""
    failed_count: int | None = None
    """How many of them failed (a count the API gave; None: not asked)."""
    failures: list[ItemFailure] = field(default_factory=list)
    """The first failed items' failing node and error, fetched (a bounded number)."""
    sub_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    """Sub-graph node slug → status → how many of the fetched item runs ended so there."""
    failed_at: dict[str, list[str]] = field(default_factory=dict)
    """Sub-graph node slug → the fetched item runs in which that node failed."""
    fetched: int = 0
    """How many item runs were fetched in full (for `sub_counts` and `failures`)."""


@dataclass
class Lineage:
    """What the endpoints around a run said about it, as it arrived. Empty parts: not known
    (not asked yet, or the endpoint is missing or forbidden)."""

    trace: Trace | None = None
    batches: dict[str, Batch] = field(default_factory=dict)
    """By batch uuid."""
    items: dict[str, ItemRuns] = field(default_factory=dict)
    """By group node uuid."""
    notes: dict[str, str] = field(default_factory=dict)
    """Per endpoint, why its part is empty ("not available", "forbidden")."""
