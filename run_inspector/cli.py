"""Command line: `run-inspector RUN | --file PATH | --demo`, the TUI or a headless mode;
`--workflow UUID` lists a workflow's runs (`--print`, `--json`, the Runs screen), or with
`--latest` shows the newest matching run as `run-inspector RUN` would.

Exit codes: 0 ok · 1 the run failed (only with --exit-status or --fail-on-findings) ·
2 usage error · 3 the run could not be fetched or read · 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, TextIO

from . import __version__
from .errors import ConfigError, FetchError, InspectorError, UsageError
from .graph import RunGraph
from .models import FAILED_STATUSES, RUN_STATUSES, collector_paused, parse_run_response
from .source import ApiSource, FileSource, RunSource

if TYPE_CHECKING:
    import httpx

    from .agent import AgentExecution
    from .config import Settings
    from .findings import Finding
    from .runlist import RunPage, RunQuery

EXIT_OK, EXIT_RUN_FAILED, EXIT_USAGE, EXIT_FETCH, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

EPILOG = """\
the API token comes from --token-file PATH or the CARGO_API_TOKEN environment variable,
never from the command line.

finding runs: --workflow UUID lists the workflow's runs, newest first (--print, --json, or
the Runs screen); add --latest to open the newest matching one instead, in any mode:
  run-inspector --workflow W --status error --latest --print     # the last failure
  run-inspector --workflow W --failed-at enrich_company:429 --since 7d --json
  run-inspector --demo --workflow --print                        # the demo's workflow

without --print, --json or --watch the TUI needs a terminal; 'cat run.json | run-inspector
--file -' reads the run from the pipe, then the keys from the terminal (/dev/tty).

exit codes: 0 ok · 1 the run failed (only with --exit-status or --fail-on-findings) ·
2 usage error (also: RUN is not a run uuid, no terminal for the TUI) · 3 the run could not be
fetched or read (or --latest found none) · 130 interrupted
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
        "--fail-on-findings",
        action="store_true",
        help="with --print/--json/--watch: exit 1 also when the run has error-severity findings "
        "(a run that succeeded but went wrong); implies --exit-status",
    )
    parser.add_argument(
        "--bell", action="store_true", help="in the TUI, ring the terminal bell when the run ends"
    )
    runs = parser.add_argument_group("finding runs of a workflow")
    runs.add_argument(
        "--workflow",
        metavar="UUID",
        nargs="?",
        const="",
        help="list this workflow's runs (a uuid or a Cargo app URL); with --demo the value may be "
        "left out (the demo's workflow)",
    )
    runs.add_argument(
        "--status",
        metavar="STATUS[,STATUS...]",
        action="append",
        help="only runs in these statuses: " + ", ".join(RUN_STATUSES),
    )
    runs.add_argument(
        "--record", metavar="TEXT", help="only runs whose record title contains TEXT, or whose id is TEXT"
    )
    runs.add_argument(
        "--failed-at",
        metavar="SLUG[:TEXT]",
        help="only runs in which node SLUG failed (with TEXT in its error)",
    )
    runs.add_argument(
        "--since",
        metavar="DURATION|DATE",
        help="only runs created since: 24h, 7d, 90m, or an ISO date/date-time",
    )
    runs.add_argument(
        "--limit", metavar="N", type=int, help="how many of the newest runs to list, default 50"
    )
    runs.add_argument(
        "--latest",
        action="store_true",
        help="open the newest matching run, as run-inspector RUN would (with --print, --json, --watch or the TUI)",
    )
    parser.add_argument(
        "--with-agents",
        action="store_true",
        help="with --json: add each agent node's message (model, usage, steps, answer); one request per agent execution",
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
    interval, max_body = _limits(args, environ)
    keys = _terminal_for_tui(stdin_is_data=args.file == "-") if _is_tui(args) else None
    if args.file:
        try:
            source = FileSource.open(args.file, max_body=max_body)
            if keys is not None:  # the file came on stdin: the keys now come from the terminal
                os.dup2(keys, 0)
        finally:
            if keys is not None:
                os.close(keys)
        return source, interval
    one_shot = bool(args.print_ or args.json)
    if args.demo:
        from .demo import DEMO_RUN_UUID, DemoTransport

        transport = DemoTransport(finished=True) if one_shot else DemoTransport()
        return _demo_source(transport, DEMO_RUN_UUID, one_shot, max_body), interval
    from .config import api_url_from, is_loopback_url, parse_run_ref

    # Said before the token is looked for, and before any connection: Cargo's run ids are
    # uuids (a local simulator or test server on loopback may name its runs as it likes).
    run_uuid = parse_run_ref(args.run, uuid_only=not is_loopback_url(api_url_from(args.api_url, environ)))
    settings = _settings(args, environ, err)
    return _api_source(settings, run_uuid, one_shot, max_body), settings.interval


def _is_tui(args: argparse.Namespace) -> bool:
    return not (args.print_ or args.json or args.watch)


def _terminal_for_tui(*, stdin_is_data: bool = False) -> int | None:
    """Refuse (a usage error) to start the TUI without a terminal: Textual reads its keys from
    standard input and draws on standard error, and on a stdin that is not a terminal (`<
    /dev/null`, a pipe, cron) its input thread spins at full CPU forever.

    With `stdin_is_data` (`--file -`: the run comes on stdin) the keys are read from the
    terminal instead, as `less` and `fzf` do: the returned descriptor is open on `/dev/tty`,
    to be put on descriptor 0 (`os.dup2`) once the file has been read."""
    streams = [("standard output", sys.__stdout__), ("standard error", sys.__stderr__)]
    for name, stream in streams if stdin_is_data else [("standard input", sys.__stdin__), *streams]:
        if not _is_terminal(stream):
            raise _no_terminal(f"{name} is not a terminal")
    if not stdin_is_data:
        return None
    try:
        keys = os.open("/dev/tty", os.O_RDWR | getattr(os, "O_NOCTTY", 0))
    except OSError:
        raise _no_terminal("the run comes on standard input, and there is no terminal (/dev/tty) for the keys") from None
    if not os.isatty(keys):
        os.close(keys)
        raise _no_terminal("/dev/tty is not a terminal")
    return keys


def _is_terminal(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except ValueError:  # closed
        return False


def _no_terminal(why: str) -> UsageError:
    return UsageError("no terminal: use --print, --json or --watch", why)


def _limits(args: argparse.Namespace, environ: Mapping[str, str]) -> tuple[float, int]:
    """The poll interval and the body limit, checked for every source."""
    from .config import DEFAULT_INTERVAL, check_interval, max_body_bytes

    interval = DEFAULT_INTERVAL if args.interval is None else check_interval(args.interval)
    return interval, max_body_bytes(args.max_body, environ)


def _settings(args: argparse.Namespace, environ: Mapping[str, str], err: TextIO) -> Settings:
    """The API's settings (its warnings said once); a usage error without a token."""
    from .config import settings_from

    settings = settings_from(args.api_url, args.workspace, args.token_file, args.interval, environ)
    for warning in settings.warnings:
        print(f"run-inspector: warning: {warning}", file=err)
    if settings.token is None:
        raise ConfigError(
            "no API token", "set CARGO_API_TOKEN or pass --token-file PATH (use --demo to try without one)"
        )
    return settings


def _api_source(settings: Settings, run_uuid: str, one_shot: bool, max_body: int) -> ApiSource:
    """A source on a new client. One-shot modes lean on the client's retries; a poller has its
    own back-off, so it asks the client for one quick retry only (two layers of waits would
    compound)."""
    from .client import CargoClient

    client = CargoClient(
        settings.api_url, settings.token, settings.workspace, retries=3 if one_shot else 1, max_body=max_body
    )
    return ApiSource(client, run_uuid, settings.api_url)


def _demo_source(
    transport: httpx.AsyncBaseTransport, run_uuid: str, one_shot: bool, max_body: int
) -> ApiSource:
    """A source on a new client over the demo's transport (one transport, one clock, for a
    list and then the run picked from it)."""
    from .client import CargoClient
    from .demo import DEMO_API_URL

    client = CargoClient(DEMO_API_URL, None, transport=transport, max_body=max_body)
    return ApiSource(client, run_uuid, "the embedded demo", live=not one_shot)


def _load_once(
    source: RunSource, *, with_agents: bool = False
) -> tuple[RunGraph, dict[str, list[AgentExecution]] | None]:
    """The run, fetched once, with what the endpoints around it say (its trace, its groups'
    item runs: `lineage.py`; its agents' messages with `with_agents`). A plain file answers no
    endpoint and needs no event loop, so none is started for it."""
    from .poller import check_run_uuid

    body = source.body_at_hand()
    if body is not None and not source.has_lineage and not with_agents:
        return RunGraph.build(parse_run_response(body), snapshot=not source.live), None
    import asyncio

    async def load() -> tuple[RunGraph, dict[str, list[AgentExecution]] | None]:
        try:
            answer = body if body is not None else await source.fetch_bytes(source.root_uuid)
            graph = RunGraph.build(parse_run_response(answer), snapshot=not source.live)
            if body is None:
                check_run_uuid(source.root_uuid, graph.run.uuid)
            if graph.run.trace_uuid or any(state.items is not None for state in graph.states.values()):
                from .lineage import load_lineage

                graph.apply_lineage(await load_lineage(source, graph))
            agents = None
            if with_agents:
                from .agent import load_agents

                agents = await load_agents(source, graph)
            return graph, agents
        finally:
            await source.aclose()

    return asyncio.run(load())


def _one_shot(args: argparse.Namespace, source: RunSource, out: TextIO, err: TextIO) -> int:
    # The run becomes hundreds of thousands of objects, and findings and rendering make many
    # short-lived ones, none in a cycle: with the collector on between the stages, each pass
    # would walk the whole run again (~10 ms of a --print on L). `_show_once` returns (and
    # its run is freed) before the collector is back, so its first pass has nothing to walk.
    with collector_paused():
        return _show_once(args, source, out, err)


def _show_once(args: argparse.Namespace, source: RunSource, out: TextIO, err: TextIO) -> int:
    from .findings import compute_findings

    try:
        graph, agents = _load_once(source, with_agents=args.with_agents)
    except FetchError as error:  # a file that is not a run is said to be the file's fault
        raise source.error_for(error) from None
    findings = compute_findings(graph)
    if args.json:
        from .render_json import dumps

        out.write(dumps(graph, findings, agents) + "\n")
    else:
        from .render_text import print_run

        print_run(graph, out, findings=findings)
    return _status_code(args, graph, findings, err)


def _status_code(
    args: argparse.Namespace, graph: RunGraph, findings: Sequence[Finding] | None, err: TextIO
) -> int:
    """1 with `--exit-status` for a run that ended in error or was cancelled, and with
    `--fail-on-findings` also for one with error-severity findings (said on stderr: the run's
    own status says nothing of them)."""
    if (args.exit_status or args.fail_on_findings) and graph.summary.status in FAILED_STATUSES:
        return EXIT_RUN_FAILED
    errors = [f for f in findings or () if f.severity == "error"] if args.fail_on_findings else []
    if not errors:
        return EXIT_OK
    from .sanitize import one_line

    first = f"{errors[0].node_slug}: {errors[0].message}" if errors[0].node_slug else errors[0].message
    more = f" and {len(errors) - 1} more" if len(errors) > 1 else ""
    print(
        f"run-inspector: the run ended {one_line(graph.summary.status, 40)} but has {len(errors)} "
        f"error-severity finding{'s' if len(errors) > 1 else ''}: {one_line(first, 160)}{more} "
        "(--fail-on-findings; see them with --print)",
        file=err,
    )
    return EXIT_RUN_FAILED


def _watch(args: argparse.Namespace, source: RunSource, interval: float, out: TextIO, err: TextIO) -> int:
    from .watch import Watcher

    async def go() -> RunGraph:
        try:
            return await Watcher(source, source.root_uuid, out, err, interval=interval).run()
        finally:
            await source.aclose()

    import asyncio

    graph = asyncio.run(go())
    findings = None
    if args.fail_on_findings:
        from .findings import compute_findings

        findings = compute_findings(graph)
    return _status_code(args, graph, findings, err)


def _tui(args: argparse.Namespace, source: RunSource, interval: float) -> int:
    from .ui.app import make_app

    _terminal_for_tui()
    app = make_app(source, interval=interval, bell=args.bell)
    app.run()
    return app.return_code or EXIT_OK


def _show(args: argparse.Namespace, source: RunSource, interval: float, out: TextIO, err: TextIO) -> int:
    """One run, in the mode asked for: `--print`/`--json`, `--watch`, else the TUI."""
    if args.print_ or args.json:
        return _one_shot(args, source, out, err)
    if args.watch:
        return _watch(args, source, interval, out, err)
    return _tui(args, source, interval)


_LIST_FLAGS = (
    ("--status", "status"),
    ("--record", "record"),
    ("--failed-at", "failed_at"),
    ("--since", "since"),
    ("--limit", "limit"),
    ("--latest", "latest"),
)


def _check_flags(args: argparse.Namespace) -> None:
    """Usage errors that argparse cannot see: flags that only mean something together."""
    if args.exit_status and not (args.print_ or args.json or args.watch):
        raise UsageError("--exit-status works with --print, --json or --watch")
    if args.fail_on_findings and not (args.print_ or args.json or args.watch):
        raise UsageError("--fail-on-findings works with --print, --json or --watch")
    if args.with_agents and not args.json:
        raise UsageError("--with-agents works with --json", "e.g. run-inspector RUN --json --with-agents")
    if args.workflow is None:
        given = [flag for flag, name in _LIST_FLAGS if getattr(args, name) not in (None, False)]
        if given:
            raise UsageError(f"{', '.join(given)} work{'s' if len(given) == 1 else ''} with --workflow UUID")
        return
    if args.run or args.file:
        raise UsageError(
            "--workflow lists runs from the API or the demo, not with RUN or --file",
            "drop RUN/--file, or drop --workflow",
        )
    if not args.latest:
        if args.watch:
            raise UsageError("--watch follows one run", "add --latest to follow the newest matching run")
        if args.exit_status or args.fail_on_findings:
            flag = "--exit-status" if args.exit_status else "--fail-on-findings"
            raise UsageError(f"{flag} is about one run", "add --latest")
        if args.with_agents:
            raise UsageError("--with-agents is about one run", "add --latest")
    if not args.workflow and not args.demo:
        raise UsageError("--workflow needs a workflow uuid", "e.g. --workflow 3f1c…, or --demo --workflow")


def _workflow(args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO) -> int:
    """`--workflow`: the newest matching run with `--latest` (then as `run-inspector RUN`), else
    the list (`--print`, `--json`) or the Runs screen.

    The list and the run are fetched on two clients: an asyncio client cannot outlive the
    event loop of one `asyncio.run`, and the TUI runs its own loop."""
    from .config import parse_workflow_ref
    from .runlist import build_query

    interval, max_body = _limits(args, environ)
    one_shot = bool(args.print_ or args.json)
    now = _now()
    if args.demo and not args.workflow:
        from .demo import DEMO_WORKFLOW_UUID

        workflow = DEMO_WORKFLOW_UUID
    else:
        workflow = parse_workflow_ref(args.workflow)
    query = build_query(  # checked before the token is looked for: a typo is said first
        workflow,
        statuses=args.status or (),
        record=args.record,
        failed_at=args.failed_at,
        since=args.since,
        limit=args.limit,
        now=now,
    )
    if args.demo:
        from .demo import DEMO_DURATION, DemoTransport

        # Dated from now (not the demo's fixed day) so that --since means what it says.
        start = now.replace(microsecond=now.microsecond // 1000 * 1000) - timedelta(seconds=DEMO_DURATION)
        transport = DemoTransport(finished=True, base_time=start) if one_shot else DemoTransport()

        def new_source(run_uuid: str, once: bool) -> ApiSource:
            return _demo_source(transport, run_uuid, once, max_body)

    else:
        settings = _settings(args, environ, err)
        interval = settings.interval

        def new_source(run_uuid: str, once: bool) -> ApiSource:
            return _api_source(settings, run_uuid, once, max_body)

    if args.latest:
        source = new_source(_latest_uuid(new_source("", True), query), one_shot)
        return _show(args, source, interval, out, err)
    if one_shot:
        page = _fetch_page(new_source("", True), query)
        if args.json:
            from .render_runs import dumps_runs

            out.write(dumps_runs(page) + "\n")
        else:
            from .render_runs import print_runs

            print_runs(page, out)
        return EXIT_OK
    return _runs_tui(new_source("", False), query, interval)


def _now() -> datetime:
    """The moment `--since` counts back from (a module function, so tests can fix it)."""
    return datetime.now(UTC)


def _fetch_page(source: RunSource, query: RunQuery) -> RunPage:
    import asyncio

    from .runlist import fetch_runs

    async def fetch() -> RunPage:
        try:
            return await fetch_runs(source, query)
        finally:
            await source.aclose()

    return asyncio.run(fetch())


def _latest_uuid(source: RunSource, query: RunQuery) -> str:
    """The newest matching run's uuid; `NotFoundError` (exit 3) saying what was searched."""
    from .errors import NotFoundError

    page = _fetch_page(source, query)
    uuid = page.runs[0].uuid if page.runs else None
    if not uuid:
        raise NotFoundError(
            page.empty_text(), "widen the search: another --status, an older --since, no --record"
        )
    return uuid


def _runs_tui(source: RunSource, query: RunQuery, interval: float) -> int:
    """The TUI's Runs screen (`ui.app.make_runs_app`, built by the UI)."""
    from .ui.app import make_runs_app

    _terminal_for_tui()
    app = make_runs_app(source, query, interval=interval)
    app.run()
    return int(app.return_code or EXIT_OK)


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
        _check_flags(args)
        if args.workflow is not None:
            return _workflow(args, environ, out, err)
        source, interval = _make_source(args, environ, err)  # the interval is checked for every source
        return _show(args, source, interval, out, err)
    except InspectorError as error:
        from .sanitize import one_line

        print(f"run-inspector: {one_line(error.one_line())}", file=err)
        return error.exit_code
    except KeyboardInterrupt:
        print("run-inspector: interrupted", file=err)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `run-inspector … | head`: the reader has all it wanted
        _quiet(out)
        return EXIT_OK
    except Exception as error:  # a bug: one line, no traceback (it could hold server text)
        if environ.get("RUN_INSPECTOR_DEBUG"):
            raise
        print(
            f"run-inspector: internal error: {type(error).__name__} (set RUN_INSPECTOR_DEBUG=1 to see the traceback)",
            file=err,
        )
        return EXIT_FETCH


def _quiet(stream: TextIO) -> None:
    """Point a stream whose pipe was closed at /dev/null, so that nothing more is written to
    it, and the interpreter's last flush at exit cannot fail ("Exception ignored … BrokenPipeError",
    exit 120). Not for a stream without a descriptor (a test's `StringIO`)."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def run() -> None:
    """Console entry point."""
    code = main()
    try:
        sys.stdout.flush()  # what is still buffered (a `--print | head -1`) fails here, not at exit
    except BrokenPipeError:
        _quiet(sys.stdout)
    sys.exit(code)
