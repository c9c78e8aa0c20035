"""Pydantic models of the GET-run response, and a tolerant parser for it.

The API evolves and real data breaks rules, so every field is optional, unknown fields are
kept (`extra="allow"`), and statuses and kinds are plain strings. The fast path validates the
raw bytes with `model_validate_json`. Only when that fails does `parse_run_response` fall
back to a slower repair loop that drops each malformed field (reporting it as an anomaly)
so one bad value never makes the whole run unreadable.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic import dataclasses as pydantic_dataclasses
from pydantic.alias_generators import to_camel

from .errors import UnreadableBodyError

RUN_STATUSES = ("idle", "pending", "running", "success", "error", "cancelling", "cancelled", "skipped")
TERMINAL_STATUSES = frozenset({"success", "error", "cancelled", "skipped"})
FAILED_STATUSES = frozenset({"error", "cancelled"})
ACTIVE_STATUSES = frozenset({"idle", "pending", "running", "cancelling"})


_CARGO_CONFIG = ConfigDict(
    alias_generator=to_camel,
    validate_by_name=True,
    validate_by_alias=True,
    extra="allow",
    allow_inf_nan=False,
)
"""`allow_inf_nan=False`: a number field of NaN, Infinity or 1e400 is dropped and reported like
any malformed field (a credit count of NaN made `--json` print `NaN`, which is not JSON)."""


Timestamp = Annotated[datetime, Field(ge=datetime(1, 1, 2, tzinfo=UTC), le=datetime(9999, 12, 30, tzinfo=UTC))]
"""A time a view can convert to UTC and to local time: `9999-12-31T23:59:59-23:59` is a valid
ISO time, but moving it to UTC or local time overflows (`--print` ended 'internal error:
OverflowError'). One day from either end of `datetime`'s range is refused, in pydantic's own
check (no Python call per execution), and the field dropped and reported like any malformed one."""


class CargoModel(BaseModel):
    """camelCase on the wire, snake_case in Python; unknown fields are kept."""

    model_config = _CARGO_CONFIG


class Position(CargoModel):
    x: float | None = None
    y: float | None = None


class RetryPolicy(CargoModel):
    maximum_attempts: int | None = None
    initial_interval: float | None = None
    """Milliseconds."""
    backoff_coefficient: float | None = None


class Node(CargoModel):
    """One node of the workflow graph."""

    uuid: str | None = None
    slug: str | None = None
    name: str | None = None
    description: str | None = None
    kind: str | None = None
    """`native`, `connector`, `tool` or `agent`; other values are kept as they are."""
    action_slug: str | None = None
    integration_slug: str | None = None
    connector_uuid: str | None = None
    tool_uuid: str | None = None
    agent_uuid: str | None = None
    template_slug: str | None = None
    release_uuid: str | None = None
    wait_until_finished: bool | None = None
    config: dict[str, Any] | None = None
    children_uuids: list[str | None] | None = None
    fallback_on_failure: bool | None = None
    fallback_child_uuid: str | None = None
    position: Position | None = None
    retry: RetryPolicy | None = None


@pydantic_dataclasses.dataclass(config=_CARGO_CONFIG)
class Execution:
    """One execution of a node: what actually happened.

    A pydantic dataclass, not a model, because a run can hold 200k of them: a model instance
    carries its own set of the 23 field names it was given and its own `__dict__`, about 4 KB
    for 0.7 KB of JSON, which put peak memory at 8× the body; a dataclass instance takes a
    fifth of that. Validation and tolerance are the same, and unknown fields are still kept
    (as attributes, listed by `model_extra`).
    """

    node_uuid: str | None = None
    node_slug: str | None = None
    node_kind: str | None = None
    node_action_slug: str | None = None
    status: str | None = None
    error_message: str | None = None
    title: str | None = None
    icon_url: str | None = None
    credits_used_count: float | None = None
    node_child_index: int | None = None
    next_node_uuid: str | None = None
    node_run_uuid: str | None = None
    node_batch_uuid: str | None = None
    node_message_uuid: str | None = None
    started_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    finished_at: Timestamp | None = None
    node_wait_until_finished: bool | None = None
    node_connector_uuid: str | None = None
    node_integration_slug: str | None = None
    node_tool_uuid: str | None = None
    node_agent_uuid: str | None = None
    node_release_uuid: str | None = None

    @property
    def model_extra(self) -> dict[str, Any]:
        """Fields the API sent that this class does not describe, as `BaseModel.model_extra`."""
        return {name: value for name, value in vars(self).items() if name not in _EXECUTION_FIELDS}


_EXECUTION_FIELDS = frozenset(entry.name for entry in dataclasses.fields(Execution))


class Run(CargoModel):
    """The run record: one record going through a workflow."""

    uuid: str | None = None
    workspace_uuid: str | None = None
    workflow_uuid: str | None = None
    user_uuid: str | None = None
    release_uuid: str | None = None
    trace_uuid: str | None = None
    batch_uuid: str | None = None
    temporal_workflow_id: str | None = None
    record_id: str | None = None
    record_title: str | None = None
    context_s3_filename: str | None = Field(default=None, alias="contextS3Filename")
    computed_configs_s3_filename: str | None = Field(default=None, alias="computedConfigsS3Filename")
    parent_uuid: str | None = None
    parent_node_uuid: str | None = None
    parent_batch_uuid: str | None = None
    parent_agent_uuid: str | None = None
    parent_chat_uuid: str | None = None
    parent_message_uuid: str | None = None
    is_group_parent: bool | None = None
    status: str | None = None
    error_message: str | None = None
    nodes: list[Node] | None = None
    executions: list[Execution] | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    finished_at: Timestamp | None = None
    deleted_at: Timestamp | None = None


class RunResponse(CargoModel):
    """`GET /orchestration/runs/{uuid}`: the run, and per-slug outputs and resolved inputs."""

    run: Run
    run_context: dict[str, Any] | None = None
    """`runContext[slug]`: what each node produced (its real output)."""
    run_computed_configs: dict[str, Any] | None = None
    """`runComputedConfigs[slug]`: the resolved config each node was called with (its input)."""

    def output_of(self, slug: str | None) -> Any:
        return (self.run_context or {}).get(slug) if slug is not None else None

    def input_of(self, slug: str | None) -> Any:
        return (self.run_computed_configs or {}).get(slug) if slug is not None else None


@dataclass(frozen=True)
class Anomaly:
    """Something in the data that breaks the rules. Shown to the user, never fatal."""

    kind: str
    message: str
    node_uuid: str | None = None
    path: str | None = None


@dataclass
class ParsedResponse:
    response: RunResponse
    anomalies: list[Anomaly] = field(default_factory=list)
    size: int = 0


_MAX_REPAIR_ROUNDS = 50


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a run is turned into objects (parse, graph build).

    A large run becomes hundreds of thousands of models, dicts, lists and datetimes, none of
    them in a reference cycle (reference counting frees them all). With the collector on, it
    runs over and over while they are created, each full pass visiting every live object:
    that was 40% of the parse of a 2,000-node run and two thirds at 200k executions. The
    collector's previous state is restored afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_run_response(body: bytes | str) -> ParsedResponse:
    """Parse a GET-run body. Raises `UnreadableBodyError` (an `InvalidResponseError`) only when
    there is no run object."""
    with collector_paused():
        return _parse(body)


def _parse(body: bytes | str) -> ParsedResponse:
    size = len(body)
    deep = False
    try:
        return ParsedResponse(RunResponse.model_validate_json(body), [], size)
    except ValidationError as exc:
        # Fall through to the tolerant path, which says what was wrong. Nested past the JSON
        # parser's limit (~250 levels): then look for what is deeper than `MAX_DEPTH`.
        deep = any("recursion limit" in str(error.get("ctx", {}).get("error", "")) for error in exc.errors())
    except (ValueError, RecursionError):
        pass
    notes: list[Anomaly] = []
    try:
        data = _loads(body, notes, deep=deep)
    except (ValueError, RecursionError) as exc:
        if _cut_short(exc):
            raise UnreadableBodyError(
                f"the response is not JSON: it stops after {size:,} bytes, before the JSON is complete",
                "the connection or a proxy cut it short; try again",
                problem="cut-short",
                fact=f"{size:,}",
            ) from exc
        problem, start = _body_shape(body)
        raise UnreadableBodyError(
            f"the response is not JSON ({_API_SHAPES.get(problem, f'it starts with {start}')})",
            "check --api-url: it should point at the Cargo API, e.g. https://api.getcargo.io/v1",
            problem=problem,
            fact=start,
        ) from exc
    response, anomalies = validate_tolerantly(data)
    return ParsedResponse(response, notes + anomalies, size)


def loads_any(body: bytes | str) -> Any:
    """Any valid JSON document, whatever the interpreter's limits (see `_loads`: deep values
    cut, huge integers as text); `ValueError` for what is not JSON."""
    return _loads(body, [])


def _loads(body: bytes | str, notes: list[Anomaly], *, deep: bool = False) -> Any:
    """`json.loads` of any valid JSON, whatever the interpreter's limits.

    Python refuses an integer of more than 4,300 digits and JSON nested near its recursion
    limit (less, the deeper the caller's stack), and everything that walks the run afterwards
    recurses too: so values nested deeper than `MAX_DEPTH` are cut (`_cut_deep`) and huge
    integers kept as text (`_HugeIntegers`), each reported as an anomaly. A body that is not
    valid UTF-8 is read with the bad bytes replaced.
    """
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    if deep:
        raw = _cut_deep(raw, notes)
    huge: _HugeIntegers | None = None
    for _ in range(3):
        try:
            return json.loads(raw) if huge is None else json.loads(raw, parse_int=huge)
        except UnicodeDecodeError:
            if not any(note.kind == "invalid-utf8" for note in notes):
                notes.append(
                    Anomaly("invalid-utf8", "the response is not valid UTF-8; bad bytes are shown as \ufffd")
                )
            raw = raw.decode("utf-8", "replace").encode()
        except RecursionError:
            if deep:
                raise
            deep = True
            raw = _cut_deep(raw, notes)
        except json.JSONDecodeError:
            raise
        except ValueError:  # an integer past `sys.get_int_max_str_digits()`
            if huge is not None:
                raise
            huge = _HugeIntegers(notes)
    return json.loads(raw, parse_int=huge)


MAX_DEPTH = 512
"""Containers nested deeper than this are cut by `_cut_deep`. Deep enough for any real output
(the hostile fixture's 500-level config is kept whole), shallow enough that `json.loads` and
whatever walks the run later stay far from the recursion limit."""
_TO_NEXT_BRACKET = re.compile(rb'[^"\[\]{}]*(?:"[^"\\]*(?:\\.[^"\\]*)*"[^"\[\]{}]*)*', re.S)
"""Everything up to the next bracket outside a string (strings are skipped whole)."""
_LEADING_SPACE = re.compile(rb"\s*")


def _cut_deep(body: bytes, notes: list[Anomaly]) -> bytes:
    """`body` with each container that starts deeper than `MAX_DEPTH` replaced by the string
    `"… N more levels"`. One step per bracket, in Python: only for bodies the JSON parser found
    too deep. A container still open at the end (a cut body) is cut to the end."""
    skip = _TO_NEXT_BRACKET.match
    cuts: list[tuple[int, int, int]] = []
    depth = deepest = 0
    start = -1
    pos = skip(body, 0).end()  # type: ignore[union-attr]
    while pos < len(body):
        char = body[pos]
        if char in b"[{":
            depth += 1
            if depth == MAX_DEPTH + 1:
                start, deepest = pos, depth
            deepest = max(deepest, depth)
        elif char in b"]}":
            if depth == MAX_DEPTH + 1:
                cuts.append((start, pos + 1, deepest - MAX_DEPTH))
                start = -1
            depth -= 1
        else:
            break  # an unterminated string: nothing after it is JSON
        pos = skip(body, pos + 1).end()  # type: ignore[union-attr]
    if start >= 0:
        cuts.append((start, len(body), deepest - MAX_DEPTH))
    if not cuts:
        return body
    pieces: list[bytes] = []
    done = 0
    for begin, end, levels in cuts:
        pieces += [body[done:begin], f'"\u2026 {levels} more levels"'.encode()]
        done = end
    pieces.append(body[done:])
    most = max(levels for _, _, levels in cuts)
    notes.append(
        Anomaly(
            "too-deep",
            f"{len(cuts):,} value(s) nested deeper than {MAX_DEPTH} levels are cut there and shown as "
            f"'\u2026 N more levels' (up to {most:,} more)",
        )
    )
    return b"".join(pieces)


class _HugeIntegers:
    """`json.loads`' `parse_int`: an integer too long for `int()` is kept as its text."""

    def __init__(self, notes: list[Anomaly]) -> None:
        self._notes = notes

    def __call__(self, text: str) -> int | str:
        try:
            return int(text)
        except ValueError:
            self._notes.append(
                Anomaly(
                    "huge-number",
                    f"an integer of {len(text.lstrip('-')):,} digits ({text[:12]}\u2026) is kept as text",
                )
            )
            return text


def validate_tolerantly(data: Any) -> tuple[RunResponse, list[Anomaly]]:
    """Validate decoded JSON, dropping malformed fields one by one and reporting each."""
    if not isinstance(data, dict):
        raise UnreadableBodyError(
            f"the response is JSON but not an object (got {type(data).__name__})",
            "check --api-url points at the Cargo API",
            problem="not-object",
            fact=_JSON_TYPES.get(type(data), type(data).__name__),
        )
    if not isinstance(data.get("run"), dict):
        raise UnreadableBodyError(
            "the response has no 'run' object", "check --api-url points at the Cargo API", problem="no-run"
        )
    anomalies: list[Anomaly] = []
    for _ in range(_MAX_REPAIR_ROUNDS):
        try:
            return RunResponse.model_validate(data), anomalies
        except ValidationError as exc:
            for error in exc.errors(include_url=False, include_input=False):
                loc = tuple(error["loc"])
                _drop(data, loc)
                anomalies.append(
                    Anomaly(
                        "malformed-field",
                        f"{_dotted(loc)}: {error['msg']}; the value was ignored",
                        path=_dotted(loc),
                    )
                )
            if not isinstance(data.get("run"), dict):
                break
    raise UnreadableBodyError("the run object could not be read", "the response is malformed", problem="malformed")


def _drop(data: Any, loc: tuple[int | str, ...]) -> None:
    """Remove the value at `loc` so its field takes its default (or drop a bad list item)."""
    # pydantic adds the union member to the loc (e.g. 'list[...]', 'str'); walk only real keys.
    parent: Any = data
    steps: list[int | str] = []
    node: Any = data
    for part in loc:
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            steps.append(part)
            parent, node = node, node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            steps.append(part)
            parent, node = node, node[part]
    if not steps:
        return
    last = steps[-1]
    if isinstance(parent, dict) and isinstance(last, str):
        del parent[last]
    elif isinstance(parent, list) and isinstance(last, int):
        # A list item that is not an object (a node sent as a string, or as null): replace it
        # with an empty object so it is still counted, rather than dropping it silently. An
        # object that is still wrong (e.g. in a list of strings) becomes null, which is allowed.
        parent[last] = None if isinstance(parent[last], dict) else {}


def _dotted(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part[:1].islower() or part[:1] == "_" or not part[:1].isalpha():
            if any(c in part for c in "[]()"):
                continue  # a union member name, not a key
            out += ("." if out else "") + part
    return out


def _cut_short(exc: BaseException) -> bool:
    """True when the body is the start of a JSON object or list that stops too early."""
    if not isinstance(exc, json.JSONDecodeError):
        return False
    text = exc.doc.strip()
    unfinished = exc.pos >= len(text) or exc.msg.startswith("Unterminated string")
    return text[:1] in ("{", "[") and unfinished


_API_SHAPES = {"empty": "the body is empty", "html": "it looks like an HTML page, perhaps from a proxy"}
"""How `_body_shape`'s problems are said of an API's answer."""
_JSON_TYPES = {list: "list", str: "string", int: "number", float: "number", bool: "boolean", type(None): "null"}


def _body_shape(body: bytes | str) -> tuple[str, str]:
    """What a body that is not JSON looks like: `empty`, `html`, else `not-json` and the repr
    of its first 40 characters. Only its first bytes are decoded (it was the whole body: up to
    4 bytes of text a byte, for 40 characters)."""
    if isinstance(body, bytes):
        start = _LEADING_SPACE.match(body).end()  # type: ignore[union-attr]
        text = body[start : start + 200].decode("utf-8", "replace")
    else:
        text = body[:200] if body[:1].strip() else body.lstrip()[:200]
    stripped = text.lstrip()
    if not stripped:
        return "empty", ""
    if stripped[:1] == "<":
        return "html", ""
    return "not-json", repr(stripped[:40])
