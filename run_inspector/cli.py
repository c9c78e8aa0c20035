"""Command line: `run-inspector RUN | --file PATH | --demo`, the TUI or a headless mode.

Exit codes: 0 ok · 1 the run failed (only with --exit-status) · 2 usage error ·
3 the run could not be fetched or read · 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import TextIO

from . import __version__
from .errors import ConfigError, InspectorError, UsageError
from .graph import RunGraph
from .models import FAILED_STATUSES, collector_paused, parse_run_response
from .source import ApiSource, FileSource, RunSource

EXIT_OK, EXIT_RUN_FAILED, EXIT_USAGE, EXIT_FETCH, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

EPILOG = """\
the API token comes from --token-file PATH or the CARGO_API_TOKEN environment variable,
never from the command line.

exit codes: 0 ok · 1 the run failed (only with --exit-status) · 2 usage error ·
3 the run could not be fetched or read · 130 interrupted
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message, "see run-inspector --help")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="run-inspector",
        description="See what a Cargo workflow run really did: the node graph, each node's "
        "executions, errors, output and input.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run", nargs="?", metavar="RUN", help="a run uuid, or a Cargo app URL containing one")
    parser.add_argument(
        "--file", metavar="PATH", help="a saved GET-run response or bundle ('-' reads stdin); no token needed"
    )
    parser.add_argument("--demo", action="store_true", help="the embedded demo run; no network, no token")
    parser.add_argument(
        "--api-url", metavar="URL", help="env CARGO_API_URL; default https://api.getcargo.io/v1"
    )
    parser.add_argument("--workspace", metavar="UUID", help="env CARGO_WORKSPACE_UUID")
    parser.add_argument(
        "--token-file", metavar="PATH", help="a file holding the API token (else env CARGO_API_TOKEN)"
    )
    parser.add_argument("--interval", metavar="SECONDS", type=float, help="poll interval, default 2")
    parser.add_argument(
        "--max-body",
        metavar="MB",
        type=float,
        help="the largest response or file read, once decompressed; env RUN_INSPECTOR_MAX_BODY_MB, default 256",
    )
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument(
        "--print", action="store_true", dest="print_", help="print the run as a tree once, then exit"
    )
    modes.add_argument("--json", action="store_true", help="print a machine-readable summary once, then exit")
    modes.add_argument(
        "--watch", action="store_true", help="print each transition until the run ends, then a summary line"
    )
    parser.add_argument(
        "--exit-status",
        action="store_true",
        help="with --print/--json/--watch: exit 1 if the run ended in error or was cancelled",
    )
    parser.add_argument(
        "--bell", action="store_true", help="in the TUI, ring the terminal bell when the run ends"
    )
    parser.add_argument("--version", action="version", version=f"run-inspector {__version__}")
    return parser


def _make_source(
    args: argparse.Namespace, environ: Mapping[str, str], err: TextIO
) -> tuple[RunSource, float]:
    """The run's source, and the poll interval (validated for every source)."""
    chosen = [name for name, on in (("RUN", args.run), ("--file", args.file), ("--demo", args.demo)) if on]
    if len(chosen) != 1:
        raise UsageError(
            "give exactly one of RUN, --file PATH or --demo" if chosen else "no run given",
            "e.g. run-inspector --demo, or run-inspector <run uuid> with CARGO_API_TOKEN set",
        )
    from .config import DEFAULT_INTERVAL, check_interval, max_body_bytes

    interval = DEFAULT_INTERVAL if args.interval is None else check_interval(args.interval)
    max_body = max_body_bytes(args.max_body, environ)
    if args.file:
        return FileSource.open(args.file, max_body=max_body), interval
    from .client import CargoClient
    from .config import parse_run_ref, settings_from

    if args.demo:
        from .demo import DEMO_API_URL, DEMO_RUN_UUID, DemoTransport

        one_shot = args.print_ or args.json
        transport = DemoTransport(finished=True) if one_shot else DemoTransport()
        client = CargoClient(DEMO_API_URL, None, transport=transport, max_body=max_body)
        return ApiSource(client, DEMO_RUN_UUID, "the embedded demo", live=not one_shot), interval
    run_uuid = parse_run_ref(args.run)
    settings = settings_from(args.api_url, args.workspace, args.token_file, args.interval, environ)
    for warning in settings.warnings:
        print(f"run-inspector: warning: {warning}", file=err)
    if settings.token is None:
        raise ConfigError(
            "no API token", "set CARGO_API_TOKEN or pass --token-file PATH (use --demo to try without one)"
        )
    # One-shot modes lean on the client's retries; a poller has its own back-off, so it
    # asks the client for one quick retry only (two layers of waits would compound).
    one_shot = args.print_ or args.json
    client = CargoClient(
        settings.api_url, settings.token, settings.workspace, retries=3 if one_shot else 1, max_body=max_body
    )
    return ApiSource(client, run_uuid, settings.api_url), settings.interval


def _load_once(source: RunSource) -> RunGraph:
    """The run, fetched once, with what the endpoints around it say (its trace, its groups'
    item runs: `lineage.py`). A plain file answers no endpoint and needs no event loop, so
    none is started for it."""
    from .poller import check_run_uuid

    body = source.body_at_hand()
    if body is not None and not source.has_lineage:
        return RunGraph.build(parse_run_response(body), snapshot=not source.live)
    import asyncio

    async def load() -> RunGraph:
        try:
            answer = body if body is not None else await source.fetch_bytes(source.root_uuid)
            graph = RunGraph.build(parse_run_response(answer), snapshot=not source.live)
            if body is None:
                check_run_uuid(source.root_uuid, graph.run.uuid)
            if graph.run.trace_uuid or any(state.items is not None for state in graph.states.values()):
                from .lineage import load_lineage

                graph.apply_lineage(await load_lineage(source, graph))
            return graph
        finally:
            await source.aclose()

    return asyncio.run(load())


def _one_shot(args: argparse.Namespace, source: RunSource, out: TextIO) -> int:
    # The run becomes hundreds of thousands of objects, and findings and rendering make many
    # short-lived ones, none in a cycle: with the collector on between the stages, each pass
    # would walk the whole run again (~10 ms of a --print on L). `_show_once` returns (and
    # its run is freed) before the collector is back, so its first pass has nothing to walk.
    with collector_paused():
        return _show_once(args, source, out)


def _show_once(args: argparse.Namespace, source: RunSource, out: TextIO) -> int:
    from .findings import compute_findings

    graph = _load_once(source)
    findings = compute_findings(graph)
    if args.json:
        from .render_json import dumps

        out.write(dumps(graph, findings) + "\n")
    else:
        from .render_text import print_run

        print_run(graph, out, findings=findings)
    return _status_code(args, graph)


def _status_code(args: argparse.Namespace, graph: RunGraph) -> int:
    failed = graph.summary.status in FAILED_STATUSES
    return EXIT_RUN_FAILED if args.exit_status and failed else EXIT_OK


def _watch(args: argparse.Namespace, source: RunSource, interval: float, out: TextIO, err: TextIO) -> int:
    from .watch import Watcher

    async def go() -> RunGraph:
        try:
            return await Watcher(source, source.root_uuid, out, err, interval=interval).run()
        finally:
            await source.aclose()

    import asyncio

    return _status_code(args, asyncio.run(go()))


def _tui(args: argparse.Namespace, source: RunSource, interval: float) -> int:
    from .ui.app import make_app

    app = make_app(source, interval=interval, bell=args.bell)
    app.run()
    return app.return_code or EXIT_OK


class _Environment(Mapping[str, str]):
    """The environment, read-only, with a repr that shows no value: one of them is the token,
    and a traceback printed with its frames' locals (a crash reporter, `pytest -l`) shows reprs."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = values

    def __getitem__(self, key: str) -> str:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return "<environment>"


def main(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    environ = _Environment(os.environ if environ is None else environ)
    try:
        args = build_parser().parse_args(argv)
        if args.exit_status and not (args.print_ or args.json or args.watch):
            raise UsageError("--exit-status works with --print, --json or --watch")
        source, interval = _make_source(args, environ, err)  # the interval is checked for every source
        if args.print_ or args.json:
            return _one_shot(args, source, out)
        if args.watch:
            return _watch(args, source, interval, out, err)
        return _tui(args, source, interval)
    except InspectorError as error:
        from .sanitize import one_line

        print(f"run-inspector: {one_line(error.one_line())}", file=err)
        return error.exit_code
    except KeyboardInterrupt:
        print("run-inspector: interrupted", file=err)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except Exception as error:  # a bug: one line, no traceback (it could hold server text)
        if environ.get("RUN_INSPECTOR_DEBUG"):
            raise
        print(
            f"run-inspector: internal error: {type(error).__name__} (set RUN_INSPECTOR_DEBUG=1 to see the traceback)",
            file=err,
        )
        return EXIT_FETCH


def run() -> None:
    """Console entry point."""
    sys.exit(main())
