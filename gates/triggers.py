"""Triggered reviews: what a policy's `triggers` ask of a project, and which of those reviews
are still owed before its next gate.

Each time a trigger fires for a project is an Occurrence: the review of a gate it asks for,
and the moment from which a go of that gate answers it. An approved change fires
`change_approved` when it is applied; an open condition fires `condition_overdue` the day
after its due date; a recurring date fires `recurring` (gates.recurrence). An occurrence is
owed until a go (or conditional go) of its gate is decided after it; while one is owed, the
project's next gate is neither submitted nor passed (one rule, asked by submit and decide).

Pure: the caller reads the occurrences, the conditions and when each gate was passed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from gates.recurrence import Schedule
from gates.refusals import Refusal
from policies.model import Gate, Policy, TriggerEvent


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One time a trigger fired for a project: the review of `gate` it asks for, of what
    `kind`, for what `cause` ('2027-03-02', 'condition 12', 'change 4'), and `since` when:
    a go of the gate decided after that answers it."""

    gate: str
    kind: TriggerEvent
    cause: str
    since: datetime

    @property
    def due_on(self) -> date:
        """The day it came."""
        return self.since.date()


@dataclass(frozen=True, slots=True)
class ConditionDue:
    """A condition of a conditional go, as the trigger reads it: its number, its due day, and
    the day it was closed (None while open)."""

    id: int
    due: date
    closed_on: date | None = None


def start_of(day: date) -> datetime:
    """The first moment of `day`, UTC."""
    return datetime.combine(day, time(), tzinfo=UTC)


def reviewed_gates(policy: Policy, kind: TriggerEvent) -> tuple[str, ...]:
    """The gates whose review triggers of `kind` ask for, in policy order."""
    named = {t.review for t in policy.triggers if t.on is kind}
    return tuple(g.id for g in policy.gates if g.id in named)


def owed(occurrences: Iterable[Occurrence], passed: Mapping[str, datetime]) -> list[Occurrence]:
    """The occurrences still owed, the latest of each gate, in order of their gates' first
    occurrence: those whose gate's latest go (`passed`: gate id -> when) is not after them."""
    latest: dict[str, Occurrence] = {}
    for found in occurrences:
        answered = passed.get(found.gate)
        if answered is not None and answered > found.since:
            continue
        if found.gate not in latest or latest[found.gate].since <= found.since:
            latest[found.gate] = found
    return list(latest.values())


def overdue_conditions(
    policy: Policy, conditions: Iterable[ConditionDue], today: date
) -> list[Occurrence]:
    """The `condition_overdue` occurrences: one per trigger of that kind and per condition
    that was still open after its due day (whether closed late since or open still)."""
    gates = reviewed_gates(policy, TriggerEvent.CONDITION_OVERDUE)
    found = []
    for condition in conditions:
        overdue_on = condition.due + timedelta(days=1)
        closed = condition.closed_on
        if overdue_on > today or (closed is not None and closed < overdue_on):
            continue
        for gate in gates:
            found.append(
                Occurrence(
                    gate, TriggerEvent.CONDITION_OVERDUE, f"condition {condition.id}",
                    start_of(overdue_on),
                )
            )  # fmt: skip
    return found


def recurring_dates(schedules: Iterable[Schedule]) -> list[Occurrence]:
    """The `recurring` occurrences: one per date come of each schedule."""
    return [
        Occurrence(s.trigger.review, TriggerEvent.RECURRING, day.isoformat(), start_of(day))
        for s in schedules
        for day in s.due
    ]


CAUSES: dict[TriggerEvent, str] = {
    TriggerEvent.CHANGE_APPROVED: "An approved change asks for a re-baseline review of {name}",
    TriggerEvent.CONDITION_OVERDUE: (
        "{cause} went overdue on {day} while open: the policy asks for a review of {name}"
    ),
    TriggerEvent.RECURRING: "The recurring review of {name} came due on {day}",
    TriggerEvent.ASSURANCE_RED: (
        "{cause} gave the worst rating of its scale on {day}: the policy asks for a review of "
        "{name}"
    ),
}
"""Why each kind's review is owed, in words ({name}: the gate's, {day}: when it came,
{cause}: what came, capitalized); a kind without wording here reads as CAUSE."""

CAUSE = "{cause} ({kind}, {day}) asks for a review of {name}"

WHEN: dict[TriggerEvent, str] = {
    TriggerEvent.CHANGE_APPROVED: "after an approved change",
    TriggerEvent.CONDITION_OVERDUE: "when a condition goes overdue",
    TriggerEvent.RECURRING: "on a schedule",
    TriggerEvent.ASSURANCE_RED: "when an assurance review gives the worst rating of its scale",
}
"""When each kind asks for its review, as the policy pages say it ('reviewed again ...')."""


def cause_text(policy: Policy, occurrence: Occurrence) -> str:
    """Why the review is owed, in words: 'The recurring review of G4 Go-live came due on
    2027-03-01'."""
    gate = policy.gate(occurrence.gate)
    return CAUSES.get(occurrence.kind, CAUSE).format(
        name=gate.name if gate else occurrence.gate,
        day=f"{occurrence.due_on:%Y-%m-%d}",
        cause=occurrence.cause[:1].upper() + occurrence.cause[1:],
        kind=occurrence.kind.value.replace("_", " "),
    )


RULES = {
    TriggerEvent.CHANGE_APPROVED: "change.rebaseline_owed",
    TriggerEvent.CONDITION_OVERDUE: "trigger.condition_overdue",
    TriggerEvent.RECURRING: "trigger.recurring",
    TriggerEvent.ASSURANCE_RED: "trigger.assurance_red",
}
"""The rule each kind's owed review refuses by (`action.refused` names it)."""


def rated_worst(
    policy: Policy, gate: Gate, rating: str, review_id: int, at: datetime
) -> list[Occurrence]:
    """The `assurance_red` occurrences an assurance review of `gate` (`review_id`) rating it
    `rating` at `at` fires: one per such trigger, when the rating is the worst of its scale."""
    assurance = gate.assurance
    if assurance is None or rating != assurance.scale.ratings[-1]:
        return []
    cause = f"assurance review {review_id}"  # the rating is in its event; the column is short
    return [
        Occurrence(trigger.review, TriggerEvent.ASSURANCE_RED, cause, at)
        for trigger in policy.triggers
        if trigger.on is TriggerEvent.ASSURANCE_RED
    ]


def owed_refusals(policy: Policy, owed: Sequence[Occurrence], action: str) -> list[Refusal]:
    """Why the next gate may not be `action`ed (submitted, passed) while the reviews `owed`
    have not passed: one refusal each, saying what asked for it and how to hold it."""
    return [
        Refusal(
            RULES.get(found.kind, "trigger.review_owed"),
            "gate",
            f"{cause_text(policy, found)} before the next gate is {action}: submit it with "
            f"`--gate {found.gate}` and have it decided first.",
        )
        for found in owed
    ]
