"""The data core never imports Textual (it is testable without a terminal)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import run_inspector

CORE = sorted(
    module.name
    for module in pkgutil.iter_modules(run_inspector.__path__)
    if module.name not in ("ui", "__main__")
)
"""Every module of the package but the TUI: a new core module is checked without listing it."""


def test_the_core_is_every_module_but_the_tui() -> None:
    assert {"models", "increment", "graph", "poller", "findings", "cli"} <= set(CORE)
    assert "ui" not in CORE


def test_core_modules_do_not_import_textual() -> None:
    imports = "; ".join(f"import run_inspector.{name}" for name in CORE)
    probe = f"{imports}; import sys; print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
