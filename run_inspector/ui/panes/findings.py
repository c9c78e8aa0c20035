"""The Findings pane: every finding about the run, most severe first; enter goes to the node."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group
from rich.padding import Padding
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ...findings import SEVERITIES, Finding, listed_findings
from ...present import severity_look
from ..labels import finding_parts
from ..messages import GoToNode
from .base import Pane, RunContext


class FindingsList(OptionList):
    """The findings, most severe first; enter (or a click) goes to the finding's node."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "first", "First", show=False),
        Binding("G", "last", "Last", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self.findings: list[Finding] = []


def finding_key(finding: Finding) -> tuple[str, str | None, str]:
    """What identifies a finding across refreshes of a live run."""
    return (finding.kind, finding.node_uuid, finding.message)


class FindingsPane(Pane, Vertical):
    """Every finding about the run (what `--print` lists under Findings), not only this node's."""

    DEFAULT_CSS = """
    FindingsPane { height: 1fr; }
    FindingsPane > Static { padding: 0 1; height: auto; }
    FindingsPane > FindingsList { height: 1fr; border: none; padding: 0; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.shown: list[Finding] | None = None

    def contents(self) -> ComposeResult:
        yield Static(Text(""), markup=False, id="findings-note")
        yield FindingsList(id="findings-list")

    def draw_key(self, context: RunContext) -> object:
        return (context.graph, id(context.findings))

    def draw(self, context: RunContext) -> None:
        """List the findings (anomalies excepted: the tree has them).

        The highlighted finding stays highlighted when it is still there (a live run's
        refresh); otherwise the one the run opened on, else the first one, is.
        """
        findings, highlight = context.findings, context.highlight
        if findings is self.shown or findings == self.shown:
            return  # a live run's refresh usually finds what the last one found
        self.shown = findings
        listed = listed_findings(findings)
        box = self.query_one(FindingsList)
        before = box.highlighted
        kept = (
            finding_key(box.findings[before]) if before is not None and before < len(box.findings) else None
        )
        box.clear_options()
        box.findings = listed
        options: list[Option | None] = []
        for number, finding in enumerate(listed):
            if number:
                options.append(None)
            head, body = finding_parts(context.graph, finding)
            options.append(Option(Group(head, Padding(body, (0, 0, 0, 2))), id=str(number)))
        box.add_options(options)
        keys = [finding_key(f) for f in listed]
        if listed:
            if kept in keys:
                box.highlighted = keys.index(kept)
            elif highlight is not None and finding_key(highlight) in keys:
                box.highlighted = keys.index(finding_key(highlight))
            else:
                box.highlighted = 0
        note = self.query_one("#findings-note", Static)
        if listed:
            counts = [
                f"{n} {severity}{'s' if n > 1 else ''}"
                for severity in SEVERITIES
                if (n := sum(f.severity == severity for f in listed))
            ]
            note.update(Text(f"{', '.join(counts)}, most severe first · enter goes to the node", "dim"))
        else:
            note.update(Text("No findings: nothing looks wrong in this run", "dim"))
        box.display = bool(listed)

    def selected(self, option_index: int) -> Finding | None:
        box = self.query_one(FindingsList)
        option = box.get_option_at_index(option_index)
        if option.id is None:
            return None
        number = int(option.id)
        return box.findings[number] if number < len(box.findings) else None

    @on(OptionList.OptionSelected, "FindingsList")
    def _finding_chosen(self, event: OptionList.OptionSelected) -> None:
        """enter (or a click) on a finding puts the tree cursor on its node."""
        event.stop()
        finding = self.selected(event.option_index)
        if finding is not None and finding.node_uuid is not None:
            self.post_message(GoToNode(finding.node_uuid))

    def tab_label(self, context: RunContext, *, narrow: bool) -> Text | None:
        """`Findings 4`, the count in the colour of the worst; `⚑ 4` where the tabs are cramped."""
        listed = listed_findings(context.findings)
        label = Text("⚑" if narrow else "Findings")
        if listed:
            label.append(f" {len(listed)}", style=severity_look(listed[0].severity).style)
        return label
