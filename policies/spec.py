"""The shape of a policy document, declared once.

The loader checks structure against it (unknown keys, missing keys, wrong types) and the JSON
Schema that editors use is generated from it, so the two can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from policies.limits import (
    MAX_DAYS,
    MAX_DESCRIPTION_CHARS,
    MAX_IDENTIFIER_CHARS,
    MAX_ROUNDS,
    MAX_SIGNERS,
    MAX_TITLE_CHARS,
    MAX_VERSION,
)
from policies.model import (
    ArtifactKind,
    Decision,
    FactType,
    Independence,
    OpenConditions,
    Overrides,
    Separation,
    SignoffKind,
    TriggerEvent,
)

IDENTIFIER = r"^[a-z][a-z0-9_]*$"
CURRENCY = r"^[A-Z]{3}$"


@dataclass(frozen=True)
class Scalar:
    """A single value: 'string', 'integer', 'boolean', 'identifier', 'cel', 'count' (a sign-off's
    number of people, share or CEL count), 'currency' (an ISO 4217 code), 'decimal' (a number
    read exactly, from its text), 'date' or 'any'."""

    kind: str
    description: str = ""
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    above: int | None = None
    """The value must be more than this (a rate: above 0)."""


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
    """A mapping from names to values of one shape: identifiers (fact ids, role ids), or
    currency codes when `keys` is 'currency'."""

    value: Spec
    description: str = ""
    keys: str = "identifier"


Spec = Scalar | Mapping | ListOf | MapOf


def _title(description: str) -> Scalar:
    return Scalar("string", description, max_length=MAX_TITLE_CHARS)


def _text(description: str) -> Scalar:
    return Scalar("string", description, max_length=MAX_DESCRIPTION_CHARS)


def _cel(description: str) -> Scalar:
    # Its length is bounded with the condition's other costs (policies.cel_cost).
    return Scalar("cel", description)


def _id(description: str = "") -> Scalar:
    return Scalar("identifier", description, max_length=MAX_IDENTIFIER_CHARS)


def _ids(description: str) -> ListOf:
    return ListOf(_id(), description)


def _days(description: str) -> Scalar:
    return Scalar("integer", description, minimum=1, maximum=MAX_DAYS)


def _signers(description: str) -> Scalar:
    return Scalar("integer", description, minimum=1, maximum=MAX_SIGNERS)


def _values(description: str) -> ListOf:
    return ListOf(Scalar("string", max_length=MAX_TITLE_CHARS), description)


WAIVABLE_BY = _ids("Roles that may waive this requirement (with a justification and an expiry).")

FORM_FIELD = Mapping(
    {
        "id": Field(_id("Field id."), required=True),
        "title": Field(_title("Label shown on the form."), required=True),
        "type": Field(Scalar("string", "Value type.", tuple(FactType)), required=True),
        "required": Field(Scalar("boolean", "Must be filled in (default true).")),
        "values": Field(_values("Allowed values of an enum field.")),
    },
    "A typed field of a structured form.",
)

ARTIFACT = Mapping(
    {
        "id": Field(_id("Artifact id, unique in the gate."), required=True),
        "title": Field(_title("What the artifact is called: 'Project charter'."), required=True),
        "why": Field(_text("Why the gate needs it, in a sentence.")),
        "kind": Field(Scalar("string", "How it is supplied.", tuple(ArtifactKind)), required=True),
        "fields": Field(ListOf(FORM_FIELD, "The fields of a form artifact.")),
        "when": Field(_cel("Needed only when this CEL condition holds.")),
        "max_age_days": Field(_days("Stale when older than this.")),
        "waivable_by": Field(WAIVABLE_BY),
    },
    "Evidence the gate needs.",
)

CRITERION = Mapping(
    {
        "id": Field(_id("Criterion id, unique in the gate."), required=True),
        "title": Field(_title("What must hold, in words."), required=True),
        "expr": Field(_cel("CEL expression over the project facts; must be true."), required=True),
        "why": Field(_text("Why it matters.")),
        "when": Field(_cel("Checked only when this CEL condition holds.")),
        "waivable_by": Field(WAIVABLE_BY),
    },
    "A fact that must hold.",
)

SIGNOFF = Mapping(
    {
        "role": Field(_id("The signing role."), required=True),
        "min": Field(
            Scalar(
                "count",
                "How many people of this role sign (default 1): a number, majority (more than "
                "half the active holders of the role on the project), all (every one of them), "
                "or a CEL expression giving a whole number over the facts.",
            )
        ),
        "kind": Field(
            Scalar(
                "string",
                "blocking (the default: a signature that does not approve blocks a go), "
                "advisory (a position that is recorded and never blocks) or consulted "
                "(a comment, no position).",
                tuple(SignoffKind),
            )
        ),
        "when": Field(_cel("Needed only when this CEL condition holds.")),
        "order": Field(_signers("Position in a sequential chain (1 signs first).")),
        "independent_of": Field(
            ListOf(
                Scalar("string", "", tuple(Independence)),
                "People the signer must not be (default: submitter and project_manager).",
            )
        ),
        "waivable_by": Field(WAIVABLE_BY),
        "distinct_from_previous_gate": Field(
            Scalar(
                "boolean",
                "Nobody who signed the review that passed the previous gate signs this one "
                "(default false).",
            )
        ),
    },
    "A sign-off the gate needs.",
)

DECIDER = Mapping(
    {
        "role": Field(
            _id("A role that may decide the gate (declared under roles)."), required=True
        ),
        "when": Field(_cel("Only where this CEL condition holds for the project.")),
    },
    "Who may decide the gate.",
)

VOTE = Mapping(
    {
        "panel": Field(
            _id("The role whose holders on the project vote (one of roles)."), required=True
        ),
        "needs": Field(
            Scalar(
                "any",
                "Votes for a go it needs: majority (the default: more than half the panel), "
                "unanimous, or a number.",
            )
        ),
    },
    "A vote of a panel that a go needs.",
)

RATING_RULE = Mapping(
    {
        "when": Field(
            _cel(
                "Where this CEL condition holds: it reads assurance.rating, assurance.level "
                "(0 is the best rating) and the facts."
            ),
            required=True,
        ),
        "decisions": Field(
            ListOf(
                Scalar("string", "", tuple(Decision)),
                "The decisions left to the deciders (default: the gate's).",
            )
        ),
        "escalate_to": Field(
            _id("A role the decision moves to: only its holders may then decide the gate.")
        ),
    },
    "What a rating does to the gate's decision.",
)

ASSURANCE = Mapping(
    {
        "reviewers": Field(
            _id("The role whose holders may record the assurance review (one of roles)."),
            required=True,
        ),
        "scale": Field(_id("The rating scale (one of rating_scales)."), required=True),
        "when": Field(_cel("Needed only when this CEL condition holds.")),
        "independent_of": Field(
            ListOf(
                Scalar("string", "", tuple(Separation)),
                "Whom the reviewer must be independent of (default: all of project_manager, "
                "sponsor, team and org_unit).",
            )
        ),
        "rules": Field(ListOf(RATING_RULE, "What ratings do to the decision.")),
    },
    "An independent assurance review a go needs: a rating and recommendations.",
)

RATING_SCALE = Mapping(
    {
        "title": Field(_title("Label shown to people: 'Delivery confidence'.")),
        "ratings": Field(
            ListOf(_id(), "The ratings, best first: [green, amber, red].", 2), required=True
        ),
    },
    "A scale assurance reviews rate on.",
)

GATE = Mapping(
    {
        "id": Field(_id("Gate id, unique in the policy."), required=True),
        "name": Field(_title("The gate's name: 'Initiation gate'."), required=True),
        "stage": Field(_id("The stage entered on go."), required=True),
        "description": Field(_text("What this gate decides.")),
        "skip_when": Field(_cel("The gate is skipped when this CEL condition holds.")),
        "artifacts": Field(ListOf(ARTIFACT, "Evidence required.")),
        "criteria": Field(ListOf(CRITERION, "Facts that must hold.")),
        "signoffs": Field(ListOf(SIGNOFF, "Sign-offs required.")),
        "decisions": Field(
            ListOf(Scalar("string", "", tuple(Decision)), "Decisions allowed (default: all).")
        ),
        "sla_days": Field(_days("Days a review may wait for a decision.")),
        "escalate_to": Field(_id("Role told when the SLA is missed.")),
        "recycle_to": Field(
            _ids(
                "Earlier gates a recycle here may send the project back to "
                "(default: none, a recycle reworks this gate)."
            )
        ),
        "decided_by": Field(
            ListOf(
                DECIDER,
                "The roles that may decide the gate, each where its 'when' holds "
                "(default: the sponsor or the PMO).",
            )
        ),
        "vote": Field(VOTE),
        "max_rounds": Field(
            Scalar(
                "integer",
                "Review rounds the gate may take; at the last, no more recycles (default: no cap).",
                minimum=1,
                maximum=MAX_ROUNDS,
            )
        ),
        "assurance": Field(ASSURANCE),
        "repeatable": Field(
            Scalar(
                "boolean",
                "The gate may be held again after it passed, while the project is in a later "
                "stage (e.g. before each procurement); default false.",
            )
        ),
    },
    "A decision point between two stages.",
)


def _currency(description: str) -> Scalar:
    return Scalar("currency", description)


FACT = Mapping(
    {
        "type": Field(Scalar("string", "Value type.", tuple(FactType)), required=True),
        "title": Field(_title("Label shown to people.")),
        "description": Field(_text("What the fact means.")),
        "values": Field(_values("Allowed values of an enum fact.")),
        "required": Field(Scalar("boolean", "Must be given at registration (default true).")),
        "default": Field(Scalar("any", "Value used when the fact is not given.")),
        "negative": Field(
            Scalar(
                "boolean",
                "A money fact that may be below zero, such as a net present value (default false).",
            )
        ),
        "currencies": Field(
            ListOf(
                _currency(""),
                "The currencies a money fact may be given in (default: the policy's currency "
                "and every currency it has a rate for).",
                1,
            )
        ),
    },
    "A project fact the policy reads.",
)

EXCHANGE_RATES = Mapping(
    {
        "as_of": Field(Scalar("date", "The date the rates are from (YYYY-MM-DD)."), required=True),
        "source": Field(_title("Where the rates come from: 'ECB reference rates'."), required=True),
        "rates": Field(
            MapOf(
                Scalar(
                    "decimal",
                    "Units of the policy's currency one unit of this currency is worth.",
                    max_length=24,
                    above=0,
                ),
                "One rate per currency other than the policy's: USD: 0.92.",
                keys="currency",
            ),
            required=True,
        ),
    },
    "The rates money in other currencies converts to the policy's currency at; they are pinned "
    "with the policy version.",
)

ROLE = Mapping(
    {
        "title": Field(_title("Label shown to people."), required=True),
        "description": Field(_text("Who holds this role.")),
    },
    "A sign-off role.",
)

TIER = Mapping(
    {
        "id": Field(_id("Tier id."), required=True),
        "title": Field(_title("Label shown to people.")),
        "description": Field(_text("What kind of project this is.")),
        "when": Field(_cel("Chosen when this CEL condition holds; the last tier has none.")),
    },
    "A class of project.",
)

CHANGE_CONTROL = Mapping(
    {
        "approvers": Field(
            ListOf(
                _id(),
                "Roles that must all approve a change request (default: [sponsor, pmo]).",
                1,
            )
        ),
        "money": Field(
            MapOf(
                Scalar("string", "A percentage: '10%'.", max_length=MAX_IDENTIFIER_CHARS),
                "Money facts that may move at most this much from their baseline without a "
                "change request.",
            )
        ),
    },
    "Change control on facts after the first gate: a change that moves the tier or makes a "
    "requirement stop applying always needs an approved change request.",
)

TRIGGER = Mapping(
    {
        "on": Field(Scalar("string", "What happened.", tuple(TriggerEvent)), required=True),
        "review": Field(
            _id("The gate whose review must pass again before the next gate."), required=True
        ),
        "every": Field(
            Scalar(
                "string",
                "A recurring trigger's period: '12 months', '1 year', '2 weeks', '90 days'.",
                max_length=MAX_IDENTIFIER_CHARS,
            )
        ),
        "first": Field(
            Scalar(
                "string",
                "When a recurring review first comes: '6 months after gate go_live' "
                "(default: 'every' after the gate it reviews was first passed).",
                max_length=MAX_TITLE_CHARS,
            )
        ),
        "until": Field(
            _id("The stage whose reaching ends a recurring review (default: it never ends).")
        ),
    },
    "Something that happens to a project, and the review it opens.",
)

POLICY = Mapping(
    {
        "id": Field(_id("Policy id: 'standard'."), required=True),
        "version": Field(
            Scalar(
                "integer",
                "Version number; a new version is a new file.",
                minimum=1,
                maximum=MAX_VERSION,
            ),
            required=True,
        ),
        "title": Field(_title("The policy's name."), required=True),
        "description": Field(_text("What projects it governs.")),
        "initial_stage": Field(_id("The stage a new project starts in.")),
        "facts": Field(MapOf(FACT, "The project facts the policy reads."), required=True),
        "roles": Field(MapOf(ROLE, "The sign-off roles the policy uses."), required=True),
        "tiers": Field(
            ListOf(TIER, "Ordered; first match wins; the last is the default.", 1), required=True
        ),
        "gates": Field(ListOf(GATE, "The gates, in order.", 1), required=True),
        "max_waiver_days": Field(
            Scalar(
                "integer",
                "The longest a waiver may last, in days; every waiver has an expiry (default 90).",
                minimum=1,
                maximum=3650,
            )
        ),
        "incompatible_roles": Field(
            ListOf(
                ListOf(_id(), "Two roles (a policy role, or project_manager).", 2),
                "Pairs of roles one person may not hold on one project, checked when granting "
                "and when signing (default: [[project_manager, sponsor]]; [] allows every pair).",
            )
        ),
        "open_conditions": Field(
            Scalar(
                "string",
                "Whether open conditions of a conditional go block the next gate's go "
                "(default block; allow relaxes it).",
                tuple(OpenConditions),
            )
        ),
        "overrides": Field(
            Scalar(
                "string",
                "Whether the PMO may force a gate through with requirements missing, with a "
                "reason and a second PMO member (default allowed).",
                tuple(Overrides),
            )
        ),
        "change_control": Field(CHANGE_CONTROL),
        "triggers": Field(ListOf(TRIGGER, "What happens when: e.g. an approved change.")),
        "rating_scales": Field(MapOf(RATING_SCALE, "The scales assurance reviews rate on, by id.")),
        "currency": Field(
            _currency(
                "The base currency (ISO 4217: EUR): money given without a currency is in it, "
                "and conditions and thresholds compare in it."
            )
        ),
        "exchange_rates": Field(EXCHANGE_RATES),
    },
    "A Lockgate stage-gate policy.",
)
