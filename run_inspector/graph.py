"""The run graph: nodes, edges with their meaning, and what happened to each node.

Pure Python (no Textual). `RunGraph.build(parsed)` turns a parsed response into `states`: one
`NodeState` per node (its executions in order, aggregate status, attempts, credits, first
error, duration, child runs, which child was taken), the labelled edges between them, the
anomalies of the data, and a `RunSummary`. How the graph is drawn as a tree is `layout.py`'s
business; the graph is the data every view reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import TypeAdapter, ValidationError

from .models import (
    ACTIVE_STATUSES,
    FAILED_STATUSES,
    RUN_STATUSES,
    TERMINAL_STATUSES,
    Anomaly,
    Execution,
    Node,
    ParsedResponse,
    RunResponse,
    collector_paused,
)
from .resources import TRACE_VERDICTS, Lineage

NOT_REACHED = "not_reached"
"""Aggregate status of a node with no execution."""
IN_CHILD_RUNS = "in_child_runs"
"""Aggregate status of a group sub-graph node: it runs inside the group's child runs."""

ROUTING_ACTIONS = frozenset({"branch", "switch", "split", "filter"})
NODE_KINDS = frozenset({"native", "connector", "tool", "agent"})
_KNOWN_STATUSES = frozenset(RUN_STATUSES)

_NODE_LIST = TypeAdapter(list[Node])
"""Validates a group's `config._nodes` sub-graph in one call."""


class EdgeKind(StrEnum):
    NEXT = "next"
    ROUTE = "route"
    FALLBACK = "fallback"


@dataclass
class Edge:
    source: str
    target: str | None
    kind: EdgeKind
    index: int | None
    label: str | None
    taken: bool | None = None
    """True: the run went this way. False: the source ran and went elsewhere. None: unknown."""
    continues: bool = False
    """For a fallback edge: whether `fallbackOnFailure` lets the run go on."""


@dataclass(frozen=True)
class ItemCounts:
    """A node that ran once per item (a group, or executions that started different runs):
    how many items there are and how they ended. None: not known yet."""

    total: int | None
    done: int | None
    failed: int | None
    active: int | None
    source: str
    """Where the counts come from: `executions` (one per item in this run), `batch` (the
    group's batch), `list` (the item runs listed), or `config` (only `config.items`)."""


@dataclass(frozen=True)
class FailureOutcome:
    """What the run did after a node failed, decided from the evidence in the response."""

    fallback: str | None
    """The fallback node, when it ran."""
    went_on_to: str | None
    """A node the run went on to after the failure (the fallback aside); None: none ran."""
    evidence: str
    """How that is known, in words: `next node` (the failed execution names where the run went
    next), `executions` (a node after it ran later), or `nothing ran after it`."""

    @property
    def stopped(self) -> bool:
        return self.went_on_to is None


@dataclass
class NodeState:
    """A node and what happened to it in this run."""

    uuid: str
    node: Node | None
    """None for executions whose node is not in the graph."""
    scope: str | None = None
    """The uuid of the group node whose sub-graph holds this node (None: the top level)."""
    executions: list[Execution] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)
    status: str = NOT_REACHED
    attempts: int = 0
    credits: float = 0.0
    first_error: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    child_runs: list[str] = field(default_factory=list)
    taken_indexes: list[int] = field(default_factory=list)
    sub_nodes: int = 0
    """For a group node: how many nodes its `config._nodes` sub-graph has."""
    items: ItemCounts | None = None
    """For a node that ran once per item: the items (None: the executions are attempts)."""
    batch_uuid: str | None = None
    """The batch its items ran in (a group whose execution started a batch)."""
    outcome: FailureOutcome | None = None
    """For a failed node: what the run did next."""

    @property
    def slug(self) -> str | None:
        if self.node is not None and self.node.slug:
            return self.node.slug
        for execution in self.executions:
            if execution.node_slug:
                return execution.node_slug
        return None

    @property
    def title(self) -> str:
        """Name, else slug, else uuid: what a person calls this node."""
        if self.node is not None and self.node.name:
            return self.node.name
        return self.slug or self.uuid

    @property
    def kind(self) -> str | None:
        if self.node is not None and self.node.kind:
            return self.node.kind
        return self.executions[0].node_kind if self.executions else None

    @property
    def action(self) -> str | None:
        if self.node is not None and self.node.action_slug:
            return self.node.action_slug
        if self.node is not None:
            for value in (self.node.template_slug, self.node.integration_slug):
                if value:
                    return value
        return self.executions[0].node_action_slug if self.executions else None

    @property
    def kind_action(self) -> str:
        return "/".join(part for part in (self.kind, self.action) if part) or "?"

    @property
    def is_routing(self) -> bool:
        return self.kind == "native" and self.action in ROUTING_ACTIONS

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES

    @property
    def duration(self) -> float | None:
        return duration_between(self.started_at, self.finished_at)

    @property
    def fallback_edge(self) -> Edge | None:
        for edge in self.edges:
            if edge.kind is EdgeKind.FALLBACK:
                return edge
        return None

    @property
    def fallback_took_over(self) -> bool:
        edge = self.fallback_edge
        return bool(self.failed and edge is not None and edge.taken)

    @property
    def is_agent(self) -> bool:
        """An agent node (kind `agent`, or a native `agent` action): it answers under `.answer`."""
        return self.kind == "agent" or (self.kind == "native" and self.action == "agent")


@dataclass
class RunSummary:
    uuid: str | None
    record_title: str | None
    status: str
    verdict: str
    """`ok`, `degraded` (succeeded through a fallback), `failed`, `cancelled`, `running`..."""
    created_at: datetime | None
    finished_at: datetime | None
    elapsed: float | None
    credits: float
    counts: dict[str, int]
    first_failed: str | None
    nodes_total: int
    nodes_reached: int
    nodes_done: int
    error_message: str | None
    verdict_source: str = "inferred"
    """`cargo` when the verdict is the trace's (Cargo's own), `inferred` when worked out here."""
    lineage_credits: float | None = None
    """Credits of the run and every run it started (the trace's), when known."""


_NO_START = datetime.min.replace(tzinfo=UTC)


def _when(execution: Execution) -> tuple[bool, datetime]:
    """Sort key: executions in start order (a naive time counts as UTC), those without one last.

    Compares datetimes rather than their timestamps: `timestamp()` on the aware datetimes that
    pydantic makes costs a Python-level `utcoffset` call each, and this key runs once per
    execution.
    """
    moment = execution.started_at
    if moment is None:
        return (True, _NO_START)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (False, moment)


def duration_between(start: datetime | None, finish: datetime | None) -> float | None:
    """Seconds from `start` to `finish` (never negative), or None when either is unknown."""
    if start is None or finish is None:
        return None
    return max((finish - start).total_seconds(), 0.0)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


_NEVER = datetime.max.replace(tzinfo=UTC)


def _start_or_never(execution: Execution) -> datetime:
    return execution.started_at or _NEVER


def _in_start_order(executions: list[Execution]) -> list[Execution]:
    """Executions in start order (stable; those without a start time last).

    The plain datetime key is the fast, common case. Only when naive and aware times are mixed
    (malformed data) does comparing them fail; then naive times count as UTC.
    """
    try:
        return sorted(executions, key=_start_or_never)
    except TypeError:
        return sorted(executions, key=_when)


def _earliest(moments: list[datetime]) -> datetime | None:
    if not moments:
        return None
    try:
        return _aware(min(moments))
    except TypeError:  # naive and aware mixed
        return min(m for m in map(_aware, moments) if m is not None)


def _latest(moments: list[datetime]) -> datetime | None:
    if not moments:
        return None
    try:
        return _aware(max(moments))
    except TypeError:  # naive and aware mixed
        return max(m for m in map(_aware, moments) if m is not None)


def _unknown(subject: str, what: str, value: str | None) -> str:
    if value is None:
        return f"{subject} has no {what}"
    shown = value if len(value) <= 60 else value[:59] + "…"
    return f"{subject} has the {what} “{shown}”, which Cargo does not document; shown as it is"


def aggregate_status(executions: list[Execution]) -> str:
    """The node's status: an active execution wins; else the last one's outcome (attempts: the
    last attempt decides)."""
    if not executions:
        return NOT_REACHED
    for execution in reversed(executions):
        if (execution.status or "") in ACTIVE_STATUSES:
            return execution.status or "unknown"
    return executions[-1].status or "unknown"


def items_status(executions: list[Execution]) -> str:
    """The status of a node whose executions are items: running while any runs, failed if any
    item failed (one failed item fails the node, whatever the last one did)."""
    for execution in reversed(executions):
        if (execution.status or "") in ACTIVE_STATUSES:
            return execution.status or "unknown"
    failed = next((e.status for e in executions if (e.status or "") in FAILED_STATUSES), None)
    return failed or (executions[-1].status or "unknown") if executions else NOT_REACHED


def runs_items(state: NodeState) -> bool:
    """Are the node's executions items rather than attempts? A group's are; so are executions
    that started a batch, or different runs."""
    if state.action == "group" and state.kind == "native":
        return True
    executions = state.executions
    if any(e.node_batch_uuid for e in executions):
        return True
    return len({e.node_run_uuid for e in executions if e.node_run_uuid}) > 1


def _edge_label(node: Node | None, action: str | None, index: int) -> str | None:
    """The label of child `index` of a native node doing `action` (None for other nodes)."""
    if action == "branch":
        return {0: "yes", 1: "no"}.get(index, f"#{index}")
    if action == "split":
        return {0: "A", 1: "B"}.get(index, f"#{index}")
    if action == "filter":
        return "if true" if index == 0 else f"#{index}"
    if action == "switch":
        routes = (node.config or {}).get("routes") if node is not None else None
        if isinstance(routes, list) and index < len(routes):
            route = routes[index]
            name = route.get("name") if isinstance(route, dict) else None
            if isinstance(name, str) and name:
                return name
        return f"route {index}"
    return None


def _execution_items(state: NodeState) -> ItemCounts:
    """Item counts from the node's own executions: one per item, unless they started a batch
    (then only `config.items` says how many, until the batch is read)."""
    configured = (state.node.config or {}).get("items") if state.node is not None else None
    planned = len(configured) if isinstance(configured, list) else None
    if state.batch_uuid is not None:
        return ItemCounts(planned, None, None, None, "config")
    statuses = [e.status or "" for e in state.executions]
    done = sum(status in TERMINAL_STATUSES for status in statuses)
    total = max(len(statuses), planned or 0)
    failed = sum(status in FAILED_STATUSES for status in statuses)
    return ItemCounts(total, done, failed, len(statuses) - done, "executions")


class RunGraph:
    """The graph of one run, ready to render."""

    def __init__(
        self, response: RunResponse, anomalies: list[Anomaly] | None = None, now: datetime | None = None
    ) -> None:
        self.response = response
        self.run = response.run
        self.anomalies: list[Anomaly] = list(anomalies or [])
        self.states: dict[str, NodeState] = {}
        self.unknown_node_states: list[str] = []
        self.ipdom: dict[str, str | None] = {}
        """Each node's immediate post-dominator in its scope: where the ways out of it meet again."""
        self.layouts: dict[str, Any] = {}
        """Layouts of this graph made so far, by name (`layout.py` fills it: a graph never changes)."""
        self.lineage = Lineage()
        """What the endpoints around the run said (`apply_lineage`): its trace, its batches."""
        self._now = now
        self._build()
        self.summary = self._summarise()

    @classmethod
    def build(
        cls, parsed: ParsedResponse, now: datetime | None = None, *, snapshot: bool = False
    ) -> RunGraph:
        """The graph of a parsed response. `now` is when it was fetched; a `snapshot` (a saved
        file) is as of its own `updatedAt`: a file never moves, whatever its status says."""
        if snapshot:
            run = parsed.response.run
            now = _aware(run.updated_at or run.finished_at or run.created_at) or now
        # Its states and edges form no reference cycles: as for the parse, the
        # cycle collector would only walk the run's objects again and again (~8% of --print).
        with collector_paused():
            return cls(parsed.response, parsed.anomalies, now)

    # -- states and edges -------------------------------------------------------------

    def _add_nodes(self, nodes: Iterable[Node], scope: str | None, where: str) -> list[str]:
        uuids: list[str] = []
        for position, node in enumerate(nodes):
            uuid = node.uuid or node.slug
            if not uuid:
                uuid = f"{where}[{position}]"
                self.anomalies.append(Anomaly("node-without-uuid", f"{where}[{position}] has no uuid", uuid))
            if uuid in self.states:
                original = uuid
                suffix = 2
                while f"{original}#{suffix}" in self.states:
                    suffix += 1
                uuid = f"{original}#{suffix}"
                self.anomalies.append(
                    Anomaly(
                        "duplicate-uuid",
                        f"two nodes share the uuid {original}; the second is shown as {uuid}",
                        uuid,
                    )
                )
            self.states[uuid] = NodeState(uuid=uuid, node=node, scope=scope)
            uuids.append(uuid)
            if node.kind == "native" and node.action_slug == "group":
                self._add_group(uuid, node)
        return uuids

    def _add_group(self, uuid: str, node: Node) -> None:
        raw = (node.config or {}).get("_nodes")
        if raw is None:
            return
        if not isinstance(raw, list):
            self.anomalies.append(Anomaly("bad-subgraph", "config._nodes is not a list", uuid))
            return
        try:
            sub = _NODE_LIST.validate_python(raw)  # the whole list at once: the common case
        except ValidationError:
            sub = []
            for position, item in enumerate(raw):
                try:
                    sub.append(Node.model_validate(item))
                except ValidationError:
                    self.anomalies.append(
                        Anomaly(
                            "malformed-field",
                            f"config._nodes[{position}] is not a valid node; ignored",
                            uuid,
                            f"config._nodes[{position}]",
                        )
                    )
        self.states[uuid].sub_nodes = len(sub)
        self._scopes[uuid] = self._add_nodes(sub, uuid, f"{uuid}.config._nodes")

    def _build(self) -> None:
        self._scopes: dict[str | None, list[str]] = {}
        self._scopes[None] = self._add_nodes(self.run.nodes or [], None, "run.nodes")
        if self.run.nodes is None:
            self.anomalies.append(Anomaly("no-nodes", "the run has no node list (nodes is null)"))

        states = self.states
        by_slug = {s.node.slug: uuid for uuid, s in states.items() if s.node and s.node.slug}
        for execution in _in_start_order(self.run.executions or []):
            state = states.get(execution.node_uuid) if execution.node_uuid is not None else None
            if state is None:
                state = self._owner_by_slug_or_unknown(execution, by_slug)
            state.executions.append(execution)

        for state in self.states.values():
            self._aggregate(state)
        for scope_uuids in self._scopes.values():
            for uuid in scope_uuids:
                self._link(self.states[uuid])
        for scope_uuids in self._scopes.values():
            self._find_cycles(scope_uuids)
            self.ipdom.update(_post_dominators(self, scope_uuids))
        self._flag_unknown_values()
        self._flag_unreachable()
        self._decide_outcomes()

    def _decide_outcomes(self) -> None:
        for state in self.states.values():
            state.outcome = _failure_outcome(self, state) if state.failed else None

    def apply_lineage(self, lineage: Lineage) -> bool:
        """Take what the endpoints around the run said into account: a batch's counts (and its
        failed items fail the group, whatever its execution said), the listed item runs, the
        trace's verdict and lineage credits. Returns True when a node's status changed."""
        self.lineage = lineage
        changed = False
        for state in self.states.values():
            counts = _lineage_items(state, lineage)
            if counts is None:
                continue
            state.items = counts
            status = state.status
            if counts.active:
                status = "running" if status not in ACTIVE_STATUSES else status
            elif counts.failed:
                status = "error" if status not in FAILED_STATUSES else status
            if status != state.status:
                state.status = status
                changed = True
        if changed:
            self._decide_outcomes()
        self.summary = self._summarise()
        return changed

    def entries(self, scope: str | None) -> list[str]:
        """Where a scope's walk starts: its `start` node, else the nodes nothing in it points to."""
        uuids = self.scope_nodes(scope)
        for uuid in uuids:
            node = self.states[uuid].node
            if node is not None and node.kind == "native" and node.action_slug == "start":
                return [uuid]
        members = set(uuids)
        pointed = {
            e.target for u in uuids for e in self.states[u].edges if e.target in members and e.target != u
        }
        return [u for u in uuids if u not in pointed] or uuids[:1]

    def _flag_unreachable(self) -> None:
        """A graph with no start, and each node no way leads to from a start (the first of each
        unreachable part: what leads on from it is reached from it)."""
        if self._scopes[None] and not any(
            (n := self.states[u].node) is not None and n.action_slug == "start" for u in self._scopes[None]
        ):
            self.anomalies.append(Anomaly("no-start", "the graph has no start node"))
        reached: set[str] = set()

        def reach(start: str) -> None:
            stack = [start]
            reached.add(start)
            while stack:
                for edge in self.states[stack.pop()].edges:
                    target = edge.target
                    if target is not None and target in self.states and target not in reached:
                        reached.add(target)
                        stack.append(target)

        for scope in self._scopes:
            for entry in self.entries(scope):
                if entry not in reached:
                    reach(entry)
        for uuids in self._scopes.values():
            for uuid in uuids:
                if uuid not in reached:
                    self.anomalies.append(
                        Anomaly(
                            "unreachable", f"{self.states[uuid].title} cannot be reached from the start", uuid
                        )
                    )
                    reach(uuid)

    def _flag_unknown_values(self) -> None:
        """Statuses and kinds Cargo does not document: shown as they are, flagged once per value."""
        seen: set[tuple[str, str | None]] = set()

        def flag(kind: str, value: str | None, uuid: str | None, message: str) -> None:
            if (kind, value) not in seen:
                seen.add((kind, value))
                self.anomalies.append(Anomaly(kind, message, uuid))

        if self.run.status not in _KNOWN_STATUSES:
            flag("unknown-status", self.run.status, None, _unknown("the run", "status", self.run.status))
        # Usually every execution status is a documented one: then one set says so at once.
        all_known = {e.status for e in self.run.executions or []} <= _KNOWN_STATUSES
        for uuid, state in self.states.items():
            if not all_known:
                for status in dict.fromkeys(e.status for e in state.executions):  # distinct, in order
                    if status not in _KNOWN_STATUSES:
                        where = f"an execution of {state.title[:60]}"
                        flag("unknown-status", status, uuid, _unknown(where, "status", status))
            kind = state.node.kind if state.node is not None else None
            if kind is not None and kind not in NODE_KINDS:
                flag("unknown-kind", kind, uuid, _unknown(state.title[:60], "kind", kind))

    def _owner_by_slug_or_unknown(self, execution: Execution, by_slug: dict[str, str]) -> NodeState:
        """The state of an execution whose uuid is not a node: found by slug, or a new unknown node."""
        uuid = execution.node_uuid
        if uuid is None or uuid not in self.states:
            uuid = by_slug.get(execution.node_slug or "", uuid)
        if uuid is None or uuid not in self.states:
            key = uuid or f"?{execution.node_slug or 'unknown'}"
            if key not in self.states:
                self.states[key] = NodeState(uuid=key, node=None)
                self.unknown_node_states.append(key)
                self.anomalies.append(
                    Anomaly("unknown-node", f"executions refer to node {key}, which is not in the graph", key)
                )
            uuid = key
        return self.states[uuid]

    def _find_cycles(self, uuids: list[str]) -> None:
        """Flag each edge that closes a cycle (a back edge of a depth-first walk)."""
        colour: dict[str, int] = {}  # 1: on the current path, 2: finished
        for start in uuids:
            if start in colour:
                continue
            colour[start] = 1
            stack: list[tuple[str, Iterator[Edge]]] = [(start, iter(self.states[start].edges))]
            while stack:
                current, edges = stack[-1]
                for edge in edges:
                    target = edge.target
                    if target is None or target not in self.states or target == current:
                        continue
                    if colour.get(target) == 1:
                        self.anomalies.append(
                            Anomaly(
                                "cycle",
                                f"{self.states[current].title} → {self.states[target].title} closes a cycle",
                                current,
                            )
                        )
                    elif target not in colour:
                        colour[target] = 1
                        stack.append((target, iter(self.states[target].edges)))
                        break
                else:
                    colour[current] = 2
                    stack.pop()

    def _aggregate(self, state: NodeState) -> None:
        """Status, attempts, credits, first error, times, child runs and the ways taken.

        Each field is one comprehension over the executions: a group node has one execution
        per item, so this runs over every execution of the run.
        """
        executions = state.executions
        state.attempts = len(executions)
        if state.scope is not None and not executions:
            state.status = IN_CHILD_RUNS
        elif executions and runs_items(state):
            state.status = items_status(executions)
            state.batch_uuid = next((e.node_batch_uuid for e in executions if e.node_batch_uuid), None)
            state.items = _execution_items(state)
        else:
            state.status = aggregate_status(executions)
        if not executions:
            return
        if len(executions) == 1:  # most nodes: the execution's own values, no aggregating
            self._take_one(state, executions[0])
            return
        state.credits = sum(e.credits_used_count or 0.0 for e in executions)
        errors = [e for e in executions if e.error_message]
        if errors:
            failed = next((e for e in errors if e.status != "success"), errors[0])
            state.first_error = failed.error_message
        state.child_runs = list(dict.fromkeys(e.node_run_uuid for e in executions if e.node_run_uuid))
        state.taken_indexes = list(
            dict.fromkeys(e.node_child_index for e in executions if e.node_child_index is not None)
        )
        state.started_at = _earliest([e.started_at for e in executions if e.started_at is not None])
        if state.status in TERMINAL_STATUSES:
            state.finished_at = _latest([e.finished_at for e in executions if e.finished_at is not None])

    def _take_one(self, state: NodeState, execution: Execution) -> None:
        """`_aggregate` for a node that ran once."""
        state.credits = execution.credits_used_count or 0.0
        state.first_error = execution.error_message or None
        if execution.node_run_uuid:
            state.child_runs = [execution.node_run_uuid]
        if execution.node_child_index is not None:
            state.taken_indexes = [execution.node_child_index]
        state.started_at = _aware(execution.started_at)
        if state.status in TERMINAL_STATUSES:
            state.finished_at = _aware(execution.finished_at)

    def _link(self, state: NodeState) -> None:
        node = state.node
        if node is None:
            return
        children = node.children_uuids or []
        action = state.action if state.kind == "native" else None
        routing = action in ROUTING_ACTIONS  # state.is_routing, with the action kept for the labels
        ran = bool(state.executions) and state.status not in ACTIVE_STATUSES
        next_uuids = {e.next_node_uuid for e in state.executions if e.next_node_uuid}
        for index, child in enumerate(children):
            label = _edge_label(node, action, index)
            kind = EdgeKind.ROUTE if (routing or len(children) > 1) else EdgeKind.NEXT
            taken: bool | None = None
            if ran:
                if state.taken_indexes or next_uuids:
                    taken = index in state.taken_indexes or (child is not None and child in next_uuids)
                elif not routing:
                    taken = state.status == "success"
                elif state.status in FAILED_STATUSES:
                    taken = False
            state.edges.append(Edge(state.uuid, child, kind, index, label, taken))
            if child is None:
                self.anomalies.append(Anomaly("null-child", f"child {index} is null", state.uuid))
            elif child not in self.states:
                self.anomalies.append(
                    Anomaly(
                        "dangling-child", f"child {index} points to {child}, which is not a node", state.uuid
                    )
                )
            else:
                if child == state.uuid:
                    self.anomalies.append(
                        Anomaly("self-loop", f"child {index} is the node itself", state.uuid)
                    )
                self.states[child].parents.append(state.uuid)
        fallback = node.fallback_child_uuid
        if fallback:
            target_state = self.states.get(fallback)
            taken_fb: bool | None = None
            if ran:
                taken_fb = state.failed and target_state is not None and bool(target_state.executions)
            state.edges.append(
                Edge(
                    state.uuid,
                    fallback,
                    EdgeKind.FALLBACK,
                    None,
                    "on failure",
                    taken_fb,
                    continues=bool(node.fallback_on_failure),
                )
            )
            if target_state is None:
                self.anomalies.append(
                    Anomaly(
                        "dangling-fallback",
                        f"the fallback points to {fallback}, which is not a node",
                        state.uuid,
                    )
                )
            else:
                if fallback == state.uuid:
                    self.anomalies.append(
                        Anomaly("self-fallback", "the fallback is the node itself", state.uuid)
                    )
                target_state.parents.append(state.uuid)

    # -- queries ------------------------------------------------------------------------

    def scope_nodes(self, scope: str | None) -> list[str]:
        return self._scopes.get(scope, [])

    def output_of(self, uuid: str) -> Any:
        state = self.states.get(uuid)
        return self.response.output_of(state.slug) if state is not None else None

    def input_of(self, uuid: str) -> Any:
        state = self.states.get(uuid)
        return self.response.input_of(state.slug) if state is not None else None

    def _summarise(self) -> RunSummary:
        run = self.run
        status = run.status or "unknown"
        counts: dict[str, int] = {}
        credits = 0.0
        reached = done = 0
        failed: list[tuple[tuple[int, int, float], str]] = []
        for uuid, state in self.states.items():
            counts[state.status] = counts.get(state.status, 0) + 1
            credits += state.credits
            if state.executions:
                reached += 1
                if state.status in TERMINAL_STATUSES:
                    done += 1
            if state.failed:
                when = min(_when(e) for e in state.executions) if state.executions else (2, 0.0)
                # The failure the run stopped at first; then the ones it went on after.
                went_on = state.outcome is not None and not state.outcome.stopped
                failed.append(((int(went_on), *when), uuid))
        failed.sort()
        trace = self.lineage.trace
        if trace is not None and (trace.root_run_uuid or (None if run.parent_uuid else run.uuid)) != run.uuid:
            trace = None  # the verdict of the lineage's root run, not of this one (an item, say)
        official = TRACE_VERDICTS.get(trace.status or "") if trace is not None else None
        if official is not None and not (official == "running" and status in TERMINAL_STATUSES):
            verdict, source = official, "cargo"
        elif status == "success":
            verdict, source = ("degraded" if failed else "ok"), "inferred"
        elif status == "error":
            verdict, source = "failed", "inferred"
        else:
            verdict, source = status, "inferred"
        created = _aware(run.created_at)
        finished = _aware(run.finished_at)
        end = finished
        if end is None and status not in TERMINAL_STATUSES:
            end = self._now or datetime.now(UTC)
        if end is None:
            end = _aware(run.updated_at)
        elapsed = max((end - created).total_seconds(), 0.0) if created and end else None
        return RunSummary(
            uuid=run.uuid,
            record_title=run.record_title,
            status=status,
            verdict=verdict,
            created_at=created,
            finished_at=finished,
            elapsed=elapsed,
            credits=credits,
            counts=counts,
            first_failed=failed[0][1] if failed else None,
            nodes_total=len(self.states),
            nodes_reached=reached,
            nodes_done=done,
            error_message=run.error_message,
            verdict_source=source,
            lineage_credits=trace.credits_used_count if trace is not None else None,
        )


def _lineage_items(state: NodeState, lineage: Lineage) -> ItemCounts | None:
    """Item counts from the node's batch, else from its listed item runs (when all are listed)."""
    batch = lineage.batches.get(state.batch_uuid or "") if state.batch_uuid else None
    if batch is not None and batch.runs_count is not None:
        total, done = batch.runs_count, batch.executed_runs_count
        active = max(total - (done or 0), 0) if batch.active else 0
        return ItemCounts(total, done, batch.failed_runs_count, active, "batch")
    listed = lineage.items.get(state.uuid)
    if listed is None or listed.count is None or listed.count != len(listed.runs):
        return None
    if state.items is not None and state.items.source == "executions":
        return None  # the run's own executions say it already
    statuses = [run.status or "" for run in listed.runs]
    done = sum(status in TERMINAL_STATUSES for status in statuses)
    failed = sum(status in FAILED_STATUSES for status in statuses)
    return ItemCounts(len(statuses), done, failed, len(statuses) - done, "list")


def _failure_outcome(graph: RunGraph, state: NodeState) -> FailureOutcome:
    """What the run did after `state` failed, from the evidence: where its failed execution says
    the run went next, and which nodes ran after the failure."""
    states = graph.states
    failures = [e for e in state.executions if (e.status or "") in FAILED_STATUSES] or state.executions[-1:]
    moment = _aware(failures[0].finished_at or failures[0].started_at) if failures else None
    edge = state.fallback_edge
    fallback = states.get(edge.target or "") if edge is not None else None
    fallback_uuid = fallback.uuid if fallback is not None and fallback.executions else None

    def ran_after(uuid: str | None) -> bool:
        target = states.get(uuid or "")
        if target is None or not target.executions or uuid in (state.uuid, fallback_uuid):
            return False
        started = _earliest([e.started_at for e in target.executions if e.started_at is not None])
        return moment is None or started is None or started >= moment

    children = (state.node.children_uuids or []) if state.node is not None else []
    named: list[str | None] = [e.next_node_uuid for e in failures if e.next_node_uuid]
    named += [
        children[e.node_child_index]
        for e in failures
        if e.node_child_index is not None and 0 <= e.node_child_index < len(children)
    ]
    went_on = next((uuid for uuid in named if ran_after(uuid)), None)
    if went_on is not None:
        return FailureOutcome(fallback_uuid, went_on, "next node")
    ordinary = [e.target for e in state.edges if e.kind is not EdgeKind.FALLBACK]
    after_fallback = (
        [e.target for e in fallback.edges] if fallback_uuid is not None and fallback is not None else []
    )
    went_on = next((uuid for uuid in [*ordinary, *after_fallback] if ran_after(uuid)), None)
    if went_on is not None:
        return FailureOutcome(fallback_uuid, went_on, "executions")
    return FailureOutcome(fallback_uuid, None, "nothing ran after it")


def _post_dominators(graph: RunGraph, uuids: list[str]) -> dict[str, str | None]:
    """Immediate post-dominator of each node of one scope (None: none, or the virtual exit).

    Cooper, Harvey & Kennedy's iterative algorithm on the reversed graph, with a virtual exit
    that every sink leads to. Nodes that cannot reach a sink (endless cycles) get None.
    """
    members = set(uuids)
    succ: dict[str, list[str]] = {}
    for uuid in uuids:
        succ[uuid] = list(dict.fromkeys(e.target for e in graph.states[uuid].edges if e.target in members))
    exit_key = "\x00exit"
    preds_rev: dict[str, list[str]] = {uuid: [] for uuid in uuids}  # reverse-graph successors
    rev_succ: dict[str, list[str]] = {exit_key: []}
    for uuid in uuids:
        rev_succ.setdefault(uuid, [])
        if not succ[uuid]:
            rev_succ[exit_key].append(uuid)
            preds_rev[uuid].append(exit_key)
        for target in succ[uuid]:
            rev_succ.setdefault(target, []).append(uuid)
            preds_rev[uuid].append(target)
    # Reverse post-order of the reversed graph from the exit (iterative DFS).
    order: list[str] = []
    seen = {exit_key}
    stack: list[tuple[str, Iterator[str]]] = [(exit_key, iter(rev_succ[exit_key]))]
    while stack:
        current, children = stack[-1]
        advanced = False
        for child in children:
            if child not in seen:
                seen.add(child)
                stack.append((child, iter(rev_succ.get(child, []))))
                advanced = True
                break
        if not advanced:
            stack.pop()
            order.append(current)
    order.reverse()
    index = {key: i for i, key in enumerate(order)}
    idom: dict[str, str] = {exit_key: exit_key}

    def intersect(a: str, b: str) -> str:
        while a != b:
            while index[a] > index[b]:
                a = idom[a]
            while index[b] > index[a]:
                b = idom[b]
        return a

    # A node with one way out (most of a workflow) is settled as soon as it has a value: its
    # immediate post-dominator is that way. Later rounds revisit only the other nodes.
    unsettled = order[1:]
    changed = True
    rounds = 0
    while changed and rounds < 100:
        changed = False
        rounds += 1
        revisit: list[str] = []
        for key in unsettled:
            candidates = [p for p in preds_rev[key] if p in idom]
            if not candidates:
                revisit.append(key)
                continue
            new = candidates[0]
            for other in candidates[1:]:
                new = intersect(other, new)
            if idom.get(key) != new:
                idom[key] = new
                changed = True
            if len(preds_rev[key]) > 1:
                revisit.append(key)
        unsettled = revisit
    result: dict[str, str | None] = {}
    for uuid in uuids:
        parent = idom.get(uuid)
        result[uuid] = None if parent in (None, exit_key) else parent
    return result
