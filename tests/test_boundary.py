"""The data core never imports Textual (it is testable without a terminal)."""

from __future__ import annotations

import subprocess
import sys

CORE = [
    "models",
    "graph",
    "client",
    "config",
    "poller",
    "source",
    "sanitize",
    "present",
    "findings",
    "why",
    "render_text",
    "render_json",
    "watch",
    "demo",
    "errors",
    "cli",
]


def test_core_modules_do_not_import_textual() -> None:
    imports = "; ".join(f"import run_inspector.{name}" for name in CORE)
    probe = f"{imports}; import sys; print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
