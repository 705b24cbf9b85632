"""The policy language as frozen dataclasses: what a loaded, checked policy is."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

import cel

from policies.money import PLAIN_MONEY, ExchangeRates, Money, MoneyRules

FactValue = Decimal | Money | int | bool | str | date
"""A fact's value: money is a Decimal in the base currency, or Money when entered in a named
currency."""


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
class FieldRef:
    """A form field a condition reads, `evidence.<artifact>.<field>`, with the titles a
    reason names it by."""

    artifact: str
    field: str
    artifact_title: str
    field_title: str

    @property
    def name(self) -> str:
        """As the condition writes it: 'evidence.uat_signoff.open_critical_defects'."""
        return f"evidence.{self.artifact}.{self.field}"

    @property
    def label(self) -> str:
        """As a reason says it: 'UAT sign-off: open critical defects' (an acronym that starts
        the field's title keeps its capitals: 'AFE number')."""
        title = self.field_title
        if title[1:2].islower():
            title = title[:1].lower() + title[1:]
        return f"{self.artifact_title}: {title}"


@dataclass(frozen=True, slots=True)
class Condition:
    """A compiled CEL expression, with the facts and form fields it reads (checked at load
    time)."""

    source: str
    program: cel.Program = field(compare=False, repr=False)
    facts: frozenset[str] = frozenset()
    uses_tier: bool = False
    alternatives: tuple[Condition, ...] = field(default=(), compare=False, repr=False)
    """The parts of a top-level `a || b || c`, so a reason can name only the parts that held."""
    evidence: tuple[FieldRef, ...] = ()
    """The form fields it reads, in the order it first names them."""
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
    money: MoneyRules = PLAIN_MONEY
    """A money fact's rules: may it be negative, in which currencies, converted how."""


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
    money: MoneyRules = PLAIN_MONEY
    """A form's money is a plain amount, zero or more: no threshold reads it."""


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
    """A rule that must hold, as a CEL expression over the project facts and the fields of
    its form artifacts."""

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


@dataclass(frozen=True, slots=True)
class RatingScale:
    """A scale an assurance review rates a project on, best rating first: red / amber /
    green, or a five-point delivery confidence scale."""

    id: str
    title: str
    ratings: tuple[str, ...]

    def level(self, rating: str) -> int:
        """The rating's place on the scale: 0 is the best (raises ValueError off the scale)."""
        return self.ratings.index(rating)


class Separation(StrEnum):
    """Whom an assurance reviewer must be independent of (policy `independent_of`)."""

    PROJECT_MANAGER = "project_manager"
    SPONSOR = "sponsor"
    TEAM = "team"  # anyone holding a role on the project, and their teams (user attribute)
    ORG_UNIT = "org_unit"  # the organisation units of the manager and the sponsors


@dataclass(frozen=True, slots=True)
class RatingRule:
    """What a rating does to the decision where `when` holds (it reads `assurance.rating`,
    `assurance.level` and the facts): the decisions left, and a role the decision moves to."""

    when: Condition
    decisions: tuple[Decision, ...] = ()
    escalate_to: str | None = None


@dataclass(frozen=True, slots=True)
class Assurance:
    """An independent assurance review a gate requires before a go: by a holder of
    `reviewers` independent of the project, on `scale`, with recommendations. Advisory: kept
    apart from the sign-offs; its `rules` read the rating."""

    reviewers: str
    scale: RatingScale
    when: Condition | None = None
    independent_of: frozenset[Separation] = frozenset(Separation)
    rules: tuple[RatingRule, ...] = ()


class Urgency(StrEnum):
    """How soon an assurance recommendation must be acted on (the gateway review's words)."""

    CRITICAL = "critical"  # do now
    ESSENTIAL = "essential"  # do before the next gate
    RECOMMENDED = "recommended"  # would improve the project


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
    assurance: Assurance | None = None
    """The independent assurance review a go needs, if any."""
    repeatable: bool = False
    """The gate may be held again after it passed (e.g. before each procurement)."""
    requirements: tuple[Requirement, ...] = field(init=False, compare=False, repr=False)
    """Every requirement of the gate: artifacts, then criteria, then sign-offs."""
    forms_read: frozenset[str] = field(init=False, compare=False, repr=False)
    """The form artifacts whose fields its requirements' conditions read (by id)."""

    def __post_init__(self) -> None:
        # Derived once: readiness walks it for every project, thousands of times a second.
        requirements: tuple[Requirement, ...] = (*self.artifacts, *self.criteria, *self.signoffs)
        object.__setattr__(self, "requirements", requirements)
        conditions = [r.when for r in requirements] + [c.expr for c in self.criteria]
        read = {ref.artifact for c in conditions if c is not None for ref in c.evidence}
        object.__setattr__(self, "forms_read", frozenset(read))

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
    """What a trigger reacts to. A new kind is a value here (the spec's choices and the
    loader follow), its wording and refusal rule in gates.triggers (CAUSES, RULES), and a
    verb that fires it: workflows.triggered.open_triggered records it (a row and a
    `review.triggered` event), and from then on it is owed like every other kind."""

    CHANGE_APPROVED = "change_approved"
    CONDITION_OVERDUE = "condition_overdue"
    RECURRING = "recurring"
    ASSURANCE_RED = "assurance_red"  # an assurance review gave the worst rating of its scale


class PeriodUnit(StrEnum):
    """The units a policy writes a period in: '90 days', '2 weeks', '12 months', '1 year'."""

    DAYS = "days"
    WEEKS = "weeks"
    MONTHS = "months"
    YEARS = "years"


@dataclass(frozen=True, slots=True)
class Period:
    """A length of calendar time; months and years keep the day of the month (clamped to the
    month's last day: 31 January + 1 month is 28 or 29 February)."""

    amount: int
    unit: PeriodUnit

    def __str__(self) -> str:
        unit = self.unit.value[:-1] if self.amount == 1 else self.unit.value
        return f"{self.amount} {unit}"


@dataclass(frozen=True, slots=True)
class Recurrence:
    """When a recurring review comes: `first` after gate `after` was first passed, then
    every `every`, until the project reaches stage `until` (None: until it is killed)."""

    every: Period
    first: Period
    after: str
    until: str | None = None

    def __str__(self) -> str:
        until = f", until {self.until}" if self.until else ""
        return f"every {self.every}, first {self.first} after gate {self.after}{until}"


@dataclass(frozen=True, slots=True)
class Trigger:
    """When `on` happens to a project, the review of gate `review` must pass (again) before
    the project's next gate: e.g. an approved change opens a re-baseline review, an overdue
    condition a review of the gate, a recurring date (`recur`) the gate's periodic review."""

    on: TriggerEvent
    review: str
    recur: Recurrence | None = None


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
    rating_scales: tuple[RatingScale, ...] = ()
    exchange_rates: ExchangeRates | None = None
    """The base currency and the rates this version converts other currencies at (None: the
    policy states no currency, and money is a plain amount)."""

    @property
    def currency(self) -> str:
        """The base currency ('EUR'), or '' when the policy states none."""
        return self.exchange_rates.base if self.exchange_rates else ""

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

    def artifact(self, artifact_id: str) -> Artifact | None:
        """The artifact with this id, as its first gate declares it, or None."""
        found = (a for g in self.gates for a in g.artifacts if a.id == artifact_id)
        return next(found, None)

    def fields_read(self) -> dict[str, tuple[FormField, ...]]:
        """The form fields some gate's conditions read, by form artifact id: all a project's
        CEL context needs of its forms (each field converted costs, in a portfolio)."""
        read: dict[str, set[str]] = {}
        for gate in self.gates:
            conditions = [r.when for r in gate.requirements] + [c.expr for c in gate.criteria]
            for condition in conditions:
                for ref in condition.evidence if condition is not None else ():
                    read.setdefault(ref.artifact, set()).add(ref.field)
        found = {}
        for artifact_id in sorted(read):
            artifact = self.artifact(artifact_id)
            if artifact is not None:
                found[artifact_id] = tuple(f for f in artifact.fields if f.id in read[artifact_id])
        return found

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
