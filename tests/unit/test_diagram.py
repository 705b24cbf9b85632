"""The gate-flow diagram: valid SVG, drawn from the machine definition the engine runs, every
stage and gate on it, every text escaped, nothing external in it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from policies.library import find_policy, shipped
from policies.model import Policy
from web.diagram import describe_flow, flow_of, gate_flow_svg, wrap
from workflows.machines import Definition, project_definition
from workflows.views.policies import gate_flow

SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: str) -> list[str]:
    """Every line of text drawn in the image (one per <text>, its spans joined by spaces)."""
    root = ET.fromstring(svg)
    return [" ".join(t.itertext()).strip() for t in root.iter(f"{SVG}text")]


def drawn(svg: str) -> str:
    return "\n".join(texts(svg))


@pytest.fixture(params=shipped())
def policy(request: pytest.FixtureRequest) -> Policy:
    return find_policy(request.param)


def test_the_diagram_is_valid_svg(policy: Policy) -> None:
    root = ET.fromstring(gate_flow_svg(*gate_flow(policy)))
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox")
    assert root.find(f"{SVG}title") is not None


def test_every_stage_of_the_policy_is_a_box_on_the_diagram(policy: Policy) -> None:
    lines = texts(gate_flow_svg(*gate_flow(policy)))
    for stage in [*policy.stages, "on_hold", "killed"]:
        assert stage.replace("_", " ") in lines


def test_every_gate_labels_its_transition_with_its_name_and_trigger(policy: Policy) -> None:
    svg = drawn(gate_flow_svg(*gate_flow(policy)))
    for gate in policy.gates:
        assert gate.name in svg.replace("\n", " ")
        assert f"pass_{gate.id}" in svg.splitlines()


def test_the_standard_stages_run_left_to_right_in_policy_order() -> None:
    policy = find_policy("standard")
    root = ET.fromstring(gate_flow_svg(*gate_flow(policy)))
    boxes = {
        " ".join(g.itertext()).strip(): float(g.find(f"{SVG}rect").get("x", "0"))  # type: ignore[union-attr]
        for g in root.iter(f"{SVG}g")
    }
    xs = [boxes[stage] for stage in policy.stages]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)
    assert boxes["on hold"] > xs[0] and boxes["killed"] < xs[-1]


def test_hold_kill_and_resume_are_drawn_once_each_however_many_stages() -> None:
    lines = texts(gate_flow_svg(*gate_flow(find_policy("standard"))))
    assert lines.count("hold") == 1
    assert lines.count("resume_to_<stage>") == 1
    assert lines.count("kill") == 2  # from the stages, and from on hold


def test_the_diagram_is_drawn_from_the_definition_it_is_given() -> None:
    policy = find_policy("standard")
    definition, labels = gate_flow(policy)
    shortcut = {"trigger": "fast_track", "source": "initiation", "dest": "execution"}
    fewer = [t for t in definition.transitions if t["trigger"] != "pass_closure"]
    changed = replace(definition, transitions=[*fewer, shortcut])
    svg = drawn(gate_flow_svg(changed, labels))
    assert "fast track (fast_track)" in svg
    assert "pass_closure" not in svg and "G5 Project closure" not in svg


def test_the_definition_is_the_one_the_engine_builds_its_machine_from() -> None:
    policy = find_policy("lite")
    definition, labels = gate_flow(policy)
    assert definition == project_definition(policy)
    assert set(labels) == {f"pass_{g.id}" for g in policy.gates}


def test_every_text_is_escaped() -> None:
    definition = Definition(
        ["a<b", "c&d", "on_hold"],
        [
            {"trigger": "go", "source": "a<b", "dest": "c&d"},
            {"trigger": "hold", "source": ["a<b"], "dest": "on_hold"},
        ],
        "a<b",
    )
    svg = gate_flow_svg(definition, {"go": '</text><script>alert("x")</script>'})
    root = ET.fromstring(svg)
    assert not list(root.iter(f"{SVG}script"))
    assert "a<b" in texts(svg) and "c&d" in texts(svg)
    assert '</text><script>alert("x")</script>' in drawn(svg)


def test_the_image_holds_no_script_style_or_external_reference(policy: Policy) -> None:
    svg = gate_flow_svg(*gate_flow(policy))
    root = ET.fromstring(svg)
    tags = {element.tag.removeprefix(SVG) for element in root.iter()}
    assert tags <= {"svg", "title", "defs", "marker", "path", "rect", "g", "text", "tspan", "line"}
    assert not any("style" in element.attrib for element in root.iter())
    assert svg.count("http") == 1  # the SVG namespace, nothing fetched


def test_the_description_names_every_stage_and_gate_in_order(policy: Policy) -> None:
    text = describe_flow(*gate_flow(policy))
    positions = [text.index(gate.name) for gate in policy.gates]
    assert positions == sorted(positions)
    assert "on hold" in text and "killed" in text


def test_stages_and_side_states_are_told_apart() -> None:
    flow = flow_of(project_definition(find_policy("standard")))
    assert flow.row == list(find_policy("standard").stages)
    assert flow.side == ["on_hold", "killed"]
    assert {(a.state, a.label, a.entering) for a in flow.arrows} == {
        ("on_hold", "hold", True),
        ("killed", "kill", True),
        ("on_hold", "resume_to_<stage>", False),
    }
    assert flow.across == [("on_hold", "killed", "kill")]


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("G1 Initiation approval", ["G1 Initiation approval"]),
        ("G3 Readiness for cutover", ["G3 Readiness for", "cutover"]),
        ("", [""]),
        ("averyveryveryverylongwordthatdoesnotfit", ["averyveryveryverylongwordthatdoesnotfit"]),
    ],
)
def test_labels_wrap_at_word_boundaries(text: str, lines: list[str]) -> None:
    assert wrap(text) == lines
