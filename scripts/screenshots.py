"""Regenerate the screenshots in screenshots/ from local fixtures (no network).

    python scripts/screenshots.py            # all of them
    python scripts/screenshots.py main demo  # only these

Each screen is drawn headless with Textual's Pilot, saved as SVG (`app.save_screenshot`),
then converted with `rsvg-convert -w 1600` to PNG.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual.pilot import Pilot

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from run_inspector.client import CargoClient  # noqa: E402
from run_inspector.demo import DEMO_API_URL, DEMO_RUN_UUID, DemoTransport  # noqa: E402
from run_inspector.source import ApiSource, FileSource, RunSource  # noqa: E402
from run_inspector.ui.app import InspectorApp, make_app  # noqa: E402

OUT = ROOT / "screenshots"
FIXTURE = ROOT / "tests" / "fixtures" / "failed_run.json"
WRONG_PATH = ROOT / "tests" / "fixtures" / "findings_wrong_path.json"
SIZE = (140, 40)

Steps = Callable[[Pilot[None]], Awaitable[None]]


def failed_source() -> FileSource:
    return FileSource(FIXTURE.read_bytes(), "tests/fixtures/failed_run.json")


def wrong_path_source() -> FileSource:
    """A run that succeeded but went wrong: the branch read a path the agent never wrote."""
    return FileSource(WRONG_PATH.read_bytes(), "tests/fixtures/findings_wrong_path.json")


async def shoot(app: InspectorApp, name: str, steps: Steps, size: tuple[int, int] = SIZE) -> None:
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await steps(pilot)
        await pilot.pause()
        app.save_screenshot(filename=f"{name}.svg", path=str(OUT))
    svg, png = OUT / f"{name}.svg", OUT / f"{name}.png"
    # rsvg-convert drops the leading (non-breaking) spaces of each text run unless told not to.
    svg.write_text(
        svg.read_text(encoding="utf-8").replace("<svg ", '<svg xml:space="preserve" ', 1), encoding="utf-8"
    )
    subprocess.run(["rsvg-convert", "-w", "1600", str(svg), "-o", str(png)], check=True)  # noqa: S603,S607
    print(f"wrote {png.relative_to(ROOT)}")  # noqa: T201 - a script's report


async def nothing(pilot: Pilot[None]) -> None:
    await pilot.pause(0.2)


async def failed_only(pilot: Pilot[None]) -> None:
    await pilot.press("f")
    await pilot.pause(0.2)


async def executions(pilot: Pilot[None]) -> None:
    await pilot.press("N", "2")  # the first failed node (two attempts), the Executions pane
    await pilot.pause(0.2)


async def output(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, InspectorApp)
    app._go_to("n:n-qualify")
    await pilot.press("4")
    await pilot.pause(0.2)


async def why(pilot: Pilot[None]) -> None:
    await pilot.press("w")  # the why view of the failed node
    await pilot.pause(0.2)


def demo_app(clock: list[float], shown_at: float) -> InspectorApp:
    """The demo on a clock the steps move; its times end up `shown_at` seconds into the run."""
    clock[0] = 0.0
    started = datetime.now(UTC) - timedelta(seconds=shown_at)
    transport = DemoTransport(clock=lambda: clock[0], start=0.0, base_time=started)
    source: RunSource = ApiSource(CargoClient(DEMO_API_URL, None, transport=transport), DEMO_RUN_UUID, "demo")
    return make_app(source, interval=0.05)


def demo_steps(clock: list[float]) -> Steps:
    async def steps(pilot: Pilot[None]) -> None:
        for moment in (2.0, 4.0, 7.0, 9.7, 12.5, 14.5, 15.0):
            clock[0] = moment
            await pilot.pause(0.25)
        await pilot.pause(0.3)

    return steps


def demo_events(clock: list[float]) -> Steps:
    async def steps(pilot: Pilot[None]) -> None:
        await demo_steps(clock)(pilot)
        for moment in (16.7, 18.1, 19.5):
            clock[0] = moment
            await pilot.pause(0.25)
        await pilot.press("6")
        await pilot.pause(0.3)

    return steps


async def main(which: list[str]) -> None:
    if shutil.which("rsvg-convert") is None:
        sys.exit("rsvg-convert is needed (Debian: librsvg2-bin)")
    OUT.mkdir(exist_ok=True)
    clock = [0.0]  # the demo's clock, moved by the steps
    shots: dict[str, tuple[Callable[[], InspectorApp], Steps]] = {
        "main": (lambda: make_app(failed_source()), nothing),
        "failed_only": (lambda: make_app(failed_source()), failed_only),
        "executions": (lambda: make_app(failed_source()), executions),
        "output": (lambda: make_app(failed_source()), output),
        "findings": (lambda: make_app(wrong_path_source()), nothing),
        "why": (lambda: make_app(failed_source()), why),
        "demo": (lambda: demo_app(clock, 15.0), demo_steps(clock)),
        "demo_events": (lambda: demo_app(clock, 19.5), demo_events(clock)),
    }
    for name in which or [*shots, "main_80x24"]:
        if name == "main_80x24":
            await shoot(make_app(failed_source()), name, nothing, size=(80, 24))
        else:
            build, steps = shots[name]
            await shoot(build(), name, steps)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
