"""`--workflow … --print` and `--json`: the runs a query found, as a table or as JSON.

The table is made of `render_text.Line`s, so it is coloured on a terminal and plain text when
piped, exactly as `--print` of a run is. Every text from the API is made safe (`one_line`) and
added as plain text, never as markup. The JSON (schema `run-inspector/runs@1`, in README.md)
keeps the API's text exact and is strict, ASCII-only JSON, like `summary@1`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TextIO

from rich.cells import cell_len

from .present import fmt_credits, fmt_duration, fmt_time, status_look
from .render_json import json_time, strict_dumps
from .render_text import Line, Piece, write_lines
from .runlist import RunPage, RunRow, count_line, run_credits
from .sanitize import one_line

SCHEMA = "run-inspector/runs@1"
RECORD_LIMIT = 40
ERROR_LIMIT = 80
HEADINGS = ("STATUS", "CREATED", "TOOK", "CREDITS", "RUN", "RECORD", "ERROR")
CREDITS = HEADINGS.index("CREDITS")


def _cells(row: RunRow) -> list[Piece]:
    look = status_look(row.status)
    title = one_line(row.record_title, RECORD_LIMIT) or "(untitled)"
    return [
        (f"{look.glyph} {look.word}", look.style),
        (fmt_time(row.created_at), ""),
        (fmt_duration(row.took) if row.took is not None else "—", ""),
        (fmt_credits(row.credits) or "0" if row.credits is not None else "—", ""),
        (one_line(row.uuid or "?"), "dim"),
        (f"↳ {title}" if row.parent_uuid else title, "bold"),
        (one_line(row.error, ERROR_LIMIT) if row.error else "", "red"),
    ]


def table_lines(rows: Sequence[RunRow]) -> list[Line]:
    """A heading line and a line per row, in columns as wide as their widest cell. The credits
    column is left out when no run carries its credits (Cargo's list does not promise them)."""
    table: list[list[Piece]] = [[(heading, "bold") for heading in HEADINGS], *(_cells(row) for row in rows)]
    if all(row.credits is None for row in rows):
        table = [line[:CREDITS] + line[CREDITS + 1 :] for line in table]
    widths = [max(cell_len(line[column][0]) for line in table) for column in range(len(table[0]))]
    lines = []
    for line in table:
        pieces: list[Piece] = []
        for column, (text, style) in enumerate(line):
            last = column == len(line) - 1
            pad = "" if last else " " * (widths[column] - cell_len(text) + 2)
            pieces += [(text, style), (pad, "")]
        while pieces and not pieces[-1][0].strip():  # no trailing blanks (an empty error)
            pieces.pop()
        lines.append(Line(tuple(pieces)))
    return lines


def runs_lines(page: RunPage) -> list[Line]:
    """Every line of the list: what was searched, the count line, the cap note, the table."""
    if not page.runs:
        text = page.empty_text()
        return [Line(((text[:1].upper() + text[1:] + ".", ""),), "bold")]
    query = page.query.describe()
    rows = page.rows
    lines = [
        Line(((query[:1].upper() + query[1:] + ", newest first", ""),), "bold"),
        Line(((count_line([row.status for row in rows], page.count), ""),), "dim"),
    ]
    if page.capped:
        lines.append(Line(((f"⚠ {page.cap_text()}", ""),), "yellow"))
    lines.append(Line(()))
    lines.extend(table_lines(rows))
    return lines


def print_runs(page: RunPage, file: TextIO, *, color: bool | None = None) -> None:
    write_lines(runs_lines(page), file, color=color)


def runs_dict(page: RunPage) -> dict[str, Any]:
    """`{"schema", "count", "fetched", "capped", "query", "runs": [...]}`; texts as sent. A run
    with a `parentUuid` is an item run of a group (its runs are runs of the same workflow)."""
    return {
        "schema": SCHEMA,
        "count": page.count,
        "fetched": page.fetched,
        "capped": page.capped,
        "query": page.query.filters(),
        "runs": [
            {
                "uuid": run.uuid,
                "status": run.status,
                "recordTitle": run.record_title,
                "createdAt": json_time(run.created_at),
                "finishedAt": json_time(run.finished_at),
                "errorMessage": run.error_message,
                "credits": run_credits(run),
                "parentUuid": run.parent_uuid,
            }
            for run in page.runs
        ],
    }


def dumps_runs(page: RunPage) -> str:
    return strict_dumps(runs_dict(page))
