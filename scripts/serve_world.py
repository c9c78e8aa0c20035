"""Serve one of the test worlds (`tests/cargo_worlds.py`) on a loopback port, to try the app
against Cargo's real shapes by hand:

    python scripts/serve_world.py group_items      # prints the command to run against it
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import cargo_worlds  # noqa: E402
from tests.cargo_server import cargo_server  # noqa: E402


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else "group_items"
    scenario = getattr(cargo_worlds, f"{name}_world")()
    with cargo_server(scenario.world) as (url, _):
        print(f"CARGO_API_TOKEN=dev-token-0000 run-inspector {scenario.run} --api-url {url}", flush=True)  # noqa: T201
        while True:
            time.sleep(3600)


if __name__ == "__main__":
    main()
