"""Parse successive bodies of a live run in small steps, reusing what did not change.

`parse_run_response` validates a whole body in one `model_validate_json` call: ~85 ms on a
2,000-node run and ~0.8 s at 200k executions, all of it holding the GIL, so even from a worker
thread it freezes the TUI's event loop. `IncrementalParser.parse(body)` returns exactly what
`parse_run_response(body)` returns (equal models, the same anomalies and size), but:

* **small steps.** It walks the top-level object and the `run` object itself and steps into
  the four big containers: `run.nodes`, `run.executions` (lists), `runContext` and
  `runComputedConfigs` (objects keyed by slug). Each element's boundaries are found with
  `bytes.find`/`bytes.count` (a flat object) or a regex over strings and brackets (a nested
  one); elements are then validated by pydantic in batches of ~256 KiB of JSON
  (`TypeAdapter(list[Execution]).validate_json`, a few ms each). Everything else (the run's
  scalar fields, unknown keys) stays in a small "shell" document, validated whole, and the
  validated containers are put into the shell's models. No call holds the GIL for long
  unless a single element is huge. It works on the bytes as they are: there is no
  decode of the body, and the previous body (which the poller keeps anyway) is all the text
  it holds.
* **reuse.** For each container it keeps the previous body's element offsets and parsed
  objects. In a new body, runs of old elements are compared byte for byte at the current
  position (galloping: 1, 2, 4, ... up to 1,024 elements per `startswith`); an element
  that matches is reused as it is (the same `Execution`, `Node`, or output value) without
  decoding or validating it. A changed element is scanned; before validating it, it is
  looked up among the old elements near its index (an insertion or removal shifts them by
  one), and after several misses in a row among all old elements (by hash, then compared).
  Appended executions and statuses changed in place, what a running run sends, cost only
  their own validation.
* **exact, or the tolerant parser.** Every byte of the body is checked, by the walk itself
  (structure, separators, keys) or by pydantic's JSON parser (the shell and each element,
  the same parser as the fast path). Anything unexpected (not JSON, invalid UTF-8, a
  container of another type, a `ValidationError` in any piece, a repeated key where it
  would change the answer, nesting near the JSON parser's depth limit, no `run` object)
  falls back to `parse_run_response(body)`, with its anomalies and errors, and forgets the
  reuse state.

The first body has nothing to reuse: by default it goes through `RunResponse.model_validate_json`
(the fast path; one long call, before the first paint), and `index()` then walks that body
in small steps to learn its offsets (or the next `parse` does it first). With
`first="stepped"` the first body is parsed in small steps too (no long call; 1.4-1.8x the CPU
of `json.loads`).

The cycle collector is paused for the whole parse (as `parse_run_response` does); the
young-generation collection that follows covers what the parse made: ~5 ms on 200k executions
after a 1% change, ~60 ms after a step-wise first parse of that size (`gc.freeze()` after a
snapshot, the poller's call, would avoid it).

Parsed objects are shared between successive results: nothing in run_inspector mutates an
`Execution`, a `Node` or an output value after parsing.

No Textual import: this is core code, meant to run in a worker thread (one call at a time;
a lock enforces it).
"""

from __future__ import annotations

import json
import re
import threading
import time
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from pydantic import TypeAdapter, ValidationError

from .models import Execution, Node, ParsedResponse, RunResponse, collector_paused, parse_run_response

if TYPE_CHECKING:
    Offsets: TypeAlias = array[int]
    """Byte offsets in a body: an array, not a list, so that the cycle collector has nothing to
    visit (lists of 200k ints made the young-generation collection after a parse take 15 ms)."""
StepCallback = Callable[[str, float], None]
"""Called after each step that runs a long-ish C call: (what, seconds)."""

BATCH_BYTES = 256 * 1024
"""JSON bytes validated per pydantic call: ~1 ms for executions on the benchmark machine."""
MAX_BLOCK = 1024
"""At most this many old elements compared in one `startswith` (~0.7 MB for executions)."""
DEPTH_LIMIT = 160
"""Nesting at which to give up: pydantic's JSON parser refuses a body nested deeper than ~200,
and a piece validated alone sits shallower than in the body, so it could be accepted where the
fast path refuses the whole body."""
MISSES_BEFORE_LOOKUP = 8
"""Changed elements in a row (with old elements left) before all old elements are hashed."""

_LIST_KEYS = {"nodes": "nodes", "executions": "executions"}
_DICT_KEYS = {
    "runContext": "run_context",
    "run_context": "run_context",
    "runComputedConfigs": "run_computed_configs",
    "run_computed_configs": "run_computed_configs",
}
_WS = frozenset(b" \t\n\r")
_AFTER_VALUE = frozenset(b" \t\n\r,]}")
_WS_RUN = re.compile(rb"[ \t\n\r]*")
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_SCALAR = re.compile(rb"[-+.0-9A-Za-z]+")
_SKIP = re.compile(rb'[^"\[\]{}]*(?:"[^"\\]*(?:\\.[^"\\]*)*"[^"\[\]{}]*)*', re.S)
_OPEN_BRACE, _CLOSE_BRACE, _OPEN_BRACKET, _CLOSE_BRACKET = 0x7B, 0x7D, 0x5B, 0x5D
_QUOTE, _COMMA, _COLON = 0x22, 0x2C, 0x3A

_ADAPTERS: dict[str, TypeAdapter[Any]] = {
    "nodes": TypeAdapter(list[Node]),
    "executions": TypeAdapter(list[Execution]),
    "run_context": TypeAdapter(dict[str, Any]),
    "run_computed_configs": TypeAdapter(dict[str, Any]),
}
_PLACEHOLDER = {"nodes": b"[]", "executions": b"[]", "run_context": b"{}", "run_computed_configs": b"{}"}


class _Surprise(Exception):
    """Something the step-wise parse does not handle: use the tolerant parser instead."""


@dataclass
class ContainerStats:
    """What one parse did with one container's elements."""

    elements: int = 0
    reused: int = 0
    """Byte-identical to the old element at the same place: taken as they were."""
    moved: int = 0
    """Changed place (an insertion or removal before them) but found among the old elements."""
    validated: int = 0
    """New or changed: scanned, then validated (in `index_stats`: every element scanned)."""
    lookups: int = 0
    """How many times all old elements were hashed to find moved ones (0 or 1)."""


@dataclass
class ParseStats:
    """What the last `parse` (or `index`) did, for tests and the benchmark."""

    mode: str = ""
    """`fast` (first body, one call), `stepped` (no reuse state), `incremental`, `fallback`
    (the tolerant parser), `index`."""
    containers: dict[str, ContainerStats] = field(default_factory=dict)
    steps: int = 0
    longest_step: float = 0.0
    longest_step_name: str = ""
    surprise: str = ""
    """Why the step-wise parse gave up, when it did."""

    @property
    def validated(self) -> int:
        return sum(c.validated for c in self.containers.values())

    @property
    def reused(self) -> int:
        return sum(c.reused + c.moved for c in self.containers.values())


@dataclass
class _Container:
    """One container of one body: where each element is in the body, and what it became."""

    starts: Offsets
    ends: Offsets
    items: list[Any]
    """`Node`/`Execution` for the lists, `(slug, value)` for the objects."""


_NOT_YET = object()
_NO_OFFSETS: Offsets = array("q")


class IncrementalParser:
    """`parse_run_response` for successive bodies of one run, in small steps, with reuse.

    One instance per run being polled. Calls are serialised (a lock); the intended use is a
    worker thread: `parse(body)` for every new body, and optionally `index()` in the
    background after the first one is shown.
    """

    def __init__(
        self,
        *,
        first: Literal["fast", "stepped"] = "fast",
        on_step: StepCallback | None = None,
        batch_bytes: int = BATCH_BYTES,
    ) -> None:
        self.first = first
        self.on_step = on_step
        self.batch_bytes = batch_bytes
        self.stats = ParseStats()
        self._lock = threading.Lock()
        self._body: bytes | None = None
        self._containers: dict[str, _Container] = {}
        self._pending: tuple[bytes, dict[str, list[Any]]] | None = None
        """A body parsed on the fast path whose offsets are not known yet (see `index`), and its
        containers' elements as parsed (copies: the caller owns the response's lists)."""
        self.index_stats = ParseStats()
        """What the last `index` (or the one `parse` ran first) did."""

    # -- public ----------------------------------------------------------------------------

    def parse(self, body: bytes | str) -> ParsedResponse:
        """What `parse_run_response(body)` returns, computed in small steps where it can."""
        with self._lock:
            self.stats = ParseStats()
            size = len(body)
            if isinstance(body, str):
                try:
                    raw = body.encode("utf-8")
                except UnicodeEncodeError:
                    return self._fallback(body, "the text is not valid Unicode")
            else:
                raw = bytes(body)
            if self._body is None and self._pending is not None:
                self._index_pending()
            if self._body is None and self.first == "fast":
                return self._first_fast(body, raw, size)
            self.stats.mode = "stepped" if self._body is None else "incremental"
            try:
                with collector_paused():
                    response, containers = self._walk(raw, validate=True)
            except _Surprise as surprise:
                self.stats.surprise = str(surprise)
                return self._fallback(body, str(surprise))
            assert response is not None
            self._body = raw
            self._containers = containers
            self._pending = None
            return ParsedResponse(response, [], size)

    def index(self) -> bool:
        """Learn the offsets of the body the last `parse` read on the fast path, in small steps.

        Cheap to call from a background thread after the first paint; `parse` calls it itself
        when it was not. Returns True when the next `parse` can reuse that body's work.
        """
        with self._lock:
            return self._index_pending()

    def reset(self) -> None:
        """Forget the previous body: the next `parse` starts from nothing."""
        with self._lock:
            self._forget()

    @property
    def has_state(self) -> bool:
        """True when the next `parse` has a previous body to reuse (or one waiting for `index`)."""
        return self._body is not None or self._pending is not None

    # -- first body, fallback, index ---------------------------------------------------------

    def _first_fast(self, body: bytes | str, raw: bytes, size: int) -> ParsedResponse:
        self.stats.mode = "fast"
        try:
            with collector_paused(), self._step("fast path: model_validate_json"):
                response = RunResponse.model_validate_json(raw)
        except (ValidationError, ValueError, RecursionError):
            return self._fallback(body, "the fast path refused the body")
        self._pending = (raw, _parsed_containers(response))
        return ParsedResponse(response, [], size)

    def _fallback(self, body: bytes | str, why: str) -> ParsedResponse:
        self._forget()
        self.stats.mode = "fallback"
        self.stats.surprise = self.stats.surprise or why
        with self._step("fallback: parse_run_response"):
            return parse_run_response(body)

    def _forget(self) -> None:
        self._body = None
        self._containers = {}
        self._pending = None

    def _index_pending(self) -> bool:
        if self._pending is None:
            return self._body is not None
        raw, known = self._pending
        self._pending = None
        saved = self.stats
        self.stats = ParseStats(mode="index")
        try:
            _, containers = self._walk(raw, validate=False)
        except _Surprise as surprise:
            self.stats.surprise = str(surprise)
            self._forget()
            return False
        finally:
            index_stats, self.stats = self.stats, saved
        self.index_stats = index_stats
        usable: dict[str, _Container] = {}
        for name, container in containers.items():
            items = known.get(name)
            # Element i is the i-th parsed one when the counts agree (a repeated slug makes the
            # parsed dict shorter: then that container is not reused).
            if items is not None and len(items) == len(container.starts):
                container.items = items
                usable[name] = container
        self._body = raw
        self._containers = usable
        return True

    # -- the walk ------------------------------------------------------------------------------

    def _walk(self, buf: bytes, *, validate: bool) -> tuple[RunResponse | None, dict[str, _Container]]:
        """Walk the body; step into the containers; validate the rest as one small shell."""
        try:
            return _Walk(self, buf, validate).run()
        except (IndexError, ValueError, UnicodeDecodeError, RecursionError) as exc:
            # ValidationError is a ValueError: a piece that does not validate, or JSON that
            # pydantic's parser refuses.
            raise _Surprise(f"{type(exc).__name__} while walking the body") from exc

    @contextmanager
    def _step(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            took = time.perf_counter() - start
            stats = self.stats
            stats.steps += 1
            if took > stats.longest_step:
                stats.longest_step = took
                stats.longest_step_name = name
            if self.on_step is not None:
                self.on_step(name, took)


def _parsed_containers(response: RunResponse) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    if isinstance(response.run.nodes, list):
        out["nodes"] = list(response.run.nodes)
    if isinstance(response.run.executions, list):
        out["executions"] = list(response.run.executions)
    if isinstance(response.run_context, dict):
        out["run_context"] = list(response.run_context.items())
    if isinstance(response.run_computed_configs, dict):
        out["run_computed_configs"] = list(response.run_computed_configs.items())
    return out


class _Walk:
    """One pass over one body (a new object per parse keeps the state obvious)."""

    def __init__(self, parser: IncrementalParser, buf: bytes, validate: bool) -> None:
        self.parser = parser
        self.buf = buf
        self.validate = validate
        self.old_buf = parser._body if validate else None
        self.old = parser._containers if validate else {}
        self.cuts: list[tuple[int, int, bytes]] = []
        """Where a container's value was cut out of the shell, and what stands in for it."""
        self.containers: dict[str, _Container] = {}
        self.pos = 0
        """Where the value the walk just read ends."""
        self.has_run = False

    # -- structure -----------------------------------------------------------------------------

    def ws(self, pos: int) -> int:
        if self.buf[pos] in _WS:
            end: int = _WS_RUN.match(self.buf, pos).end()  # type: ignore[union-attr]
            return end
        return pos

    def key(self, pos: int) -> tuple[str, int]:
        """A member's key at `pos` (its opening quote), and the position after the colon."""
        match = _STRING.match(self.buf, pos)
        if match is None:
            raise _Surprise("a key is not a string")
        key = json.loads(match.group().decode("utf-8"))
        if not isinstance(key, str):  # pragma: no cover - a JSON string decodes to str
            raise _Surprise("a key is not a string")
        pos = self.ws(match.end())
        if self.buf[pos] != _COLON:
            raise _Surprise("no colon after a key")
        return key, self.ws(pos + 1)

    def value_end(self, pos: int, depth: int) -> int:
        """The end of the JSON value at `pos`, which sits `depth` containers deep."""
        buf = self.buf
        first = buf[pos]
        if first == _OPEN_BRACE:
            # A flat object (an execution): its first '}' ends it when nothing before it can
            # hide one (no escape, no nested container, and an even number of quotes).
            end = buf.find(b"}", pos)
            if (
                end > 0
                and buf.find(b"\\", pos, end) < 0
                and buf.find(b"{", pos + 1, end) < 0
                and buf.find(b"[", pos, end) < 0
                and not buf.count(b'"', pos, end) & 1
            ):
                return end + 1
            return self.nested_end(pos, depth)
        if first == _OPEN_BRACKET:
            return self.nested_end(pos, depth)
        match = _STRING.match(buf, pos) if first == _QUOTE else _SCALAR.match(buf, pos)
        if match is None:
            raise _Surprise("not a JSON value")
        return match.end()

    def nested_end(self, pos: int, depth: int) -> int:
        """The end of a nested container: count brackets, skipping strings."""
        buf = self.buf
        skip = _SKIP.match
        level = 0
        while True:
            char = buf[pos]
            if char in (_OPEN_BRACE, _OPEN_BRACKET):
                level += 1
                if depth + level > DEPTH_LIMIT:
                    raise _Surprise("nested too deep")
            elif char in (_CLOSE_BRACE, _CLOSE_BRACKET):
                level -= 1
                if level == 0:
                    return pos + 1
            else:
                raise _Surprise("an unterminated string")
            pos = skip(buf, pos + 1).end()  # type: ignore[union-attr]

    def members(self, pos: int) -> Iterator[tuple[str, int]]:
        """The members of the object at `pos`: yields (key, value position); the caller sets
        `self.pos` to the end of each value."""
        buf = self.buf
        pos = self.ws(pos + 1)
        if buf[pos] == _CLOSE_BRACE:
            self.pos = pos + 1
            return
        while True:
            if buf[pos] != _QUOTE:
                raise _Surprise("a key is not a string")
            key, pos = self.key(pos)
            yield key, pos
            pos = self.ws(self.pos)
            char = buf[pos]
            if char == _COMMA:
                pos = self.ws(pos + 1)
            elif char == _CLOSE_BRACE:
                self.pos = pos + 1
                return
            else:
                raise _Surprise("no comma or '}' after a member")

    def run(self) -> tuple[RunResponse | None, dict[str, _Container]]:
        buf = self.buf
        start = self.ws(0)
        if buf[start] != _OPEN_BRACE:
            raise _Surprise("the body is not a JSON object")
        seen: set[str] = set()
        for key, pos in self.members(start):
            if key == "run" or key in _DICT_KEYS:
                # A repeated key, or `runContext` next to `run_context` (the same field): which
                # one wins is pydantic's business, and the walk would get it wrong. Other
                # repeated keys stay in the shell, where pydantic sees them as in the body.
                self.once(_DICT_KEYS.get(key, key), seen)
            if key == "run" and buf[pos] == _OPEN_BRACE:
                self.run_object(pos)
            elif key in _DICT_KEYS and buf[pos] == _OPEN_BRACE:
                self.step_into(_DICT_KEYS[key], pos, 1)
            else:
                self.pos = self.value_end(pos, 1)
        if _WS_RUN.match(buf, self.pos).end() != len(buf):  # type: ignore[union-attr]
            raise _Surprise("text after the JSON object")
        if not self.has_run:
            raise _Surprise("no run object")
        if not self.validate:
            return None, self.containers
        return self.assemble(), self.containers

    def once(self, name: str, seen: set[str]) -> None:
        if name in seen:
            raise _Surprise(f"{name} is given twice")
        seen.add(name)

    def run_object(self, start: int) -> None:
        buf = self.buf
        self.has_run = True
        seen: set[str] = set()
        for key, pos in self.members(start):
            if key in _LIST_KEYS:
                self.once(key, seen)
            if key in _LIST_KEYS and buf[pos] == _OPEN_BRACKET:
                self.step_into(_LIST_KEYS[key], pos, 2)
            else:
                self.pos = self.value_end(pos, 2)

    # -- containers ----------------------------------------------------------------------------

    def step_into(self, name: str, start: int, depth: int) -> None:
        """Read one container element by element; sets `self.pos` to its end."""
        if name in self.containers:
            raise _Surprise(f"{name} appears twice")
        is_dict = name in ("run_context", "run_computed_configs")
        closer = _CLOSE_BRACE if is_dict else _CLOSE_BRACKET
        buf = self.buf
        stats = ContainerStats()
        self.parser.stats.containers[name] = stats
        old = self.old.get(name)
        old_buf = self.old_buf
        old_starts = old.starts if old is not None else _NO_OFFSETS
        old_ends = old.ends if old is not None else _NO_OFFSETS
        old_items = old.items if old is not None else []
        old_count = len(old_starts)
        by_hash: dict[int, int] | None = None
        misses = 0
        block = 1
        starts: Offsets = array("q")
        ends: Offsets = array("q")
        items: list[Any] = []
        todo: list[int] = []
        j = 0  # the old element expected next
        pos = self.ws(start + 1)
        if buf[pos] == closer:
            pos += 1
        else:
            while True:
                matched = 0
                if old_buf is not None and j < old_count:
                    # Gallop: compare as many old elements as have matched lately, in one go.
                    size = min(block, old_count - j)
                    while size:
                        first = old_starts[j]
                        last = old_ends[j + size - 1]
                        length = last - first
                        if buf.startswith(old_buf[first:last], pos) and buf[pos + length] in _AFTER_VALUE:
                            shift = pos - first
                            starts.extend(map(shift.__add__, old_starts[j : j + size]))
                            ends.extend(map(shift.__add__, old_ends[j : j + size]))
                            items.extend(old_items[j : j + size])
                            matched = size
                            j += size
                            pos += length
                            break
                        size //= 2
                    block = min(matched * 2, MAX_BLOCK) if matched else 1
                if matched:
                    stats.reused += matched
                    misses = 0
                else:
                    end = self.element_end(pos, depth + 1, is_dict)
                    found = -1
                    if old_buf is not None and old_count:
                        text = buf[pos:end]
                        found = _near(text, old_buf, old_starts, old_ends, j)
                        if found < 0 and (
                            by_hash is not None or (misses >= MISSES_BEFORE_LOOKUP and j < old_count)
                        ):
                            if by_hash is None:
                                by_hash = self.hash_old(old_buf, old_starts, old_ends)
                                stats.lookups += 1
                                # The misses that led here (the last items) may have moved too.
                                recent = todo[len(todo) - misses :]
                                del todo[len(todo) - misses :]
                                for index in recent:
                                    earlier = _lookup(
                                        buf[starts[index] : ends[index]],
                                        old_buf,
                                        old_starts,
                                        old_ends,
                                        by_hash,
                                    )
                                    if earlier >= 0:
                                        items[index] = old_items[earlier]
                                        stats.moved += 1
                                    else:
                                        todo.append(index)
                            found = _lookup(text, old_buf, old_starts, old_ends, by_hash)
                    starts.append(pos)
                    ends.append(end)
                    if found >= 0:
                        items.append(old_items[found])
                        stats.moved += 1
                        j = found + 1
                        misses = 0
                    else:
                        items.append(_NOT_YET)
                        todo.append(len(items) - 1)
                        j += 1
                        misses += 1
                    pos = end
                pos = self.ws(pos)
                char = buf[pos]
                if char == _COMMA:
                    pos = self.ws(pos + 1)
                elif char == closer:
                    pos += 1
                    break
                else:
                    raise _Surprise(f"no comma or end after an element of {name}")
        stats.elements = len(items)
        stats.validated = len(todo)
        if self.validate and todo:
            self.validate_elements(name, is_dict, items, starts, ends, todo)
        self.containers[name] = _Container(starts, ends, items)
        self.cuts.append((start, pos, _PLACEHOLDER[name]))
        self.pos = pos

    def element_end(self, pos: int, depth: int, is_dict: bool) -> int:
        """The end of a list element, or of a `"slug": value` member of an object."""
        if not is_dict:
            char = self.buf[pos]
            if char in (_CLOSE_BRACKET, _COMMA):
                raise _Surprise("a missing list element")
            return self.value_end(pos, depth)
        if self.buf[pos] != _QUOTE:
            raise _Surprise("a key is not a string")
        match = _STRING.match(self.buf, pos)
        if match is None:
            raise _Surprise("a key is not a string")
        after = self.ws(match.end())
        if self.buf[after] != _COLON:
            raise _Surprise("no colon after a key")
        return self.value_end(self.ws(after + 1), depth)

    def hash_old(self, old_buf: bytes, starts: Offsets, ends: Offsets) -> dict[int, int]:
        """Old element text hash → its index (the first of equal texts), to find moved ones."""
        table: dict[int, int] = {}
        for index in range(len(starts) - 1, -1, -1):
            table[hash(old_buf[starts[index] : ends[index]])] = index
        return table

    def validate_elements(
        self, name: str, is_dict: bool, items: list[Any], starts: Offsets, ends: Offsets, todo: list[int]
    ) -> None:
        """Validate the new elements in batches of about `batch_bytes` of JSON each."""
        buf = self.buf
        adapter = _ADAPTERS[name]
        limit = self.parser.batch_bytes
        open_, close = (b"{", b"}") if is_dict else (b"[", b"]")
        batch: list[int] = []
        size = 0
        for number, index in enumerate(todo):
            batch.append(index)
            size += ends[index] - starts[index]
            if size < limit and number + 1 < len(todo):
                continue
            text = open_ + b",".join([buf[starts[i] : ends[i]] for i in batch]) + close
            with self.parser._step(f"validate {len(batch)} of {name}"):
                result = adapter.validate_json(text)
            values = list(result.items()) if is_dict else result
            if len(values) != len(batch):
                raise _Surprise(f"a repeated slug in {name}")
            for i, value in zip(batch, values, strict=True):
                items[i] = value
            batch = []
            size = 0

    # -- the shell -----------------------------------------------------------------------------

    def assemble(self) -> RunResponse:
        """Validate the body without its containers, then put the validated containers in."""
        buf = self.buf
        pieces: list[bytes] = []
        at = 0
        for start, end, placeholder in sorted(self.cuts):
            pieces.append(buf[at:start])
            pieces.append(placeholder)
            at = end
        pieces.append(buf[at:])
        with self.parser._step("validate the shell"):
            response = RunResponse.model_validate_json(b"".join(pieces))
        for name, container in self.containers.items():
            # A copy: the container's list is the next parse's reference, whatever the caller
            # does with the response's.
            if name in ("nodes", "executions"):
                response.run.__dict__[name] = list(container.items)
            else:
                value = dict(container.items)
                if len(value) != len(container.items):
                    raise _Surprise(f"a repeated slug in {name}")
                response.__dict__[name] = value
        return response


def _lookup(text: bytes, old_buf: bytes, starts: Offsets, ends: Offsets, by_hash: dict[int, int]) -> int:
    """The old element whose text is `text`, found by its hash, or -1."""
    candidate = by_hash.get(hash(text), -1)
    same_length = candidate >= 0 and ends[candidate] - starts[candidate] == len(text)
    return candidate if same_length and old_buf.startswith(text, starts[candidate]) else -1


def _near(text: bytes, old_buf: bytes, starts: Offsets, ends: Offsets, j: int) -> int:
    """An old element next to index `j` whose text is `text` (an insertion or removal)."""
    length = len(text)
    for candidate in (j + 1, j - 1, j + 2, j - 2, j + 3):
        if (
            0 <= candidate < len(starts)
            and ends[candidate] - starts[candidate] == length
            and old_buf.startswith(text, starts[candidate])
        ):
            return candidate
    return -1
