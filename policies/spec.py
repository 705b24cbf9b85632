"""The shape of a policy document, declared once.

The loader checks structure against it (unknown keys, missing keys, wrong types) and the JSON
Schema that editors use is generated from it, so the two can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from policies.model import ArtifactKind, Decision, FactType, Independence

IDENTIFIER = r"^[a-z][a-z0-9_]*$"


@dataclass(frozen=True)
class Scalar:
    """A single value: 'string', 'integer', 'boolean', 'identifier', 'cel' or 'any'."""

    kind: str
    description: str = ""
    choices: tuple[str, ...] = ()
    minimum: int | None = None


@dataclass(frozen=True)
class Field:
    """One key of a mapping."""

    spec: Spec
    required: bool = False


@dataclass(frozen=True)
class Mapping:
    """A mapping with a fixed set of keys."""

    fields: dict[str, Field]
    description: str = ""


@dataclass(frozen=True)
class ListOf:
    """A list of items of one shape."""

    item: Spec
    description: str = ""
    min_items: int = 0


@dataclass(frozen=True)
class MapOf:
    """A mapping from identifiers (fact ids, role ids) to values of one shape."""

    value: Spec
    description: str = ""


Spec = Scalar | Mapping | ListOf | MapOf


def _text(description: str) -> Scalar:
    return Scalar("string", description)


def _cel(description: str) -> Scalar:
    return Scalar("cel", description)


def _ids(description: str) -> ListOf:
    return ListOf(Scalar("identifier"), description)


WAIVABLE_BY = _ids("Roles that may waive this requirement (with a justification and an expiry).")

FORM_FIELD = Mapping(
    {
        "id": Field(Scalar("identifier", "Field id."), required=True),
        "title": Field(_text("Label shown on the form."), required=True),
        "type": Field(Scalar("string", "Value type.", tuple(FactType)), required=True),
        "required": Field(Scalar("boolean", "Must be filled in (default true).")),
        "values": Field(ListOf(Scalar("string"), "Allowed values of an enum field.")),
    },
    "A typed field of a structured form.",
)

ARTIFACT = Mapping(
    {
        "id": Field(Scalar("identifier", "Artifact id, unique in the gate."), required=True),
        "title": Field(_text("What the artifact is called: 'Project charter'."), required=True),
        "why": Field(_text("Why the gate needs it, in a sentence.")),
        "kind": Field(Scalar("string", "How it is supplied.", tuple(ArtifactKind)), required=True),
        "fields": Field(ListOf(FORM_FIELD, "The fields of a form artifact.")),
        "when": Field(_cel("Needed only when this CEL condition holds.")),
        "max_age_days": Field(Scalar("integer", "Stale when older than this.", minimum=1)),
        "waivable_by": Field(WAIVABLE_BY),
    },
    "Evidence the gate needs.",
)

CRITERION = Mapping(
    {
        "id": Field(Scalar("identifier", "Criterion id, unique in the gate."), required=True),
        "title": Field(_text("What must hold, in words."), required=True),
        "expr": Field(_cel("CEL expression over the project facts; must be true."), required=True),
        "why": Field(_text("Why it matters.")),
        "when": Field(_cel("Checked only when this CEL condition holds.")),
        "waivable_by": Field(WAIVABLE_BY),
    },
    "A fact that must hold.",
)

SIGNOFF = Mapping(
    {
        "role": Field(Scalar("identifier", "The signing role."), required=True),
        "min": Field(Scalar("integer", "How many people of this role (default 1).", minimum=1)),
        "when": Field(_cel("Needed only when this CEL condition holds.")),
        "order": Field(
            Scalar("integer", "Position in a sequential chain (1 signs first).", minimum=1)
        ),
        "independent_of": Field(
            ListOf(
                Scalar("string", "", tuple(Independence)),
                "People the signer must not be (default: submitter and project_manager).",
            )
        ),
        "waivable_by": Field(WAIVABLE_BY),
    },
    "A sign-off the gate needs.",
)

GATE = Mapping(
    {
        "id": Field(Scalar("identifier", "Gate id, unique in the policy."), required=True),
        "name": Field(_text("The gate's name: 'Initiation gate'."), required=True),
        "stage": Field(Scalar("identifier", "The stage entered on go."), required=True),
        "description": Field(_text("What this gate decides.")),
        "skip_when": Field(_cel("The gate is skipped when this CEL condition holds.")),
        "artifacts": Field(ListOf(ARTIFACT, "Evidence required.")),
        "criteria": Field(ListOf(CRITERION, "Facts that must hold.")),
        "signoffs": Field(ListOf(SIGNOFF, "Sign-offs required.")),
        "decisions": Field(
            ListOf(Scalar("string", "", tuple(Decision)), "Decisions allowed (default: all).")
        ),
        "sla_days": Field(Scalar("integer", "Days a review may wait for a decision.", minimum=1)),
        "escalate_to": Field(Scalar("identifier", "Role told when the SLA is missed.")),
    },
    "A decision point between two stages.",
)

FACT = Mapping(
    {
        "type": Field(Scalar("string", "Value type.", tuple(FactType)), required=True),
        "title": Field(_text("Label shown to people.")),
        "description": Field(_text("What the fact means.")),
        "values": Field(ListOf(Scalar("string"), "Allowed values of an enum fact.")),
        "required": Field(Scalar("boolean", "Must be given at registration (default true).")),
        "default": Field(Scalar("any", "Value used when the fact is not given.")),
    },
    "A project fact the policy reads.",
)

ROLE = Mapping(
    {
        "title": Field(_text("Label shown to people."), required=True),
        "description": Field(_text("Who holds this role.")),
    },
    "A sign-off role.",
)

TIER = Mapping(
    {
        "id": Field(Scalar("identifier", "Tier id."), required=True),
        "title": Field(_text("Label shown to people.")),
        "description": Field(_text("What kind of project this is.")),
        "when": Field(_cel("Chosen when this CEL condition holds; the last tier has none.")),
    },
    "A class of project.",
)

POLICY = Mapping(
    {
        "id": Field(Scalar("identifier", "Policy id: 'standard'."), required=True),
        "version": Field(
            Scalar("integer", "Version number; a new version is a new file.", minimum=1),
            required=True,
        ),
        "title": Field(_text("The policy's name."), required=True),
        "description": Field(_text("What projects it governs.")),
        "initial_stage": Field(Scalar("identifier", "The stage a new project starts in.")),
        "facts": Field(MapOf(FACT, "The project facts the policy reads."), required=True),
        "roles": Field(MapOf(ROLE, "The sign-off roles the policy uses."), required=True),
        "tiers": Field(
            ListOf(TIER, "Ordered; first match wins; the last is the default.", 1), required=True
        ),
        "gates": Field(ListOf(GATE, "The gates, in order.", 1), required=True),
    },
    "A Lockgate stage-gate policy.",
)
