"""Where runs come from: the API, the embedded demo, or a saved file (or bundle).

Every source hands back the raw bytes of a GET-run response, so the same parsing, graph and
change detection apply to all of them. No Textual import.
"""

from __future__ import annotations

import json
import os
import re
import sys
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import DEFAULT_MAX_BODY
from .errors import BodyTooLargeError, ConfigError, InvalidResponseError, NotFoundError
from .models import loads_any

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


def bundle_bytes(root: bytes, children: dict[str, bytes]) -> bytes:
    """A bundle: the root response with the child runs opened in the session added.

    A run that was itself read from a bundle is stored without that bundle's runs: they are
    all at the top level, so bundles never nest.
    """
    data = json.loads(root)
    if not isinstance(data, dict):
        raise InvalidResponseError("the run to save is not a JSON object")
    runs: dict[str, Any] = {}
    for uuid, body in children.items():
        response = json.loads(body)
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
