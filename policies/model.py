"""The policy language as frozen dataclasses: what a loaded, checked policy is."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

import cel

FactValue = Decimal | int | bool | str | date


class FactType(StrEnum):
    """The kinds of value a project fact (or a form field) can hold."""

    MONEY = "money"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    ENUM = "enum"
    DATE = "date"
    TEXT = "text"


class Decision(StrEnum):
    """What a gate review can decide."""

    GO = "go"
    CONDITIONAL_GO = "conditional_go"
    RECYCLE = "recycle"
    HOLD = "hold"
    KILL = "kill"

    @property
    def label(self) -> str:
        """The decision as a person says it: 'conditional go'."""
        return self.value.replace("_", " ")


class ArtifactKind(StrEnum):
    """How an artifact is supplied: an uploaded file, a link, or a structured form."""

    FILE = "file"
    LINK = "link"
    FORM = "form"


class Independence(StrEnum):
    """People a signer must not be, unless the policy explicitly allows it."""

    SUBMITTER = "submitter"
    PROJECT_MANAGER = "project_manager"
    EVIDENCE_ATTACHER = "evidence_attacher"


DEFAULT_INDEPENDENCE = frozenset(Independence)

MANAGER_ROLE = "project_manager"
"""The role of managing a project, as `incompatible_roles` names it (not a policy role)."""

DEFAULT_INCOMPATIBLE = (frozenset({MANAGER_ROLE, "sponsor"}),)
"""Where a policy says nothing: nobody manages and sponsors one project."""

DEFAULT_MAX_WAIVER_DAYS = 90
"""Where a policy says nothing: a waiver lasts at most 90 days, and always has an expiry."""


class OpenConditions(StrEnum):
    """What the open conditions of a conditional go do to the next gate's go."""

    BLOCK = "block"  # the default: close them first
    ALLOW = "allow"  # the policy relaxes it: the next gate may pass with them open


class Overrides(StrEnum):
    """Whether the PMO may force a gate through with requirements missing (two members)."""

    ALLOWED = "allowed"  # the default: a reason and a second PMO member
    FORBIDDEN = "forbidden"


DEFAULT_CHANGE_APPROVERS = ("sponsor", "pmo")
"""Where a policy says nothing: a change request needs the sponsor and the PMO, both."""


@dataclass(frozen=True, slots=True)
class Condition:
    """A compiled CEL expression, with the facts it reads (checked at load time)."""

    source: str
    program: cel.Program = field(compare=False, repr=False)
    facts: frozenset[str] = frozenset()
    uses_tier: bool = False
    alternatives: tuple[Condition, ...] = field(default=(), compare=False, repr=False)
    """The parts of a top-level `a || b || c`, so a reason can name only the parts that held."""
    programme: frozenset[str] = frozenset()
    """The `programme.<name>`s it reads (projects, total_<fact>, reached)."""

    def __str__(self) -> str:
        return self.source


@dataclass(frozen=True, slots=True)
class Fact:
    """A project fact the policy reads, with its type."""

    id: str
    type: FactType
    title: str
    description: str = ""
    values: tuple[str, ...] = ()
    required: bool = True
    default: FactValue | None = None


@dataclass(frozen=True, slots=True)
class Role:
    """A sign-off role the policy uses (sponsor, finance, ...)."""

    id: str
    title: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class Tier:
    """A class of project; the first tier whose `when` holds is chosen, the last is the default."""

    id: str
    title: str
    when: Condition | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class FormField:
    """One typed field of a structured-form artifact."""

    id: str
    title: str
    type: FactType
    required: bool = True
    values: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Artifact:
    """Evidence a gate needs: a file, a link or a form."""

    id: str
    title: str
    kind: ArtifactKind
    why: str = ""
    fields: tuple[FormField, ...] = ()
    when: Condition | None = None
    max_age_days: int | None = None
    waivable_by: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The requirement key: 'artifact:<id>'."""
        return f"artifact:{self.id}"


@dataclass(frozen=True, slots=True)
class Criterion:
    """A fact that must hold, as a CEL expression over the project facts."""

    id: str
    title: str
    expr: Condition
    why: str = ""
    when: Condition | None = None
    waivable_by: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The requirement key: 'criterion:<id>'."""
        return f"criterion:{self.id}"


class SignoffKind(StrEnum):
    """What a sign-off's signature does to a go."""

    BLOCKING = "blocking"  # the default: a signature that does not approve blocks a go
    ADVISORY = "advisory"  # a position (support, disagree but support, object), never blocks
    CONSULTED = "consulted"  # a comment, with no position


class Position(StrEnum):
    """What an advisory or consulted signer records instead of a decision."""

    SUPPORT = "support"
    DISAGREE_BUT_SUPPORT = "disagree_but_support"
    OBJECT = "object"
    COMMENT = "comment"  # a consulted role's only position

    @property
    def label(self) -> str:
        """The position as a person says it: 'disagree but support'."""
        return self.value.replace("_", " ")


POSITIONS: dict[SignoffKind, tuple[Position, ...]] = {
    SignoffKind.BLOCKING: (),
    SignoffKind.ADVISORY: (Position.SUPPORT, Position.DISAGREE_BUT_SUPPORT, Position.OBJECT),
    SignoffKind.CONSULTED: (Position.COMMENT,),
}
"""The positions each kind of sign-off records (a blocking one records a decision)."""


class Share(StrEnum):
    """A count of signatures relative to the people holding the role on the project."""

    MAJORITY = "majority"  # more than half of them
    ALL = "all"  # every one of them


SignoffCount = int | Share | Condition
"""How many must sign: a number, a share of the role's holders, or a CEL number over facts."""


@dataclass(frozen=True, slots=True)
class Signoff:
    """Who must sign: `min` people holding `role`, in `order` when chained; a `blocking`
    sign-off's objection blocks a go, an `advisory` one's position and a `consulted` one's
    comment are recorded and never block."""

    role: str
    min: SignoffCount = 1
    when: Condition | None = None
    order: int | None = None
    independent_of: frozenset[Independence] = DEFAULT_INDEPENDENCE
    waivable_by: tuple[str, ...] = ()
    distinct_from_previous_gate: bool = False
    kind: SignoffKind = SignoffKind.BLOCKING

    @property
    def key(self) -> str:
        """The requirement key: 'signoff:<role>'."""
        return f"signoff:{self.role}"


Requirement = Artifact | Criterion | Signoff


@dataclass(frozen=True, slots=True)
class Decider:
    """A role that may decide a gate, where its condition holds for the project (always,
    without one): an investment board, or a treasury above a delegated limit."""

    role: str
    when: Condition | None = None


@dataclass(frozen=True, slots=True)
class PanelVote:
    """A gate whose go needs a vote of a panel: the holders of `panel` on the project each
    vote once a round, and a go needs `needs` of them for it: "majority" (more than half),
    "unanimous" (all), or a number of votes."""

    panel: str
    needs: str | int = "majority"


DEFAULT_DECIDERS = (Decider("sponsor"), Decider("pmo"))
"""Who decides a gate whose policy names nobody: the sponsor or the PMO."""


@dataclass(frozen=True, slots=True)
class Gate:
    """A decision point: the requirements to pass it and the stage entered on go."""

    id: str
    name: str
    stage: str
    description: str = ""
    skip_when: Condition | None = None
    artifacts: tuple[Artifact, ...] = ()
    criteria: tuple[Criterion, ...] = ()
    signoffs: tuple[Signoff, ...] = ()
    decisions: tuple[Decision, ...] = tuple(Decision)
    sla_days: int | None = None
    escalate_to: str | None = None
    recycle_to: tuple[str, ...] = ()
    """Earlier gates a recycle here may send the project back to (default: this gate only)."""
    decided_by: tuple[Decider, ...] = DEFAULT_DECIDERS
    """The roles that may decide the gate, each where its condition holds."""
    vote: PanelVote | None = None
    """The panel whose vote a go needs, if any."""
    max_rounds: int | None = None
    """Review rounds the gate may take: at the last, a recycle is refused (hold or kill)."""
    requirements: tuple[Requirement, ...] = field(init=False, compare=False, repr=False)
    """Every requirement of the gate: artifacts, then criteria, then sign-offs."""

    def __post_init__(self) -> None:
        # Derived once: readiness walks it for every project, thousands of times a second.
        requirements = (*self.artifacts, *self.criteria, *self.signoffs)
        object.__setattr__(self, "requirements", requirements)

    def requirement(self, key: str) -> Requirement | None:
        """The requirement with this key ('artifact:charter'), or None."""
        return next((r for r in self.requirements if r.key == key), None)


@dataclass(frozen=True, slots=True)
class MoneyThreshold:
    """A money fact that may move at most `percent` (either way) from its baseline without a
    change request."""

    fact: str
    percent: Decimal


@dataclass(frozen=True, slots=True)
class ChangeControl:
    """How the facts of a project change once its first gate is passed.

    A change that moves the tier or makes a requirement stop applying always needs a change
    request; so does a money fact moving beyond its threshold. `approvers` must all approve.
    """

    approvers: tuple[str, ...] = DEFAULT_CHANGE_APPROVERS
    money: tuple[MoneyThreshold, ...] = ()


DEFAULT_CHANGE_CONTROL = ChangeControl()
"""Where a policy says nothing (every published version before `change_control` existed)."""


class TriggerEvent(StrEnum):
    """What a trigger reacts to. New kinds are added here, in the spec and in the loader."""

    CHANGE_APPROVED = "change_approved"


@dataclass(frozen=True, slots=True)
class Trigger:
    """When `on` happens to a project, the review of gate `review` must pass (again) before
    the project's next gate: e.g. an approved change opens a re-baseline review."""

    on: TriggerEvent
    review: str


@dataclass(frozen=True, slots=True)
class Policy:
    """A versioned, immutable set of gate rules written by the PMO."""

    id: str
    version: int
    title: str
    description: str
    initial_stage: str
    facts: tuple[Fact, ...]
    roles: tuple[Role, ...]
    tiers: tuple[Tier, ...]
    gates: tuple[Gate, ...]
    source_name: str = ""
    digest: str = ""
    incompatible_roles: tuple[frozenset[str], ...] = DEFAULT_INCOMPATIBLE
    max_waiver_days: int = DEFAULT_MAX_WAIVER_DAYS
    open_conditions: OpenConditions = OpenConditions.BLOCK
    overrides: Overrides = Overrides.ALLOWED
    change_control: ChangeControl = DEFAULT_CHANGE_CONTROL
    triggers: tuple[Trigger, ...] = ()

    @property
    def ref(self) -> str:
        """The policy and version as people write it: 'standard@3'."""
        return f"{self.id}@{self.version}"

    @property
    def stages(self) -> tuple[str, ...]:
        """The stages in order: the initial stage, then the stage each gate enters."""
        return (self.initial_stage, *(g.stage for g in self.gates))

    def fact(self, fact_id: str) -> Fact | None:
        """The fact with this id, or None."""
        return next((f for f in self.facts if f.id == fact_id), None)

    def role(self, role_id: str) -> Role | None:
        """The role with this id, or None."""
        return next((r for r in self.roles if r.id == role_id), None)

    def gate(self, gate_id: str) -> Gate | None:
        """The gate with this id, or None."""
        return next((g for g in self.gates if g.id == gate_id), None)

    def role_title(self, role_id: str) -> str:
        """The role's title, falling back to its id."""
        role = self.role(role_id)
        return role.title if role else role_id
