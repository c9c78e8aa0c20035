"""The template expressions in a node's config, and what they read from the run.

Pure Python (no Textual). Cargo's configs hold template expressions such as
`{{nodes.qualify.answer.qualified}}`: a read of another node's output (`runContext[slug]`)
at a path. This module finds them (`config_references`, `references_in`), resolves a path
against an output (`resolve`, which tells a missing path from a JSON null: `MISSING`), and,
for a path that does not exist, finds where the value most likely sits (`suggest_path`).
The findings (`findings.py`) and the why view (`why.py`) both read runs through it.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Iterator, Reversible
from dataclasses import dataclass
from typing import Any

from .graph import NodeState


class _Missing:
    """The value of a path that does not exist (distinct from a JSON null)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()

Segment = str | int

_BRACES = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_NODES = re.compile(r"(?<![\w.$])nodes(?=\s*(?:\?\.|\.|\[))")
_SEGMENT = re.compile(
    r"""\s*(?:
        \??\.\s*(?P<ident>[A-Za-z_$][\w$]*)
      | \[\s*(?:(?P<index>\d+)|"(?P<dq>(?:[^"\\]|\\.)*)"|'(?P<sq>(?:[^'\\]|\\.)*)')\s*\]
    )""",
    re.VERBOSE,
)
_IDENT = re.compile(r"[A-Za-z_$][\w$]*\Z")
_ESCAPED = re.compile(r"\\(.)")
_EXPRESSION_KEYS = ("expression", "value", "template")


@dataclass(frozen=True)
class Reference:
    """One `nodes.<slug>.<path>` read inside a template expression of a node's config."""

    text: str
    """As written, e.g. `nodes.qualify.qualified`."""
    slug: str
    path: tuple[Segment, ...]
    where: tuple[Segment, ...]
    """Where in the config the expression sits, e.g. `("variables", "owner")`."""

    @property
    def expression(self) -> str:
        return format_reference(self.slug, self.path)

    @property
    def location(self) -> str:
        return "config" + format_path(self.where)


def format_path(path: tuple[Segment, ...] | list[Segment]) -> str:
    """`.answer.qualified`, `[0]`, `["a b"]`: a path as it is written after a name."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENT.match(part):
            out += f".{part}"
        else:
            out += f"[{json.dumps(part)}]"
    return out


def format_reference(slug: str, path: tuple[Segment, ...] | list[Segment]) -> str:
    return "nodes" + format_path((slug, *path))


Parsed = tuple[tuple[str, str, tuple[Segment, ...]], ...]
"""References as parsed from one string: (text as written, slug, path) each, in order."""


def references_in(text: str, where: tuple[Segment, ...] = (), *, bare: bool = False) -> list[Reference]:
    """The `nodes.…` reads inside the `{{ … }}` of `text` (or in all of it when `bare`)."""
    return [Reference(written, slug, path, where) for written, slug, path in _parse_references(text, bare)]


def _parse_references(text: str, bare: bool) -> Parsed:
    bodies = [text] if bare else [m.group(1) for m in _BRACES.finditer(text)]
    refs: list[tuple[str, str, tuple[Segment, ...]]] = []
    for body in bodies:
        for match in _NODES.finditer(body):
            segments: list[Segment] = []
            pos = match.end()
            while (seg := _SEGMENT.match(body, pos)) is not None:
                if seg.group("ident") is not None:
                    segments.append(seg.group("ident"))
                elif seg.group("index") is not None:
                    segments.append(int(seg.group("index")))
                else:
                    quoted = seg.group("dq") if seg.group("dq") is not None else seg.group("sq")
                    segments.append(_ESCAPED.sub(r"\1", quoted))
                pos = seg.end()
            if body[pos:].lstrip().startswith("(") and len(segments) > 1:
                segments.pop()  # a method call such as .toLowerCase(): not a key
            if not segments or not isinstance(segments[0], str):
                continue
            refs.append((body[match.start() : pos].strip(), segments[0], tuple(segments[1:])))
    return tuple(refs)


def _is_expression_object(value: dict[str, Any]) -> bool:
    kind, type_ = value.get("kind"), value.get("type")
    return (isinstance(kind, str) and "expression" in kind.lower()) or (
        isinstance(type_, str) and "expression" in type_.lower()
    )


Read = tuple[str, str, tuple[Segment, ...], tuple[Segment, ...]]
"""A `Reference`'s fields (text, slug, path, where), before any object is made for it."""


def config_references(state: NodeState, parsed: dict[str, Parsed] | None = None) -> list[Reference]:
    """Every `nodes.…` read in a node's config, in any string at any depth.

    Template expression objects (`{"kind": "templateExpression", "expression": "…"}`) are
    read too, with or without braces. A group's `_nodes` sub-graph is skipped: its nodes
    are states of their own. `parsed` keeps the parse of each template string across calls
    (a run repeats the same templates in many nodes).
    """
    return [Reference(*read) for read in config_reads(state, {} if parsed is None else parsed)]


def config_reads(state: NodeState, parsed: dict[str, Parsed]) -> list[Read]:
    config = state.node.config if state.node is not None else None
    if not config:
        return []
    reads: list[Read] = []
    seen: set[tuple[str, tuple[Segment, ...]]] = set()
    group = state.action == "group"
    # Depth first, in the config's order. Only containers and strings holding `{{` are
    # stacked: nothing else can hold a reference (most of a config is prompts and schemas).
    stack: list[tuple[Any, tuple[Segment, ...]]] = [(config, ())]
    push = stack.append
    while stack:
        value, where = stack.pop()
        if isinstance(value, dict):
            bare = _is_expression_object(value)
            items: Reversible[tuple[str, Any]] = value.items()
            if group and not where:
                items = [(key, child) for key, child in items if key != "_nodes"]
            for key, child in reversed(items):
                if isinstance(child, str):
                    if "{{" in child:
                        push((child, (*where, str(key))))
                    elif bare and key in _EXPRESSION_KEYS:
                        at = (*where, key)
                        for written, slug, path in _parse_references(child, True):
                            if (written, at) not in seen:
                                seen.add((written, at))
                                reads.append((written, slug, path, at))
                elif isinstance(child, (dict, list)):
                    push((child, (*where, str(key))))
        elif isinstance(value, list):
            for index in range(len(value) - 1, -1, -1):
                child = value[index]
                if isinstance(child, (dict, list)) or (isinstance(child, str) and "{{" in child):
                    push((child, (*where, index)))
        elif isinstance(value, str) and "{{" in value:
            references = parsed.get(value)
            if references is None:
                references = parsed[value] = _parse_references(value, False)
            for written, slug, path in references:
                if (written, where) not in seen:
                    seen.add((written, where))
                    reads.append((written, slug, path, where))
    return reads


def resolve(value: Any, path: tuple[Segment, ...] | list[Segment]) -> tuple[Any, int]:
    """(the value at `path`, how many segments resolved); the value is MISSING if not all did."""
    current = value
    for i, seg in enumerate(path):
        if isinstance(current, dict):
            key = seg if isinstance(seg, str) else str(seg)
            if key in current:
                current = current[key]
                continue
        elif isinstance(current, list):
            index = seg if isinstance(seg, int) else int(seg) if seg.isdigit() else None
            if index is not None and 0 <= index < len(current):
                current = current[index]
                continue
            if seg == "length":
                current = len(current)
                continue
        elif isinstance(current, str) and seg == "length":
            current = len(current)
            continue
        return MISSING, i
    return current, len(path)


SEARCH_DEPTH = 5
SEARCH_LIMIT = 2000


def _dict_paths(value: Any) -> Iterator[tuple[tuple[Segment, ...], dict[str, Any]]]:
    """Every dict under `value` (itself first), breadth first, bounded in depth and count."""
    queue: deque[tuple[tuple[Segment, ...], Any]] = deque([((), value)])
    visited = 0
    while queue and visited < SEARCH_LIMIT:
        prefix, current = queue.popleft()
        if not isinstance(current, dict):
            continue
        visited += 1
        yield prefix, current
        if len(prefix) < SEARCH_DEPTH:
            queue.extend(((*prefix, str(k)), v) for k, v in current.items() if isinstance(v, dict))


@dataclass(frozen=True)
class Suggestion:
    path: tuple[Segment, ...]
    """The corrected path under the slug."""
    reason: str


def suggest_path(
    output: Any, path: tuple[Segment, ...], missing_at: int, *, agent: bool
) -> Suggestion | None:
    """Where the value that `path` meant most likely sits in `output`, or None."""
    head = path[:missing_at]
    rest = path[missing_at:]
    base, _ = resolve(output, head)
    # 1. The rest of the path resolves one or more levels deeper (the agent `answer` case).
    for prefix, container in _dict_paths(base):
        if prefix and resolve(container, rest)[1] == len(rest):
            where = format_path(prefix)
            if agent and not head and prefix == ("answer",):
                return Suggestion((*prefix, *rest), "agent output sits under `.answer`")
            return Suggestion((*head, *prefix, *rest), f"`{format_path(rest)[1:]}` sits under `{where}`")
    # 2. A key with a close name at the same place (a typo, or camelCase against snake_case).
    missing = rest[0]
    if isinstance(base, dict) and isinstance(missing, str):
        from difflib import get_close_matches  # only for a path that is wrong: rare

        close = get_close_matches(missing, [str(k) for k in base], n=1, cutoff=0.75)
        if close and resolve(base[close[0]], rest[1:])[1] == len(rest) - 1:
            return Suggestion(
                (*head, close[0], *rest[1:]), f"there is no `{missing}`; the closest key is `{close[0]}`"
            )
    # 3. The last key exists elsewhere in the output.
    leaf = path[-1]
    if isinstance(leaf, str):
        for prefix, container in _dict_paths(output):
            if leaf in container and (*prefix, leaf) != path:
                found = (*prefix, leaf)
                return Suggestion(found, f"`{leaf}` sits at `{format_path(found)}`")
    return None


def keys_hint(value: Any) -> str:
    if isinstance(value, dict):
        keys = [str(k) for k in value]
        shown = ", ".join(keys[:12]) + (", …" if len(keys) > 12 else "")
        return f"it has the keys: {shown}" if keys else "it is an empty object"
    if isinstance(value, list):
        return f"it is a list of {len(value)}"
    return f"it is {short_json(value)}"


def short_json(value: Any, limit: int = 120) -> str:
    """A compact JSON-ish rendering of a value, for details."""
    if value is MISSING:
        return "missing"
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_empty(value: Any) -> bool:
    return value is None or value is MISSING or value in ("", [], {})
