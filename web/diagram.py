"""The gate flow of a policy as an SVG image, drawn from the very machine definition the engine
builds its state machine from, so the picture cannot drift from what the engine allows.

Stages run left to right with the gate transitions between them; the side states (on hold,
killed) sit below. A transition that many stages share (hold, kill, resume_to_<stage>) is
drawn once, from a bracket under the stages it applies to, so the picture stays readable.
Pure: no I/O. ElementTree escapes every text and attribute; colours and fonts are
presentation attributes (no style element, no script, no external font)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from gates.decisions import KILLED, ON_HOLD
from workflows.machines import Definition

SVG_NS = "http://www.w3.org/2000/svg"
BOX_W, BOX_H, GAP, MARGIN = 124, 44, 156, 24
ROW_Y = 64
BRACKET_Y = ROW_Y + BOX_H + 24
BRACKET_STEP = 14
SIDE_Y = ROW_Y + BOX_H + 120
LABEL_CHARS = 22
INK, MUTED, BRAND = "#1d2430", "#5b6575", "#1f5fa8"
COLOURS = {ON_HOLD: ("#fff4df", "#9a6200"), KILLED: ("#fdecea", "#b3261e")}
FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"
STAGE = "<stage>"


@dataclass(frozen=True)
class SideArrow:
    """One drawn transition between a bracket of row stages and a side state."""

    state: str
    stages: frozenset[str]
    label: str
    entering: bool


@dataclass
class Flow:
    """A definition sorted for drawing: the stage row, the side states, the arrows."""

    row: list[str]
    side: list[str]
    steps: list[tuple[str, str, str]] = field(default_factory=list)
    """(source, dest, trigger) between two stages of the row."""
    arrows: list[SideArrow] = field(default_factory=list)
    across: list[tuple[str, str, str]] = field(default_factory=list)
    """(source, dest, trigger) between two side states."""


def flow_of(definition: Definition, side: Collection[str] = (ON_HOLD, KILLED)) -> Flow:
    """Sort the transitions: stage steps, grouped side transitions, side-to-side moves."""
    flow = Flow(
        [s for s in definition.states if s not in side],
        [s for s in definition.states if s in side],
    )
    into: dict[tuple[str, str], set[str]] = {}
    out: dict[tuple[str, str], set[str]] = {}
    for transition in definition.transitions:
        dest, trigger = transition["dest"], transition["trigger"]
        sources = transition["source"]
        for source in [sources] if isinstance(sources, str) else sources:
            if source in side and dest in side:
                flow.across.append((source, dest, trigger))
            elif dest in side:
                into.setdefault((dest, trigger), set()).add(source)
            elif source in side:
                out.setdefault((source, family(trigger, dest)), set()).add(dest)
            else:
                flow.steps.append((source, dest, trigger))
    flow.arrows = [SideArrow(s, frozenset(r), t, True) for (s, t), r in into.items()]
    flow.arrows += [SideArrow(s, frozenset(r), t, False) for (s, t), r in out.items()]
    return flow


def family(trigger: str, dest: str) -> str:
    """A trigger named after its target, as one name for all targets: resume_to_<stage>."""
    suffix = f"_{dest}"
    return trigger[: -len(dest)] + STAGE if trigger.endswith(suffix) else trigger


def gate_flow_svg(definition: Definition, labels: Mapping[str, str] | None = None) -> str:
    """The SVG document of the gate flow; `labels` names triggers (pass_initiation -> 'G1 ...')."""
    names = dict(labels or {})
    flow = flow_of(definition)
    width = 2 * MARGIN + len(flow.row) * BOX_W + (len(flow.row) - 1) * GAP
    height = SIDE_Y + BOX_H + MARGIN if flow.side else ROW_Y + BOX_H + MARGIN + 20
    svg = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "viewBox": f"0 0 {width} {height}",
            "width": str(width),
            "height": str(height),
            "role": "img",
            "font-family": FONT,
        },
    )
    ET.SubElement(svg, "title").text = describe_flow(definition, names)
    _defs(svg)
    ET.SubElement(svg, "rect", _box(0, 0, width, height, fill="#ffffff"))
    for index, stage in enumerate(flow.row):
        _stage(svg, stage, _row_x(index), ROW_Y, final=index == len(flow.row) - 1)
    for source, dest, trigger in flow.steps:
        _step(svg, flow, source, dest, trigger, names.get(trigger, ""))
    _side(svg, flow, width)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(svg, encoding="unicode") + "\n"


def _row_x(index: int) -> float:
    return MARGIN + index * (BOX_W + GAP)


def _box(x: float, y: float, w: float, h: float, **attributes: str) -> dict[str, str]:
    return {"x": _n(x), "y": _n(y), "width": _n(w), "height": _n(h), **attributes}


def _n(value: float) -> str:
    return f"{value:g}"


def _defs(svg: ET.Element) -> None:
    marker = ET.SubElement(
        ET.SubElement(svg, "defs"),
        "marker",
        {
            "id": "arrow",
            "viewBox": "0 0 10 10",
            "refX": "10",
            "refY": "5",
            "markerWidth": "8",
            "markerHeight": "8",
            "orient": "auto-start-reverse",
        },
    )
    ET.SubElement(marker, "path", {"d": "M0,0 L10,5 L0,10 z", "fill": INK})


def _stage(svg: ET.Element, stage: str, x: float, y: float, final: bool = False) -> None:
    fill, stroke = COLOURS.get(stage, ("#dcefe2" if final else "#e8f0fb", BRAND))
    group = ET.SubElement(svg, "g", {"class": "stage"})
    attributes = {"rx": "6", "fill": fill, "stroke": stroke, "stroke-width": "1.5"}
    ET.SubElement(group, "rect", _box(x, y, BOX_W, BOX_H, **attributes))
    _text(group, x + BOX_W / 2, y + BOX_H / 2 + 5, [humane(stage)], 14, weight="600")


def _line(svg: ET.Element, x1: float, y1: float, x2: float, y2: float) -> None:
    points = {"x1": _n(x1), "y1": _n(y1), "x2": _n(x2), "y2": _n(y2)}
    ET.SubElement(svg, "line", {**points, "stroke": INK, "marker-end": "url(#arrow)"})


def _text(
    svg: ET.Element,
    x: float,
    y: float,
    lines: list[str],
    size: int = 12,
    anchor: str = "middle",
    colour: str = INK,
    weight: str = "normal",
) -> None:
    element = ET.SubElement(
        svg,
        "text",
        {
            "x": _n(x),
            "y": _n(y),
            "font-size": str(size),
            "text-anchor": anchor,
            "fill": colour,
            "font-weight": weight,
        },
    )
    for number, line in enumerate(lines):
        span = ET.SubElement(element, "tspan", {"x": _n(x), "dy": str(size + 2 if number else 0)})
        span.text = line


def _step(svg: ET.Element, flow: Flow, source: str, dest: str, trigger: str, label: str) -> None:
    start, end = flow.row.index(source), flow.row.index(dest)
    name = wrap(label or humane(trigger))
    if end == start + 1:
        x1, x2, y = _row_x(start) + BOX_W, _row_x(end), ROW_Y + BOX_H / 2
        _line(svg, x1, y, x2 - 2, y)
        middle = (x1 + x2) / 2
        _text(svg, middle, y - 8 - 14 * (len(name) - 1), name)
        _text(svg, middle, y + 16, [trigger], 10, colour=MUTED)
        return
    # Not between neighbours (a policy may one day allow it): an arc over the row.
    x1, x2, top = _row_x(start) + BOX_W / 2, _row_x(end) + BOX_W / 2, ROW_Y - 40
    curve = f"M{_n(x1)},{ROW_Y} C{_n(x1)},{top} {_n(x2)},{top} {_n(x2)},{ROW_Y - 2}"
    ET.SubElement(
        svg, "path", {"d": curve, "fill": "none", "stroke": INK, "marker-end": "url(#arrow)"}
    )
    _text(svg, (x1 + x2) / 2, top + 8, [f"{' '.join(name)} ({trigger})"], 11)


def _side(svg: ET.Element, flow: Flow, width: int) -> None:
    if not flow.side:
        return
    brackets = sorted({a.stages for a in flow.arrows}, key=lambda s: (-len(s), sorted(s)))
    levels = {stages: BRACKET_Y + i * BRACKET_STEP for i, stages in enumerate(brackets)}
    # Side states sit under the widest bracket, so every arrow meets its rail.
    if brackets:
        centres = _centres(flow, brackets[0])
        left, right = centres[0], centres[-1]
    else:
        left, right = MARGIN + BOX_W / 2, width - MARGIN - BOX_W / 2
    count = len(flow.side) + 1
    xs = {s: left + (right - left) * (i + 1) / count - BOX_W / 2 for i, s in enumerate(flow.side)}
    ticks = {x for stages in brackets for x in _centres(flow, stages)}
    for stages, y in levels.items():
        _bracket(svg, flow, stages, y)
    for state in flow.side:
        _stage(svg, state, xs[state], SIDE_Y)
        arrows = [a for a in flow.arrows if a.state == state]
        for slot, arrow in enumerate(arrows):
            x = _clear_of(xs[state] + BOX_W * (slot + 1) / (len(arrows) + 1), ticks)
            _vertical(svg, x, levels[arrow.stages], arrow)
    for source, dest, trigger in flow.across:
        _across(svg, xs[source], xs[dest], trigger)


def _centres(flow: Flow, stages: frozenset[str]) -> list[float]:
    return [_row_x(i) + BOX_W / 2 for i in sorted(flow.row.index(s) for s in stages)]


def _clear_of(x: float, ticks: set[float], room: float = 12) -> float:
    """Move an arrow off a bracket's tick, where it would seem to reach that stage."""
    near = [t for t in ticks if abs(t - x) < room]
    return x if not near else near[0] + (room if x >= near[0] else -room)


def _bracket(svg: ET.Element, flow: Flow, stages: frozenset[str], y: float) -> None:
    centres = _centres(flow, stages)
    rail = {"x1": _n(centres[0]), "y1": _n(y), "x2": _n(centres[-1]), "y2": _n(y)}
    ET.SubElement(svg, "line", {**rail, "stroke": MUTED, "stroke-width": "2"})
    for x in centres:
        tick = {"x1": _n(x), "y1": _n(ROW_Y + BOX_H), "x2": _n(x), "y2": _n(y)}
        ET.SubElement(svg, "line", {**tick, "stroke": MUTED, "stroke-dasharray": "3 3"})


def _vertical(svg: ET.Element, x: float, rail_y: float, arrow: SideArrow) -> None:
    middle = (rail_y + SIDE_Y) / 2 + 4
    if arrow.entering:
        _line(svg, x, rail_y, x, SIDE_Y - 2)
        _text(svg, x - 6, middle, [arrow.label], anchor="end")
    else:
        _line(svg, x, SIDE_Y, x, rail_y + 2)
        _text(svg, x + 6, middle, [arrow.label], anchor="start")


def _across(svg: ET.Element, source_x: float, dest_x: float, trigger: str) -> None:
    y = SIDE_Y + BOX_H / 2
    if source_x < dest_x:
        x1, x2 = source_x + BOX_W, dest_x - 2
    else:
        x1, x2 = source_x, dest_x + BOX_W + 2
    _line(svg, x1, y, x2, y)
    _text(svg, (x1 + x2) / 2, y - 8, [trigger])


def describe_flow(definition: Definition, labels: Mapping[str, str] | None = None) -> str:
    """The flow in a paragraph: the diagram's title and the alternative text of its image."""
    names = labels or {}
    flow = flow_of(definition)
    parts = [f"Stages in order: {', '.join(humane(s) for s in flow.row)}."]
    for source, dest, trigger in flow.steps:
        name = names.get(trigger, trigger)
        parts.append(f"{name} ({trigger}) moves a project from {humane(source)} to {humane(dest)}.")
    for arrow in flow.arrows:
        stages, state = _listed(flow, arrow.stages), humane(arrow.state)
        if arrow.entering:
            parts.append(f"{arrow.label} moves it from {stages} to {state}.")
        else:
            parts.append(f"From {state}, {arrow.label} returns it to {stages}.")
    for source, dest, trigger in flow.across:
        parts.append(f"{trigger} also moves it from {humane(source)} to {humane(dest)}.")
    return " ".join(parts)


def _listed(flow: Flow, stages: frozenset[str]) -> str:
    names = [humane(s) for s in flow.row if s in stages]
    if len(names) == 1:
        return names[0]
    return "any of " + ", ".join(names[:-1]) + " or " + names[-1]


def humane(name: str) -> str:
    """An identifier as words: 'on_hold' -> 'on hold'."""
    return name.replace("_", " ")


def wrap(text: str, width: int = LABEL_CHARS) -> list[str]:
    """Split `text` into lines of at most `width` characters (a longer word stays whole)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines or [""]
