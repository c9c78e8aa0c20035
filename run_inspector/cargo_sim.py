"""A simulated Cargo API, in memory: the embedded demo and the tests' fake servers both use it.

Why one simulator: the inspector must be tried against Cargo's *real* request and response
shapes (CARGO_RUNS.md, CARGO_API.md), not against whatever each test found convenient. So
the shapes live here once, and a test only says what its world holds.

- `World` holds what the API knows: GET-run bodies, batches, traces, agent messages and
  metrics overrides, keyed by uuid. A value is a dict, or a callable of the elapsed seconds
  (`Timed`) for things that change while the client watches; a callable that answers None
  means "does not exist yet". Tests may mutate a world between requests.
- `CargoSim` answers requests from a world (`handle`), records them (`requests`), can make
  an endpoint fail on purpose (`fail`), and keeps the time (`elapsed`, `advance`).
- `SimTransport` serves a sim to `httpx.AsyncClient` or `httpx.Client`, with no network.
- Builders (`make_node`, `make_run`, `Step`, `TimedRun`, `make_batch`, `make_message`…)
  produce Cargo's shapes for the demo and the tests' worlds.

Endpoints (any base path, e.g. `…/v1`): GET `orchestration/runs/{uuid}`, POST
`orchestration/runs/list|count|metrics|cancel`, GET `orchestration/batches/{uuid}`,
`orchestration/traces/{uuid}`, `ai/messages/{uuid}`. Unknown route: 404 `notFound`;
known route, wrong method: 405.

Where Cargo's documents are silent, the simulator assumes (and the tests pin down):
- `runs/list` answers in uuid order (deterministic, never newest-first: clients sort), with
  `nodes` null and `executions` empty; no `limit` means every match. `recordTitle` and
  `recordTitleOrId` match a case-insensitive part of the title (or the exact id);
  `createdAfter`/`updatedBefore`… are strict; `isFinished` means a terminal status;
  `executionsFilter` conditions hold when *any* execution of the node matches.
- An invalid payload is 400 `{"reason": "invalidPayload"}`; unknown payload fields are ignored.
- `runs/cancel` answers 200 `{}` (the official client ignores the body). Runs of another
  workflow and finished runs are left alone. A cancelled run stops where it was (its
  executions are kept as they were), reads `cancelling` for `cancel_delay` seconds, then
  `cancelled` with `finishedAt`; its descendant runs and child batches are cancelled with it.
- `runs/metrics` and traces are computed from the runs unless the world gives them. A
  trace is `pending` while any run of the lineage is unfinished, `error` when the root run
  ended `error` or `cancelled`, `degraded` when the root succeeded but a child run failed or
  a node with `fallbackOnFailure` failed, else `success`.
"""

from __future__ import annotations

import copy
import json
import math
import re
import threading
import uuid as uuid_lib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

__all__ = [
    "ENDPOINTS",
    "TERMINAL_RUN_STATUSES",
    "CargoSim",
    "Json",
    "ManualClock",
    "RecordedRequest",
    "RunQuery",
    "SimResponse",
    "SimTransport",
    "Step",
    "Timed",
    "TimedRun",
    "Timeline",
    "TimelineClock",
    "World",
    "batch_at",
    "compute_metrics",
    "compute_trace",
    "iso",
    "listed",
    "make_batch",
    "make_message",
    "make_node",
    "make_run",
    "run_body",
    "stable_uuid",
]

Json = dict[str, Any]
Timed = Json | Callable[[float], Json | None]
"""A world value: as it is, or as a function of the elapsed seconds (None: not there yet)."""

ENDPOINTS = (
    "runs.get",
    "runs.list",
    "runs.count",
    "runs.metrics",
    "runs.cancel",
    "batches.get",
    "traces.get",
    "messages.get",
)
"""The names `CargoSim.fail` and `RecordedRequest.endpoint` use."""

TERMINAL_RUN_STATUSES = frozenset({"success", "error", "cancelled", "skipped"})
DEFAULT_ORIGIN = datetime(2026, 11, 24, 14, 0, 0, tzinfo=UTC)
"""The moment elapsed second 0 stands for, unless a world says otherwise."""

_NAMESPACE = uuid_lib.UUID("0b6f3d52-8c1e-4a7b-9f20-5d3e8a1c6b47")


def stable_uuid(*names: str) -> str:
    """A realistic-looking uuid that is the same on every run (uuid5 of the names)."""
    return str(uuid_lib.uuid5(_NAMESPACE, "/".join(names)))


def iso(moment: datetime) -> str:
    """Cargo's timestamp format: UTC, milliseconds, `Z`."""
    when = moment.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# -- builders: Cargo's shapes ------------------------------------------------------------------


def make_node(
    uuid: str,
    slug: str,
    kind: str,
    *,
    action: str | None = None,
    children: Sequence[str | None] = (),
    name: str | None = None,
    description: str | None = None,
    config: Json | None = None,
    position: tuple[float, float] = (0.0, 0.0),
    fallback_on_failure: bool = False,
    fallback_child: str | None = None,
    retry: Json | None = None,
    **extra: Any,
) -> Json:
    """A graph node. Kind-specific fields (`integrationSlug`, `agentUuid`, `toolUuid`…) go in `extra`."""
    node: Json = {
        "uuid": uuid,
        "slug": slug,
        "name": name,
        "description": description,
        "kind": kind,
        "config": config if config is not None else {},
        "childrenUuids": list(children),
        "fallbackOnFailure": fallback_on_failure,
        "fallbackChildUuid": fallback_child,
        "position": {"x": position[0], "y": position[1]},
        "retry": retry,
    }
    if action is not None:
        node["actionSlug"] = action
    node.update(extra)
    return node


def make_run(
    uuid: str,
    *,
    workspace: str,
    workflow: str,
    trace: str,
    nodes: list[Json] | None,
    status: str = "pending",
    executions: list[Json] | None = None,
    record_id: str = "",
    record_title: str = "",
    created: str | None = None,
    updated: str | None = None,
    finished: str | None = None,
    error: str | None = None,
    user: str | None = None,
    release: str | None = None,
    batch: str | None = None,
    parent: str | None = None,
    parent_node: str | None = None,
    parent_batch: str | None = None,
    parent_agent: str | None = None,
    parent_chat: str | None = None,
    parent_message: str | None = None,
    is_group_parent: bool | None = None,
) -> Json:
    """A run object with every field of Cargo's `Run` type, in the API's order."""
    folder = f"workspaces/{workspace}/runs/{uuid}"
    return {
        "uuid": uuid,
        "workspaceUuid": workspace,
        "workflowUuid": workflow,
        "userUuid": user,
        "releaseUuid": release,
        "traceUuid": trace,
        "batchUuid": batch,
        "temporalWorkflowId": f"run-{uuid}",
        "recordId": record_id,
        "recordTitle": record_title,
        "contextS3Filename": f"{folder}/context.json",
        "computedConfigsS3Filename": f"{folder}/computed-configs.json",
        "parentUuid": parent,
        "parentNodeUuid": parent_node,
        "parentBatchUuid": parent_batch,
        "parentAgentUuid": parent_agent,
        "parentChatUuid": parent_chat,
        "parentMessageUuid": parent_message,
        "isGroupParent": is_group_parent,
        "status": status,
        "errorMessage": error,
        "nodes": nodes,
        "executions": executions if executions is not None else [],
        "createdAt": created,
        "updatedAt": updated if updated is not None else created,
        "finishedAt": finished,
        "deletedAt": None,
    }


def run_body(run: Json, context: Json | None = None, computed: Json | None = None) -> Json:
    """A GET-run response: `{"run", "runContext", "runComputedConfigs"}`."""
    return {"run": run, "runContext": context or {}, "runComputedConfigs": computed or {}}


def listed(run: Json) -> Json:
    """A run as `runs/list` shows it: the same fields, without the graph and the executions."""
    return {**run, "nodes": None, "executions": []}


def make_batch(
    uuid: str,
    *,
    workspace: str,
    workflow: str,
    data: Json,
    status: str,
    runs_count: int,
    executed: int = 0,
    failed: int = 0,
    credits: float = 0,
    created: str,
    updated: str | None = None,
    finished: str | None = None,
    trace: str | None = None,
    release: str | None = None,
    error: str | None = None,
) -> Json:
    """A `Batch` (GET `orchestration/batches/{uuid}`); `runsStatus` follows the failures."""
    return {
        "uuid": uuid,
        "workspaceUuid": workspace,
        "workflowUuid": workflow,
        "userUuid": None,
        "releaseUuid": release,
        "nodes": None,
        "temporalWorkflowId": f"batch-{uuid}",
        "traceUuid": trace,
        "data": data,
        "errorMessage": error,
        "status": status,
        "runsStatus": None if runs_count == 0 else ("unhealthy" if failed else "healthy"),
        "runsCount": runs_count,
        "executedRunsCount": executed,
        "failedRunsCount": failed,
        "creditsUsedCount": credits,
        "createdAt": created,
        "updatedAt": updated if updated is not None else created,
        "finishedAt": finished,
    }


def make_message(
    uuid: str,
    *,
    workspace: str,
    chat: str,
    agent: str | None,
    parts: list[Json],
    status: str = "success",
    model: str = "gpt-4.1",
    system_prompt: str | None = None,
    tools: Json | None = None,
    usage: Json | None = None,
    created: str,
    finished: str | None = None,
    error: str | None = None,
    **extra: Any,
) -> Json:
    """An agent `Message` (GET `ai/messages/{uuid}`); `parts` are Vercel AI SDK UI parts."""
    message: Json = {
        "uuid": uuid,
        "workspaceUuid": workspace,
        "agentUuid": agent,
        "releaseUuid": None,
        "chatUuid": chat,
        "userUuid": None,
        "status": status,
        "errorMessage": error,
        "type": "assistant",
        "parts": parts,
        "actions": [],
        "resources": [],
        "capabilities": [],
        "mcpClients": [],
        "systemPrompt": system_prompt,
        "withReasoning": True,
        "temperature": 0.2,
        "maxSteps": 8,
        "integrationSlug": "openai",
        "connectorUuid": None,
        "languageModelSlug": model,
        "evaluatedTools": tools if tools is not None else {},
        "usage": usage,
        "output": None,
        "evaluation": None,
        "meta": None,
        "suggestedActions": [],
        "temporalWorkflowId": f"message-{uuid}",
        "createdAt": created,
        "updatedAt": finished or created,
        "finishedAt": finished,
        "deletedAt": None,
    }
    message.update(extra)
    return message


@dataclass(frozen=True)
class TimelineClock:
    """Turns seconds of a timeline into timestamps: `origin` plus `seconds × scale`."""

    origin: datetime
    scale: float = 1.0

    def iso(self, seconds: float) -> str:
        return iso(self.origin + timedelta(milliseconds=round(seconds * self.scale * 1000)))


@dataclass(frozen=True)
class Step:
    """One execution on a timeline: queued at `queued`, started at `started`, done at `finished`.

    Cargo's executions are only `pending`, `success` or `error`: a started execution is
    `pending` with `startedAt` set, then takes `status`. `inputs` becomes
    `runComputedConfigs[slug]` when it starts, `output` becomes `runContext[slug]` when it
    succeeds (None leaves them as they are).
    """

    node: Json
    queued: float
    started: float
    finished: float
    status: str = "success"
    title: str | None = None
    credits: float = 0
    error: str | None = None
    child_index: int | None = None
    next_node: str | None = None
    node_run: str | None = None
    node_batch: str | None = None
    node_message: str | None = None
    inputs: Any = None
    output: Any = None

    def execution_at(self, now: float, clock: TimelineClock) -> Json | None:
        """The execution as the API shows it at `now` (None before it is queued)."""
        if now < self.queued:
            return None
        done = now >= self.finished
        started = now >= self.started
        last = self.finished if done else self.started if started else self.queued
        node = self.node
        kind = node.get("kind")
        execution: Json = {
            "nodeUuid": node["uuid"],
            "nodeSlug": node["slug"],
            "nodeKind": kind,
            "nodeActionSlug": node.get("actionSlug"),
            "status": self.status if done else "pending",
            "errorMessage": self.error if done else None,
            "title": self.title if done else None,
            "iconUrl": None,
            "creditsUsedCount": self.credits if done else 0,
            "nodeChildIndex": self.child_index if done else None,
            "nextNodeUuid": self.next_node if done else None,
            "nodeRunUuid": self.node_run if started else None,
            "nodeBatchUuid": self.node_batch if started else None,
            "nodeMessageUuid": self.node_message if started else None,
            "startedAt": clock.iso(self.started) if started else None,
            "updatedAt": clock.iso(last),
            "finishedAt": clock.iso(self.finished) if done else None,
            "nodeWaitUntilFinished": bool(node.get("waitUntilFinished")) or self.node_run is not None,
        }
        if kind == "connector":
            execution["nodeConnectorUuid"] = node.get("connectorUuid")
            execution["nodeIntegrationSlug"] = node.get("integrationSlug")
        elif kind == "agent":
            execution["nodeAgentUuid"] = node.get("agentUuid")
            execution["nodeReleaseUuid"] = node.get("releaseUuid")
        elif kind == "tool":
            execution["nodeToolUuid"] = node.get("toolUuid")
            execution["nodeReleaseUuid"] = node.get("releaseUuid")
        return execution


@dataclass(frozen=True)
class TimedRun:
    """A run that plays its steps out: it exists from `created`, is `pending` until `started`,
    `running` until `finished`, then `status` (with `error` as its `errorMessage`).

    `run` is a `make_run` object whose status, executions and times are filled in by `at`.
    Times are seconds of the run's own timeline; `clock` turns them into timestamps.
    """

    run: Json
    steps: Sequence[Step]
    clock: TimelineClock
    created: float = 0.0
    started: float = 0.0
    finished: float = 0.0
    status: str = "success"
    error: str | None = None

    def at(self, now: float) -> Json | None:
        """The GET-run body at `now` (None before the run exists). A pure function."""
        if math.isnan(now) or now < self.created:
            return None
        executions: list[Json] = []
        context: Json = {}
        computed: Json = {}
        latest = self.created
        for step in self.steps:
            execution = step.execution_at(now, self.clock)
            if execution is None:
                continue
            executions.append(execution)
            slug = step.node["slug"]
            latest = max([latest, *(t for t in (step.queued, step.started, step.finished) if t <= now)])
            if now >= step.started and step.inputs is not None:
                computed[slug] = copy.deepcopy(step.inputs)
            if now >= step.finished and step.status == "success" and step.output is not None:
                context[slug] = copy.deepcopy(step.output)
        if now < self.started:
            status, finished = "pending", None
        elif now < self.finished:
            status, finished = "running", None
        else:
            status, finished = self.status, self.finished
        latest = max([latest, *(t for t in (self.started, self.finished) if t <= now)])
        run = copy.deepcopy(self.run)
        run.update(
            status=status,
            errorMessage=self.error if finished is not None else None,
            executions=executions,
            createdAt=self.clock.iso(self.created),
            updatedAt=self.clock.iso(latest),
            finishedAt=self.clock.iso(finished) if finished is not None else None,
        )
        return run_body(run, context, computed)

    @property
    def uuid(self) -> str:
        return str(self.run["uuid"])


class Timeline:
    """Lays steps one after the other, the way most runs go, so a world states only outcomes.

    `then` queues a node `wait` seconds after the last one finished and runs it for `took`
    seconds. By default a success goes on to the child its `child_index` picks (else the
    first), an error goes nowhere, and the title is Cargo's usual ✅/❌ line.
    """

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self.steps: list[Step] = []

    def then(
        self,
        node: Json,
        status: str = "success",
        *,
        wait: float = 0.2,
        took: float = 1.0,
        **fields: Any,
    ) -> Step:
        children = [c for c in node.get("childrenUuids") or [] if c]
        if "next_node" not in fields and status == "success" and children:
            index = fields.get("child_index") or 0
            fields["next_node"] = children[index] if index < len(children) else None
        if "title" not in fields:
            error = str(fields.get("error") or "").splitlines()
            label = node.get("name") or node.get("slug")
            fields["title"] = f"✅ {label}" if status == "success" else f"❌ {error[0] if error else label}"
        step = Step(node, self.now, self.now + wait, self.now + wait + took, status, **fields)
        self.steps.append(step)
        self.now = step.finished
        return step


def batch_at(template: Json, items: Sequence[Json | None], *, planned: int) -> Json:
    """A batch as its item runs stand (GET-run bodies; None: not created yet).

    `pending` until its runs exist, `running` until all `planned` runs ended, then
    `success`: a batch that ran every item succeeds even when some items failed; the
    failures show in `failedRunsCount` and `runsStatus` (`unhealthy`).
    """
    runs = [body["run"] for body in items if body is not None]
    ended = [r for r in runs if r.get("status") in TERMINAL_RUN_STATUSES]
    failed = sum(1 for r in ended if r.get("status") == "error")
    credits = sum(e.get("creditsUsedCount") or 0 for r in runs for e in r.get("executions") or [])
    if not runs:
        status = "pending"
    elif len(ended) < planned:
        status = "running"
    else:
        status = "success"
    batch = copy.deepcopy(template)
    times = [t for r in runs for t in (r.get("updatedAt"), r.get("finishedAt")) if isinstance(t, str)]
    batch.update(
        status=status,
        runsStatus=None if not runs else ("unhealthy" if failed else "healthy"),
        runsCount=planned if runs else 0,
        executedRunsCount=len(ended),
        failedRunsCount=failed,
        creditsUsedCount=credits,
        updatedAt=max([template.get("createdAt") or "", *times]),
        finishedAt=max(times) if status == "success" and times else None,
    )
    return batch


# -- the world ---------------------------------------------------------------------------------


def _value(item: Timed, elapsed: float) -> Json | None:
    return item(elapsed) if callable(item) else item


@dataclass
class World:
    """What the simulated API knows. Values are dicts or callables of the elapsed seconds.

    `runs` holds GET-run bodies; `batches`, `traces`, `messages` the objects their GET
    endpoints wrap (`{"batch": …}`…); `metrics` overrides the computed `runMetrics` of a
    workflow (by workflow uuid). `origin` is the moment elapsed second 0 stands for (used
    to date cancellations).
    """

    runs: dict[str, Timed] = field(default_factory=dict)
    batches: dict[str, Timed] = field(default_factory=dict)
    traces: dict[str, Timed] = field(default_factory=dict)
    messages: dict[str, Timed] = field(default_factory=dict)
    metrics: dict[str, Callable[[float], list[Json]] | list[Json]] = field(default_factory=dict)
    origin: datetime = DEFAULT_ORIGIN

    def add_run(self, body: Json | TimedRun, uuid: str | None = None) -> str:
        """Add a GET-run body (or a timed run); returns its uuid."""
        if isinstance(body, TimedRun):
            self.runs[uuid or body.uuid] = body.at
            return uuid or body.uuid
        key = uuid or str(body["run"]["uuid"])
        self.runs[key] = body
        return key

    def add_batch(self, batch: Json) -> str:
        self.batches[str(batch["uuid"])] = batch
        return str(batch["uuid"])

    def add_message(self, message: Json) -> str:
        self.messages[str(message["uuid"])] = message
        return str(message["uuid"])

    def merge(self, other: World) -> World:
        """Add everything `other` holds (its values win); returns self."""
        self.runs.update(other.runs)
        self.batches.update(other.batches)
        self.traces.update(other.traces)
        self.messages.update(other.messages)
        self.metrics.update(other.metrics)
        return self

    def run_body(self, uuid: str, elapsed: float) -> Json | None:
        item = self.runs.get(uuid)
        return None if item is None else _value(item, elapsed)

    def bodies(self, elapsed: float) -> Iterator[Json]:
        """Every run that exists at `elapsed`, in uuid order."""
        for uuid in sorted(self.runs):
            body = _value(self.runs[uuid], elapsed)
            if body is not None:
                yield body


# -- requests ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    """One request the sim answered: enough to assert what a client sent."""

    method: str
    path: str
    endpoint: str | None
    """One of `ENDPOINTS`, or None for an unknown route."""
    json: Any
    headers: dict[str, str]
    """Lower-case names; `authorization` is never kept."""
    authorized: bool
    """Whether an `Authorization` header was sent."""
    elapsed: float


@dataclass(frozen=True)
class SimResponse:
    status: int
    headers: dict[str, str]
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)


@dataclass
class _Failure:
    status: int
    html: bool
    times: int | None
    message: str | None


@dataclass
class _Cancel:
    at: float
    frozen: Json
    kind: str
    """`run` or `batch`."""


class _BadPayload(Exception):
    pass


_ROUTES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"/orchestration/runs/list/?$"), "POST", "runs.list"),
    (re.compile(r"/orchestration/runs/count/?$"), "POST", "runs.count"),
    (re.compile(r"/orchestration/runs/metrics/?$"), "POST", "runs.metrics"),
    (re.compile(r"/orchestration/runs/cancel/?$"), "POST", "runs.cancel"),
    (re.compile(r"/orchestration/runs/([^/]+)/?$"), "GET", "runs.get"),
    (re.compile(r"/orchestration/batches/([^/]+)/?$"), "GET", "batches.get"),
    (re.compile(r"/orchestration/traces/([^/]+)/?$"), "GET", "traces.get"),
    (re.compile(r"/ai/messages/([^/]+)/?$"), "GET", "messages.get"),
)

_FAILURE_BODIES: dict[int, tuple[str, str]] = {
    400: ("Bad request", "badRequest"),
    401: ("Unauthorized", "unauthorized"),
    403: ("Forbidden: this token lacks the orchestration:read scope", "forbidden"),
    404: ("Route not found", "notFound"),
    429: ("Too many requests", "tooManyRequests"),
    500: ("Internal server error", "internalError"),
    502: ("Bad gateway", "badGateway"),
    503: ("Service unavailable", "serviceUnavailable"),
}

_NOT_FOUND = {
    "runs.get": ("Run not found", "runNotFound"),
    "batches.get": ("Batch not found", "batchNotFound"),
    "traces.get": ("Trace not found", "traceNotFound"),
    "messages.get": ("Message not found", "messageNotFound"),
}

_JSON_HEADERS = {"content-type": "application/json"}


def _json(status: int, body: Any, **headers: str) -> SimResponse:
    return SimResponse(status, {**_JSON_HEADERS, **headers}, json.dumps(body).encode())


def _error(status: int, message: str, reason: str) -> SimResponse:
    return _json(status, {"errorMessage": message, "reason": reason})


def _html(status: int) -> SimResponse:
    page = f"<html><head><title>{status}</title></head><body><h1>{status}</h1><p>nginx</p></body></html>"
    return SimResponse(status, {"content-type": "text/html; charset=utf-8"}, page.encode())


class ManualClock:
    """A clock that moves only when told: `advance(seconds)`. The sims' default in tests."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class CargoSim:
    """Cargo's API over a `World`: routing, filters, paging, errors, recording, time.

    `clock` returns seconds (default: a `ManualClock` at 0, moved by `advance`); `start`
    is the reading elapsed second 0 stands for (default: the first request). `frozen_at`
    pins the elapsed time (a finished demo). With `token` set, requests without
    `Authorization: Bearer <token>` get 401.
    """

    def __init__(
        self,
        world: World | None = None,
        *,
        clock: Callable[[], float] | None = None,
        start: float | None = None,
        frozen_at: float | None = None,
        token: str | None = None,
        cancel_delay: float = 1.0,
    ) -> None:
        self.world = world if world is not None else World()
        if clock is None:
            clock = ManualClock()
            start = 0.0 if start is None else start
        self.clock = clock
        self.start = start
        self.frozen_at = frozen_at
        self.token = token
        self.cancel_delay = cancel_delay
        self.requests: list[RecordedRequest] = []
        self._failures: dict[str, _Failure] = {}
        self._cancels: dict[str, _Cancel] = {}
        self._lock = threading.RLock()

    # -- time and switches --

    def elapsed(self) -> float:
        """Seconds since the start (the clock starts at the first call unless `start` was given)."""
        if self.frozen_at is not None:
            return self.frozen_at
        with self._lock:
            now = self.clock()
            if self.start is None:
                self.start = now
            return max(now - self.start, 0.0)

    def advance(self, seconds: float) -> None:
        """Move a `ManualClock` forward."""
        if not isinstance(self.clock, ManualClock):
            raise TypeError("advance() needs the default ManualClock")
        self.clock.advance(seconds)

    def fail(
        self,
        endpoint: str,
        status: int = 403,
        *,
        html: bool = False,
        times: int | None = None,
        message: str | None = None,
    ) -> None:
        """Make `endpoint` (one of `ENDPOINTS`) answer `status`, as Cargo's JSON error or as an
        HTML page from a proxy, for the next `times` requests (None: until `heal`)."""
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; one of {', '.join(ENDPOINTS)}")
        self._failures[endpoint] = _Failure(status, html, times, message)

    def heal(self, endpoint: str | None = None) -> None:
        """Stop failing `endpoint` (None: every endpoint)."""
        if endpoint is None:
            self._failures.clear()
        else:
            self._failures.pop(endpoint, None)

    def requests_to(self, endpoint: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.endpoint == endpoint]

    def transport(self) -> SimTransport:
        return SimTransport(self)

    # -- answering --

    def handle(
        self, method: str, path: str, body: bytes = b"", headers: Mapping[str, str] | None = None
    ) -> SimResponse:
        """Answer one request. Thread-safe (the loopback server calls it from its threads)."""
        with self._lock:
            return self._handle(method.upper(), path, body, headers or {})

    def _handle(self, method: str, path: str, body: bytes, headers: Mapping[str, str]) -> SimResponse:
        elapsed = self.elapsed()
        lowered = {k.lower(): v for k, v in headers.items()}
        auth = lowered.pop("authorization", None)
        payload: Any = None
        bad_json = False
        if body.strip():
            try:
                payload = json.loads(body)
            except ValueError:
                bad_json = True
        endpoint, argument, allowed = self._route(path)
        if endpoint is not None and method != allowed:
            endpoint = None
        self.requests.append(
            RecordedRequest(method, path, endpoint, payload, lowered, auth is not None, elapsed)
        )
        if allowed is None:
            return _error(404, "Route not found", "notFound")
        if endpoint is None:
            return SimResponse(
                405,
                {**_JSON_HEADERS, "allow": allowed},
                json.dumps(
                    {"errorMessage": f"Method {method} not allowed", "reason": "methodNotAllowed"}
                ).encode(),
            )
        if self.token is not None and auth != f"Bearer {self.token}":
            return _error(401, "Unauthorized", "unauthorized")
        failure = self._failures.get(endpoint)
        if failure is not None:
            if failure.times is not None:
                failure.times -= 1
                if failure.times <= 0:
                    del self._failures[endpoint]
            if failure.html:
                return _html(failure.status)
            message, reason = _FAILURE_BODIES.get(failure.status, ("Request failed", "failed"))
            return _error(failure.status, failure.message or message, reason)
        if allowed == "POST":
            if bad_json or (payload is not None and not isinstance(payload, dict)):
                return _error(400, "Invalid payload: the body must be a JSON object", "invalidPayload")
            try:
                return self._post(endpoint, payload or {}, elapsed)
            except _BadPayload as exc:
                return _error(400, f"Invalid payload: {exc}", "invalidPayload")
        return self._get(endpoint, argument or "", elapsed)

    @staticmethod
    def _route(path: str) -> tuple[str | None, str | None, str | None]:
        """(endpoint, uuid, allowed method) of the first route the path matches."""
        for pattern, method, name in _ROUTES:
            match = pattern.search(path)
            if match is not None:
                return name, (match.group(1) if match.groups() else None), method
        return None, None, None

    def _get(self, endpoint: str, uuid: str, elapsed: float) -> SimResponse:
        found: Json | None
        if endpoint == "runs.get":
            body = self.run(uuid, elapsed)
            found = body
        elif endpoint == "batches.get":
            batch = self.batch(uuid, elapsed)
            found = None if batch is None else {"batch": batch}
        elif endpoint == "traces.get":
            trace = self.trace(uuid, elapsed)
            found = None if trace is None else {"trace": trace}
        else:
            message = self.world.messages.get(uuid)
            value = None if message is None else _value(message, elapsed)
            found = None if value is None else {"message": copy.deepcopy(value)}
        if found is None:
            return _error(404, *_NOT_FOUND[endpoint])
        return _json(200, found)

    def _post(self, endpoint: str, payload: Json, elapsed: float) -> SimResponse:
        if endpoint == "runs.cancel":
            workflow = payload.get("workflowUuid")
            uuids = payload.get("uuids")
            if not isinstance(workflow, str) or not isinstance(uuids, list):
                raise _BadPayload("workflowUuid (string) and uuids (list) are required")
            self.cancel([u for u in uuids if isinstance(u, str)], workflow, elapsed)
            return _json(200, {})
        if endpoint == "runs.metrics":
            return _json(200, {"runMetrics": self.metrics(payload, elapsed)})
        query = RunQuery.parse(payload)
        matches = [listed(body["run"]) for body in self.bodies(elapsed) if query.matches(body)]
        if endpoint == "runs.count":
            return _json(200, {"count": len(matches)})
        end = None if query.limit is None else query.offset + query.limit
        return _json(200, {"runs": matches[query.offset : end], "count": len(matches)})

    # -- the world as the API sees it (cancellations applied) --

    def run(self, uuid: str, elapsed: float | None = None) -> Json | None:
        """The GET-run body of `uuid` now (or at `elapsed`), cancellation included; a copy."""
        moment = self.elapsed() if elapsed is None else elapsed
        cancel = self._cancels.get(uuid)
        if cancel is not None and cancel.kind == "run":
            return self._cancelled(copy.deepcopy(cancel.frozen), "run", cancel, moment)
        body = self.world.run_body(uuid, moment)
        return None if body is None else copy.deepcopy(body)

    def bodies(self, elapsed: float) -> Iterator[Json]:
        for uuid in sorted(self.world.runs):
            body = self.run(uuid, elapsed)
            if body is not None:
                yield body

    def batch(self, uuid: str, elapsed: float) -> Json | None:
        cancel = self._cancels.get(uuid)
        if cancel is not None and cancel.kind == "batch":
            return self._cancelled(copy.deepcopy(cancel.frozen), "batch", cancel, elapsed)
        item = self.world.batches.get(uuid)
        value = None if item is None else _value(item, elapsed)
        return None if value is None else copy.deepcopy(value)

    def _cancelled(self, frozen: Json, kind: str, cancel: _Cancel, elapsed: float) -> Json:
        target = frozen["run"] if kind == "run" else frozen
        asked = self._moment(cancel.at, target.get("updatedAt"))
        if elapsed < cancel.at + self.cancel_delay:
            target.update(status="cancelling", updatedAt=iso(asked))
        else:
            done = iso(asked + timedelta(seconds=self.cancel_delay))
            target.update(status="cancelled", updatedAt=done, finishedAt=done)
        return frozen

    def _moment(self, elapsed: float, not_before: Any) -> datetime:
        moment = self.world.origin + timedelta(seconds=elapsed)
        floor = _parse_time(not_before)
        return max(moment, floor) if floor is not None else moment

    def cancel(self, uuids: Iterable[str], workflow: str, elapsed: float | None = None) -> list[str]:
        """Cancel the unfinished runs among `uuids` that belong to `workflow`, with their
        descendant runs and child batches; returns the uuids cancelled."""
        moment = self.elapsed() if elapsed is None else elapsed
        runs = {b["run"]["uuid"]: b for b in self.bodies(moment)}
        chosen = [
            u
            for u in uuids
            if u in runs
            and u not in self._cancels
            and runs[u]["run"].get("workflowUuid") == workflow
            and runs[u]["run"].get("status") not in TERMINAL_RUN_STATUSES
        ]
        family = set(chosen)
        grew = True
        while grew:
            grew = False
            for uuid, body in runs.items():
                run = body["run"]
                if (
                    uuid not in family
                    and run.get("parentUuid") in family
                    and run.get("status") not in TERMINAL_RUN_STATUSES
                ):
                    family.add(uuid)
                    grew = True
        for uuid in sorted(family):
            self._cancels[uuid] = _Cancel(moment, runs[uuid], "run")
        for uuid in sorted(self.world.batches):
            batch = self.batch(uuid, moment)
            data = (batch or {}).get("data") or {}
            if (
                batch is not None
                and data.get("parentRunUuid") in family
                and batch.get("status")
                not in (
                    "success",
                    "error",
                    "cancelled",
                    "skipped",
                )
            ):
                self._cancels[uuid] = _Cancel(moment, batch, "batch")
        return sorted(family)

    def trace(self, uuid: str, elapsed: float) -> Json | None:
        """The world's trace, else one computed from the runs that carry this `traceUuid`."""
        item = self.world.traces.get(uuid)
        if item is not None:
            value = _value(item, elapsed)
            return None if value is None else copy.deepcopy(value)
        lineage = [b for b in self.bodies(elapsed) if b["run"].get("traceUuid") == uuid]
        return compute_trace(uuid, lineage) if lineage else None

    def metrics(self, payload: Json, elapsed: float) -> list[Json]:
        workflow = payload.get("workflowUuid")
        if not isinstance(workflow, str):
            raise _BadPayload("workflowUuid (string) is required")
        override = self.world.metrics.get(workflow)
        if override is not None:
            return copy.deepcopy(override(elapsed) if callable(override) else override)
        query = RunQuery.parse(
            {
                k: payload[k]
                for k in ("workflowUuid", "releaseUuid", "batchUuid", "createdAfter", "createdBefore")
                if k in payload
            }
        )
        return compute_metrics(b for b in self.bodies(elapsed) if query.matches(b))


# -- list filters, metrics and traces ----------------------------------------------------------

_EXACT = (
    "workflowUuid",
    "userUuid",
    "batchUuid",
    "releaseUuid",
    "parentBatchUuid",
    "parentUuid",
    "parentNodeUuid",
    "recordId",
)
_NODE_STATUSES = ("absent", "pending", "success", "error")


def _string(payload: Json, key: str) -> str | None:
    value = payload.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _BadPayload(f"{key} must be a string")
    return value


def _boolean(payload: Json, key: str) -> bool | None:
    value = payload.get(key)
    if value is not None and not isinstance(value, bool):
        raise _BadPayload(f"{key} must be a boolean")
    return value


def _count(payload: Json, key: str) -> int | None:
    value = payload.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _BadPayload(f"{key} must be a non-negative integer")
    return value


def _when(payload: Json, key: str) -> datetime | None:
    value = payload.get(key)
    if value is None:
        return None
    moment = _parse_time(value)
    if moment is None:
        raise _BadPayload(f"{key} must be an ISO date")
    return moment


@dataclass(frozen=True)
class _Condition:
    slug: str
    status: str
    value: str | None

    def holds(self, executions: list[Json]) -> bool:
        mine = [e for e in executions if e.get("nodeSlug") == self.slug]
        if self.status == "absent":
            return not mine
        wanted = (self.value or "").lower()
        text_key = "errorMessage" if self.status == "error" else "title"
        return any(
            e.get("status") == self.status
            and (self.status == "pending" or wanted in str(e.get(text_key) or "").lower())
            for e in mine
        )


def _conjonction(value: Any) -> str:
    if value not in ("and", "or"):
        raise _BadPayload("conjonction must be 'and' or 'or'")
    return str(value)


@dataclass(frozen=True)
class _ExecutionsFilter:
    conjonction: str
    groups: tuple[tuple[str, tuple[_Condition, ...]], ...]

    @classmethod
    def parse(cls, value: Any) -> _ExecutionsFilter:
        if not isinstance(value, dict) or not isinstance(value.get("groups"), list):
            raise _BadPayload("executionsFilter must be {conjonction, groups: [...]}")
        groups = []
        for group in value["groups"]:
            if not isinstance(group, dict) or not isinstance(group.get("conditions"), list):
                raise _BadPayload("each executionsFilter group must be {conjonction, conditions: [...]}")
            conditions = []
            for condition in group["conditions"]:
                if (
                    not isinstance(condition, dict)
                    or condition.get("kind") != "node"
                    or not isinstance(condition.get("nodeSlug"), str)
                    or condition.get("status") not in _NODE_STATUSES
                    or not isinstance(condition.get("value", ""), str | None)
                ):
                    raise _BadPayload("a condition must be {kind: 'node', nodeSlug, status, value?}")
                conditions.append(
                    _Condition(condition["nodeSlug"], condition["status"], condition.get("value"))
                )
            groups.append((_conjonction(group.get("conjonction")), tuple(conditions)))
        return cls(_conjonction(value.get("conjonction")), tuple(groups))

    def matches(self, executions: list[Json]) -> bool:
        results = []
        for conjonction, conditions in self.groups:
            held = [c.holds(executions) for c in conditions]
            results.append(all(held) if conjonction == "and" else (any(held) or not held))
        return all(results) if self.conjonction == "and" else (any(results) or not results)


@dataclass(frozen=True)
class RunQuery:
    """The filters of `runs/list`, `runs/count` (and `runs/metrics`), parsed and checked."""

    exact: tuple[tuple[str, str], ...] = ()
    statuses: frozenset[str] | None = None
    is_group_parent: bool | None = None
    is_finished: bool | None = None
    record_title: str | None = None
    record_title_or_id: str | None = None
    times: tuple[tuple[str, str, datetime], ...] = ()
    executions: _ExecutionsFilter | None = None
    limit: int | None = None
    offset: int = 0

    @classmethod
    def parse(cls, payload: Json) -> RunQuery:
        exact = tuple((key, value) for key in _EXACT if (value := _string(payload, key)) is not None)
        statuses = payload.get("statuses")
        if statuses is not None and (
            not isinstance(statuses, list) or not all(isinstance(s, str) for s in statuses)
        ):
            raise _BadPayload("statuses must be a list of strings")
        times = []
        for key, field_name, op in (
            ("createdAfter", "createdAt", ">"),
            ("createdBefore", "createdAt", "<"),
            ("updatedAfter", "updatedAt", ">"),
            ("updatedBefore", "updatedAt", "<"),
        ):
            moment = _when(payload, key)
            if moment is not None:
                times.append((field_name, op, moment))
        raw_filter = payload.get("executionsFilter")
        return cls(
            exact=exact,
            statuses=None if statuses is None else frozenset(statuses),
            is_group_parent=_boolean(payload, "isGroupParent"),
            is_finished=_boolean(payload, "isFinished"),
            record_title=_string(payload, "recordTitle"),
            record_title_or_id=_string(payload, "recordTitleOrId"),
            times=tuple(times),
            executions=None if raw_filter is None else _ExecutionsFilter.parse(raw_filter),
            limit=_count(payload, "limit"),
            offset=_count(payload, "offset") or 0,
        )

    def matches(self, body: Json) -> bool:
        run = body.get("run") or {}
        if any(run.get(key) != value for key, value in self.exact):
            return False
        status = run.get("status")
        if self.statuses is not None and status not in self.statuses:
            return False
        if self.is_group_parent is not None and bool(run.get("isGroupParent")) != self.is_group_parent:
            return False
        if self.is_finished is not None and (status in TERMINAL_RUN_STATUSES) != self.is_finished:
            return False
        title = str(run.get("recordTitle") or "").lower()
        if self.record_title is not None and self.record_title.lower() not in title:
            return False
        if self.record_title_or_id is not None and not (
            self.record_title_or_id.lower() in title or run.get("recordId") == self.record_title_or_id
        ):
            return False
        for field_name, op, moment in self.times:
            value = _parse_time(run.get(field_name))
            if value is None or (value <= moment if op == ">" else value >= moment):
                return False
        return self.executions is None or self.executions.matches(run.get("executions") or [])


_METRIC_STATUSES = ("idle", "pending", "running", "success", "error", "cancelling", "cancelled", "skipped")


def compute_metrics(bodies: Iterable[Json]) -> list[Json]:
    """`runMetrics`: per node, its executions by status and credits, across the runs given."""
    metrics: dict[str, Json] = {}
    for body in bodies:
        for execution in body["run"].get("executions") or []:
            uuid = execution.get("nodeUuid")
            if not isinstance(uuid, str):
                continue
            row = metrics.setdefault(
                uuid,
                {
                    "nodeUuid": uuid,
                    "totalExecutionsCount": 0,
                    **{f"{s}ExecutionsCount": 0 for s in _METRIC_STATUSES},
                    "creditsUsedCount": 0,
                },
            )
            row["totalExecutionsCount"] += 1
            status = execution.get("status")
            if status in _METRIC_STATUSES:
                row[f"{status}ExecutionsCount"] += 1
            row["creditsUsedCount"] += execution.get("creditsUsedCount") or 0
    return list(metrics.values())


def compute_trace(uuid: str, lineage: list[Json]) -> Json:
    """A `Trace` from the runs that share its uuid (see the module docstring for the status)."""
    runs = [b["run"] for b in lineage]
    uuids = {r.get("uuid") for r in runs}
    root = next((r for r in runs if r.get("parentUuid") not in uuids), runs[0])
    executions = [e for r in runs for e in r.get("executions") or []]
    fallback_nodes = {
        n.get("uuid")
        for r in runs
        for n in r.get("nodes") or []
        if isinstance(n, dict) and n.get("fallbackOnFailure")
    }
    statuses = [e.get("status") for e in executions]
    if any(r.get("status") not in TERMINAL_RUN_STATUSES for r in runs):
        status = "pending"
    elif root.get("status") in ("error", "cancelled"):
        status = "error"
    elif any(r is not root and r.get("status") == "error" for r in runs) or any(
        e.get("status") == "error" and e.get("nodeUuid") in fallback_nodes for e in executions
    ):
        status = "degraded"
    else:
        status = "success"
    times = [t for r in runs for t in (r.get("updatedAt"), r.get("finishedAt")) if isinstance(t, str)]
    return {
        "uuid": uuid,
        "workspaceUuid": root.get("workspaceUuid"),
        "workflowUuid": root.get("workflowUuid"),
        "rootRunUuid": root.get("uuid"),
        "rootRecordId": root.get("recordId"),
        "rootRecordTitle": root.get("recordTitle"),
        "rootUserUuid": root.get("userUuid"),
        "chatUuid": None,
        "agentUuid": None,
        "spansCount": len(executions),
        "failedSpansCount": statuses.count("error"),
        "pendingSpansCount": statuses.count("pending"),
        "succeededSpansCount": statuses.count("success"),
        "creditsUsedCount": sum(e.get("creditsUsedCount") or 0 for e in executions),
        "startedAt": root.get("createdAt"),
        "finishedAt": None if status == "pending" else max(times, default=None),
        "updatedAt": max(times, default=root.get("createdAt")),
        "status": status,
    }


# -- the transport -----------------------------------------------------------------------------


class SimTransport(httpx.AsyncBaseTransport, httpx.BaseTransport):
    """Serves a `CargoSim` to `httpx.AsyncClient` and `httpx.Client`, in-process."""

    def __init__(self, sim: CargoSim) -> None:
        self.sim = sim

    def respond(self, request: httpx.Request) -> httpx.Response:
        answer = self.sim.handle(request.method, request.url.path, request.content, dict(request.headers))
        return httpx.Response(answer.status, headers=answer.headers, content=answer.content)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        return self.respond(request)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        return self.respond(request)
