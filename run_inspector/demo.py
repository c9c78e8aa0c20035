"""An embedded, simulated Cargo API: a lead-routing run for "Acme Corp" that plays out over time.

Pure data core (no Textual). `DemoTransport` is an `httpx` transport, so the demo goes through
the real client code path::

    client = httpx.AsyncClient(transport=DemoTransport(), base_url=DEMO_API_URL)
    await client.get(f"/orchestration/runs/{DEMO_RUN_UUID}")

It answers `GET …/orchestration/runs/{uuid}` (any base path) for the demo run and its three
child runs, ignores auth, and answers 404 `{"errorMessage": "Run not found", "reason":
"notFound"}` for any other run id.

The state is a pure function of the elapsed time (`demo_response`): the run goes from
`pending` to `running` to `success` over `duration` seconds (20 by default). Every execution
first appears `pending` (queued, no `startedAt`), then `running`, then finishes; resolved
inputs (`runComputedConfigs[slug]`) appear when a node starts, outputs (`runContext[slug]`)
when it succeeds. The timeline, in seconds of a 20 s run (scaled to `duration`):

====== ====================================================================================
 0.0   run created, `pending`, no executions
 1.0   run `running`; start runs (1.0-1.3)
 1.3   enrich_company (Clearbit) attempt 1 queued, runs 1.5-3.5: error "503 Service Unavailable"
 3.5   attempt 2 queued (1000 ms retry interval), runs 4.5-6.0: success
 6.0   qualify (agent) queued, runs 6.2-9.2: qualified, score 82
 9.2   is_qualified (branch) runs 9.3-9.6: condition matched, takes index 0 (yes)
 9.6   contacts_loop (group): 3 executions queued, one child run each; items run
       9.8-12.2, 10.4-13.0 and 11.0-13.8 (each child run: start -> find_email -> end)
14.0   sync_crm (HubSpot) queued, runs 14.2-16.6: error (invalid lifecyclestage)
16.6   notify_owner (Slack, the fallback) queued, runs 16.8-18.0: success
18.0   end queued, runs 18.2-18.6: success
19.0   run `success` (degraded: a fallback took over), `finishedAt` set
====== ====================================================================================

mark_disqualified (the branch's "no" side) is never reached.
"""

from __future__ import annotations

import copy
import json
import math
import re
import threading
import time
import uuid as uuid_lib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

__all__ = [
    "DEMO_API_URL",
    "DEMO_BASE_TIME",
    "DEMO_CHILD_RUN_UUIDS",
    "DEMO_DURATION",
    "DEMO_GROUP_NODE_UUID",
    "DEMO_RUN_UUID",
    "DemoTransport",
    "demo_response",
    "demo_run_uuids",
]

DEMO_API_URL = "https://demo.invalid/v1"
DEMO_DURATION = 20.0
"""The default length of the simulated run, in seconds."""
DEMO_BASE_TIME = datetime(2026, 11, 24, 14, 32, 5, tzinfo=UTC)
"""`createdAt` of the demo run when timestamps must be reproducible (tests, one-shot modes)."""

_SCALE = 20.0
"""The timeline below is written in seconds of a 20 s run; it is scaled to `duration`."""
_RUN_STARTED = 1.0
_RUN_FINISHED = 19.0

_NAMESPACE = uuid_lib.UUID("6f1c2a9e-3b7d-4e58-9a41-0c5d8e2f7b13")


def _uid(name: str) -> str:
    """A stable, realistic-looking uuid for a demo object."""
    return str(uuid_lib.uuid5(_NAMESPACE, name))


DEMO_RUN_UUID = _uid("run")
DEMO_CHILD_RUN_UUIDS: tuple[str, ...] = tuple(_uid(f"child-run-{i}") for i in (1, 2, 3))

_WORKSPACE_UUID = _uid("workspace")
_WORKFLOW_UUID = _uid("workflow")
_RELEASE_UUID = _uid("release")
_TRACE_UUID = _uid("trace")
_USER_UUID = _uid("user")
_AGENT_UUID = _uid("agent-lead-qualifier")
_AGENT_RELEASE_UUID = _uid("agent-release")
_CLEARBIT_UUID = _uid("connector-clearbit")
_HUBSPOT_UUID = _uid("connector-hubspot")
_SLACK_UUID = _uid("connector-slack")
_HUNTER_UUID = _uid("connector-hunter")

# -- the workflow graph -------------------------------------------------------------------


def _node(
    key: str,
    slug: str,
    kind: str,
    action: str | None,
    children: list[str],
    name: str,
    x: float,
    y: float,
    **extra: Any,
) -> dict[str, Any]:
    node: dict[str, Any] = {
        "uuid": _uid(f"node-{key}"),
        "slug": slug,
        "name": name,
        "description": extra.pop("description", None),
        "kind": kind,
        "actionSlug": action,
        "config": extra.pop("config", {}),
        "childrenUuids": [_uid(f"node-{child}") for child in children],
        "fallbackOnFailure": extra.pop("fallbackOnFailure", False),
        "fallbackChildUuid": extra.pop("fallbackChildUuid", None),
        "position": {"x": x, "y": y},
        "retry": extra.pop("retry", None),
    }
    node.update(extra)
    return node


_CONTACTS: list[dict[str, Any]] = [
    {
        "firstName": "Dana",
        "lastName": "Whitfield",
        "title": "VP Sales",
        "linkedinUrl": "https://www.linkedin.com/in/dana-whitfield",
    },
    {
        "firstName": "Marcus",
        "lastName": "Oyelaran",
        "title": "Head of Revenue Operations",
        "linkedinUrl": "https://www.linkedin.com/in/marcus-oyelaran",
    },
    {
        "firstName": "Priya",
        "lastName": "Raman",
        "title": "Director of Growth",
        "linkedinUrl": "https://www.linkedin.com/in/priya-raman",
    },
]
_EMAILS = ["dana.whitfield@acme.com", "marcus@acme.com", "priya.raman@acme.com"]
_CONFIDENCE = [97, 91, 84]

_SUB_START = _node("item-start", "item_start", "native", "start", ["find-email"], "Item start", 0, 0)
_SUB_FIND = _node(
    "find-email",
    "find_email",
    "connector",
    "find_email",
    ["item-end"],
    "Find work e-mail",
    0,
    120,
    integrationSlug="hunter",
    connectorUuid=_HUNTER_UUID,
    config={
        "firstName": "{{item.firstName}}",
        "lastName": "{{item.lastName}}",
        "domain": "{{nodes.enrich_company.domain}}",
    },
    retry={"maximumAttempts": 2, "initialInterval": 500, "backoffCoefficient": 2},
)
_SUB_END = _node(
    "item-end",
    "item_end",
    "native",
    "end",
    [],
    "Item end",
    0,
    240,
    config={"variables": {"email": "{{nodes.find_email.email}}"}},
)
_SUB_NODES = [_SUB_START, _SUB_FIND, _SUB_END]

_START = _node("start", "start", "native", "start", ["enrich"], "Start", 0, 0)
_ENRICH = _node(
    "enrich",
    "enrich_company",
    "connector",
    "enrich_company",
    ["qualify"],
    "Enrich company",
    0,
    120,
    description="Firmographics from Clearbit",
    integrationSlug="clearbit",
    connectorUuid=_CLEARBIT_UUID,
    config={"domain": "{{record.domain}}"},
    retry={"maximumAttempts": 3, "initialInterval": 1000, "backoffCoefficient": 2},
)
_QUALIFY = _node(
    "qualify",
    "qualify",
    "agent",
    None,
    ["branch"],
    "Qualify lead",
    0,
    240,
    description="Scores the account against the ideal customer profile",
    agentUuid=_AGENT_UUID,
    templateSlug="lead_qualifier",
    releaseUuid=_AGENT_RELEASE_UUID,
    waitUntilFinished=True,
    config={
        "prompt": (
            "Qualify {{record.title}} against our ICP (B2B SaaS, 100-1000 employees, "
            "North America). Firmographics: {{nodes.enrich_company}}"
        ),
        "model": "gpt-4.1",
        "outputSchema": {
            "qualified": "boolean",
            "score": "number",
            "reason": "string",
            "lifecycleStage": "string",
        },
    },
)
_BRANCH = _node(
    "branch",
    "is_qualified",
    "native",
    "branch",
    ["loop", "disqualify"],
    "Qualified?",
    0,
    360,
    config={"condition": "{{nodes.qualify.answer.qualified}}"},
)
_LOOP = _node(
    "loop",
    "contacts_loop",
    "native",
    "group",
    ["sync"],
    "For each buying-committee contact",
    -160,
    480,
    config={"items": _CONTACTS, "_nodes": _SUB_NODES, "maxConcurrency": 3},
)
_DISQUALIFY = _node(
    "disqualify",
    "mark_disqualified",
    "native",
    "update_record",
    ["end"],
    "Mark as disqualified",
    160,
    480,
    config={"fields": {"status": "disqualified", "reason": "{{nodes.qualify.answer.reason}}"}},
)
_SYNC = _node(
    "sync",
    "sync_crm",
    "connector",
    "upsert_contact",
    ["end"],
    "Sync contacts to HubSpot",
    -160,
    600,
    integrationSlug="hubspot",
    connectorUuid=_HUBSPOT_UUID,
    fallbackChildUuid=_uid("node-notify"),
    fallbackOnFailure=True,
    config={
        "objectType": "contact",
        "records": "{{nodes.contacts_loop.results}}",
        "properties": {
            "company": "{{record.title}}",
            "lifecyclestage": "{{nodes.qualify.answer.lifecycleStage}}",
            "hs_lead_status": "NEW",
        },
    },
)
_NOTIFY = _node(
    "notify",
    "notify_owner",
    "connector",
    "send_message",
    ["end"],
    "Tell the owner on Slack",
    -320,
    720,
    integrationSlug="slack",
    connectorUuid=_SLACK_UUID,
    config={
        "channel": "#sales-ops",
        "text": ":warning: HubSpot sync failed for {{record.title}} ({{nodes.qualify.answer.score}}/100). "
        "Please add the contacts by hand.",
    },
)
_END = _node(
    "end",
    "end",
    "native",
    "end",
    [],
    "End",
    0,
    840,
    config={
        "variables": {
            "qualified": "{{nodes.qualify.answer.qualified}}",
            "score": "{{nodes.qualify.answer.score}}",
            "contacts": "{{nodes.contacts_loop.results}}",
            "hubspotContactIds": "{{nodes.sync_crm.ids}}",
        }
    },
)
_NODES = [_START, _ENRICH, _QUALIFY, _BRANCH, _LOOP, _DISQUALIFY, _SYNC, _NOTIFY, _END]
DEMO_GROUP_NODE_UUID: str = _LOOP["uuid"]

_RECORD = {
    "id": "acme-corp-4821",
    "title": "Acme Corp",
    "domain": "acme.com",
    "owner": "jamie.rivera@example-vendor.com",
}
_FIRMOGRAPHICS = {
    "name": "Acme Corp",
    "domain": "acme.com",
    "industry": "Software",
    "subIndustry": "SaaS",
    "employees": 240,
    "country": "US",
    "estimatedAnnualRevenue": "$10M-$50M",
    "foundedYear": 2014,
    "tech": ["salesforce", "segment", "snowflake"],
}
_ANSWER = {
    "qualified": True,
    "score": 82,
    "lifecycleStage": "lead-qualified",
    "reason": (
        "B2B SaaS, 240 employees, US-based and on a modern data stack: a strong ICP fit. "
        "No recent funding signal, so not a top-tier account."
    ),
}
_RESULTS = [{"email": email} for email in _EMAILS]
_SYNC_ERROR = (
    "HubSpot: 400 Bad Request (VALIDATION_ERROR) - Property values were not valid: "
    '[{"isValid":false,"message":"lead-qualified was not one of the allowed options: '
    "[subscriber, lead, marketingqualifiedlead, salesqualifiedlead, opportunity, customer, "
    'evangelist, other]","error":"INVALID_OPTION","name":"lifecyclestage","localizedErrorMessage":'
    '"lead-qualified was not one of the allowed options"}] '
    "(correlationId: 8d3b6f0e-2c41-4a7e-b1d9-5e0f3a9c7b21)"
)

# -- the timeline -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Step:
    """One execution: queued at `queued`, running from `started`, done at `finished` (20 s scale)."""

    node: dict[str, Any]
    queued: float
    started: float
    finished: float
    status: str
    title: str
    credits: int = 0
    error: str | None = None
    child_index: int | None = None
    next_node: str | None = None
    node_run: str | None = None
    inputs: Any = None
    """Set as `runComputedConfigs[slug]` when the step starts (None: leave as it is)."""
    output: Any = None
    """Set as `runContext[slug]` when the step succeeds (None: leave as it is)."""


_ITEM_STARTS = (9.8, 10.4, 11.0)
_ITEM_ENDS = (12.2, 13.0, 13.8)
_GROUP_QUEUED = 9.6


def _parent_steps() -> list[_Step]:
    uid = _uid
    items = [
        _Step(
            _LOOP,
            _GROUP_QUEUED,
            _ITEM_STARTS[i],
            _ITEM_ENDS[i],
            "success",
            f"✅ Item {i + 1}/3: {_CONTACTS[i]['firstName']} {_CONTACTS[i]['lastName']}",
            next_node=uid("node-sync"),
            node_run=DEMO_CHILD_RUN_UUIDS[i],
            inputs={"items": _CONTACTS, "maxConcurrency": 3} if i == 0 else None,
            output={"results": _RESULTS} if i == 2 else None,
        )
        for i in range(3)
    ]
    return [
        _Step(
            _START,
            1.0,
            1.0,
            1.3,
            "success",
            "✅ Started for Acme Corp",
            next_node=uid("node-enrich"),
            output=_RECORD,
        ),
        _Step(
            _ENRICH,
            1.3,
            1.5,
            3.5,
            "error",
            "❌ Clearbit: 503 Service Unavailable",
            credits=1,
            error="Clearbit: 503 Service Unavailable",
            inputs={"domain": "acme.com"},
        ),
        _Step(
            _ENRICH,
            3.5,
            4.5,
            6.0,
            "success",
            "✅ Acme Corp · Software · 240 employees",
            credits=1,
            next_node=uid("node-qualify"),
            output=_FIRMOGRAPHICS,
        ),
        _Step(
            _QUALIFY,
            6.0,
            6.2,
            9.2,
            "success",
            "✅ Qualified (score 82)",
            credits=5,
            next_node=uid("node-branch"),
            inputs={
                "prompt": (
                    "Qualify Acme Corp against our ICP (B2B SaaS, 100-1000 employees, "
                    "North America). Firmographics: " + json.dumps(_FIRMOGRAPHICS)
                ),
                "model": "gpt-4.1",
            },
            output={"answer": _ANSWER},
        ),
        _Step(
            _BRANCH,
            9.2,
            9.3,
            9.6,
            "success",
            "✅ Condition is matched",
            child_index=0,
            next_node=uid("node-loop"),
            inputs={"condition": True},
            output={"result": True},
        ),
        *items,
        _Step(
            _SYNC,
            14.0,
            14.2,
            16.6,
            "error",
            "❌ Property values were not valid",
            credits=1,
            error=_SYNC_ERROR,
            next_node=uid("node-notify"),
            inputs={
                "objectType": "contact",
                "records": _RESULTS,
                "properties": {
                    "company": "Acme Corp",
                    "lifecyclestage": "lead-qualified",
                    "hs_lead_status": "NEW",
                },
            },
        ),
        _Step(
            _NOTIFY,
            16.6,
            16.8,
            18.0,
            "success",
            "✅ Message sent to #sales-ops",
            credits=1,
            next_node=uid("node-end"),
            inputs={
                "channel": "#sales-ops",
                "text": ":warning: HubSpot sync failed for Acme Corp (82/100). "
                "Please add the contacts by hand.",
            },
            output={"ok": True, "channel": "C05SALESOPS", "ts": "1795962743.004100"},
        ),
        _Step(
            _END,
            18.0,
            18.2,
            18.6,
            "success",
            "✅ Workflow completed",
            inputs={
                "variables": {"qualified": True, "score": 82, "contacts": _RESULTS, "hubspotContactIds": None}
            },
            output={"qualified": True, "score": 82, "contacts": _RESULTS, "hubspotContactIds": None},
        ),
    ]


def _child_steps(index: int) -> list[_Step]:
    start, end = _ITEM_STARTS[index], _ITEM_ENDS[index]
    contact = _CONTACTS[index]
    email = _EMAILS[index]
    name = f"{contact['firstName']} {contact['lastName']}"
    return [
        _Step(
            _SUB_START,
            start,
            start,
            start + 0.2,
            "success",
            f"✅ Started for {name}",
            next_node=_SUB_FIND["uuid"],
            output=contact,
        ),
        _Step(
            _SUB_FIND,
            start + 0.2,
            start + 0.3,
            end - 0.4,
            "success",
            f"✅ {email}",
            credits=1,
            next_node=_SUB_END["uuid"],
            inputs={"firstName": contact["firstName"], "lastName": contact["lastName"], "domain": "acme.com"},
            output={"email": email, "confidence": _CONFIDENCE[index], "source": "hunter"},
        ),
        _Step(
            _SUB_END,
            end - 0.4,
            end - 0.3,
            end - 0.1,
            "success",
            "✅ Workflow completed",
            inputs={"variables": {"email": email}},
            output={"email": email},
        ),
    ]


_PARENT_STEPS = _parent_steps()
_CHILD_STEPS = [_child_steps(i) for i in range(3)]

# -- rendering a moment -------------------------------------------------------------------


class _Clock:
    """Converts 20 s-scale seconds into ISO timestamps of a run of `duration` seconds."""

    def __init__(self, duration: float, base: datetime) -> None:
        self.factor = duration / _SCALE
        self.base = base if base.tzinfo is not None else base.replace(tzinfo=UTC)

    def iso(self, moment: float) -> str:
        when = (self.base + timedelta(milliseconds=round(moment * self.factor * 1000))).astimezone(UTC)
        return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _execution(step: _Step, now: float, clock: _Clock) -> dict[str, Any] | None:
    if now < step.queued:
        return None
    node = step.node
    kind = node["kind"]
    if now < step.started:
        status, last = "pending", step.queued
    elif now < step.finished:
        status, last = "running", step.started
    else:
        status, last = step.status, step.finished
    done = now >= step.finished
    execution: dict[str, Any] = {
        "nodeUuid": node["uuid"],
        "nodeSlug": node["slug"],
        "nodeKind": kind,
        "nodeActionSlug": node["actionSlug"],
        "status": status,
        "errorMessage": step.error if done else None,
        "title": step.title if done else None,
        "iconUrl": None,
        "creditsUsedCount": step.credits if done else 0,
        "nodeChildIndex": step.child_index if done else None,
        "nextNodeUuid": step.next_node if done else None,
        "nodeRunUuid": step.node_run,
        "nodeBatchUuid": None,
        "nodeMessageUuid": None,
        "startedAt": clock.iso(step.started) if now >= step.started else None,
        "updatedAt": clock.iso(last),
        "finishedAt": clock.iso(step.finished) if done else None,
        "nodeWaitUntilFinished": bool(node.get("waitUntilFinished")) or step.node_run is not None,
    }
    if kind == "connector":
        execution["nodeConnectorUuid"] = node.get("connectorUuid")
        execution["nodeIntegrationSlug"] = node.get("integrationSlug")
    elif kind == "agent":
        execution["nodeAgentUuid"] = node.get("agentUuid")
        execution["nodeReleaseUuid"] = node.get("releaseUuid")
    return execution


def _play(
    steps: list[_Step], now: float, clock: _Clock
) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any], float]:
    """Executions, runContext, runComputedConfigs and the latest event time at `now`."""
    executions: list[dict[str, Any]] = []
    context: dict[str, Any] = {}
    computed: dict[str, Any] = {}
    latest = -math.inf
    for step in steps:
        execution = _execution(step, now, clock)
        if execution is None:
            continue
        executions.append(execution)
        slug = step.node["slug"]
        latest = max(latest, *(t for t in (step.queued, step.started, step.finished) if t <= now))
        if now >= step.started and step.inputs is not None:
            computed[slug] = copy.deepcopy(step.inputs)
        if now >= step.finished and step.status == "success" and step.output is not None:
            context[slug] = copy.deepcopy(step.output)
    return executions, context, computed, latest


def _run(
    uuid: str,
    *,
    status: str,
    created: float,
    updated: float,
    finished: float | None,
    nodes: list[dict[str, Any]],
    executions: list[dict[str, Any]],
    clock: _Clock,
    record_id: str,
    record_title: str,
    parent: bool,
) -> dict[str, Any]:
    return {
        "uuid": uuid,
        "workspaceUuid": _WORKSPACE_UUID,
        "workflowUuid": _WORKFLOW_UUID,
        "userUuid": _USER_UUID,
        "releaseUuid": _RELEASE_UUID,
        "traceUuid": _TRACE_UUID,
        "batchUuid": None,
        "temporalWorkflowId": f"run-{uuid}",
        "recordId": record_id,
        "recordTitle": record_title,
        "contextS3Filename": f"workspaces/{_WORKSPACE_UUID}/runs/{uuid}/context.json",
        "computedConfigsS3Filename": f"workspaces/{_WORKSPACE_UUID}/runs/{uuid}/computed-configs.json",
        "parentUuid": None if parent else DEMO_RUN_UUID,
        "parentNodeUuid": None if parent else DEMO_GROUP_NODE_UUID,
        "parentBatchUuid": None,
        "parentAgentUuid": None,
        "parentChatUuid": None,
        "parentMessageUuid": None,
        "isGroupParent": parent,
        "status": status,
        "errorMessage": None,
        "nodes": copy.deepcopy(nodes),
        "executions": executions,
        "createdAt": clock.iso(created),
        "updatedAt": clock.iso(updated),
        "finishedAt": clock.iso(finished) if finished is not None else None,
        "deletedAt": None,
    }


def demo_response(
    elapsed: float,
    run_uuid: str = DEMO_RUN_UUID,
    duration: float = DEMO_DURATION,
    *,
    base_time: datetime = DEMO_BASE_TIME,
) -> dict[str, Any] | None:
    """The GET-run body of `run_uuid` `elapsed` seconds after the demo run was created.

    None for an unknown run id, and for a child run its group node has not queued yet.
    A pure function: the same arguments give the same answer. `base_time` is the demo run's
    `createdAt`; timestamps are `base_time` plus the simulated seconds.
    """
    if not duration > 0 or not math.isfinite(duration):
        raise ValueError(f"duration must be a positive number of seconds, not {duration!r}")
    now = 0.0 if math.isnan(elapsed) else max(elapsed, 0.0) * _SCALE / duration
    clock = _Clock(duration, base_time)
    if run_uuid == DEMO_RUN_UUID:
        executions, context, computed, latest = _play(_PARENT_STEPS, now, clock)
        if now < _RUN_STARTED:
            status, finished = "pending", None
        elif now < _RUN_FINISHED:
            status, finished = "running", None
        else:
            status, finished = "success", _RUN_FINISHED
        updated = max(0.0, latest, *(t for t in (_RUN_STARTED, _RUN_FINISHED) if t <= now))
        run = _run(
            DEMO_RUN_UUID,
            status=status,
            created=0.0,
            updated=updated,
            finished=finished,
            nodes=_NODES,
            executions=executions,
            clock=clock,
            record_id=_RECORD["id"],
            record_title="Acme Corp",
            parent=True,
        )
        return {"run": run, "runContext": context, "runComputedConfigs": computed}
    if run_uuid in DEMO_CHILD_RUN_UUIDS:
        index = DEMO_CHILD_RUN_UUIDS.index(run_uuid)
        if now < _GROUP_QUEUED:
            return None
        executions, context, computed, latest = _play(_CHILD_STEPS[index], now, clock)
        started, ended = _ITEM_STARTS[index], _ITEM_ENDS[index] - 0.1
        if now < started:
            status, finished = "pending", None
        elif now < ended:
            status, finished = "running", None
        else:
            status, finished = "success", ended
        updated = max(_GROUP_QUEUED, latest, *(t for t in (started, ended) if t <= now))
        contact = _CONTACTS[index]
        run = _run(
            run_uuid,
            status=status,
            created=_GROUP_QUEUED,
            updated=updated,
            finished=finished,
            nodes=_SUB_NODES,
            executions=executions,
            clock=clock,
            record_id=f"{_RECORD['id']}-contact-{index + 1}",
            record_title=f"{contact['firstName']} {contact['lastName']}",
            parent=False,
        )
        return {"run": run, "runContext": context, "runComputedConfigs": computed}
    return None


def demo_run_uuids() -> tuple[str, ...]:
    """Every run id the demo serves: the demo run first, then its child runs."""
    return (DEMO_RUN_UUID, *DEMO_CHILD_RUN_UUIDS)


# -- the transport ------------------------------------------------------------------------

_RUN_PATH = re.compile(r"/orchestration/runs/([^/]+)/?$")
_JSON = {"content-type": "application/json"}


def _json_response(status_code: int, body: Any) -> httpx.Response:
    return httpx.Response(status_code, headers=_JSON, content=json.dumps(body).encode())


class DemoTransport(httpx.AsyncBaseTransport, httpx.BaseTransport):
    """Serves the demo run in-process, for `httpx.AsyncClient` (and `httpx.Client`).

    `clock` returns seconds (default `time.monotonic`); `start` is the clock reading at which
    the run was created (default: the first request). `finished=True` (or the `finished()`
    constructor) always serves the final state, for one-shot modes.

    Timestamps start at `base_time`. By default that is the wall-clock time when the run was
    created if the real clock is used (so elapsed times shown while it runs are right), and
    the fixed `DEMO_BASE_TIME` when a clock is injected or in finished mode (reproducible).
    """

    def __init__(
        self,
        clock: Callable[[], float] | None = None,
        duration: float = DEMO_DURATION,
        start: float | None = None,
        *,
        finished: bool = False,
        base_time: datetime | None = None,
    ) -> None:
        if not duration > 0 or not math.isfinite(duration):
            raise ValueError(f"duration must be a positive number of seconds, not {duration!r}")
        self.duration = duration
        self.start = start
        self.always_finished = finished
        self._real_clock = clock is None
        self._clock: Callable[[], float] = clock if clock is not None else time.monotonic
        self._base_time = base_time
        self._lock = threading.Lock()

    @classmethod
    def finished(cls, duration: float = DEMO_DURATION, *, base_time: datetime | None = None) -> DemoTransport:
        """A transport that always serves the finished demo run."""
        return cls(duration=duration, finished=True, base_time=base_time)

    def elapsed(self) -> float:
        """Seconds since the run was created (starting the clock on the first call)."""
        if self.always_finished:
            return self.duration
        with self._lock:
            now = self._clock()
            if self.start is None:
                self.start = now
            elapsed = max(now - self.start, 0.0)
            if self._base_time is None:
                if self._real_clock:
                    wall = datetime.now(UTC) - timedelta(seconds=elapsed)
                    self._base_time = wall.replace(microsecond=wall.microsecond // 1000 * 1000)
                else:
                    self._base_time = DEMO_BASE_TIME
            return elapsed

    @property
    def base_time(self) -> datetime:
        return self._base_time or DEMO_BASE_TIME

    def respond(self, request: httpx.Request) -> httpx.Response:
        if request.method != "GET":
            return _json_response(
                405, {"errorMessage": f"Method {request.method} not allowed", "reason": "methodNotAllowed"}
            )
        match = _RUN_PATH.search(request.url.path)
        if match is None:
            return _json_response(404, {"errorMessage": "Route not found", "reason": "notFound"})
        elapsed = self.elapsed()
        body = demo_response(elapsed, match.group(1), self.duration, base_time=self.base_time)
        if body is None:
            return _json_response(404, {"errorMessage": "Run not found", "reason": "notFound"})
        return _json_response(200, body)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        return self.respond(request)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        return self.respond(request)
