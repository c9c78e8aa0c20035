"""Small builders for runs in tests: each test states only what matters to it."""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path
from typing import Any

from run_inspector.errors import NotFoundError
from run_inspector.graph import RunGraph
from run_inspector.models import parse_run_response
from run_inspector.source import RunSource

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_data(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(fixture_bytes(name))
    return data


def graph_of(data: dict[str, Any] | bytes) -> RunGraph:
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    return RunGraph.build(parse_run_response(body))


def node(
    uuid: str,
    action: str = "step",
    children: list[str | None] | None = None,
    *,
    kind: str = "native",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "uuid": uuid,
        "slug": uuid,
        "kind": kind,
        "actionSlug": action,
        "config": extra.pop("config", {}),
        "childrenUuids": children or [],
        "fallbackOnFailure": False,
        "position": {"x": 0, "y": 0},
        **extra,
    }


def execution(uuid: str, status: str = "success", **extra: Any) -> dict[str, Any]:
    return {"nodeUuid": uuid, "nodeSlug": uuid, "status": status, "creditsUsedCount": 0, **extra}


def run_of(
    nodes: list[dict[str, Any]],
    executions: list[dict[str, Any]] | None = None,
    *,
    status: str = "success",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "run": {
            "uuid": "run-1",
            "status": status,
            "nodes": nodes,
            "executions": executions or [],
            "createdAt": "2026-11-20T09:00:00Z",
            "finishedAt": "2026-11-20T09:00:10Z",
            **extra,
        },
        "runContext": {},
        "runComputedConfigs": {},
    }


def chain(n: int) -> dict[str, Any]:
    """start → s1 → … → end, all successful."""
    uuids = ["start", *(f"s{i}" for i in range(1, n + 1)), "end"]
    nodes = [
        node(
            u,
            "start" if u == "start" else "end" if u == "end" else "step",
            [uuids[i + 1]] if i + 1 < len(uuids) else [],
        )
        for i, u in enumerate(uuids)
    ]
    return run_of(nodes, [execution(u) for u in uuids])


def mutate(data: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(data)


class ScriptedSource(RunSource):
    """Answers each fetch with the next scripted body or error (the last one repeats)."""

    live = True
    root_uuid = "run-1"
    description = "script"

    def __init__(self, *answers: bytes | Exception) -> None:
        self.answers = list(answers)
        self.calls = 0

    async def fetch_bytes(self, run_uuid: str) -> bytes:
        if run_uuid != self.root_uuid:  # another run (an item, a child): not in the script
            raise NotFoundError(f"run {run_uuid} is not in the script")
        answer = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        if isinstance(answer, Exception):
            raise answer
        return answer


class PushSource(RunSource):
    """A live run whose answers the test hands over one at a time (`push`): each fetch waits
    for the next one, so the real poller takes exactly what the test pushes, when it pushes it."""

    live = True
    description = "pushed"

    def __init__(self, root_uuid: str = "run-failed-0001") -> None:
        self.root_uuid = root_uuid
        self.answers: asyncio.Queue[bytes | Exception] = asyncio.Queue()
        self.fetches = 0
        """Fetches started (the one waiting for an answer included)."""

    def push(self, answer: dict[str, Any] | bytes | Exception) -> None:
        self.answers.put_nowait(json.dumps(answer).encode() if isinstance(answer, dict) else answer)

    async def fetch_bytes(self, run_uuid: str) -> bytes:
        if run_uuid != self.root_uuid:  # another run (an item, a child): nothing was pushed for it
            raise NotFoundError(f"run {run_uuid} was not pushed")
        self.fetches += 1
        answer = await self.answers.get()
        if isinstance(answer, Exception):
            raise answer
        return answer
