"""Worlds for the simulated Cargo API (`run_inspector.cargo_sim`): each shows one behaviour,
in Cargo's real shapes (checked with the cargo-schema tool), so a test states only what it
asserts. Build one, then serve it::

    scenario = group_items_world()
    sim = CargoSim(scenario.world)          # or tests.cargo_server.cargo_server(scenario.world)
    client = httpx.AsyncClient(transport=sim.transport(), base_url="https://cargo.test/v1")

The GET-run bodies of worlds 1-4 are also saved under `tests/fixtures/cargo/` for `--file`
(`python -m tests.cargo_worlds` writes them again; a test checks they match).
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from run_inspector.cargo_sim import (
    CargoSim,
    Json,
    Step,
    TimedRun,
    Timeline,
    TimelineClock,
    World,
    batch_at,
    make_batch,
    make_message,
    make_node,
    make_run,
    stable_uuid,
)

NOW = datetime(2026, 11, 24, 15, 0, 0, tzinfo=UTC)
"""When every static world is looked at: its runs happened before this."""
WORKSPACE = stable_uuid("worlds", "workspace")
USER = stable_uuid("worlds", "user")
FIXTURES = Path(__file__).parent / "fixtures" / "cargo"


def uid(*names: str) -> str:
    return stable_uuid("worlds", *names)


@dataclass
class Scenario:
    """A world and the uuids a test needs from it."""

    world: World
    run: str
    """The root run."""
    ids: dict[str, str] = field(default_factory=dict)
    """Named uuids: nodes, batch, message, trace, workflow…"""
    children: list[str] = field(default_factory=list)
    """The child runs of the run's group node, in item order."""

    def body(self, uuid: str | None = None, elapsed: float = 0.0) -> Json:
        body = self.world.run_body(uuid or self.run, elapsed)
        assert body is not None, uuid
        return copy.deepcopy(body)

    def sim(self, **options: Any) -> CargoSim:
        return CargoSim(self.world, **options)


class Graph:
    """Nodes of one world: uuids derive from (world, key), children are given by key, and
    nodes are laid out top to bottom in the order they are made."""

    def __init__(self, world: str) -> None:
        self.world = world
        self.count = 0

    def id(self, key: str) -> str:
        return uid(self.world, "node", key)

    def node(self, key: str, kind: str, children: Sequence[str] = (), **fields: Any) -> Json:
        self.count += 1
        fields.setdefault("slug", key)
        fields.setdefault("name", key.replace("_", " ").capitalize())
        slug = fields.pop("slug")
        fallback = fields.pop("fallback_child", None)
        return make_node(
            self.id(key),
            slug,
            kind,
            children=[self.id(child) for child in children],
            position=(0.0, 120.0 * self.count),
            fallback_child=self.id(fallback) if fallback else None,
            **fields,
        )

    def native(self, key: str, action: str, children: Sequence[str] = (), **fields: Any) -> Json:
        return self.node(key, "native", children, action=action, **fields)

    def connector(
        self, key: str, integration: str, action: str, children: Sequence[str] = (), **fields: Any
    ) -> Json:
        return self.node(
            key,
            "connector",
            children,
            action=action,
            integrationSlug=integration,
            connectorUuid=uid(self.world, "connector", integration),
            **fields,
        )

    def agent(self, key: str, children: Sequence[str] = (), **fields: Any) -> Json:
        return self.node(
            key,
            "agent",
            children,
            agentUuid=uid(self.world, "agent", key),
            templateSlug=key,
            releaseUuid=uid(self.world, "agent-release", key),
            waitUntilFinished=True,
            **fields,
        )


def timed(
    uuid: str,
    line: Timeline | Sequence[Step],
    *,
    nodes: list[Json],
    workflow: str,
    trace: str,
    clock: TimelineClock,
    record: tuple[str, str],
    status: str = "success",
    error: str | None = None,
    created: float = 0.0,
    started: float | None = None,
    finished: float | None = None,
    **run_fields: Any,
) -> TimedRun:
    """A run of `line`'s steps: created at `created`, running from the first step, ending
    `status` just after the last step (`finished=math.inf`: still running)."""
    steps = list(line.steps if isinstance(line, Timeline) else line)
    first = min((s.queued for s in steps), default=created + 0.1)
    last = max((s.finished for s in steps), default=first)
    run = make_run(
        uuid,
        workspace=WORKSPACE,
        workflow=workflow,
        trace=trace,
        nodes=copy.deepcopy(nodes),
        record_id=record[0],
        record_title=record[1],
        **{"user": USER, **run_fields},
    )
    return TimedRun(
        run,
        steps,
        clock,
        created=created,
        started=first if started is None else started,
        finished=last + 0.2 if finished is None else finished,
        status=status,
        error=error,
    )


def final(run: TimedRun) -> Json:
    body = run.at(math.inf)
    assert body is not None
    return body


def finished_world(*runs: TimedRun) -> World:
    """A world of runs that have all ended, looked at from `NOW`."""
    world = World(origin=NOW)
    for run in runs:
        world.add_run(final(run))
    return world


def contact_items() -> list[Json]:
    return [
        {"firstName": "Dana", "lastName": "Whitfield", "title": "VP Sales", "domain": "acme.com"},
        {"firstName": "Marcus", "lastName": "Oyelaran", "title": "Head of RevOps", "domain": "acme.com"},
        {"firstName": "Priya", "lastName": "Raman", "title": "Director of Growth", "domain": "acme.com"},
    ]


FIND_EMAIL_ERROR = (
    "Hunter: 422 Unprocessable Entity\n"
    '{"errors":[{"id":"wrong_params","code":422,"details":"No email address found for '
    'Marcus Oyelaran at acme.com (best guess scored 41, below the 70 threshold)"}]}\n'
    "    at HunterClient.emailFinder (integrations/hunter/client.ts:88:13)\n"
    "    at async findEmail (integrations/hunter/actions/find_email.ts:41:20)"
)


# -- 1. a group whose items ran as child runs, one execution each ---------------------------------


def group_items_world() -> Scenario:
    """`contacts_loop` (native group, 3 contacts, a complete `_nodes` sub-graph) ran 3
    executions, one per item, each with its own `nodeRunUuid`. Item 2's run failed
    (`find_email` errored, multi-line Hunter error); items 1 and 3 and the last group
    execution succeeded. The run stopped there: `error`, "Node contacts_loop failed"; its
    trace is `error`. The 3 child runs exist, with `parentUuid`, `parentNodeUuid` and the
    contact's name as `recordTitle`."""
    name = "group-items"
    g = Graph(name)
    sub = [
        g.native("item_start", "start", ["find_email"], name="Item start"),
        g.connector(
            "find_email",
            "hunter",
            "find_email",
            ["item_end"],
            name="Find work e-mail",
            config={
                "firstName": "{{item.firstName}}",
                "lastName": "{{item.lastName}}",
                "domain": "{{item.domain}}",
            },
        ),
        g.native(
            "item_end",
            "end",
            [],
            name="Item end",
            config={"variables": {"email": "{{nodes.find_email.email}}"}},
        ),
    ]
    items = contact_items()
    nodes = [
        g.native("start", "start", ["lookup_company"], name="Start"),
        g.connector(
            "lookup_company",
            "clearbit",
            "enrich_company",
            ["contacts_loop"],
            config={"domain": "{{record.domain}}"},
        ),
        g.native(
            "contacts_loop",
            "group",
            ["sync_crm"],
            name="For each buying-committee contact",
            config={"items": items, "_nodes": sub, "maxConcurrency": 3},
        ),
        g.connector("sync_crm", "hubspot", "upsert_contact", ["end"], name="Sync contacts to HubSpot"),
        g.native("end", "end", [], name="End"),
    ]
    by = {n["slug"]: n for n in nodes + sub}
    workflow, trace, run_uuid = uid(name, "workflow"), uid(name, "trace"), uid(name, "run")
    clock = TimelineClock(NOW - timedelta(hours=2))
    line = Timeline()
    line.then(by["start"], output={"domain": "acme.com"})
    line.then(by["lookup_company"], credits=1, took=1.5, output={"name": "Acme Corp", "employees": 240})
    children = [uid(name, "child", str(i)) for i in range(1, 4)]
    outcomes = ["success", "error", "success"]
    starts = [line.now + 0.3 + 0.4 * i for i in range(3)]
    ends = [starts[0] + 2.5, starts[1] + 3.1, starts[2] + 3.4]
    group_steps = [
        Step(
            by["contacts_loop"],
            line.now + 0.1,
            starts[i],
            ends[i],
            outcomes[i],
            title=("✅" if outcomes[i] == "success" else "❌")
            + f" Item {i + 1}/3: {items[i]['firstName']} {items[i]['lastName']}",
            error="Node find_email failed" if outcomes[i] == "error" else None,
            node_run=children[i],
            inputs={"items": items, "maxConcurrency": 3} if i == 0 else None,
        )
        for i in range(3)
    ]
    world = World(origin=NOW)
    for i, child in enumerate(children):
        sub_line = Timeline(starts[i])
        contact = items[i]
        sub_line.then(by["item_start"], wait=0.0, took=0.1, output=contact)
        inputs = {"firstName": contact["firstName"], "lastName": contact["lastName"], "domain": "acme.com"}
        if outcomes[i] == "success":
            email = f"{contact['firstName'].lower()}.{contact['lastName'].lower()}@acme.com"
            sub_line.then(
                by["find_email"],
                credits=1,
                took=ends[i] - starts[i] - 0.8,
                title=f"✅ {email}",
                inputs=inputs,
                output={"email": email, "confidence": 94},
            )
            sub_line.then(
                by["item_end"], took=0.1, inputs={"variables": {"email": email}}, output={"email": email}
            )
        else:
            sub_line.then(
                by["find_email"],
                "error",
                credits=1,
                took=ends[i] - starts[i] - 0.5,
                error=FIND_EMAIL_ERROR,
                inputs=inputs,
            )
        world.add_run(
            final(
                timed(
                    child,
                    sub_line,
                    nodes=sub,
                    workflow=workflow,
                    trace=trace,
                    clock=clock,
                    record=(f"acme-contact-{i + 1}", f"{contact['firstName']} {contact['lastName']}"),
                    status=outcomes[i],
                    error="Node find_email failed" if outcomes[i] == "error" else None,
                    created=starts[i] - 0.2,
                    finished=ends[i],
                    parent=run_uuid,
                    parent_node=by["contacts_loop"]["uuid"],
                    is_group_parent=False,
                )
            )
        )
    parent = timed(
        run_uuid,
        [*line.steps, *group_steps],
        nodes=nodes,
        workflow=workflow,
        trace=trace,
        clock=clock,
        record=("acme-corp-4821", "Acme Corp"),
        status="error",
        error="Node contacts_loop failed",
        is_group_parent=True,
    )
    world.add_run(final(parent))
    ids = {"group_node": by["contacts_loop"]["uuid"], "workflow": workflow, "trace": trace}
    return Scenario(world, run_uuid, ids, children)


# -- 2. a group whose items ran as a child batch ------------------------------------------------

LOOKALIKES = [
    ("globex.io", "Globex"),
    ("northwind-analytics.io", "Northwind Analytics"),
    ("initech.com", "Initech"),
    ("umbrella-labs.ai", "Umbrella Labs"),
    ("hooli.xyz", "Hooli"),
]
BATCH_ERRORS = {
    1: (
        "enrich_account",
        "Clearbit: 404 Not Found\nNo company matches the domain northwind-analytics.io "
        "(request id 7c1e2b9a-44f0-4a51-b0c6-3d8e91f2a7c4)",
    ),
    3: (
        "fit_score",
        "OpenAI: 429 Too Many Requests\nRate limit reached for gpt-4.1 in organization "
        "org-5xQm2 on tokens per min (TPM): Limit 30000, Used 29873, Requested 1214. "
        "Please try again in 2.174s.",
    ),
}


def group_batch_world(*, live: bool = False) -> Scenario:
    """`score_accounts` (native group over 5 lookalike accounts) ran once: its execution
    carries `nodeBatchUuid` and `nodeRunUuid: null`. The batch (`data.kind` `group`, with
    `parentRunUuid`/`parentNodeUuid`) ran 5 item runs, two at a time; items 2 and 4 failed
    with different errors (Clearbit 404, OpenAI 429). The items are found by `runs/list`
    with `batchUuid`, or `parentUuid` + `parentNodeUuid`. Finished: batch `success`,
    `runsCount` 5, `executedRunsCount` 5, `failedRunsCount` 2, `runsStatus` `unhealthy`;
    the run `success`, its trace `degraded`.

    `live=True`: elapsed 0 is mid-batch (items 1-2 ended, 3-4 running, 5 pending, the run
    `running`, the trace `pending`); everything has ended by elapsed 6."""
    name = "group-batch"
    g = Graph(name)
    sub = [
        g.native("item_start", "start", ["enrich_account"], name="Item start"),
        g.connector(
            "enrich_account",
            "clearbit",
            "enrich_company",
            ["fit_score"],
            config={"domain": "{{item.domain}}"},
        ),
        g.connector(
            "fit_score",
            "openai",
            "generate_text",
            ["item_end"],
            name="Score ICP fit",
            config={"model": "gpt-4.1", "prompt": "Score 0-100 how {{nodes.enrich_account}} fits our ICP."},
        ),
        g.native(
            "item_end",
            "end",
            [],
            name="Item end",
            config={"variables": {"score": "{{nodes.fit_score.score}}"}},
        ),
    ]
    items = [{"domain": d, "name": n} for d, n in LOOKALIKES]
    nodes = [
        g.native("start", "start", ["find_lookalikes"], name="Start"),
        g.connector(
            "find_lookalikes", "ocean", "find_lookalikes", ["score_accounts"], name="Find lookalike accounts"
        ),
        g.native(
            "score_accounts",
            "group",
            ["post_summary"],
            name="Score each lookalike",
            config={"items": "{{nodes.find_lookalikes.companies}}", "_nodes": sub, "maxConcurrency": 2},
        ),
        g.connector("post_summary", "slack", "send_message", ["end"], name="Post the shortlist"),
        g.native("end", "end", [], name="End"),
    ]
    by = {n["slug"]: n for n in nodes + sub}
    workflow, trace, run_uuid = uid(name, "workflow"), uid(name, "trace"), uid(name, "run")
    batch_uuid = uid(name, "batch")
    clock = TimelineClock(NOW - timedelta(hours=1))
    line = Timeline()
    line.then(by["start"], output={"domain": "acme.com"})
    line.then(by["find_lookalikes"], credits=2, output={"companies": items})
    batch_start = line.now + 0.3
    windows = [(batch_start + 2.0 * (i // 2), batch_start + 2.0 * (i // 2) + 1.8) for i in range(5)]
    children = [uid(name, "item", str(i)) for i in range(1, 6)]
    item_runs: list[TimedRun] = []
    for i, child in enumerate(children):
        start, end = windows[i]
        sub_line = Timeline(start)
        sub_line.then(by["item_start"], wait=0.0, took=0.1, output=items[i])
        failure = BATCH_ERRORS.get(i)
        enrichment = {"name": items[i]["name"], "domain": items[i]["domain"], "employees": 120 + 40 * i}
        if failure is not None and failure[0] == "enrich_account":
            sub_line.then(by["enrich_account"], "error", credits=1, took=end - start - 0.3, error=failure[1])
        else:
            sub_line.then(by["enrich_account"], credits=1, took=0.6, output=enrichment)
            if failure is not None:
                sub_line.then(
                    by["fit_score"], "error", credits=1, took=end - sub_line.now - 0.2, error=failure[1]
                )
            else:
                score = 55 + 9 * i
                sub_line.then(
                    by["fit_score"], credits=2, took=end - sub_line.now - 0.4, output={"score": score}
                )
                sub_line.then(by["item_end"], took=0.1, output={"score": score})
        item_runs.append(
            timed(
                child,
                sub_line,
                nodes=sub,
                workflow=workflow,
                trace=trace,
                clock=clock,
                record=(items[i]["domain"], items[i]["name"]),
                status="error" if failure else "success",
                error=f"Node {failure[0]} failed" if failure else None,
                created=batch_start,
                finished=end,
                batch=batch_uuid,
                parent=run_uuid,
                parent_node=by["score_accounts"]["uuid"],
                is_group_parent=False,
            )
        )
    batch_end = windows[-1][1]
    group = Step(
        by["score_accounts"],
        batch_start - 0.1,
        batch_start,
        batch_end + 0.1,
        title="✅ 5 runs: 3 succeeded, 2 failed",
        next_node=by["post_summary"]["uuid"],
        node_batch=batch_uuid,
        inputs={"items": items, "maxConcurrency": 2},
        output={"results": [{"score": 55 + 9 * i} for i in (0, 2, 4)]},
    )
    tail = Timeline(group.finished)
    tail.then(by["post_summary"], credits=1, output={"ok": True, "channel": "C05SALESOPS"})
    tail.then(by["end"], took=0.2, output={"shortlist": ["globex.io", "initech.com", "hooli.xyz"]})
    parent = timed(
        run_uuid,
        [*line.steps, group, *tail.steps],
        nodes=nodes,
        workflow=workflow,
        trace=trace,
        clock=clock,
        record=("acme-corp-4821", "Acme Corp"),
        is_group_parent=True,
    )
    template = make_batch(
        batch_uuid,
        workspace=WORKSPACE,
        workflow=workflow,
        trace=trace,
        data={
            "kind": "group",
            "s3Filename": f"workspaces/{WORKSPACE}/batches/{batch_uuid}/items.json",
            "parentRunUuid": run_uuid,
            "parentNodeUuid": by["score_accounts"]["uuid"],
        },
        status="pending",
        runs_count=0,
        created=clock.iso(group.started),
    )
    offset = batch_start + 3.0 if live else math.inf
    world = World(origin=clock.origin + timedelta(seconds=batch_start + 3.0) if live else NOW)

    def at(run: TimedRun) -> Callable[[float], Json | None]:
        return lambda elapsed: run.at(offset + elapsed)

    def batch(elapsed: float) -> Json:
        return batch_at(template, [run.at(offset + elapsed) for run in item_runs], planned=5)

    for run in [parent, *item_runs]:
        if live:
            world.runs[run.uuid] = at(run)
        else:
            world.add_run(final(run))
    world.batches[batch_uuid] = batch if live else batch(0.0)
    ids = {
        "group_node": by["score_accounts"]["uuid"],
        "batch": batch_uuid,
        "workflow": workflow,
        "trace": trace,
    }
    return Scenario(world, run_uuid, ids, children)


# -- 3 and 4. fallbacks -----------------------------------------------------------------------


def fallback_without_child_world() -> Scenario:
    """`enrich_company` has `fallbackOnFailure: true` and no `fallbackChildUuid`. It failed
    (Clearbit 404) and the run went on: the failed execution's `nextNodeUuid` is
    `score_lead`, which ran after it, then `sync_crm` and `end`. The run is `success`; its
    trace `degraded`."""
    name = "fallback-no-child"
    g = Graph(name)
    nodes = [
        g.native("start", "start", ["enrich_company"], name="Start"),
        g.connector(
            "enrich_company",
            "clearbit",
            "enrich_company",
            ["score_lead"],
            name="Enrich company",
            fallback_on_failure=True,
            config={"domain": "{{record.domain}}"},
        ),
        g.native(
            "score_lead",
            "javascript",
            ["sync_crm"],
            name="Score the lead",
            config={"code": "return { score: nodes.enrich_company?.employees ? 70 : 35 }"},
        ),
        g.connector("sync_crm", "hubspot", "upsert_contact", ["end"], name="Sync to HubSpot"),
        g.native("end", "end", [], name="End", config={"variables": {"score": "{{nodes.score_lead.score}}"}}),
    ]
    by = {n["slug"]: n for n in nodes}
    workflow, trace, run_uuid = uid(name, "workflow"), uid(name, "trace"), uid(name, "run")
    clock = TimelineClock(NOW - timedelta(minutes=40))
    line = Timeline()
    line.then(by["start"], output={"domain": "tiny-startup.dev"})
    line.then(
        by["enrich_company"],
        "error",
        credits=1,
        error="Clearbit: 404 Not Found\nNo company matches the domain tiny-startup.dev",
        next_node=by["score_lead"]["uuid"],
        inputs={"domain": "tiny-startup.dev"},
    )
    line.then(by["score_lead"], output={"score": 35}, inputs={"code": "return { score: 35 }"})
    line.then(by["sync_crm"], credits=1, output={"id": "5121", "created": True})
    line.then(by["end"], took=0.2, output={"score": 35})
    world = finished_world(
        timed(
            run_uuid,
            line,
            nodes=nodes,
            workflow=workflow,
            trace=trace,
            clock=clock,
            record=("tiny-startup-77", "Tiny Startup"),
        )
    )
    return Scenario(world, run_uuid, {"failed_node": by["enrich_company"]["uuid"], "trace": trace})


def error_run_with_fallback_world() -> Scenario:
    """`sync_crm` failed (HubSpot 409); its fallback child `notify_owner` ran (the failed
    execution's `nextNodeUuid`) and succeeded, but `fallbackOnFailure` is false, so the run
    still stopped: `error`, "Node sync_crm failed", `end` never reached; trace `error`."""
    name = "error-fallback"
    g = Graph(name)
    nodes = [
        g.native("start", "start", ["enrich_company"], name="Start"),
        g.connector("enrich_company", "clearbit", "enrich_company", ["sync_crm"], name="Enrich company"),
        g.connector(
            "sync_crm",
            "hubspot",
            "upsert_contact",
            ["end"],
            name="Sync to HubSpot",
            fallback_child="notify_owner",
        ),
        g.connector(
            "notify_owner",
            "slack",
            "send_message",
            ["end"],
            name="Tell the owner on Slack",
            config={"channel": "#sales-ops", "text": "HubSpot sync failed for {{record.title}}"},
        ),
        g.native("end", "end", [], name="End"),
    ]
    by = {n["slug"]: n for n in nodes}
    workflow, trace, run_uuid = uid(name, "workflow"), uid(name, "trace"), uid(name, "run")
    clock = TimelineClock(NOW - timedelta(minutes=25))
    line = Timeline()
    line.then(by["start"], output={"domain": "initech.com"})
    line.then(by["enrich_company"], credits=1, output={"name": "Initech", "employees": 560})
    line.then(
        by["sync_crm"],
        "error",
        credits=1,
        error=(
            "HubSpot: 409 Conflict\n"
            '{"status":"error","message":"Contact already exists. Existing ID: 5120",'
            '"category":"CONFLICT","correlationId":"2f6c9d1e-7b3a-4e58-a0c4-91d2e8f7b6a3"}'
        ),
        next_node=by["notify_owner"]["uuid"],
    )
    line.then(
        by["notify_owner"],
        credits=1,
        next_node=None,
        inputs={"channel": "#sales-ops", "text": "HubSpot sync failed for Initech"},
        output={"ok": True, "channel": "C05SALESOPS", "ts": "1795962743.004100"},
    )
    world = finished_world(
        timed(
            run_uuid,
            line,
            nodes=nodes,
            workflow=workflow,
            trace=trace,
            clock=clock,
            record=("initech-311", "Initech"),
            status="error",
            error="Node sync_crm failed",
        )
    )
    ids = {"failed_node": by["sync_crm"]["uuid"], "fallback_node": by["notify_owner"]["uuid"], "trace": trace}
    return Scenario(world, run_uuid, ids)


# -- 5. many runs of one workflow ---------------------------------------------------------------

COMPANIES = [
    "Acme Corp", "Globex", "Initech", "Umbrella Labs", "Hooli", "Stark Industries", "Wayne Enterprises",
    "Wonka Foods", "Tyrell Systems", "Cyberdyne", "Soylent", "Vandelay Imports", "Pied Piper",
    "Aperture Science", "Massive Dynamic", "Oscorp", "Dunder Mifflin", "Prestige Worldwide", "Gringotts",
    "Monarch Solutions", "Nakatomi Trading", "Sterling Cooper", "Bluth Company", "Los Pollos Hermanos",
    "Virtucon",
]  # fmt: skip
RATE_LIMITED = (
    "Clearbit: 429 Too Many Requests\nRate limit exceeded: 600 requests per minute. Retry after 12s."
)
HUBSPOT_CONFLICT = "HubSpot: 409 Conflict - Contact already exists. Existing ID: {}"
OPENAI_DOWN = "OpenAI: 500 Internal Server Error - The server had an error while processing your request."
# outcome of each run, newest first: 13 success, 3 rate limited at enrich_company, 1 agent
# error, 2 HubSpot conflicts, 2 cancelled, 2 running, 2 pending (25 runs).
OUTCOMES = [
    "pending", "pending", "running", "running", "success", "429", "success", "cancelled", "success",
    "hubspot", "success", "success", "429", "success", "qualify", "success", "success", "cancelled",
    "success", "hubspot", "success", "429", "success", "success", "success",
]  # fmt: skip


def workflow_runs_world() -> Scenario:
    """25 runs of one workflow (start → enrich_company → qualify (agent) → sync_crm → end),
    created over the last ~10 days, newest first in `OUTCOMES`: 13 `success`, 6 `error` (3
    "429 Too Many Requests" at `enrich_company`, 1 OpenAI 500 at `qualify`, 2 HubSpot 409 at
    `sync_crm`), 2 `cancelled`, 2 `running`, 2 `pending`. Runs older than 5 days ran release
    v1, the others v2; every third run has no user (a schedule started it). Credits vary. `enrich_company` and `sync_crm` each fail in
    about 13% of their executions (`runMetrics`). `ids["workflow"]`; `children` lists every
    run uuid, newest first."""
    name = "workflow-runs"
    g = Graph(name)
    nodes = [
        g.native("start", "start", ["enrich_company"], name="Start"),
        g.connector("enrich_company", "clearbit", "enrich_company", ["qualify"], name="Enrich company"),
        g.agent("qualify", ["sync_crm"], name="Qualify lead", config={"prompt": "Qualify {{record.title}}"}),
        g.connector("sync_crm", "hubspot", "upsert_contact", ["end"], name="Sync to HubSpot"),
        g.native("end", "end", [], name="End"),
    ]
    by = {n["slug"]: n for n in nodes}
    workflow, release_v1, release_v2 = (
        uid(name, "workflow"),
        uid(name, "release", "v1"),
        uid(name, "release", "v2"),
    )
    world = World(origin=NOW)
    uuids: list[str] = []
    for index, outcome in enumerate(OUTCOMES):
        company = COMPANIES[index]
        run_uuid = uid(name, "run", str(index))
        uuids.append(run_uuid)
        age = (
            timedelta(minutes=3 + 2 * index)
            if index < 4
            else timedelta(hours=9.5 * index + (index * 37) % 11)
        )
        clock = TimelineClock(NOW - age)
        line = Timeline(0.5)
        status, error, now = "success", None, math.inf
        line.then(by["start"], output={"domain": company.lower().replace(" ", "") + ".com"})
        if outcome == "429":
            line.then(by["enrich_company"], "error", credits=1, error=RATE_LIMITED)
            status, error = "error", "Node enrich_company failed"
        else:
            line.then(by["enrich_company"], credits=1, took=1.0 + index % 3, output={"name": company})
            credits = 3 + index % 4
            if outcome == "qualify":
                line.then(by["qualify"], "error", credits=1, error=OPENAI_DOWN)
                status, error = "error", "Node qualify failed"
            else:
                line.then(by["qualify"], credits=credits, took=2.5, output={"answer": {"qualified": True}})
                if outcome == "hubspot":
                    line.then(by["sync_crm"], "error", credits=1, error=HUBSPOT_CONFLICT.format(5100 + index))
                    status, error = "error", "Node sync_crm failed"
                else:
                    line.then(by["sync_crm"], credits=1, output={"id": str(5100 + index)})
                    line.then(by["end"], took=0.2, output={"hubspotId": str(5100 + index)})
        if outcome == "pending":
            now = 0.2
        elif outcome in ("running", "cancelled"):
            now = line.steps[2].started + 0.4
        unfinished = outcome in ("pending", "running", "cancelled")
        run = timed(
            run_uuid,
            line,
            nodes=nodes,
            workflow=workflow,
            trace=uid(name, "trace", str(index)),
            clock=clock,
            record=(f"{company.lower().replace(' ', '-')}-{1000 + index}", company),
            status=status,
            error=error,
            finished=math.inf if unfinished else None,
            release=release_v1 if age > timedelta(days=5) else release_v2,
            user=None if index % 3 == 2 else USER,  # every third run came from a schedule
        )
        body = run.at(now)
        assert body is not None
        if outcome == "cancelled":
            done = clock.iso(now + 1.0)
            body["run"].update(status="cancelled", updatedAt=done, finishedAt=done)
        world.add_run(body)
    ids = {"workflow": workflow, "release_v1": release_v1, "release_v2": release_v2}
    return Scenario(world, uuids[4], ids, uuids)


# -- 5b. a busy workflow: more runs than a page -------------------------------------------------


def busy_workflow_world(count: int = 250) -> Scenario:
    """`count` runs of one workflow (start → enrich_company → end), for paging and sorting:
    created one minute apart over the last `count` minutes, in an order unrelated to their
    uuids (run i is `(i * 97) % count` minutes old), so `runs/list`'s pages (uuid order) are
    never newest first. Every 10th run (i % 10 == 3) failed at enrich_company with a 429, every
    17th (i % 17 == 5, unless failed) is still running, the rest succeeded; every third run
    carries `creditsUsedCount` (not in Cargo's `Run` type: a list may or may not send it).
    `children` lists every run uuid, newest first; `ids["workflow"]`."""
    name = "busy"
    g = Graph(name)
    nodes = [
        g.native("start", "start", ["enrich_company"], name="Start"),
        g.connector("enrich_company", "clearbit", "enrich_company", ["end"], name="Enrich company"),
        g.native("end", "end", [], name="End"),
    ]
    workflow = uid(name, "workflow")
    world = World(origin=NOW)
    ages: dict[str, int] = {}
    for index in range(count):
        age = (index * 97) % count
        ages[run_uuid := uid(name, "run", str(index))] = age
        clock = TimelineClock(NOW - timedelta(minutes=age + 1))
        failed, running = index % 10 == 3, index % 17 == 5 and index % 10 != 3
        steps = [
            Step(nodes[0], 0.1, 0.1, 0.2),
            Step(nodes[1], 0.3, 0.3, 1.3, "error" if failed else "success", credits=1,
                 error=RATE_LIMITED if failed else None, next_node=None if failed else nodes[2]["uuid"]),
            *([] if failed else [Step(nodes[2], 1.4, 1.4, 1.5)]),
        ]  # fmt: skip
        run = TimedRun(
            make_run(
                run_uuid,
                workspace=WORKSPACE,
                workflow=workflow,
                trace=uid(name, "trace", str(index)),
                nodes=copy.deepcopy(nodes),
                record_id=f"lead-{index}",
                record_title=f"{COMPANIES[index % len(COMPANIES)]} #{index}",
            ),
            steps,
            clock,
            started=0.1,
            finished=math.inf if running else 1.6,
            status="error" if failed else "success",
            error="Node enrich_company failed" if failed else None,
        )
        body = run.at(1.0 if running else math.inf)
        assert body is not None
        if index % 3 == 0:
            body["run"]["creditsUsedCount"] = index % 5 + 0.5
        world.add_run(body)
    newest = sorted(ages, key=lambda uuid: ages[uuid])
    return Scenario(world, newest[0], {"workflow": workflow}, newest)


# -- 6. an agent's message ---------------------------------------------------------------------


def agent_world() -> Scenario:
    """`research_account` (kind agent) ran once; its execution's `nodeMessageUuid` is a
    message with `languageModelSlug`, `usage`, `systemPrompt`, `evaluatedTools` and parts of
    every type: `step-start`, `reasoning`, `text`, a `tool-<name>` call in each state
    (`input-available`, `output-available` whose `output.runUuid` is a run of this world,
    `output-error`), a `dynamic-tool`, a `file`, a `source-url` and an unknown
    `data-weird`. Then `summarize`, a native agent node (kind native, actionSlug `agent`),
    answered under `runContext.summarize.answer`."""
    name = "agent"
    g = Graph(name)
    nodes = [
        g.native("start", "start", ["research_account"], name="Start"),
        g.agent(
            "research_account",
            ["summarize"],
            name="Research the account",
            config={"prompt": "Research {{record.title}}: size, stack, buying committee."},
        ),
        g.native(
            "summarize",
            "agent",
            ["end"],
            name="Summarize for the AE",
            config={
                "prompt": "Summarize {{nodes.research_account.answer}} in 3 bullets",
                "model": "gpt-4.1-mini",
            },
        ),
        g.native("end", "end", [], name="End"),
    ]
    by = {n["slug"]: n for n in nodes}
    workflow, trace, run_uuid = uid(name, "workflow"), uid(name, "trace"), uid(name, "run")
    message_uuid, chat_uuid = uid(name, "message"), uid(name, "chat")
    tool_run = uid(name, "tool-run")
    agent_uuid = by["research_account"]["agentUuid"]
    clock = TimelineClock(NOW - timedelta(minutes=10))
    answer = {
        "employees": 240,
        "stack": ["salesforce", "segment", "snowflake"],
        "buyingCommittee": ["Dana Whitfield (VP Sales)", "Priya Raman (Director of Growth)"],
    }
    line = Timeline()
    line.then(by["start"], output={"domain": "acme.com"})
    research = line.then(
        by["research_account"], credits=7, took=6.0, node_message=message_uuid, output={"answer": answer}
    )
    line.then(
        by["summarize"],
        took=2.0,
        output={"answer": "- 240 people, modern data stack\n- VP Sales owns the budget\n- Strong ICP fit"},
    )
    line.then(by["end"], took=0.2, output={"summary": "Strong ICP fit"})
    world = finished_world(
        timed(
            run_uuid,
            line,
            nodes=nodes,
            workflow=workflow,
            trace=trace,
            clock=clock,
            record=("acme", "Acme"),
        )
    )
    tg = Graph(name + "-tool")
    tool_nodes = [
        tg.native("start", "start", ["enrich"], name="Start"),
        tg.connector("enrich", "clearbit", "enrich_company", ["end"], name="Enrich"),
        tg.native("end", "end", [], name="End"),
    ]
    tool_line = Timeline(research.started + 1.5)
    for node in tool_nodes:
        tool_line.then(
            node, credits=1 if node["kind"] == "connector" else 0, took=0.5, output={"domain": "acme.com"}
        )
    world.add_run(
        final(
            timed(
                tool_run,
                tool_line,
                nodes=tool_nodes,
                workflow=uid(name, "tool-workflow"),
                trace=trace,
                clock=clock,
                record=("acme.com", "acme.com"),
                created=research.started + 1.4,
                parent=run_uuid,
                parent_node=by["research_account"]["uuid"],
                parent_agent=agent_uuid,
                parent_chat=chat_uuid,
                parent_message=message_uuid,
            )
        )
    )
    parts: list[Json] = [
        {"type": "step-start"},
        {
            "type": "reasoning",
            "text": "I need firmographics first, then the buying committee.",
            "state": "done",
        },
        {
            "type": "tool-enrich_company",
            "toolCallId": "call_enrich_1",
            "state": "output-available",
            "input": {"domain": "acme.com"},
            "output": {
                "outcome": "executed",
                "data": {"employees": 240},
                "runUuid": tool_run,
                "creditsUsedCount": 1,
            },
        },
        {
            "type": "tool-find_contacts",
            "toolCallId": "call_contacts_1",
            "state": "input-available",
            "input": {"domain": "acme.com", "titles": ["VP Sales", "Head of Growth"]},
        },
        {
            "type": "tool-send_email",
            "toolCallId": "call_email_1",
            "state": "output-error",
            "input": {"to": "dana.whitfield@acme.com"},
            "errorText": "Gmail: 403 Forbidden - insufficient authentication scopes",
        },
        {
            "type": "dynamic-tool",
            "toolName": "mcp_web_search",
            "toolCallId": "call_search_1",
            "state": "output-available",
            "input": {"query": "Acme Corp funding 2026"},
            "output": {
                "results": [{"title": "Acme raises Series B", "url": "https://news.example.com/acme"}]
            },
        },
        {
            "type": "file",
            "mediaType": "application/pdf",
            "filename": "acme-10k.pdf",
            "url": "https://files.example.com/acme-10k.pdf",
        },
        {
            "type": "source-url",
            "sourceId": "src-1",
            "url": "https://news.example.com/acme",
            "title": "Acme raises Series B",
        },
        {"type": "data-weird", "id": "weird-1", "data": {"anything": [1, 2, 3]}},
        {"type": "step-start"},
        {
            "type": "text",
            "text": "Acme Corp: 240 employees on Salesforce, Segment and Snowflake.",
            "state": "done",
        },
    ]
    tools = {
        "enrich_company": {"kind": "connector", "name": "enrich_company", "integrationSlug": "clearbit",
                           "connectorUuid": uid(name, "connector", "clearbit"), "actionSlug": "enrich_company", "isBulk": False},
        "find_contacts": {"kind": "tool", "name": "find_contacts", "toolUuid": uid(name, "tool", "contacts"), "isBulk": False},
        "send_email": {"kind": "connector", "name": "send_email", "integrationSlug": "gmail",
                       "connectorUuid": uid(name, "connector", "gmail"), "actionSlug": "send_email", "isBulk": False},
    }  # fmt: skip
    usage = {
        "tokensUsedCount": 9620,
        "billableTokensCount": 9620,
        "inputTokensCount": 8120,
        "outputTokensCount": 640,
        "cacheReadTokensCount": 2048,
        "cacheWriteTokensCount": 0,
        "reasoningTokensCount": 860,
        "creditsUsedCount": 7,
        "languageModelSlug": "gpt-4.1",
        "connectorUuid": uid(name, "connector", "openai"),
    }
    world.add_message(
        make_message(
            message_uuid,
            workspace=WORKSPACE,
            chat=chat_uuid,
            agent=agent_uuid,
            parts=parts,
            system_prompt="You are a B2B research assistant. Use the tools; cite sources.",
            tools=tools,
            usage=usage,
            created=clock.iso(research.started),
            finished=clock.iso(research.finished),
        )
    )
    ids = {
        "message": message_uuid,
        "tool_run": tool_run,
        "trace": trace,
        "agent_node": by["research_account"]["uuid"],
    }
    return Scenario(world, run_uuid, ids)


# -- fixtures ----------------------------------------------------------------------------------


def fixture_files() -> dict[str, Json]:
    """File name → GET-run body, for worlds 1-4 and their child runs."""
    files: dict[str, Json] = {}
    for prefix, scenario in (
        ("group_items", group_items_world()),
        ("group_batch", group_batch_world()),
        ("fallback_without_child", fallback_without_child_world()),
        ("error_run_with_fallback", error_run_with_fallback_world()),
    ):
        files[f"{prefix}_run.json"] = scenario.body()
        for number, child in enumerate(scenario.children, 1):
            files[f"{prefix}_child_{number}.json"] = scenario.body(child)
    return files


def dump(body: Json) -> str:
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def write_fixtures(folder: Path = FIXTURES) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for file_name, body in fixture_files().items():
        path = folder / file_name
        path.write_text(dump(body), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_fixtures():
        print(path)
