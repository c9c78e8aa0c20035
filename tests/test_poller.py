"""The poller with a fake clock: interval, stop at terminal, back-off, Retry-After, pause."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from run_inspector.errors import (
    InvalidResponseError,
    NotFoundError,
    RateLimitedError,
    RunMismatchError,
    ServerError,
    UnauthorizedError,
)
from run_inspector.poller import Backoff, Poller, PollStatus, Snapshot

from .helpers import ScriptedSource, execution, node, run_of


def body(status: str, *node_statuses: str) -> bytes:
    nodes = [node("start", "start", ["a"]), node("a", "call", ["end"]), node("end", "end")]
    executions = [execution(u, s) for u, s in zip(("start", "a", "end"), node_statuses, strict=False)]
    return json.dumps(run_of(nodes, executions, status=status)).encode()


class FakeClock:
    def __init__(self) -> None:
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(0)


def make(source: ScriptedSource, clock: FakeClock, **kw: Any) -> tuple[Poller, list[Snapshot], list[str]]:
    snapshots: list[Snapshot] = []
    states: list[str] = []

    def on_status(status: PollStatus) -> None:
        states.append(status.state)

    poller = Poller(
        source,
        "run-1",
        interval=2.0,
        on_snapshot=snapshots.append,
        on_status=on_status,
        sleep=clock.sleep,
        backoff=Backoff(base=2.0, cap=30.0),
        **kw,
    )
    return poller, snapshots, states


async def test_polls_at_the_interval_and_stops_at_terminal() -> None:
    source = ScriptedSource(
        body("pending"),
        body("running", "success", "running"),
        body("running", "success", "error"),
        body("error", "success", "error"),
    )
    clock = FakeClock()
    poller, snapshots, states = make(source, clock)
    await asyncio.wait_for(poller.run(), 5)
    assert source.calls == 4
    assert clock.sleeps == [2.0, 2.0, 2.0]
    assert states[-1] == "finished"
    seen = [(t.title, t.old, t.new) for s in snapshots for t in s.transitions]
    assert seen == [
        ("run", None, "pending"),
        ("run", "pending", "running"),
        ("start", "not_reached", "success"),
        ("a", "not_reached", "running"),
        ("a", "running", "error"),
        ("run", "running", "error"),
    ]


async def test_identical_bodies_are_not_parsed_again() -> None:
    same = body("running", "success", "running")
    source = ScriptedSource(same, same, same, body("success", "success", "success", "success"))
    poller, snapshots, _ = make(source, FakeClock())
    await asyncio.wait_for(poller.run(), 5)
    assert len(snapshots) == 2
    assert poller.status.unchanged == 2 and poller.status.polls == 4


async def test_backs_off_on_server_errors_keeps_last_data_and_recovers() -> None:
    source = ScriptedSource(
        body("running", "success"),
        ServerError("502"),
        ServerError("503"),
        body("success", "success", "success", "success"),
    )
    clock = FakeClock()
    poller, snapshots, states = make(source, clock)
    poller.backoff.rng.seed(1)
    await asyncio.wait_for(poller.run(), 5)
    assert states == ["live", "stale", "stale", "finished"]
    first, second, third = clock.sleeps
    assert first == 2.0
    assert 1.5 <= second <= 2.5 and 3.0 <= third <= 5.0  # doubling, with jitter
    assert len(snapshots) == 2 and poller.status.error is None


async def test_retry_after_is_honoured() -> None:
    source = ScriptedSource(RateLimitedError("slow down", retry_after=17.0), body("success"))
    clock = FakeClock()
    poller, _, states = make(source, clock)
    await asyncio.wait_for(poller.run(), 5)
    assert clock.sleeps == [17.0]
    assert states == ["stale", "finished"]


async def test_gives_up_at_once_on_unauthorized() -> None:
    source = ScriptedSource(UnauthorizedError("401"))
    poller, _, states = make(source, FakeClock())
    await asyncio.wait_for(poller.run(), 5)
    assert source.calls == 1 and states == ["failed"]


async def test_a_run_not_found_yet_is_polled_up_to_a_limit() -> None:
    source = ScriptedSource(NotFoundError("404"), NotFoundError("404"), body("success"))
    poller, snapshots, states = make(source, FakeClock())
    await asyncio.wait_for(poller.run(), 5)
    assert states == ["waiting", "waiting", "finished"] and len(snapshots) == 1
    source = ScriptedSource(NotFoundError("404"))
    poller, _, states = make(source, FakeClock(), not_found_limit=3)
    await asyncio.wait_for(poller.run(), 5)
    assert source.calls == 3 and states[-1] == "failed"


async def test_pause_stops_fetching_until_resume() -> None:
    source = ScriptedSource(body("running"), body("running", "success"), body("success"))
    clock = FakeClock()
    poller, _, _ = make(source, clock)
    poller.pause()
    task = asyncio.create_task(poller.run())
    for _ in range(20):
        await asyncio.sleep(0)
    assert source.calls == 0 and poller.paused
    poller.resume()
    await asyncio.wait_for(task, 5)
    assert source.calls == 3


async def test_refresh_now_cuts_the_wait_short() -> None:
    source = ScriptedSource(body("running"), body("success"))
    poller = Poller(source, "run-1", interval=3600, on_snapshot=lambda s: None)
    task = asyncio.create_task(poller.run())
    while source.calls < 1:
        await asyncio.sleep(0.01)
    poller.refresh_now()
    await asyncio.wait_for(task, 5)
    assert source.calls == 2


async def test_a_file_is_fetched_once() -> None:
    source = ScriptedSource(body("running"))
    source.live = False
    poller, snapshots, states = make(source, FakeClock())
    await asyncio.wait_for(poller.run(), 5)
    assert source.calls == 1 and states == ["static"] and len(snapshots) == 1


# -- digesting off the event loop ----------------------------------------------------------


async def test_a_new_body_is_digested_in_a_worker_thread_with_its_findings() -> None:
    import threading

    source = ScriptedSource(body("running", "success", "running"), body("error", "success", "error"))
    threads: list[int] = []
    poller, snapshots, _ = make(source, FakeClock(), findings=True)
    original = poller.parser.parse

    def parse(data: bytes | str) -> Any:
        threads.append(threading.get_ident())
        return original(data)

    poller.parser.parse = parse  # type: ignore[method-assign]
    await poller.poll_once()
    await poller.poll_once()
    assert len(threads) == 2
    assert threading.get_ident() not in threads  # not on the event loop's thread
    assert [s.graph.summary.status for s in snapshots] == ["running", "error"]
    last = snapshots[-1]
    assert last.findings is not None and any(f.node_uuid == "a" for f in last.findings)
    assert [(t.node_uuid, t.new) for t in last.transitions] == [(None, "error"), ("a", "error")]


async def test_findings_are_left_to_the_caller_unless_asked_for() -> None:
    poller, snapshots, _ = make(ScriptedSource(body("error", "success", "error")), FakeClock())
    await poller.poll_once()
    assert snapshots[0].findings is None


async def test_the_second_body_reuses_the_unchanged_executions() -> None:
    """A live run's next body is parsed incrementally: what did not change is not validated."""
    first = body("running", "success", "running")
    second = body("running", "success", "success")
    poller, snapshots, _ = make(ScriptedSource(first, second), FakeClock(), threaded=False)
    await poller.poll_once()
    await poller.poll_once()
    old, new = (s.graph.states["start"].executions[0] for s in snapshots)
    assert new is old
    assert poller.parser.stats.mode == "incremental"
    assert snapshots[1].graph.states["a"].status == "success"


async def test_a_stopped_poller_abandons_a_parse_between_steps() -> None:
    """`stop()` while a big body is being parsed: the worker gives up at the next step and `run`
    returns, instead of the app waiting for a result nobody wants."""
    from benchmarks.generate import generate, mutate_executions, to_bytes

    data = generate(60, 600)
    data["run"]["uuid"] = "run-1"  # the run the poller asks for
    changed, _ = mutate_executions(data, 0.05)
    source = ScriptedSource(to_bytes(data), to_bytes(changed))
    poller, snapshots, _ = make(source, FakeClock())
    poller.parser.batch_bytes = 1024  # many small steps
    steps: list[str] = []
    check = poller.parser.on_step
    assert check is not None

    def stop_on_first_step(step: str, seconds: float) -> None:
        steps.append(step)
        poller.stop()
        check(step, seconds)

    await poller.poll_once()
    poller.parser.on_step = stop_on_first_step
    await asyncio.wait_for(poller.run(), 10)
    assert len(snapshots) == 1 and len(steps) == 1  # gave up at the first step


async def test_a_snapshot_leaves_the_run_out_of_the_cycle_collector() -> None:
    import gc

    gc.unfreeze()
    source = ScriptedSource(body("running", "success", "running"), body("running", "success", "success"))
    poller, _, _ = make(source, FakeClock())
    await poller.poll_once()
    frozen = gc.get_freeze_count()
    assert frozen > 0
    # The next body is parsed incrementally and reuses those objects: no new freeze (whatever is
    # alive at a freeze is frozen with it, and freezing every poll kept ~40 KB a poll forever).
    await poller.poll_once()
    assert poller.parser.stats.mode == "incremental"
    assert gc.get_freeze_count() <= frozen  # (frozen objects the new body replaced were freed)
    gc.unfreeze()
    poller, _, _ = make(ScriptedSource(body("running", "success", "running")), FakeClock(), freeze=False)
    await poller.poll_once()
    assert gc.get_freeze_count() == 0


# -- floors under every wait (issue 14) ----------------------------------------------------------


async def test_no_wait_is_shorter_than_the_interval_or_a_second_after_a_429() -> None:
    """`Retry-After: 0` (or `0.001`, or a date in the past, read as 0) made the poller ask again
    at once: 2,123 requests in 10 s in the TUI."""
    source = ScriptedSource(
        RateLimitedError("429", retry_after=0.0),
        RateLimitedError("429", retry_after=0.001),
        RateLimitedError("429"),
        ServerError("503"),
        body("success"),
    )
    clock = FakeClock()
    poller = Poller(
        source,
        "run-1",
        interval=1.5,
        on_snapshot=lambda snapshot: None,
        sleep=clock.sleep,
        backoff=Backoff(base=0.001, cap=0.001),
    )
    await asyncio.wait_for(poller.run(), 5)
    assert len(clock.sleeps) == 4 and min(clock.sleeps) >= 1.5
    short = Poller(source, "run-1", interval=0.05, on_snapshot=lambda snapshot: None)
    assert short.backoff.next_delay(RateLimitedError("429", retry_after=0.0)) >= RateLimitedError.min_wait
    assert short.backoff.next_delay(ServerError("503")) >= 0.05


def test_a_backoff_floor_holds_for_every_error() -> None:
    backoff = Backoff(base=0.0, cap=0.0, floor=0.5)
    for error in (ServerError("503"), RateLimitedError("429", retry_after=-1.0), NotFoundError("404")):
        assert backoff.next_delay(error) >= 0.5


# -- memory across new pollers (issue 14) -------------------------------------------------------------


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


async def test_new_pollers_one_after_another_keep_memory_flat() -> None:
    """A refresh (`r`) or a run switch makes a new poller, whose first parse freezes what is
    alive (`gc.freeze`). Each poller used to be a reference cycle, so once frozen and dropped it
    was never freed: +46 MB a poller on a 5,000-node run. 20 pollers now stay within a few MB,
    and what is frozen does not grow."""
    import gc
    import os

    from benchmarks.generate import generate, to_bytes
    from run_inspector.source import FileSource

    if not os.path.exists("/proc/self/status"):
        pytest.skip("needs Linux's /proc")
    body = to_bytes(generate(5_000, 10_000))

    async def one_poller() -> None:
        poller = Poller(FileSource(body, "run.json"), "(file)", on_snapshot=lambda s: None, threaded=False)
        await poller.run()

    gc.unfreeze()
    await one_poller()  # the first freeze, and the allocator's first big arenas
    await one_poller()
    gc.collect()
    rss, frozen = _rss_mb(), gc.get_freeze_count()
    for number in range(20):
        await one_poller()
        gc.collect()
        assert _rss_mb() - rss < 10, f"poller {number}: +{_rss_mb() - rss:.0f} MB"
    assert abs(gc.get_freeze_count() - frozen) < 1_000
    gc.unfreeze()


async def test_a_poller_holds_no_reference_cycle_and_lets_go_of_its_run_when_stopped() -> None:
    import gc
    import weakref

    gc.unfreeze()
    was_enabled = gc.isenabled()
    gc.disable()  # what is freed now is freed by reference counting: no cycle kept it
    try:
        source = ScriptedSource(body("running", "success", "running"))
        poller = Poller(source, "run-1", on_snapshot=lambda snapshot: None, threaded=False, freeze=False)
        await poller.poll_once()
        graph = weakref.ref(poller.graph) if poller.graph is not None else None
        assert graph is not None and graph() is not None
        poller.stop()
        assert poller.graph is None and graph() is None
        dropped = weakref.ref(poller)
        del poller
        assert dropped() is None
    finally:
        if was_enabled:
            gc.enable()


# -- the run that answers is the run asked for (issue 14) --------------------------------------------


def body_of_run(uuid: str, status: str = "running") -> bytes:
    data = json.loads(body(status, "success", "running"))
    data["run"]["uuid"] = uuid
    return json.dumps(data).encode()


async def test_an_answer_for_another_run_is_a_fault_and_the_run_is_kept() -> None:
    hostile = "run-2\x1b]0;PWNED\x07"
    source = ScriptedSource(body("running", "success", "running"), body_of_run(hostile), body("success", "success"))
    clock = FakeClock()
    poller, snapshots, states = make(source, clock)
    await asyncio.wait_for(poller.run(), 5)
    assert states == ["live", "stale", "finished"] and len(snapshots) == 2
    assert [s.graph.run.uuid for s in snapshots] == ["run-1", "run-1"]
    error = poller.status.error
    assert error is None  # cleared by the good answer that followed
    poller, snapshots, states = make(ScriptedSource(body("running"), body_of_run(hostile)), FakeClock())
    await poller.poll_once()
    with pytest.raises(RunMismatchError) as caught:
        await poller.poll_once()
    line = caught.value.one_line()
    assert "run-2" in line and "run-1" in line and "\x1b" not in line and "PWNED" not in line
    assert poller.graph is not None and poller.graph.run.uuid == "run-1"
    assert isinstance(caught.value, InvalidResponseError)  # stale and retried, never fatal


async def test_uuids_are_compared_without_case_and_a_missing_one_is_let_through() -> None:
    source = ScriptedSource(body_of_run("RUN-1"), body("running").replace(b'"uuid": "run-1", ', b""))
    poller, snapshots, _ = make(source, FakeClock())
    await poller.poll_once()
    await poller.poll_once()
    assert len(snapshots) == 2


async def test_a_file_s_own_run_names_the_uuid_then_expected() -> None:
    from run_inspector.source import FileSource

    file = FileSource(body_of_run("run-from-file"), "run.json")
    poller = Poller(file, "(file)", on_snapshot=lambda s: None, threaded=False)
    await poller.poll_once()
    assert poller.expected_uuid == "run-from-file"
    child = Poller(
        FileSource(body_of_run("run-child-1"), "bundle.json"), "run-child-2", on_snapshot=lambda s: None
    )
    child.source.root_uuid = "run-child-2"  # as if the bundle answered for that uuid with another run
    with pytest.raises(RunMismatchError):
        await child.poll_once()


# -- a status nobody knows still ends (issue 14) -----------------------------------------------------


def body_with(status: str, *, finished: bool, node_status: str = "running") -> bytes:
    data = json.loads(body(status, "success", node_status))
    if not finished:
        data["run"]["finishedAt"] = None
    return json.dumps(data).encode()


async def test_an_unknown_status_with_finished_at_is_over() -> None:
    source = ScriptedSource(body_with("timed_out", finished=True))
    poller, _, states = make(source, FakeClock())
    await asyncio.wait_for(poller.run(), 5)
    assert source.calls == 1 and states == ["finished"] and poller.status.note is None


async def test_an_unknown_status_that_stops_changing_ends_after_a_bounded_wait() -> None:
    source = ScriptedSource(body_with("timed_out", finished=False))
    poller, _, states = make(source, FakeClock(), still_limit=4)
    await asyncio.wait_for(poller.run(), 5)
    assert source.calls == 5 and states[-1] == "finished"  # the first answer, then 4 still ones
    assert poller.status.note is not None and "'timed_out'" in poller.status.note


async def test_an_unknown_status_while_nodes_move_keeps_polling() -> None:
    moving = [body_with("queued_v2", finished=False, node_status=s) for s in ("running", "error", "running", "error")]
    source = ScriptedSource(*moving, body_with("success", finished=True))
    poller, _, _ = make(source, FakeClock(), still_limit=2)
    await asyncio.wait_for(poller.run(), 5)
    assert source.calls == 5 and poller.status.note is None


async def test_a_known_active_status_never_ends_by_itself() -> None:
    source = ScriptedSource(*[body_with("running", finished=True)] * 8, body_with("success", finished=True))
    poller, _, _ = make(source, FakeClock(), still_limit=2)
    await asyncio.wait_for(poller.run(), 5)
    assert source.calls == 9


@pytest.mark.parametrize("interval", [float("nan"), float("inf"), 0.0, -1.0])
def test_a_poller_refuses_an_interval_that_is_not_a_positive_number(interval: float) -> None:
    with pytest.raises(ValueError):
        Poller(ScriptedSource(body("running")), "run-1", interval=interval, on_snapshot=lambda s: None)
