"""The embedded demo: Cargo's API, simulated (`cargo_sim`), serving a lead-routing workflow whose
newest run, "Acme Corp", plays out live. What a newcomer sees first, so it is faithful to
Cargo's types (executions are only `pending`, `success`, `error`) and shows the cases the
inspector exists for. Pure data core (no Textual); `DemoTransport` is an `httpx` transport,
so the demo goes through the real client code path::

    client = httpx.AsyncClient(transport=DemoTransport(), base_url=DEMO_API_URL)
    await client.get(f"/orchestration/runs/{DEMO_RUN_UUID}")

It answers every endpoint of `cargo_sim` (any base path, no auth): GET-run for the 20 runs
of the workflow (`runs/list`) and their child runs, the batch, the traces (the live one ends
`degraded`), the agent's messages, `runs/metrics`, and `runs/cancel` (the live run goes
`cancelling`, then `cancelled`). An unknown run is 404 `runNotFound`.

The live run is a pure function of the elapsed time (`demo_response`). An execution is
queued `pending` (no `startedAt`), started `pending` (`startedAt` set), then `success` or
`error`; resolved inputs (`runComputedConfigs[slug]`) appear when a node starts, outputs
(`runContext[slug]`) when it succeeds. In seconds of a 20 s run (scaled to `duration`):

====== ====================================================================================
 0.0   run created, `pending`, no executions
 1.0   run `running`; start 1.0-1.2
 1.2   enrich_company (Clearbit) attempt 1 queued, runs 1.4-2.6: error "503 Service Unavailable"
 2.6   attempt 2 queued (1000 ms retry interval), runs 3.6-4.4: success
 4.4   qualify (agent) runs 4.6-7.2. Its message (`nodeMessageUuid`) streams: reasoning
       (4.8), a `find_lookalikes` tool call (5.2) that starts a tool run (5.3-6.3), the
       tool's output (6.4), the answer (6.8): qualified, score 82, 5 lookalike accounts
 7.2   is_qualified (branch) runs 7.3-7.5: condition matched, takes index 0 (yes)
 7.6   contacts_loop (group, one child run per contact): 3 executions, items run 7.7-9.6,
       8.0-10.2 and 8.3-10.6. Item 2 (Marcus Oyelaran) fails: find_email errors (Hunter
       422). The group has `fallbackOnFailure` and no fallback child, and every execution's
       `nextNodeUuid` is score_lookalikes: the run went on
10.6   score_lookalikes (group, one child batch): 1 execution with `nodeBatchUuid`; the
       batch runs 5 lookalike accounts two at a time, 10.9-14.4, `executedRunsCount` 0 → 5;
       items 2 (Clearbit 404) and 4 (OpenAI 429) fail; the batch ends `success`, `unhealthy`
14.6   sync_crm (HubSpot) runs 14.8-15.8: error (invalid lifecyclestage)
15.8   notify_owner (Slack, the fallback) runs 16.0-17.0: success
17.0   end runs 17.2-17.6: success
19.0   run `success` (degraded: a fallback took over, an item failed), `finishedAt` set
====== ====================================================================================

mark_disqualified (the branch's "no" side) is never reached in the live run. The other 19
runs share the graph and end otherwise: clean successes, disqualified leads, Clearbit 429s
that exhausted the retries, an OpenAI outage, cancellations, two queued runs, and one run
that started 8 s before the live one and finishes while you watch.
"""

from __future__ import annotations

import copy
import functools
import json
import math
import threading
import time
import unicodedata
import uuid as uuid_lib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .cargo_sim import (
    CargoSim,
    Json,
    SimTransport,
    Step,
    TimedRun,
    Timeline,
    TimelineClock,
    World,
    batch_at,
    iso,
    make_batch,
    make_message,
    make_node,
    make_run,
    run_body,
)

__all__ = [
    "DEMO_AGENT_NODE_UUID",
    "DEMO_API_URL",
    "DEMO_BASE_TIME",
    "DEMO_BATCH_GROUP_NODE_UUID",
    "DEMO_BATCH_UUID",
    "DEMO_CHILD_RUN_UUIDS",
    "DEMO_DURATION",
    "DEMO_GROUP_NODE_UUID",
    "DEMO_LOOKALIKE_RUN_UUIDS",
    "DEMO_MESSAGE_UUID",
    "DEMO_RUN_UUID",
    "DEMO_TOOL_RUN_UUID",
    "DEMO_TRACE_UUID",
    "DEMO_WORKFLOW_UUID",
    "DemoTransport",
    "demo_response",
    "demo_run_uuids",
    "demo_world",
]

DEMO_API_URL = "https://demo.invalid/v1"
DEMO_DURATION = 20.0
"""The default length of the live run, in seconds."""
DEMO_BASE_TIME = datetime(2026, 11, 24, 14, 32, 5, tzinfo=UTC)
"""`createdAt` of the live run when timestamps must be reproducible (tests, one-shot modes)."""

_SCALE = 20.0
"""The timeline is written in seconds of a 20 s run; it is scaled to `duration`."""
_RUN_STARTED = 1.0
_RUN_FINISHED = 19.0

_NAMESPACE = uuid_lib.UUID("6f1c2a9e-3b7d-4e58-9a41-0c5d8e2f7b13")


def _uid(name: str) -> str:
    """A stable, realistic-looking uuid for a demo object."""
    return str(uuid_lib.uuid5(_NAMESPACE, name))


DEMO_RUN_UUID = _uid("run")
DEMO_CHILD_RUN_UUIDS: tuple[str, ...] = tuple(_uid(f"child-run-{i}") for i in (1, 2, 3))
"""The live run's contacts_loop item runs, one per contact (item 2 fails)."""
DEMO_LOOKALIKE_RUN_UUIDS: tuple[str, ...] = tuple(_uid(f"lookalike-run-{i}") for i in range(1, 6))
"""The live run's score_lookalikes item runs, in the batch (items 2 and 4 fail)."""
DEMO_BATCH_UUID = _uid("batch-lookalikes")
DEMO_MESSAGE_UUID = _uid("message-qualify")
DEMO_TOOL_RUN_UUID = _uid("tool-run-lookalikes")
DEMO_TRACE_UUID = _uid("trace")
DEMO_WORKFLOW_UUID = _uid("workflow")

_WORKSPACE_UUID = _uid("workspace")
_RELEASE_UUID = _uid("release")
_USER_UUID = _uid("user")
_AGENT_UUID = _uid("agent-lead-qualifier")
_AGENT_RELEASE_UUID = _uid("agent-release")
_TOOL_UUID = _uid("tool-find-lookalikes")
_TOOL_WORKFLOW_UUID = _uid("tool-workflow-find-lookalikes")

# -- the workflow graph -------------------------------------------------------------------------


def _node(
    key: str, slug: str, kind: str, action: str | None, children: list[str], name: str, **extra: Any
) -> Json:
    x, y = extra.pop("at", (0, 0))
    return make_node(
        _uid(f"node-{key}"),
        slug,
        kind,
        action=action,
        children=[_uid(f"node-{child}") for child in children],
        name=name,
        position=(x, y),
        **extra,
    )


def _connector(
    key: str, slug: str, integration: str, action: str, children: list[str], name: str, **extra: Any
) -> Json:
    connector = _uid(f"connector-{integration}")
    return _node(
        key,
        slug,
        "connector",
        action,
        children,
        name,
        integrationSlug=integration,
        connectorUuid=connector,
        **extra,
    )


_CONTACT_NODES = [
    _node("item-start", "item_start", "native", "start", ["find-email"], "Item start"),
    _connector(
        "find-email",
        "find_email",
        "hunter",
        "find_email",
        ["item-end"],
        "Find work e-mail",
        at=(0, 120),
        config={
            "firstName": "{{item.firstName}}",
            "lastName": "{{item.lastName}}",
            "domain": "{{nodes.enrich_company.domain}}",
        },
        retry={"maximumAttempts": 2, "initialInterval": 500, "backoffCoefficient": 2},
    ),
    _node(
        "item-end",
        "item_end",
        "native",
        "end",
        [],
        "Item end",
        at=(0, 240),
        config={"variables": {"email": "{{nodes.find_email.email}}"}},
    ),
]
_LOOKALIKE_NODES = [
    _node("lookalike-start", "item_start", "native", "start", ["lookalike-enrich"], "Item start"),
    _connector(
        "lookalike-enrich",
        "enrich_account",
        "clearbit",
        "enrich_company",
        ["lookalike-score"],
        "Enrich the account",
        at=(0, 120),
        config={"domain": "{{item.domain}}"},
    ),
    _connector(
        "lookalike-score",
        "fit_score",
        "openai",
        "generate_text",
        ["lookalike-end"],
        "Score ICP fit",
        at=(0, 240),
        config={
            "model": "gpt-4.1-mini",
            "prompt": "Score 0-100 how well {{nodes.enrich_account}} fits our ICP.",
        },
    ),
    _node(
        "lookalike-end",
        "item_end",
        "native",
        "end",
        [],
        "Item end",
        at=(0, 360),
        config={"variables": {"domain": "{{item.domain}}", "score": "{{nodes.fit_score.score}}"}},
    ),
]
_TOOL_NODES = [
    _node("tool-start", "start", "native", "start", ["tool-search"], "Start"),
    _connector(
        "tool-search",
        "search_similar",
        "ocean",
        "find_lookalikes",
        ["tool-end"],
        "Find similar companies",
        at=(0, 120),
        config={"domain": "{{inputs.domain}}", "limit": 5},
    ),
    _node(
        "tool-end",
        "end",
        "native",
        "end",
        [],
        "End",
        at=(0, 240),
        config={"variables": {"companies": "{{nodes.search_similar.companies}}"}},
    ),
]

_START = _node("start", "start", "native", "start", ["enrich"], "Start")
_ENRICH = _connector(
    "enrich",
    "enrich_company",
    "clearbit",
    "enrich_company",
    ["qualify"],
    "Enrich company",
    at=(0, 120),
    description="Firmographics from Clearbit",
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
    at=(0, 240),
    description="Scores the account against the ideal customer profile and finds lookalikes",
    agentUuid=_AGENT_UUID,
    templateSlug="lead_qualifier",
    releaseUuid=_AGENT_RELEASE_UUID,
    waitUntilFinished=True,
    config={
        "prompt": (
            "Qualify {{record.title}} against our ICP (B2B SaaS, 100-1000 employees, "
            "North America), then find 5 lookalike accounts. Firmographics: {{nodes.enrich_company}}"
        ),
        "model": "gpt-4.1",
        "outputSchema": {
            "qualified": "boolean",
            "score": "number",
            "reason": "string",
            "lifecycleStage": "string",
            "lookalikes": "array",
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
    at=(0, 360),
    config={"condition": "{{nodes.qualify.answer.qualified}}"},
)
_CONTACTS_GROUP = _node(
    "loop",
    "contacts_loop",
    "native",
    "group",
    ["lookalikes"],
    "For each buying-committee contact",
    at=(-160, 480),
    fallback_on_failure=True,
    config={"items": "{{nodes.enrich_company.contacts}}", "_nodes": _CONTACT_NODES, "maxConcurrency": 3},
)
_LOOKALIKES_GROUP = _node(
    "lookalikes",
    "score_lookalikes",
    "native",
    "group",
    ["sync"],
    "Score each lookalike account",
    at=(-160, 600),
    config={"items": "{{nodes.qualify.answer.lookalikes}}", "_nodes": _LOOKALIKE_NODES, "maxConcurrency": 2},
)
_DISQUALIFY = _node(
    "disqualify",
    "mark_disqualified",
    "native",
    "update_record",
    ["end"],
    "Mark as disqualified",
    at=(160, 480),
    config={"fields": {"status": "disqualified", "reason": "{{nodes.qualify.answer.reason}}"}},
)
_SYNC = _connector(
    "sync",
    "sync_crm",
    "hubspot",
    "upsert_contact",
    ["end"],
    "Sync contacts to HubSpot",
    at=(-160, 720),
    fallback_child=_uid("node-notify"),
    fallback_on_failure=True,
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
_NOTIFY = _connector(
    "notify",
    "notify_owner",
    "slack",
    "send_message",
    ["end"],
    "Tell the owner on Slack",
    at=(-320, 840),
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
    at=(0, 960),
    config={
        "variables": {
            "qualified": "{{nodes.qualify.answer.qualified}}",
            "score": "{{nodes.qualify.answer.score}}",
            "contacts": "{{nodes.contacts_loop.results}}",
            "lookalikes": "{{nodes.score_lookalikes.results}}",
            "hubspotContactIds": "{{nodes.sync_crm.ids}}",
        }
    },
)
_NODES = [
    _START,
    _ENRICH,
    _QUALIFY,
    _BRANCH,
    _CONTACTS_GROUP,
    _LOOKALIKES_GROUP,
    _DISQUALIFY,
    _SYNC,
    _NOTIFY,
    _END,
]
DEMO_GROUP_NODE_UUID: str = _CONTACTS_GROUP["uuid"]
"""contacts_loop: a group whose items are child runs, one execution (`nodeRunUuid`) each."""
DEMO_BATCH_GROUP_NODE_UUID: str = _LOOKALIKES_GROUP["uuid"]
"""score_lookalikes: a group whose items run as a child batch (`nodeBatchUuid`)."""
DEMO_AGENT_NODE_UUID: str = _QUALIFY["uuid"]

# -- the runs -----------------------------------------------------------------------------------

_PEOPLE = [
    ("Dana", "Whitfield", "VP Sales"),
    ("Marcus", "Oyelaran", "Head of Revenue Operations"),
    ("Priya", "Raman", "Director of Growth"),
    ("Tomás", "Ferreira", "CRO"),
    ("Aiko", "Tanaka", "VP Marketing"),
    ("Lena", "Vogel", "Head of Sales Development"),
]
_ACCOUNTS = [
    ("globex.io", "Globex"),
    ("northwind-analytics.io", "Northwind Analytics"),
    ("initech.com", "Initech"),
    ("umbrella-labs.ai", "Umbrella Labs"),
    ("hooli.xyz", "Hooli"),
    ("vandelay.com", "Vandelay Industries"),
    ("piedpiper.net", "Pied Piper"),
]
_SYNC_ERROR = (
    "HubSpot: 400 Bad Request (VALIDATION_ERROR) - Property values were not valid: "
    '[{"isValid":false,"message":"lead-qualified was not one of the allowed options: '
    "[subscriber, lead, marketingqualifiedlead, salesqualifiedlead, opportunity, customer, "
    'evangelist, other]","error":"INVALID_OPTION","name":"lifecyclestage","localizedErrorMessage":'
    '"lead-qualified was not one of the allowed options"}] '
    "(correlationId: 8d3b6f0e-2c41-4a7e-b1d9-5e0f3a9c7b21)"
)
_EMAIL_ERROR = (
    "Hunter: 422 Unprocessable Entity\n"
    '{"errors":[{"id":"wrong_params","code":422,"details":"No email address found for {name} at {domain} '
    '(best guess scored 41, below the 70 threshold)"}]}\n'
    "    at HunterClient.emailFinder (integrations/hunter/client.ts:88:13)"
)
_LOOKALIKE_ERRORS = {
    "enrich_account": "Clearbit: 404 Not Found\nNo company matches the domain {domain}",
    "fit_score": (
        "OpenAI: 429 Too Many Requests\nRate limit reached for gpt-4.1-mini in organization org-5xQm2 on "
        "tokens per min (TPM): Limit 200000, Used 199620, Requested 1214. Please try again in 364ms."
    ),
}
_RATE_LIMITED = (
    "Clearbit: 429 Too Many Requests - Rate limit exceeded (600 requests per minute). Retry after 12s."
)
_OPENAI_DOWN = "OpenAI: 500 Internal Server Error - The server had an error while processing your request."


@dataclass(frozen=True)
class _Recipe:
    """One run of the workflow: who it is for, and how it goes."""

    key: str
    """Seeds its uuids; "run" is the live run (its uuids are the public constants)."""
    company: str
    domain: str
    age: float = 0.0
    """Seconds before the live run's `createdAt` that this run was created."""
    offset: float | None = None
    """For a run that changes while the demo plays: where on its timeline it is at elapsed 0."""
    employees: int = 240
    score: int = 82
    retry: bool = False
    """enrich_company fails once with a 503, the retry succeeds."""
    enrich_error: str | None = None
    """every enrich_company attempt fails with this, and the run stops."""
    agent_error: str | None = None
    qualified: bool = True
    contact_failures: frozenset[int] = frozenset()
    lookalike_failures: dict[int, str] = field(default_factory=dict)
    sync_error: str | None = None
    cancelled_at: float | None = None
    pending: bool = False

    @property
    def live(self) -> bool:
        return self.offset is not None

    def uid(self, name: str) -> str:
        return _uid(name if self.key == "run" else f"{self.key}/{name}")


_LIVE = _Recipe(
    "run",
    "Acme Corp",
    "acme.com",
    offset=0.0,
    retry=True,
    contact_failures=frozenset({1}),
    lookalike_failures={1: "enrich_account", 3: "fit_score"},
    sync_error=_SYNC_ERROR,
)
_HOUR = 3600.0
_OTHERS = [
    _Recipe("r01", "Brightwave Health", "brightwave.health", offset=8.0, age=8.0, employees=410, score=77),
    _Recipe("r02", "Quantix Labs", "quantixlabs.com", pending=True, age=5.0),
    _Recipe("r03", "Helio Freight", "heliofreight.com", pending=True, age=3.0),
    _Recipe("r04", "Orbital Payments", "orbitalpay.io", age=0.4 * _HOUR, employees=520, score=88),
    _Recipe(
        "r05", "Sunrise Dental", "sunrisedental.com", age=1.5 * _HOUR, employees=35, score=21, qualified=False
    ),
    _Recipe("r06", "Kestrel Security", "kestrelsec.com", age=3 * _HOUR, enrich_error=_RATE_LIMITED),
    _Recipe("r07", "Mosaic Learning", "mosaiclearning.org", age=7 * _HOUR, cancelled_at=3.0),
    _Recipe(
        "r08",
        "Fernbrook Capital",
        "fernbrook.vc",
        age=20 * _HOUR,
        employees=180,
        score=74,
        contact_failures=frozenset({2}),
        sync_error=_SYNC_ERROR,
    ),
    _Recipe("r09", "Tidal Robotics", "tidalrobotics.ai", age=28 * _HOUR, enrich_error=_RATE_LIMITED),
    _Recipe(
        "r10", "Copperline Energy", "copperline.energy", age=40 * _HOUR, employees=900, score=91, retry=True
    ),
    _Recipe(
        "r11",
        "Little Acorn Bakery",
        "littleacorn.shop",
        age=52 * _HOUR,
        employees=12,
        score=9,
        qualified=False,
    ),
    _Recipe("r12", "Nimbus Analytics", "nimbusanalytics.io", age=75 * _HOUR, agent_error=_OPENAI_DOWN),
    _Recipe(
        "r13",
        "Granite Logistics",
        "granitelogistics.com",
        age=98 * _HOUR,
        employees=330,
        score=80,
        lookalike_failures={0: "fit_score"},
    ),
    _Recipe(
        "r14",
        "Velvet Hammer Studio",
        "velvethammer.design",
        age=120 * _HOUR,
        employees=8,
        score=15,
        qualified=False,
    ),
    _Recipe("r15", "Polaris Biotech", "polarisbio.com", age=140 * _HOUR, enrich_error=_RATE_LIMITED),
    _Recipe("r16", "Everline Insurance", "everline.co", age=165 * _HOUR, cancelled_at=8.5),
    _Recipe("r17", "Juniper Retail", "juniperretail.com", age=190 * _HOUR, employees=610, score=86),
    _Recipe(
        "r18", "Outpost Games", "outpostgames.gg", age=215 * _HOUR, employees=60, score=33, qualified=False
    ),
    _Recipe(
        "r19",
        "Meridian Travel",
        "meridiantravel.com",
        age=236 * _HOUR,
        employees=270,
        score=79,
        sync_error=_SYNC_ERROR,
    ),
]
_RECIPES = [_LIVE, *_OTHERS]


@dataclass
class _Story:
    """Everything one recipe puts in the world, on the run's own 20 s-scale timeline."""

    run: TimedRun
    items: list[TimedRun] = field(default_factory=list)
    """The child runs: contacts, lookalikes, the agent's tool run."""
    batch: tuple[Json, list[TimedRun]] | None = None
    message: Callable[[float], Json | None] | None = None


def _contacts(recipe: _Recipe) -> list[Json]:
    start = sum(map(ord, recipe.key)) % len(_PEOPLE) if recipe.key != "run" else 0
    people = [_PEOPLE[(start + i) % len(_PEOPLE)] for i in range(3)]
    return [
        {
            "firstName": first,
            "lastName": last,
            "title": title,
            "linkedinUrl": f"https://www.linkedin.com/in/{first.lower()}-{last.lower()}",
        }
        for first, last, title in people
    ]


def _lookalikes(recipe: _Recipe) -> list[Json]:
    start = sum(map(ord, recipe.key)) % len(_ACCOUNTS) if recipe.key != "run" else 0
    return [{"domain": d, "name": n} for d, n in (_ACCOUNTS[(start + i) % len(_ACCOUNTS)] for i in range(5))]


def _email(contact: Json, domain: str) -> str:
    name = f"{contact['firstName']}.{contact['lastName']}".lower()
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode() + f"@{domain}"


def _story(recipe: _Recipe, clock: TimelineClock) -> _Story:
    """Lay out the recipe's executions and its child runs (see the module docstring)."""
    uid = recipe.uid
    run_uuid = uid("run")
    trace = DEMO_TRACE_UUID if recipe.key == "run" else uid("trace")
    number = 4821 if recipe.key == "run" else 1000 + sum(map(ord, recipe.key)) * 37 % 9000
    record = {"id": f"{recipe.company.lower().replace(' ', '-')}-{number}"}
    record.update(title=recipe.company, domain=recipe.domain, owner="jamie.rivera@example-vendor.com")
    contacts, lookalikes = _contacts(recipe), _lookalikes(recipe)
    firmographics = {
        "name": recipe.company,
        "domain": recipe.domain,
        "industry": "Software",
        "employees": recipe.employees,
        "country": "US",
        "estimatedAnnualRevenue": "$10M-$50M",
        "tech": ["salesforce", "segment", "snowflake"],
        "contacts": contacts,
    }
    answer = {
        "qualified": recipe.qualified,
        "score": recipe.score,
        "lifecycleStage": "lead-qualified" if recipe.qualified else "other",
        "reason": (
            f"B2B SaaS, {recipe.employees} employees, US-based and on a modern data stack: a strong ICP fit."
            if recipe.qualified
            else f"{recipe.employees} employees and no B2B motion: outside the ICP."
        ),
        "lookalikes": [a["domain"] for a in lookalikes] if recipe.qualified else [],
    }

    def template(uuid: str, nodes: list[Json], **fields: Any) -> Json:
        return make_run(
            uuid,
            workspace=_WORKSPACE_UUID,
            workflow=fields.pop("workflow", DEMO_WORKFLOW_UUID),
            trace=trace,
            nodes=copy.deepcopy(nodes),
            user=None if recipe.key in ("r04", "r09", "r15") else _USER_UUID,
            release=_RELEASE_UUID,
            **fields,
        )

    story = _Story(
        TimedRun(
            template(
                run_uuid, _NODES, record_id=record["id"], record_title=recipe.company, is_group_parent=True
            ),
            [],
            clock,
        )
    )
    line = Timeline(_RUN_STARTED)
    steps = line.steps
    line.then(_START, wait=0.0, took=0.2, title=f"✅ Started for {recipe.company}", output=record)
    enrich_inputs = {"domain": recipe.domain}
    if recipe.enrich_error is not None:
        for attempt in range(3):
            line.then(
                _ENRICH,
                "error",
                wait=0.2 if attempt == 0 else 1.0 * 2 ** (attempt - 1),
                took=0.6,
                credits=1,
                error=recipe.enrich_error,
                inputs=enrich_inputs,
            )
        return _ended(story, steps, line.now + 0.3, "error", "Node enrich_company failed")
    if recipe.retry:
        line.then(
            _ENRICH,
            "error",
            took=1.2,
            credits=1,
            error="Clearbit: 503 Service Unavailable",
            inputs=enrich_inputs,
        )
    enriched = f"✅ {recipe.company} · Software · {recipe.employees} employees"
    line.then(
        _ENRICH,
        wait=1.0 if recipe.retry else 0.2,
        took=0.8,
        credits=1,
        title=enriched,
        output=firmographics,
        inputs=enrich_inputs,
    )
    qualify_inputs = {
        "prompt": f"Qualify {recipe.company} against our ICP (B2B SaaS, 100-1000 employees, North America), "
        "then find 5 lookalike accounts. Firmographics: " + json.dumps(firmographics),
        "model": "gpt-4.1",
    }
    if recipe.agent_error is not None:
        line.then(
            _QUALIFY,
            "error",
            took=1.5,
            credits=1,
            error=recipe.agent_error,
            inputs=qualify_inputs,
            node_message=uid("message-qualify"),
        )
        story.message = _message(recipe, clock, steps[-1], lookalikes, answer, tool_run=None)
        return _ended(story, steps, line.now + 0.3, "error", "Node qualify failed")
    qualify = line.then(
        _QUALIFY,
        took=2.6,
        credits=5,
        title=f"✅ {'Qualified' if recipe.qualified else 'Not qualified'} (score {recipe.score})",
        inputs=qualify_inputs,
        output={"answer": answer},
        node_message=uid("message-qualify"),
    )
    tool_run = uid("tool-run-lookalikes") if recipe.qualified else None
    story.message = _message(recipe, clock, qualify, lookalikes, answer, tool_run)
    if tool_run is not None:
        story.items.append(_tool_run(recipe, clock, template, qualify, lookalikes, tool_run))
    matched = "✅ Condition is matched" if recipe.qualified else "✅ Condition is not matched"
    line.then(
        _BRANCH,
        wait=0.1,
        took=0.2,
        title=matched,
        child_index=0 if recipe.qualified else 1,
        inputs={"condition": recipe.qualified},
        output={"result": recipe.qualified},
    )
    if not recipe.qualified:
        line.then(
            _DISQUALIFY,
            took=0.4,
            inputs={"fields": {"status": "disqualified", "reason": answer["reason"]}},
            output={"updated": True},
        )
        line.then(_END, took=0.3, output={"qualified": False, "score": recipe.score})
        return _ended(story, steps, line.now + 0.3, "success", None)
    results = _contacts_group(recipe, story, line, contacts, template, clock)
    scores = _lookalikes_group(recipe, story, line, lookalikes, template, clock)
    sync_inputs = {
        "objectType": "contact",
        "records": [r for r in results if r],
        "properties": {
            "company": recipe.company,
            "lifecyclestage": answer["lifecycleStage"],
            "hs_lead_status": "NEW",
        },
    }
    ids: list[str] | None = None
    if recipe.sync_error is not None:
        line.then(
            _SYNC,
            "error",
            took=1.0,
            credits=1,
            title="❌ Property values were not valid",
            error=recipe.sync_error,
            next_node=_NOTIFY["uuid"],
            inputs=sync_inputs,
        )
        text = f":warning: HubSpot sync failed for {recipe.company} ({recipe.score}/100). Please add the contacts by hand."
        line.then(
            _NOTIFY,
            took=1.0,
            credits=1,
            title="✅ Message sent to #sales-ops",
            inputs={"channel": "#sales-ops", "text": text},
            output={"ok": True, "channel": "C05SALESOPS", "ts": "1795962743.004100"},
        )
    else:
        ids = [str(51200 + i) for i, r in enumerate(results) if r]
        line.then(
            _SYNC,
            took=1.0,
            credits=1,
            title=f"✅ {len(ids)} contacts upserted",
            inputs=sync_inputs,
            output={"ids": ids},
        )
    variables = {
        "qualified": True,
        "score": recipe.score,
        "contacts": results,
        "lookalikes": scores,
        "hubspotContactIds": ids,
    }
    line.then(
        _END, took=0.4, title="✅ Workflow completed", inputs={"variables": variables}, output=variables
    )
    return _ended(story, steps, _RUN_FINISHED if recipe.key == "run" else line.now + 0.4, "success", None)


def _ended(story: _Story, steps: list[Step], finished: float, status: str, error: str | None) -> _Story:
    story.run = TimedRun(
        story.run.run,
        steps,
        story.run.clock,
        started=_RUN_STARTED,
        finished=finished,
        status=status,
        error=error,
    )
    return story


def _contacts_group(
    recipe: _Recipe,
    story: _Story,
    line: Timeline,
    contacts: list[Json],
    template: Callable[..., Json],
    clock: TimelineClock,
) -> list[Json | None]:
    """contacts_loop: one execution and one child run per contact, in parallel."""
    queued = line.now + 0.1
    starts = [queued + 0.1 + 0.3 * i for i in range(3)]
    ends = [starts[0] + 1.9, starts[1] + 2.2, starts[2] + 2.3]
    results: list[Json | None] = []
    for i, contact in enumerate(contacts):
        failed = i in recipe.contact_failures
        name = f"{contact['firstName']} {contact['lastName']}"
        email = _email(contact, recipe.domain)
        results.append(None if failed else {"email": email})
        child = DEMO_CHILD_RUN_UUIDS[i] if recipe.key == "run" else recipe.uid(f"contact-run-{i + 1}")
        sub = Timeline(starts[i])
        sub.then(_CONTACT_NODES[0], wait=0.0, took=0.2, title=f"✅ Started for {name}", output=contact)
        inputs = {"firstName": contact["firstName"], "lastName": contact["lastName"], "domain": recipe.domain}
        if failed:
            error = _EMAIL_ERROR.replace("{name}", name).replace("{domain}", recipe.domain)
            sub.then(
                _CONTACT_NODES[1],
                "error",
                wait=0.1,
                took=ends[i] - starts[i] - 0.4,
                credits=1,
                error=error,
                inputs=inputs,
            )
        else:
            sub.then(
                _CONTACT_NODES[1],
                wait=0.1,
                took=ends[i] - starts[i] - 0.7,
                credits=1,
                title=f"✅ {email}",
                inputs=inputs,
                output={"email": email, "confidence": 97 - 6 * i, "source": "hunter"},
            )
            sub.then(
                _CONTACT_NODES[2],
                wait=0.1,
                took=0.2,
                title="✅ Workflow completed",
                inputs={"variables": {"email": email}},
                output={"email": email},
            )
        record = (f"{story.run.run['recordId']}-contact-{i + 1}", name)
        story.items.append(
            _item_run(
                template(child, _CONTACT_NODES, parent=story.run.uuid, parent_node=DEMO_GROUP_NODE_UUID),
                sub,
                clock,
                record,
                (queued, starts[i], ends[i] - 0.1),
                "find_email" if failed else None,
            )
        )
        line.steps.append(
            Step(
                _CONTACTS_GROUP,
                queued,
                starts[i],
                ends[i],
                "error" if failed else "success",
                title=f"{'❌' if failed else '✅'} Item {i + 1}/3: {name}",
                error="Node find_email failed" if failed else None,
                next_node=_LOOKALIKES_GROUP["uuid"],
                node_run=child,
                inputs={"items": contacts, "maxConcurrency": 3} if i == 0 else None,
                output={"results": results} if i == 2 else None,
            )
        )
    line.now = ends[-1]
    return results


def _item_run(
    run: Json,
    sub: Timeline,
    clock: TimelineClock,
    record: tuple[str, str],
    times: tuple[float, float, float],
    failed_slug: str | None,
) -> TimedRun:
    """A group's item run: created, started and finished at `times`; failed if a node did."""
    run = {**run, "recordId": record[0], "recordTitle": record[1], "isGroupParent": False}
    created, started, finished = times
    status, error = ("error", f"Node {failed_slug} failed") if failed_slug else ("success", None)
    return TimedRun(run, sub.steps, clock, created, started, finished, status, error)


def _lookalikes_group(
    recipe: _Recipe,
    story: _Story,
    line: Timeline,
    accounts: list[Json],
    template: Callable[..., Json],
    clock: TimelineClock,
) -> list[Json]:
    """score_lookalikes: one execution that starts a child batch of 5 item runs, two at a time."""
    batch_uuid = DEMO_BATCH_UUID if recipe.key == "run" else recipe.uid("batch-lookalikes")
    queued = line.now + 0.1
    started = queued + 0.1
    windows = [
        (started + 0.1, started + 1.3),
        (started + 0.2, started + 1.6),
        (started + 1.4, started + 2.6),
        (started + 1.7, started + 3.0),
        (started + 2.7, started + 3.6),
    ]
    items: list[TimedRun] = []
    scores: list[Json] = []
    for i, account in enumerate(accounts):
        begin, end = windows[i]
        child = DEMO_LOOKALIKE_RUN_UUIDS[i] if recipe.key == "run" else recipe.uid(f"lookalike-run-{i + 1}")
        failure = recipe.lookalike_failures.get(i)
        sub = Timeline(begin)
        sub.then(
            _LOOKALIKE_NODES[0], wait=0.0, took=0.1, title=f"✅ Started for {account['name']}", output=account
        )
        enrichment = {"name": account["name"], "domain": account["domain"], "employees": 150 + 85 * i}
        error = _LOOKALIKE_ERRORS[failure].replace("{domain}", account["domain"]) if failure else None
        if failure == "enrich_account":
            sub.then(
                _LOOKALIKE_NODES[1],
                "error",
                wait=0.1,
                took=end - sub.now - 0.2,
                credits=1,
                error=error,
                inputs={"domain": account["domain"]},
            )
        else:
            sub.then(
                _LOOKALIKE_NODES[1],
                wait=0.1,
                took=0.3,
                credits=1,
                output=enrichment,
                inputs={"domain": account["domain"]},
            )
            if failure == "fit_score":
                sub.then(
                    _LOOKALIKE_NODES[2], "error", wait=0.1, took=end - sub.now - 0.2, credits=1, error=error
                )
            else:
                score = 48 + (17 * i + recipe.score) % 45
                scores.append({"domain": account["domain"], "score": score})
                sub.then(
                    _LOOKALIKE_NODES[2],
                    wait=0.1,
                    took=end - sub.now - 0.3,
                    credits=2,
                    title=f"✅ Fit score {score}",
                    output={"score": score},
                )
                sub.then(
                    _LOOKALIKE_NODES[3],
                    wait=0.05,
                    took=0.1,
                    output={"domain": account["domain"], "score": score},
                )
        run = template(
            child,
            _LOOKALIKE_NODES,
            parent=story.run.uuid,
            parent_node=DEMO_BATCH_GROUP_NODE_UUID,
            batch=batch_uuid,
        )
        items.append(
            _item_run(run, sub, clock, (account["domain"], account["name"]), (started, begin, end), failure)
        )
    story.items.extend(items)
    finished = windows[-1][1] + 0.2
    failed = len(recipe.lookalike_failures)
    line.steps.append(
        Step(
            _LOOKALIKES_GROUP,
            queued,
            started,
            finished,
            title=f"✅ 5 runs: {5 - failed} succeeded, {failed} failed",
            next_node=_SYNC["uuid"],
            node_batch=batch_uuid,
            inputs={"items": accounts, "maxConcurrency": 2},
            output={"results": scores},
        )
    )
    line.now = finished
    story.batch = (
        make_batch(
            batch_uuid,
            workspace=_WORKSPACE_UUID,
            workflow=DEMO_WORKFLOW_UUID,
            trace=story.run.run["traceUuid"],
            release=_RELEASE_UUID,
            data={
                "kind": "group",
                "s3Filename": f"workspaces/{_WORKSPACE_UUID}/batches/{batch_uuid}/items.json",
                "parentRunUuid": story.run.uuid,
                "parentNodeUuid": DEMO_BATCH_GROUP_NODE_UUID,
            },
            status="pending",
            runs_count=0,
            created=clock.iso(started),
        ),
        items,
    )
    return scores


def _tool_run(
    recipe: _Recipe,
    clock: TimelineClock,
    template: Callable[..., Json],
    qualify: Step,
    accounts: list[Json],
    uuid: str,
) -> TimedRun:
    """The run the agent's `find_lookalikes` tool call started (another workflow, same trace)."""
    begin = qualify.started + 0.7
    sub = Timeline(begin)
    sub.then(_TOOL_NODES[0], wait=0.0, took=0.1, output={"domain": recipe.domain})
    sub.then(
        _TOOL_NODES[1],
        wait=0.1,
        took=0.6,
        credits=2,
        title="✅ 5 similar companies",
        inputs={"domain": recipe.domain, "limit": 5},
        output={"companies": accounts},
    )
    sub.then(_TOOL_NODES[2], wait=0.1, took=0.1, output={"companies": accounts})
    return TimedRun(
        template(
            uuid,
            _TOOL_NODES,
            workflow=_TOOL_WORKFLOW_UUID,
            record_id=recipe.domain,
            record_title=recipe.domain,
            parent=recipe.uid("run"),
            parent_node=DEMO_AGENT_NODE_UUID,
            parent_agent=_AGENT_UUID,
            parent_chat=recipe.uid("chat-qualify"),
            parent_message=recipe.uid("message-qualify"),
        ),
        sub.steps,
        clock,
        created=begin - 0.1,
        started=begin,
        finished=sub.now,
    )


def _message(
    recipe: _Recipe,
    clock: TimelineClock,
    qualify: Step,
    accounts: list[Json],
    answer: Json,
    tool_run: str | None,
) -> Callable[[float], Json | None]:
    """The agent's reply, streamed while qualify runs: reasoning, a tool call, the answer."""
    start, end = qualify.started, qualify.finished
    failed = qualify.status == "error"
    call = {"toolCallId": f"call_{recipe.key}_lookalikes", "input": {"domain": recipe.domain, "limit": 5}}

    def at(now: float) -> Json | None:
        if now < start:
            return None
        parts: list[Json] = [{"type": "step-start"}]
        if now >= start + 0.2:
            parts.append(
                {
                    "type": "reasoning",
                    "state": "done",
                    "text": (
                        f"{recipe.company}: {recipe.employees} employees, SaaS, US. Check the ICP criteria one by one, "
                        "then look for similar accounts with find_lookalikes."
                    ),
                }
            )
        if tool_run is not None and now >= start + 0.6:
            if now >= start + 1.8:
                output = {
                    "outcome": "executed",
                    "data": {"companies": accounts},
                    "runUuid": tool_run,
                    "creditsUsedCount": 2,
                }
                parts.append(
                    {"type": "tool-find_lookalikes", **call, "state": "output-available", "output": output}
                )
            else:
                parts.append({"type": "tool-find_lookalikes", **call, "state": "input-available"})
        done = now >= end
        if not failed and now >= start + 2.2:
            parts += [{"type": "step-start"}, {"type": "text", "state": "done", "text": json.dumps(answer)}]
        usage = {
            "tokensUsedCount": 6480,
            "billableTokensCount": 6480,
            "inputTokensCount": 5210,
            "outputTokensCount": 410,
            "cacheReadTokensCount": 1024,
            "cacheWriteTokensCount": 0,
            "reasoningTokensCount": 860,
            "creditsUsedCount": 5,
            "languageModelSlug": "gpt-4.1",
            "connectorUuid": _uid("connector-openai"),
        }
        return make_message(
            recipe.uid("message-qualify"),
            workspace=_WORKSPACE_UUID,
            chat=recipe.uid("chat-qualify"),
            agent=_AGENT_UUID,
            parts=parts,
            status=("error" if failed else "success") if done else "generating",
            error=_OPENAI_DOWN if failed and done else None,
            system_prompt="You qualify inbound B2B leads against the ideal customer profile. Answer in JSON.",
            tools={
                "find_lookalikes": {
                    "kind": "tool",
                    "name": "find_lookalikes",
                    "toolUuid": _TOOL_UUID,
                    "isBulk": False,
                }
            },
            usage=usage if done and not failed else None,
            created=clock.iso(start),
            finished=clock.iso(end) if done else None,
        )

    return at


# -- the world ----------------------------------------------------------------------------------


def _pending(story: _Story) -> Json:
    """A run queued behind the workspace's concurrency limit: no executions yet."""
    run = copy.deepcopy(story.run.run)
    created = story.run.clock.iso(0.0)
    run.update(status="pending", createdAt=created, updatedAt=created)
    return run_body(run)


@functools.lru_cache(maxsize=8)
def demo_world(duration: float = DEMO_DURATION, base_time: datetime = DEMO_BASE_TIME) -> World:
    """The demo's world: values are functions of the elapsed seconds since the live run was
    created at `base_time`, the live run lasting `duration` seconds. Cached: treat it as read-only."""
    if not duration > 0 or not math.isfinite(duration):
        raise ValueError(f"duration must be a positive number of seconds, not {duration!r}")
    base = base_time if base_time.tzinfo is not None else base_time.replace(tzinfo=UTC)
    factor = duration / _SCALE
    world = World(origin=base)

    def timeline_at(offset: float) -> Callable[[float], float]:
        return lambda elapsed: (0.0 if math.isnan(elapsed) else max(elapsed, 0.0)) / factor + offset

    for recipe in _RECIPES:
        if recipe.live:
            clock = TimelineClock(base - timedelta(seconds=(recipe.offset or 0.0) * factor), factor)
            moment = _moment(factor, recipe.offset or 0.0)
        else:
            clock = TimelineClock(base - timedelta(seconds=recipe.age), 1.0)
            moment = _fixed(math.inf if recipe.cancelled_at is None else recipe.cancelled_at)
        story = _story(recipe, clock)
        if recipe.pending:
            world.add_run(_pending(story))
            continue
        for run in [story.run, *story.items]:
            world.runs[run.uuid] = _playing(run, moment)
        if story.batch is not None:
            template, items = story.batch
            world.batches[template["uuid"]] = _batch_playing(template, items, moment)
        if story.message is not None:
            world.messages[recipe.uid("message-qualify")] = _message_playing(story.message, moment)
        if not recipe.live:
            _settle(world, [story.run, *story.items], story, recipe)
    return world


def _moment(factor: float, offset: float) -> Callable[[float], float]:
    """Elapsed seconds → the moment on a live run's own 20 s-scale timeline."""
    return lambda elapsed: (0.0 if math.isnan(elapsed) else max(elapsed, 0.0)) / factor + offset


def _fixed(moment: float) -> Callable[[float], float]:
    return lambda elapsed: moment


def _playing(run: TimedRun, moment: Callable[[float], float]) -> Callable[[float], Json | None]:
    return lambda elapsed: run.at(moment(elapsed))


def _batch_playing(
    template: Json, items: list[TimedRun], moment: Callable[[float], float]
) -> Callable[[float], Json]:
    return lambda elapsed: batch_at(template, [r.at(moment(elapsed)) for r in items], planned=len(items))


def _message_playing(
    message: Callable[[float], Json | None], moment: Callable[[float], float]
) -> Callable[[float], Json | None]:
    return lambda elapsed: message(moment(elapsed))


def _settle(world: World, runs: list[TimedRun], story: _Story, recipe: _Recipe) -> None:
    """Turn a past run's values into plain dicts, once. A run a user cancelled stopped where it
    was at `cancelled_at`: what was unfinished then reads `cancelled`, what did not exist yet
    is left out."""
    cancelled_at = recipe.cancelled_at
    keys = [
        (world.runs, [run.uuid for run in runs]),
        (world.batches, [story.batch[0]["uuid"]] if story.batch else []),
        (world.messages, [recipe.uid("message-qualify")] if story.message else []),
    ]
    for table, uuids in keys:
        for uuid in uuids:
            value = table[uuid]
            settled = value(0.0) if callable(value) else value
            if settled is None or (table is world.batches and settled["runsCount"] == 0):
                del table[uuid]
                continue
            if cancelled_at is not None:
                target = settled.get("run", settled)
                if target.get("status") not in ("success", "error", "cancelled", "skipped"):
                    moment = _parse(target.get("updatedAt")) + timedelta(seconds=0.8)
                    target.update(status="cancelled", updatedAt=iso(moment), finishedAt=iso(moment))
            table[uuid] = settled


def _parse(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


def demo_response(
    elapsed: float,
    run_uuid: str = DEMO_RUN_UUID,
    duration: float = DEMO_DURATION,
    *,
    base_time: datetime = DEMO_BASE_TIME,
) -> Json | None:
    """The GET-run body of `run_uuid` `elapsed` seconds after the live run was created.

    None for an unknown run id, and for a child run that does not exist yet. A pure
    function: the same arguments give the same answer. `base_time` is the live run's
    `createdAt`; timestamps are `base_time` plus the simulated seconds.
    """
    body = demo_world(duration, base_time).run_body(run_uuid, elapsed)
    return None if body is None else copy.deepcopy(body)


def demo_run_uuids() -> tuple[str, ...]:
    """Every run id the demo serves: the live run first, then its child runs (contacts,
    lookalikes, the tool run), then the other runs of the workflow and theirs."""
    live = (DEMO_RUN_UUID, *DEMO_CHILD_RUN_UUIDS, *DEMO_LOOKALIKE_RUN_UUIDS, DEMO_TOOL_RUN_UUID)
    others = sorted(set(demo_world().runs) - set(live))
    return (*live, *others)


# -- the transport ------------------------------------------------------------------------------


class DemoTransport(SimTransport):
    """Serves the demo in-process, for `httpx.AsyncClient` (and `httpx.Client`).

    `clock` returns seconds (default `time.monotonic`); `start` is the clock reading at which
    the live run was created (default: the first request). `finished=True` (or the
    `finished()` constructor) always serves the final state, for one-shot modes.

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
        self._built = False
        super().__init__(CargoSim(World(), clock=self._tick, start=0.0))

    @classmethod
    def finished(cls, duration: float = DEMO_DURATION, *, base_time: datetime | None = None) -> DemoTransport:
        """A transport that always serves the finished demo run."""
        return cls(duration=duration, finished=True, base_time=base_time)

    def elapsed(self) -> float:
        """Seconds since the live run was created (starting the clock on the first call)."""
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

    def _tick(self) -> float:
        """The sim's clock: the elapsed time, with the world built on the first reading (when
        `base_time` is known). One clock reading per request."""
        elapsed = self.elapsed()
        if not self._built:
            world = demo_world(self.duration, self.base_time)
            self.sim.world = World(origin=world.origin).merge(world)  # tests may change theirs
            self._built = True
        return elapsed
