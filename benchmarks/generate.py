"""Deterministic synthetic GET-run responses of realistic shape, for the benchmarks.

`generate(nodes, executions, seed)` builds a response with exactly that many nodes (top-level
nodes plus the nodes of group sub-graphs) and exactly that many executions. The shape follows
docs/CARGO_RUNS (see /work/shared/CARGO_RUNS.md):

* a top-level sequence from a native `start` to a native `end`, made of blocks: single steps
  (connector, agent or tool nodes; some with a fallback that lets the run go on), branches
  (yes/no), switches (named routes), splits (A/B), filters, groups (a `config._nodes`
  sub-graph run once per item as a child run) and polling loops (check → done? → wait → check,
  a cycle);
* executions in time order: retries (failed attempts, then success), one execution per group
  item (each with `nodeRunUuid`), loop iterations, routing nodes with `nodeChildIndex` and
  `nextNodeUuid`, failures that a fallback took over;
* the run is still `running`: the last blocks are not reached yet and the last execution runs;
* long titles, multi-line errors, nested configs and prompts, `runContext[slug]` (agents put
  their answer under `answer`) and `runComputedConfigs[slug]` for every node that ran.

Every field the API documents is present (null where it does not apply), as a database row
serialised by the API would be. The same seed always gives the same bytes.

`mutate_executions(data, fraction, seed)` returns a copy with a fraction of the executions'
statuses changed (what a poll of a live run sees), and the uuids of the nodes it touched.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
import uuid as uuidlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Size:
    name: str
    nodes: int
    executions: int
    chain: bool = False
    """One long sequence of single steps (start, workers, end), each run once (`generate_chain`)."""


SIZES: dict[str, Size] = {
    "S": Size("S", 30, 100),
    "M": Size("M", 300, 5_000),
    "L": Size("L", 2_000, 20_000),
    "XL": Size("XL", 5_000, 200_000),
    # Beyond XL: XL already has 200,000 executions; what grows here is the node count. A chain
    # of 100,000 nodes, every node but the end run once (the last one is still running).
    "XXL-chain": Size("XXL-chain", 100_000, 99_999, chain=True),
}

_EPOCH = datetime(2026, 11, 20, 9, 0, 0, tzinfo=UTC)

_INTEGRATIONS: list[tuple[str, str, str]] = [
    ("hubspot", "upsert_contact", "Upsert the contact in HubSpot"),
    ("clearbit", "enrich_company", "Enrich the company"),
    ("slack", "send_message", "Tell the account owner on Slack"),
    ("salesforce", "update_record", "Update the Salesforce opportunity"),
    ("apollo", "find_people", "Find decision makers"),
    ("hunter", "find_email", "Find a verified e-mail"),
    ("gmail", "send_email", "Send the first-touch e-mail"),
    ("linkedin", "scrape_profile", "Read the LinkedIn profile"),
]
_TEMPLATES = ["lead_scoring", "icp_fit", "email_writer", "account_research", "intent_classifier"]
_TOOLS = ["dedupe_accounts", "territory_router", "normalize_domain", "compute_arr_band"]
_WORDS = [
    "account", "pipeline", "revenue", "signal", "intent", "enrichment", "contact", "domain",
    "company", "territory", "segment", "persona", "champion", "budget", "timeline", "renewal",
    "expansion", "churn", "outreach", "sequence", "meeting", "qualified", "disqualified",
    "inbound", "outbound", "enterprise", "midmarket", "startup", "region", "priority", "score",
    "owner", "handoff", "webhook", "payload", "record", "workflow", "status",
]
_COMPANIES = ["Acme Corp", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries", "Wayne Enterprises"]
_START_FIELDS = ["domain", "company", "score", "segment"]
_SEGMENTS = ["Enterprise", "Mid-market", "SMB", "Startup", "Public sector"]


def _iso(ms: int) -> str:
    moment = _EPOCH + timedelta(milliseconds=ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class _Gen:
    """Random helpers over one seeded generator."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def uuid(self) -> str:
        return str(uuidlib.UUID(int=self.rng.getrandbits(128), version=4))

    def words(self, low: int, high: int) -> str:
        return " ".join(self.rng.choice(_WORDS) for _ in range(self.rng.randint(low, high)))

    def sentence(self, low: int, high: int) -> str:
        text = self.words(low, high)
        return text[:1].upper() + text[1:] + "."

    def paragraph(self, sentences: int) -> str:
        return " ".join(self.sentence(6, 16) for _ in range(sentences))

    def chance(self, p: float) -> bool:
        return self.rng.random() < p


@dataclass
class _Step:
    """One execution to emit: the node, and how it went."""

    node: dict[str, Any]
    status: str = "success"
    child_index: int | None = None
    next_uuid: str | None = None
    run_uuid: str | None = None
    title: str | None = None
    error: str | None = None
    duration_ms: int = 400


@dataclass
class _Block:
    """Part of the top-level sequence: its nodes, how its exits link on, how it ran."""

    kind: str
    entry: dict[str, Any]
    exits: list[dict[str, Any]]
    play: Callable[[int, str | None], Iterator[_Step]]
    """Executions of the block given its extra budget and the uuid of the node after it."""
    minimum: int
    """Executions when the block runs with no extra budget."""
    extra_kind: str | None = None
    """What extra budget buys: `items` (group), `iterations` (loop, 3 each), `retries`."""
    extra: int = 0
    notes: dict[str, Any] = field(default_factory=dict)


class _RunBuilder:
    def __init__(self, nodes: int, executions: int, seed: int, *, chain: bool = False,
                 finished: bool = False) -> None:
        if nodes < 12:
            raise ValueError("a synthetic run needs at least 12 nodes")
        self.chain_only = chain
        """Only single steps, one after the other, every one reached."""
        self.finished = finished
        """The run is over (`success`): every block ran and so did the end node."""
        self.g = _Gen(seed)
        self.target_nodes = nodes
        self.target_executions = executions
        self.count = 0
        self.slugs = 0
        self.top: list[dict[str, Any]] = []
        self.context: dict[str, Any] = {}
        self.computed: dict[str, Any] = {}
        self.start_slug = "start"

    # -- nodes ------------------------------------------------------------------------------

    def ref(self, name: str) -> str:
        """A template expression reading a field of the start node's output."""
        return f"{{{{nodes.{self.start_slug}.{name}}}}}"

    def _slug(self, base: str) -> str:
        self.slugs += 1
        return f"{base}_{self.slugs}"

    def node(self, kind: str, action: str | None, name: str | None, *, top: bool = True,
             **extra: Any) -> dict[str, Any]:
        g = self.g
        base = action or extra.get("templateSlug") or kind
        node: dict[str, Any] = {
            "uuid": g.uuid(),
            "slug": self._slug(base),
            "name": name,
            "description": g.sentence(8, 20) if g.chance(0.3) else None,
            "kind": kind,
            "actionSlug": action,
            "config": extra.pop("config", {}),
            "childrenUuids": [],
            "fallbackOnFailure": False,
            "fallbackChildUuid": None,
            "position": {"x": g.rng.randint(0, 4000), "y": g.rng.randint(0, 9000)},
            "retry": None,
        }
        node.update(extra)
        self.count += 1
        if top:
            self.top.append(node)
        return node

    def native(self, action: str, name: str | None = None, *, top: bool = True,
               config: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.node("native", action, name, top=top, config=config or {})

    def worker(self, *, top: bool = True) -> dict[str, Any]:
        """A connector, agent or tool node with a realistic config."""
        g = self.g
        roll = g.rng.random()
        long_name = g.chance(0.1)
        if roll < 0.55:
            integration, action, label = g.rng.choice(_INTEGRATIONS)
            name = f"{label}: {g.words(8, 14)}" if long_name else label
            config = {
                "mapping": {f"{w}_{i}": self.ref(g.rng.choice(_START_FIELDS)) for i, w in enumerate(g.words(3, 8).split())},
                "options": {"upsert": True, "dedupeKey": "email", "batchSize": g.rng.choice([1, 10, 50])},
            }
            return self.node(
                "connector", action, name, top=top, config=config, integrationSlug=integration,
                connectorUuid=g.uuid(),
                retry={"maximumAttempts": 3, "initialInterval": 1000, "backoffCoefficient": 2},
            )
        if roll < 0.85:
            template = g.rng.choice(_TEMPLATES)
            config = {
                "prompt": g.paragraph(g.rng.randint(3, 8)) + f" Company: {self.ref('company')}.",
                "model": "gpt-4.1",
                "temperature": 0.2,
                "outputSchema": {
                    "type": "object",
                    "properties": {
                        "score": {"type": "number"},
                        "qualified": {"type": "boolean"},
                        "reason": {"type": "string", "description": g.sentence(5, 12)},
                        "signals": {"type": "array", "items": {"type": "string"}},
                    },
                },
            }
            name = f"Agent: {template.replace('_', ' ')} {g.words(6, 12) if long_name else ''}".strip()
            return self.node(
                "agent", None, name, top=top, config=config, agentUuid=g.uuid(), templateSlug=template,
                releaseUuid=g.uuid(), waitUntilFinished=True,
            )
        tool = g.rng.choice(_TOOLS)
        return self.node(
            "tool", None, f"Tool: {tool.replace('_', ' ')}", top=top,
            config={"input": {"domain": self.ref("domain"), "strict": g.chance(0.5)}},
            toolUuid=g.uuid(), templateSlug=tool, releaseUuid=g.uuid(), waitUntilFinished=g.chance(0.7),
        )

    # -- executions -------------------------------------------------------------------------

    def ok_title(self, node: dict[str, Any]) -> str:
        g = self.g
        if g.chance(0.1):
            return "✅ " + g.paragraph(3)[:240] + "…"
        return f"✅ {(node.get('name') or node['slug'])[:40]} done"

    def error_text(self, node: dict[str, Any]) -> str:
        g = self.g
        integration = node.get("integrationSlug") or node.get("templateSlug") or "cargo"
        lines = [
            f"{integration} returned 4{g.rng.randint(0, 29):02d}: {g.sentence(8, 20)}",
            f'  property "{g.rng.choice(_WORDS)}" has an invalid value [bold]{g.rng.choice(_WORDS)}[/bold]',
        ]
        for depth in range(g.rng.randint(2, 8)):
            lines.append(f"    at {g.rng.choice(_WORDS)}_{depth} (/srv/worker/{integration}.ts:{g.rng.randint(10, 900)})")
        return "\n".join(lines)

    def record_io(self, node: dict[str, Any]) -> None:
        """runContext and runComputedConfigs for a node that ran."""
        g = self.g
        slug = node["slug"]
        kind = node["kind"]
        if kind == "agent":
            self.context[slug] = {
                "answer": {
                    "score": g.rng.randint(0, 100),
                    "qualified": g.chance(0.6),
                    "reason": g.paragraph(2),
                    "signals": [g.words(2, 4) for _ in range(g.rng.randint(1, 5))],
                },
                "usage": {"inputTokens": g.rng.randint(200, 4000), "outputTokens": g.rng.randint(20, 600)},
            }
            self.computed[slug] = {**node["config"], "prompt": node["config"]["prompt"].replace(
                self.ref("company"), g.rng.choice(_COMPANIES))}
        elif kind in ("connector", "tool"):
            self.context[slug] = {
                "id": g.uuid(),
                "ok": True,
                "status": "done",
                "record": {w: g.words(1, 3) for w in g.words(3, 7).split()},
            }
            self.computed[slug] = {"mapping": {k: g.words(1, 2) for k in node["config"].get("mapping", {})}}
        elif node["actionSlug"] in ("branch", "filter", "switch", "split"):
            self.context[slug] = {"result": g.chance(0.5)}
            self.computed[slug] = {"condition": g.chance(0.5)}
        elif node["actionSlug"] == "start":
            self.context[slug] = {
                "domain": "acme.com", "company": g.rng.choice(_COMPANIES), "score": g.rng.randint(0, 100),
                "segment": g.rng.randrange(5), "contacts": [f"{w}@acme.com" for w in g.words(2, 6).split()],
            }
        elif node["actionSlug"] == "group":
            self.context[slug] = {"items": len(self.context.get(self.start_slug, {}).get("contacts", []))}
            self.computed[slug] = {"items": self.context.get(self.start_slug, {}).get("contacts", []),
                                   "concurrency": node["config"]["concurrency"]}
        else:
            self.context[slug] = {"ok": True}
            if node["config"]:
                self.computed[slug] = dict(node["config"])

    # -- blocks -----------------------------------------------------------------------------

    def step_block(self) -> _Block:
        g = self.g
        node = self.worker()
        fallback = None
        if g.chance(0.3):
            integration, action, _ = _INTEGRATIONS[2]
            fallback = self.node(
                "connector", action, "Tell the owner the step failed", config={"channel": "#sales-ops"},
                integrationSlug=integration, connectorUuid=g.uuid(),
            )
            node["fallbackChildUuid"] = fallback["uuid"]
            node["fallbackOnFailure"] = True
        fails = fallback is not None and g.chance(0.25)

        def play(extra: int, after: str | None) -> Iterator[_Step]:
            for _ in range(extra):  # failed attempts before the last one
                yield _Step(node, "error", title="❌ Attempt failed", error=self.error_text(node), duration_ms=1500)
            if fails and fallback is not None:
                yield _Step(node, "error", title="❌ Failed; fallback takes over", error=self.error_text(node))
                yield _Step(fallback, title="✅ Message sent to #sales-ops", next_uuid=after)
            else:
                yield _Step(node, title=self.ok_title(node), next_uuid=after)

        is_connector = node["kind"] == "connector"
        return _Block("step", node, [node] + ([fallback] if fallback else []), play,
                      2 if fails else 1, "retries" if is_connector else None)

    def chain(self, length: int) -> list[dict[str, Any]]:
        nodes = [self.worker() for _ in range(length)]
        for a, b in itertools.pairwise(nodes):
            a["childrenUuids"].append(b["uuid"])
        return nodes

    def routing_block(self, action: str) -> _Block:
        g = self.g
        if action == "switch":
            routes = g.rng.randint(2, 5)
            config: dict[str, Any] = {"routes": [
                {"name": f"{g.rng.choice(_SEGMENTS)} {i}", "value": f"{self.ref('segment')} == {i}"}
                for i in range(routes)
            ]}
        else:
            routes = 1 if action == "filter" else 2
            config = {"condition": {"left": self.ref("score"), "operator": ">", "right": g.rng.randint(10, 90)}}
        router = self.native(action, f"{action.title()}: {g.words(2, 5)}", config=config)
        if action == "filter":
            def play_filter(extra: int, after: str | None) -> Iterator[_Step]:
                yield _Step(router, child_index=0, next_uuid=after, title="✅ Condition is matched", duration_ms=5)

            return _Block("filter", router, [router], play_filter, 1)
        chains = [self.chain(g.rng.randint(1, 3)) for _ in range(routes)]
        for chain in chains:
            router["childrenUuids"].append(chain[0]["uuid"])
        taken = g.rng.randrange(routes)

        def play(extra: int, after: str | None) -> Iterator[_Step]:
            chain = chains[taken]
            title = "✅ Condition is matched" if taken == 0 else "❌ Condition is not matched"
            yield _Step(router, child_index=taken, next_uuid=chain[0]["uuid"], title=title, duration_ms=5)
            for position, node in enumerate(chain):
                following = chain[position + 1]["uuid"] if position + 1 < len(chain) else after
                yield _Step(node, title=self.ok_title(node), next_uuid=following)

        return _Block(action, router, [c[-1] for c in chains], play, 1 + len(chains[taken]))

    def group_block(self) -> _Block:
        g = self.g
        sub: list[dict[str, Any]] = [self.native("start", None, top=False)]
        for _ in range(g.rng.randint(2, 5)):
            sub.append(self.worker(top=False))
        sub.append(self.native("end", None, top=False))
        for a, b in itertools.pairwise(sub):
            a["childrenUuids"].append(b["uuid"])
        group = self.native(
            "group", f"For each {g.rng.choice(['contact', 'account', 'deal', 'row'])}: {g.words(2, 6)}",
            config={"items": self.ref("contacts"), "concurrency": 5, "_nodes": sub},
        )

        def play(extra: int, after: str | None) -> Iterator[_Step]:
            items = 1 + extra
            for item in range(items):
                failed = g.chance(0.02) and item < items - 1
                yield _Step(
                    group, "error" if failed else "success", run_uuid=g.uuid(),
                    next_uuid=after if item == items - 1 else None,
                    title=f"{'❌' if failed else '✅'} Item {item + 1} of {items}",
                    error=self.error_text(sub[1]) if failed else None, duration_ms=60,
                )

        return _Block("group", group, [group], play, 1, "items")

    def loop_block(self) -> _Block:
        """Poll an async job until it is done: check → done? (yes: on, no: wait → check)."""
        check = self.worker()
        status = "answer.score" if check["kind"] == "agent" else "status"
        done = self.native("branch", "Is the job done?",
                           config={"condition": f"{{{{nodes.{check['slug']}.{status}}}}} == 'done'"})
        wait = self.native("wait", "Wait 30 s", config={"seconds": 30})
        check["childrenUuids"].append(done["uuid"])
        wait["childrenUuids"].append(check["uuid"])
        done["childrenUuids"].append(None)  # yes: filled in by the next block
        done["childrenUuids"].append(wait["uuid"])

        def play(extra: int, after: str | None) -> Iterator[_Step]:
            for _ in range(extra // 3):  # each extra round: check, not done, wait
                yield _Step(check, title="⏳ Job still running", next_uuid=done["uuid"])
                yield _Step(done, child_index=1, next_uuid=wait["uuid"], title="❌ Condition is not matched",
                            duration_ms=5)
                yield _Step(wait, title="✅ Waited 30 s", next_uuid=check["uuid"], duration_ms=30_000)
            yield _Step(check, title=self.ok_title(check), next_uuid=done["uuid"])
            yield _Step(done, child_index=0, next_uuid=after, title="✅ Condition is matched", duration_ms=5)

        return _Block("loop", check, [done], play, 2, "iterations", notes={"done": done})

    # -- the run ----------------------------------------------------------------------------

    def build(self) -> dict[str, Any]:
        g = self.g
        start = self.native("start", "Start")
        self.start_slug = start["slug"]
        end_budget = 1
        blocks: list[_Block] = []
        kinds = ["group", "loop", "branch", "step", "switch", "step", "filter", "split", "step", "step"]
        index = 0
        while True:
            remaining = self.target_nodes - self.count - end_budget
            if remaining <= 0:
                break
            kind = kinds[index % len(kinds)] if index < len(kinds) else g.rng.choice(
                ["step"] * 8 + ["branch"] * 3 + ["switch", "split", "filter"] + ["group"] * 2 + ["loop"] * 2
            )
            index += 1
            if self.chain_only:
                kind = "plain"
            # The largest block is a switch of 5 routes of 3 steps (16 nodes): near the end of
            # the budget, fill up with one-node blocks.
            if remaining < 17:
                kind = "filter" if kind == "filter" else "plain"
            if kind == "plain":
                node = self.worker()
                blocks.append(_Block("step", node, [node], self._plain_play(node), 1))
            elif kind == "step":
                blocks.append(self.step_block())
            elif kind in ("branch", "switch", "split", "filter"):
                blocks.append(self.routing_block(kind))
            elif kind == "group":
                blocks.append(self.group_block())
            else:
                blocks.append(self.loop_block())
        end = self.native("end", "End", config={"variables": {"company": self.ref("company")}})
        assert self.count == self.target_nodes, (self.count, self.target_nodes)

        # Link the sequence: each block's exits lead to the next block's entry.
        exits = [start]
        for block in [*blocks, None]:
            target = end if block is None else block.entry
            for node in exits:
                children = node["childrenUuids"]
                if None in children:  # a loop's "yes" way out
                    children[children.index(None)] = target["uuid"]
                elif not children:
                    children.append(target["uuid"])
            exits = [] if block is None else block.exits

        executions = self._plan(blocks, start, end)
        return {
            "run": self._run_record("success" if self.finished else "running", executions),
            "runContext": self.context,
            "runComputedConfigs": self.computed,
        }

    def _plain_play(self, node: dict[str, Any]) -> Callable[[int, str | None], Iterator[_Step]]:
        def play(extra: int, after: str | None) -> Iterator[_Step]:
            for _ in range(extra):  # failed attempts before the last one
                yield _Step(node, "error", title="❌ Attempt failed", error=self.error_text(node), duration_ms=1500)
            yield _Step(node, title=self.ok_title(node), next_uuid=after)

        return play

    def _plan(self, blocks: list[_Block], start: dict[str, Any], end: dict[str, Any]) -> list[dict[str, Any]]:
        """Choose how far the run got and where the extra executions go; emit them in order."""
        g = self.g
        if self.finished or self.chain_only:
            reached = len(blocks)
        else:
            reached = max(1, len(blocks) - max(1, len(blocks) // 20))  # the last ~5% are not reached yet
        ran = blocks[:reached]
        # 1: the start node (and the end node, when the run is over)
        budget = self.target_executions - 1 - self.finished - sum(b.minimum for b in ran)
        if budget < 0:
            raise ValueError("too few executions for this many nodes")
        retryable = [b for b in ran if b.extra_kind == "retries"]
        for block in retryable:
            if budget > 0 and g.chance(0.15):
                block.extra = min(budget, g.rng.randint(1, 2))
                budget -= block.extra
        loops = [b for b in ran if b.extra_kind == "iterations"]
        groups = [b for b in ran if b.extra_kind == "items"]
        if loops:
            share = budget * 35 // 100 if groups else budget
            weights = [g.rng.random() + 0.2 for _ in loops]
            total = sum(weights)
            for block, weight in zip(loops, weights, strict=True):
                block.extra = int(share * weight / total) // 3 * 3
                budget -= block.extra
        if groups:
            weights = [g.rng.random() ** 2 + 0.05 for _ in groups]  # a few big groups, many small
            total = sum(weights)
            given = 0
            for block, weight in zip(groups, weights, strict=True):
                block.extra = int(budget * weight / total)
                given += block.extra
            groups[0].extra += budget - given
            budget = 0
        if budget and self.chain_only:  # spread over the chain as retries (plain steps retry too)
            for index in sorted(g.rng.sample(range(len(ran)), min(budget, len(ran)))):
                ran[index].extra += 1
                budget -= 1
        if budget:  # no group ran: give what is left to retries of the first step
            target = next((b for b in ran if b.kind in ("step", "plain")), ran[0])
            target.extra += budget

        steps: list[_Step] = [_Step(start, title="✅ Started", next_uuid=ran[0].entry["uuid"], duration_ms=1)]
        for position, block in enumerate(ran):
            after = blocks[position + 1].entry["uuid"] if position + 1 < len(blocks) else end["uuid"]
            steps.extend(block.play(block.extra, after))
        if self.finished:
            steps.append(_Step(end, title="✅ Ended", duration_ms=1))
        else:
            steps[-1].status = "running"
            steps[-1].next_uuid = None
        assert len(steps) == self.target_executions, (len(steps), self.target_executions)
        return self._executions(steps)

    def _executions(self, steps: list[_Step]) -> list[dict[str, Any]]:
        g = self.g
        clock = 0
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        for step in steps:
            node = step.node
            kind = node["kind"]
            started = clock
            clock += step.duration_ms + g.rng.randint(0, 40)
            running = step.status == "running"
            if node["uuid"] not in seen:
                seen.add(node["uuid"])
                self.record_io(node)
            out.append({
                "nodeUuid": node["uuid"],
                "nodeSlug": node["slug"],
                "nodeKind": kind,
                "nodeActionSlug": node["actionSlug"],
                "status": step.status,
                "errorMessage": step.error,
                "title": None if running else step.title,
                "iconUrl": f"https://cdn.getcargo.io/icons/{node.get('integrationSlug') or kind}.svg",
                "creditsUsedCount": {"agent": 5, "connector": 1, "tool": 2}.get(kind, 0),
                "nodeChildIndex": step.child_index,
                "nextNodeUuid": step.next_uuid,
                "nodeRunUuid": step.run_uuid,
                "nodeBatchUuid": None,
                "nodeMessageUuid": None,
                "startedAt": _iso(started),
                "updatedAt": _iso(clock),
                "finishedAt": None if running else _iso(clock),
                "nodeWaitUntilFinished": bool(node.get("waitUntilFinished")),
                "nodeConnectorUuid": node.get("connectorUuid"),
                "nodeIntegrationSlug": node.get("integrationSlug"),
                "nodeToolUuid": node.get("toolUuid"),
                "nodeAgentUuid": node.get("agentUuid"),
                "nodeReleaseUuid": node.get("releaseUuid"),
            })
        self.elapsed_ms = clock
        return out

    def _run_record(self, status: str, executions: list[dict[str, Any]]) -> dict[str, Any]:
        g = self.g
        company = g.rng.choice(_COMPANIES)
        return {
            "uuid": g.uuid(),
            "workspaceUuid": g.uuid(),
            "workflowUuid": g.uuid(),
            "userUuid": None,
            "releaseUuid": g.uuid(),
            "traceUuid": g.uuid(),
            "batchUuid": g.uuid(),
            "temporalWorkflowId": f"run-{g.uuid()}",
            "recordId": f"rec-{g.rng.randint(1, 10**9)}",
            "recordTitle": f"{company} — {g.words(3, 6)}",
            "contextS3Filename": f"contexts/{g.uuid()}.json",
            "computedConfigsS3Filename": f"computed/{g.uuid()}.json",
            "parentUuid": None,
            "parentNodeUuid": None,
            "parentBatchUuid": None,
            "parentAgentUuid": None,
            "parentChatUuid": None,
            "parentMessageUuid": None,
            "isGroupParent": True,
            "status": status,
            "errorMessage": None,
            "nodes": self.top,
            "executions": executions,
            "createdAt": _iso(0),
            "updatedAt": _iso(self.elapsed_ms),
            "finishedAt": _iso(self.elapsed_ms) if status != "running" else None,
            "deletedAt": None,
        }


def generate(nodes: int, executions: int, seed: int = 1, *, chain: bool = False,
             finished: bool = False) -> dict[str, Any]:
    """A GET-run response with exactly `nodes` nodes and `executions` executions.

    `chain`: one long sequence of single steps, every one reached (`executions` of at least
    `nodes - 1` while running, `nodes` when finished; more become retries spread over the
    chain). `finished`: the run is over (`success`): every block ran, and the end node too.
    """
    return _RunBuilder(nodes, executions, seed, chain=chain, finished=finished).build()


def generate_chain(nodes: int, seed: int = 1, *, finished: bool = False) -> dict[str, Any]:
    """A chain of `nodes` nodes, each run once (while running, the end is not reached yet)."""
    return generate(nodes, nodes if finished else nodes - 1, seed, chain=True, finished=finished)


def generate_size(size: str | Size, seed: int = 1, *, finished: bool = False) -> dict[str, Any]:
    chosen = SIZES[size] if isinstance(size, str) else size
    return generate(chosen.nodes, chosen.executions, seed, chain=chosen.chain, finished=finished)


def to_bytes(data: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON, as the API sends it."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


_NEXT_STATUS = {"success": "error", "error": "success", "running": "success", "pending": "running"}


def mutate_executions(
    data: dict[str, Any], fraction: float = 0.01, seed: int = 2
) -> tuple[dict[str, Any], set[str]]:
    """A copy of `data` with `fraction` of its executions' statuses changed.

    Only the changed executions and the containers above them are copied, so this is cheap even
    for 200k executions. Returns the new response and the uuids of the nodes whose executions
    changed.
    """
    rng = random.Random(seed)
    run = dict(data["run"])
    executions = list(run["executions"])
    count = max(1, round(len(executions) * fraction))
    touched: set[str] = set()
    for index in rng.sample(range(len(executions)), count):
        execution = dict(executions[index])
        old = execution["status"]
        new = _NEXT_STATUS.get(old, "success")
        execution["status"] = new
        execution["errorMessage"] = "Changed while polling: upstream returned 503" if new == "error" else None
        if new in ("success", "error") and execution.get("finishedAt") is None:
            execution["finishedAt"] = execution["updatedAt"]
        execution["updatedAt"] = _iso(10**8 + index)
        executions[index] = execution
        touched.add(execution["nodeUuid"])
    run["executions"] = executions
    run["updatedAt"] = _iso(10**8 + len(executions))
    return {**data, "run": run}, touched


# -- the command line ------------------------------------------------------------------------

_CLI_HELP = """Write a synthetic Cargo GET-run response (the benchmarks' runs) as compact JSON.

The same arguments and seed always give the same bytes. Examples:

    python -m benchmarks.generate L --out run_L.json
    python -m benchmarks.generate --nodes 500 --executions 4000 --seed 7 --out run.json
    python -m benchmarks.generate --chain --nodes 100000 --out chain.json   # each node run once
    python -m benchmarks.generate XXL-chain --out chain.json                 # the same
    python -m benchmarks.generate L --finished --out done.json              # the run is over
    python -m benchmarks.generate L --mutate 0.01 --out changed.json        # 1% of statuses flipped
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.generate", description=_CLI_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("size", nargs="?", help=f"a named size: {', '.join(SIZES)} (or use --nodes)")
    parser.add_argument("--nodes", type=int, help="number of nodes (top-level and group sub-graph nodes)")
    parser.add_argument("--executions", type=int,
                        help="number of executions (default: 10 per node; with --chain one per node)")
    parser.add_argument("--chain", action="store_true",
                        help="one long sequence of single steps, every one reached (no branches, groups, loops)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    state = parser.add_mutually_exclusive_group()
    state.add_argument("--running", dest="finished", action="store_false", default=False,
                       help="the run is still running: the last execution runs (the default)")
    state.add_argument("--finished", dest="finished", action="store_true",
                       help="the run is over (success): every node ran, the end node too")
    parser.add_argument("--mutate", type=float, metavar="FRACTION",
                        help="write the body a later poll would see: FRACTION of the executions' statuses "
                             "changed (0.01 is the benchmarks' 1%%-changed refresh)")
    parser.add_argument("--mutate-seed", type=int, default=2, help="seed of the mutation (default 2)")
    parser.add_argument("--out", type=Path, help="write here (default: standard output)")
    args = parser.parse_args(argv)

    if args.size is not None:
        if args.nodes is not None:
            parser.error("give a named size or --nodes, not both")
        chosen = next((s for name, s in SIZES.items() if name.upper() == args.size.upper()), None)
        if chosen is None:
            parser.error(f"unknown size {args.size!r} (choose from {', '.join(SIZES)})")
        nodes, chain = chosen.nodes, chosen.chain or args.chain
        executions = args.executions if args.executions is not None else chosen.executions
    elif args.nodes is not None:
        nodes, chain = args.nodes, args.chain
        if args.executions is not None:
            executions = args.executions
        elif chain:
            executions = nodes if args.finished else nodes - 1
        else:
            executions = nodes * 10
    else:
        parser.error("give a named size or --nodes")
    if chain and args.finished and executions < nodes:
        executions = nodes  # a finished chain ran its end node too
    try:
        data = generate(nodes, executions, args.seed, chain=chain, finished=args.finished)
    except ValueError as error:
        parser.error(str(error))
    touched: set[str] = set()
    if args.mutate is not None:
        if not 0 < args.mutate <= 1:
            parser.error("--mutate takes a fraction in (0, 1]")
        data, touched = mutate_executions(data, args.mutate, args.mutate_seed)
    body = to_bytes(data)
    if args.out is None:
        sys.stdout.buffer.write(body)
    else:
        args.out.write_bytes(body)
        what = f"; {len(touched)} nodes' executions changed" if args.mutate is not None else ""
        print(f"{args.out}: {nodes:,} nodes, {executions:,} executions, {len(body) / 2**20:.1f} MiB{what}",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
