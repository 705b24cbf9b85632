"""The size and shape of a policy file, checked before it is composed into a tree.

PyYAML composes and our checks walk the tree recursively, so a file nested thousands of levels
deep would exhaust the stack, and a few lines of aliases that refer to aliases ("billion
laughs") would expand to more values than memory holds. The parser's events are read here
one by one, without recursion and without expanding anything, and the first bound passed
(policies/limits.py) is reported as a problem with its place and path.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from policies.limits import MAX_ALIASES, MAX_DEPTH, MAX_POLICY_BYTES, MAX_VALUES
from policies.problems import Problem


def size_problem(data: bytes, name: str) -> Problem | None:
    """A problem when `data` (the file, or its first bytes) is over MAX_POLICY_BYTES, placed
    where the limit is passed; None when it is within."""
    if len(data) <= MAX_POLICY_BYTES:
        return None
    head = data[:MAX_POLICY_BYTES].decode("utf-8", errors="ignore")
    line = head.count("\n") + 1
    column = len(head) - (head.rfind("\n") + 1) + 1
    message = (
        f"the file is over {MAX_POLICY_BYTES:,} bytes ({MAX_POLICY_BYTES // 1024} KB), the "
        "most a policy may be: shorten descriptions or remove what no gate uses"
    )
    return Problem(name, line, column, "", message)


@dataclass
class _Node:
    """A list or mapping being read: where it is, and what it holds so far."""

    path: str
    anchor: str | None
    mapping: bool
    values: int = 1
    height: int = 1
    items: int = 0
    key: str = ""


@dataclass
class _Reading:
    name: str
    open: list[_Node] = field(default_factory=list)
    anchors: dict[str, tuple[int, int]] = field(default_factory=dict)
    """anchor -> (values, height) of the node it names, once that node is complete."""
    values: int = 0
    aliases: int = 0


def shape_problems(text: str, name: str) -> list[Problem]:
    """The first bound of depth, values or aliases that `text` passes, as a problem; [] when
    it passes none, or when it is not valid YAML (composing it reports where)."""
    reading = _Reading(name)
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            problem = _read(reading, event)
            if problem is not None:
                return [problem]
    except yaml.YAMLError:
        return []
    return []


def _read(reading: _Reading, event: yaml.Event) -> Problem | None:
    if isinstance(event, yaml.CollectionStartEvent):
        return _start(reading, event)
    if isinstance(event, yaml.CollectionEndEvent):
        _end(reading)
    elif isinstance(event, yaml.ScalarEvent):
        return _value(reading, event, event.anchor, 1, 1, str(event.value))
    elif isinstance(event, yaml.AliasEvent):
        return _alias(reading, event)
    return None


def _start(reading: _Reading, event: yaml.CollectionStartEvent) -> Problem | None:
    path = _next_path(reading)
    depth = len(reading.open) + 1
    reading.values += 1
    if depth > MAX_DEPTH:
        return _too_deep(reading, event, path, depth)
    if reading.values > MAX_VALUES:
        return _too_many_values(reading, event, path)
    mapping = isinstance(event, yaml.MappingStartEvent)
    reading.open.append(_Node(path, event.anchor, mapping))
    return None


def _end(reading: _Reading) -> None:
    node = reading.open.pop()
    if node.anchor is not None:
        reading.anchors[node.anchor] = (node.values, node.height)
    _add(reading, node.values, node.height, "")


def _value(
    reading: _Reading,
    event: yaml.Event,
    anchor: str | None,
    values: int,
    height: int,
    text: str,
) -> Problem | None:
    """Count a complete value (a scalar, or what an alias stands for) in its parent."""
    path = _next_path(reading)
    depth = len(reading.open) + height
    if depth > MAX_DEPTH:
        return _too_deep(reading, event, path, depth)
    reading.values += values
    if reading.values > MAX_VALUES:
        return _too_many_values(reading, event, path)
    if anchor is not None:
        reading.anchors[anchor] = (values, height)
    _add(reading, values, height, text)
    return None


def _alias(reading: _Reading, event: yaml.AliasEvent) -> Problem | None:
    reading.aliases += 1
    path = _next_path(reading)
    if reading.aliases > MAX_ALIASES:
        return _problem(
            reading,
            event,
            path,
            f"the file uses aliases (*name) more than {MAX_ALIASES} times: write the values out",
        )
    known = reading.anchors.get(str(event.anchor))
    if known is None:
        if any(node.anchor == event.anchor for node in reading.open):
            return _problem(
                reading,
                event,
                path,
                f"the alias *{event.anchor} refers to a value that contains it, so it never "
                "ends: write the value out",
            )
        return None  # an undefined alias: composing reports it
    return _value(reading, event, None, known[0], known[1], "")


def _add(reading: _Reading, values: int, height: int, text: str) -> None:
    """Count a complete child in the open parent, remembering a mapping's key for the path."""
    if not reading.open:
        return
    parent = reading.open[-1]
    if parent.mapping and parent.items % 2 == 0:
        parent.key = text
    parent.items += 1
    parent.values += values
    parent.height = max(parent.height, height + 1)


def _next_path(reading: _Reading) -> str:
    """The path of the value about to be read, as the loader writes it: 'gates[2].when'."""
    if not reading.open:
        return ""
    parent = reading.open[-1]
    if not parent.mapping:
        return f"{parent.path}[{parent.items}]"
    if parent.items % 2 == 0:
        return parent.path
    return f"{parent.path}.{parent.key}" if parent.path else parent.key


def _too_deep(reading: _Reading, event: yaml.Event, path: str, depth: int) -> Problem:
    if isinstance(event, yaml.AliasEvent):
        what = f"what the alias *{event.anchor} stands for reaches {depth} levels deep here"
    else:
        what = f"this value is nested {depth} levels deep"
    return _problem(
        reading,
        event,
        path,
        f"{what}; a policy may nest lists and mappings at most {MAX_DEPTH} levels (the shipped "
        "policies need 9): flatten it",
    )


def _too_many_values(reading: _Reading, event: yaml.Event, path: str) -> Problem:
    return _problem(
        reading,
        event,
        path,
        f"the file holds more than {MAX_VALUES:,} values, counting each use of an alias in "
        "full (the shipped policies hold about 1,100): remove repeated aliases or split it",
    )


def _problem(reading: _Reading, event: yaml.Event, path: str, message: str) -> Problem:
    mark = event.start_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    return Problem(reading.name, line, column, path, message)
