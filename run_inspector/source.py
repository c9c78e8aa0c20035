"""Where runs come from: the API, the embedded demo, or a saved file (or bundle).

Every source hands back the raw bytes of a GET-run response, so the same parsing, graph and
change detection apply to all of them. The endpoints around a run (lists of runs, batches,
traces, agent messages, metrics, cancel) are asked through the source too: the API answers
them, a bundle answers what it holds (its runs), and anything else is "not available"
(`NotAvailableError`), never a fault. No Textual import.
"""

from __future__ import annotations

import json
import os
import re
import sys
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, ValidationError

from .config import DEFAULT_MAX_BODY
from .errors import (
    BodyTooLargeError,
    ConfigError,
    FetchError,
    InvalidResponseError,
    NotAvailableError,
    NotFoundError,
    UnreadableBodyError,
)
from .models import Run, loads_any
from .resources import Batch, Message, RunList, RunMetrics, Trace
from .sanitize import one_line

if TYPE_CHECKING:
    from .client import CargoClient

BUNDLE_KEY = "runInspectorBundle"
"""A saved bundle is the root run's GET-run response plus this key holding child runs, so a
bundle is still a valid response for any other reader."""


class RunSource(ABC):
    live = False
    """True when the run can change, so polling makes sense."""
    root_uuid: str
    description: str

    @abstractmethod
    async def fetch_bytes(self, run_uuid: str) -> bytes:
        """The body of `GET /orchestration/runs/{run_uuid}`; raises `FetchError`."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def body_at_hand(self) -> bytes | None:
        """The root run's body, when it can be had without waiting (a file): no event loop is
        then started for a one-shot mode. None: fetch it."""
        return None

    def saved_runs(self) -> dict[str, bytes]:
        """Runs this source holds besides the root (a bundle's), by uuid: a bundle saved from
        it keeps them."""
        return {}

    @property
    def has_lineage(self) -> bool:
        """Can it answer anything about a run besides the run (item runs, a trace)?"""
        return True

    def error_for(self, error: FetchError, run_uuid: str | None = None) -> FetchError:
        """`error`, raised while reading run `run_uuid` from this source (None: the root run),
        said as this source's fault: an API's by default; a file's (`FileReadError`, with
        the path) for a body from a file that is not a run. The poller words a body it
        cannot read as an API answer; whoever shows its error passes it through here."""
        return error

    def _not_here(self, what: str) -> NotAvailableError:
        return NotAvailableError(f"{what} is not available from {self.description}")

    async def list_runs(self, query: dict[str, Any]) -> RunList:
        """`POST /orchestration/runs/list` with `query` (its filters, `limit`, `offset`)."""
        raise self._not_here("a list of runs")

    async def get_batch(self, batch_uuid: str) -> Batch:
        raise self._not_here("the batch")

    async def get_trace(self, trace_uuid: str) -> Trace:
        raise self._not_here("the trace")

    async def get_message(self, message_uuid: str) -> Message:
        raise self._not_here("the agent's message")

    async def run_metrics(self, query: dict[str, Any]) -> RunMetrics:
        raise self._not_here("the workflow's metrics")

    async def cancel_runs(self, workflow_uuid: str, run_uuids: list[str]) -> None:
        raise self._not_here("cancelling")


M = TypeVar("M", bound=BaseModel)


def _resource(model: type[M], data: Any, key: str | None, what: str) -> M:
    """`data` (or `data[key]`) as `model`, tolerantly: unknown fields kept, a malformed answer
    a clear error."""
    value = data.get(key) if key is not None and isinstance(data, dict) else data
    if not isinstance(value, dict):
        raise InvalidResponseError(f"the answer about {what} has no {key or 'object'}", "check --api-url")
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise InvalidResponseError(
            f"the answer about {what} is malformed ({exc.error_count()} problem(s))", "check --api-url"
        ) from None


class ApiSource(RunSource):
    live = True

    def __init__(self, client: CargoClient, run_uuid: str, description: str, *, live: bool = True) -> None:
        self.client = client
        self.live = live
        self.root_uuid = run_uuid
        self.description = description

    async def fetch_bytes(self, run_uuid: str) -> bytes:
        return await self.client.fetch_run_bytes(run_uuid)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def list_runs(self, query: dict[str, Any]) -> RunList:
        data = await self.client.post_json("orchestration/runs/list", query, what="the list of runs")
        return _resource(RunList, data, None, "the list of runs")

    async def get_batch(self, batch_uuid: str) -> Batch:
        what = f"batch {one_line(batch_uuid, 80)}"
        return _resource(
            Batch,
            await self.client.get_json(_path("orchestration/batches", batch_uuid), what=what),
            "batch",
            what,
        )

    async def get_trace(self, trace_uuid: str) -> Trace:
        what = f"trace {one_line(trace_uuid, 80)}"
        return _resource(
            Trace,
            await self.client.get_json(_path("orchestration/traces", trace_uuid), what=what),
            "trace",
            what,
        )

    async def get_message(self, message_uuid: str) -> Message:
        what = f"agent message {one_line(message_uuid, 80)}"
        return _resource(
            Message,
            await self.client.get_json(_path("ai/messages", message_uuid), what=what),
            "message",
            what,
        )

    async def run_metrics(self, query: dict[str, Any]) -> RunMetrics:
        data = await self.client.post_json("orchestration/runs/metrics", query, what="the workflow's metrics")
        return _resource(RunMetrics, data, None, "the workflow's metrics")

    async def cancel_runs(self, workflow_uuid: str, run_uuids: list[str]) -> None:
        body = {"workflowUuid": workflow_uuid, "uuids": run_uuids}
        await self.client.post_json("orchestration/runs/cancel", body, what="cancelling the run")


def _path(prefix: str, uuid: str) -> str:
    """`prefix/uuid`, the id percent-encoded (it is API text; dots too, so '..' stays a name)."""
    if not uuid or uuid.strip() != uuid:
        raise InvalidResponseError("an id to ask for is empty or has spaces around it")
    return f"{prefix}/" + quote(uuid, safe="").replace(".", "%2E")


class FileSource(RunSource):
    """A saved response, or a bundle with child runs; '-' reads standard input."""

    live = False

    def __init__(self, body: bytes, description: str) -> None:
        self.body = body
        self.description = description
        self.root_uuid = "(file)"
        self._children: dict[str, bytes] | None = None
        self._is_bundle = False

    @classmethod
    def open(cls, path: str, *, max_body: int = DEFAULT_MAX_BODY) -> FileSource:
        """Read `path` ('-': standard input), at most `max_body` bytes: past it (`/dev/zero`, a
        pipe that never ends) `BodyTooLargeError`, after reading no more than one byte over."""
        description = "standard input" if path == "-" else path
        try:
            if path == "-":
                body = sys.stdin.buffer.read(max_body + 1)
            else:
                with Path(path).open("rb") as handle:
                    body = handle.read(max_body + 1)
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror or exc}", "check the path") from exc
        if len(body) > max_body:
            raise BodyTooLargeError(description, max_body)
        return cls(body, description)

    def body_at_hand(self) -> bytes:
        return self.body

    def error_for(self, error: FetchError, run_uuid: str | None = None) -> FetchError:
        if not isinstance(error, UnreadableBodyError):
            return error
        if run_uuid in (None, self.root_uuid, "(file)"):
            return error.in_file(self.description)
        return error.in_file(f"run {one_line(run_uuid, 80)} in {self.description}")

    @property
    def has_lineage(self) -> bool:
        """A bundle holds the runs that were open when it was saved; a plain file only its own."""
        self.children()
        return self._is_bundle

    def saved_runs(self) -> dict[str, bytes]:
        return self.children()

    def children(self) -> dict[str, bytes]:
        """The bundle's other runs by uuid; the file's own run is there too under its real uuid."""
        if self._children is None:
            self._children = {}
            try:
                data = loads_any(self.body)  # a huge integer or deep value in one run loses no run
            except (ValueError, RecursionError):
                data = None
            run = data.get("run") if isinstance(data, dict) else None
            if isinstance(run, dict) and isinstance(run.get("uuid"), str):
                self._children[run["uuid"]] = self.body
            bundle = data.get(BUNDLE_KEY) if isinstance(data, dict) else None
            self._is_bundle = isinstance(bundle, dict)
            runs = bundle.get("runs") if isinstance(bundle, dict) else None
            if isinstance(runs, dict):
                for uuid, response in runs.items():
                    self._children[str(uuid)] = json.dumps(response).encode()
        return self._children

    async def fetch_bytes(self, run_uuid: str) -> bytes:
        if run_uuid in (self.root_uuid, "(file)"):
            return self.body
        children = self.children()
        found = children.get(run_uuid)
        if found is None:
            hint = (
                "a bundle holds the runs that were open when it was saved"
                if self._is_bundle
                else "this file holds one run: open the child runs in the app (o), then save a bundle (s)"
            )
            raise NotFoundError(f"run {run_uuid} is not in {self.description}", hint)
        return found

    async def list_runs(self, query: dict[str, Any]) -> RunList:
        """The bundle's runs that match `query`'s run filters (a file holds no others)."""
        children = self.children()
        if not self._is_bundle:
            raise self._not_here("a list of runs")
        wanted = {key: query[key] for key in _LIST_FIELDS if query.get(key) is not None}
        statuses = set(query.get("statuses") or [])
        runs: list[Run] = []
        for body in children.values():
            try:
                data = loads_any(body)
            except (ValueError, RecursionError):
                continue
            run = data.get("run") if isinstance(data, dict) else None
            if not isinstance(run, dict) or any(run.get(key) != value for key, value in wanted.items()):
                continue
            if statuses and run.get("status") not in statuses:
                continue
            try:
                runs.append(Run.model_validate({**run, "nodes": None, "executions": []}))
            except ValidationError:
                continue
        offset = int(query.get("offset") or 0)
        limit = query.get("limit")
        page = runs[offset : offset + int(limit)] if isinstance(limit, int) else runs[offset:]
        return RunList(runs=page, count=len(runs))


_LIST_FIELDS = ("workflowUuid", "batchUuid", "parentUuid", "parentNodeUuid", "parentBatchUuid")
"""The `runs/list` filters a bundle can answer (the rest need the API)."""


def bundle_bytes(root: bytes, children: dict[str, bytes]) -> bytes:
    """A bundle: the root response with the child runs opened in the session added.

    A run that was itself read from a bundle is stored without that bundle's runs: they are
    all at the top level, so bundles never nest.
    """
    data = loads_any(root)
    if not isinstance(data, dict):
        raise InvalidResponseError("the run to save is not a JSON object")
    runs: dict[str, Any] = {}
    for uuid, body in children.items():
        response = loads_any(body)
        if isinstance(response, dict):
            response.pop(BUNDLE_KEY, None)
        runs[uuid] = response
    data[BUNDLE_KEY] = {"version": 1, "runs": runs}
    return json.dumps(data, indent=1, ensure_ascii=False).encode()


def bundle_name(run_uuid: str, number: int = 1) -> str:
    """`run-<uuid>.bundle.json` (`-2`, `-3`… before the suffix): the uuid is API text, so only
    letters, digits, `-` and `_` are kept from it, and it cannot name another directory."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", run_uuid)[:80] or "run"
    return f"run-{safe}{f'-{number}' if number > 1 else ''}.bundle.json"


def write_bundle(directory: Path, run_uuid: str, data: bytes) -> Path:
    """Write a bundle to a new file in `directory` and return its path.

    An existing file is never replaced: the next free number is added to the name. The file
    is readable by its owner only (it holds the run's data, never the token).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for number in range(1, 1000):
        path = directory / bundle_name(run_uuid, number)
        try:
            fd = os.open(path, flags, 0o600)
        except FileExistsError:
            continue
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return path
    raise FileExistsError(f"{directory / bundle_name(run_uuid)} and 998 numbered copies exist already")
