"""Write the README's key tables from the one key table (`run_inspector/ui/screens.py`):

    python scripts/readme_keys.py

The tables sit between `<!-- keys -->` and `<!-- /keys -->`; `tests/test_ui.py` checks that the
README holds exactly what this writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from run_inspector.ui.runs_screen import runs_keys  # noqa: E402
from run_inspector.ui.screens import readme_keys  # noqa: E402

START, END = "<!-- keys -->\n", "<!-- /keys -->\n"


def updated(readme: str) -> str:
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return head + START + readme_keys(runs_keys()) + END + tail


def main() -> None:
    path = ROOT / "README.md"
    path.write_text(updated(path.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main()
