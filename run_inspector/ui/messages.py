"""Messages the widgets send up to the app: what the user asked for, never how to do it."""

from __future__ import annotations

from textual.message import Message


class NodeChosen(Message):
    """The tree's cursor is on a new line (`node_uuid` None: a line about no node)."""

    def __init__(self, key: str, node_uuid: str | None) -> None:
        super().__init__()
        self.key = key
        self.node_uuid = node_uuid


class GoToNode(Message):
    """Put the tree's cursor on a node's full entry (a finding's, an event's)."""

    def __init__(self, node_uuid: str) -> None:
        super().__init__()
        self.node_uuid = node_uuid


class GoToLine(Message):
    """Put the tree's cursor on the line with this key (`n:<uuid>`, `e:…`, `r:…`, `g:…`)."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key


class ExecutionChosen(Message):
    """The user picked execution `index` of a node: the panes show that one."""

    def __init__(self, node_uuid: str, index: int) -> None:
        super().__init__()
        self.node_uuid = node_uuid
        self.index = index


class OpenRun(Message):
    """Open another run (a child run, an item run, the run a tool call started)."""

    def __init__(self, run_uuid: str) -> None:
        super().__init__()
        self.run_uuid = run_uuid


class AgentWanted(Message):
    """A pane would show this agent message: fetch it (once; the app caches it)."""

    def __init__(self, message_uuid: str) -> None:
        super().__init__()
        self.message_uuid = message_uuid
