"""What waits for whom on an open review, over time: the rows of the pending sign-offs.

Nothing happens when time passes, yet authority changes with it: a delegation begins or ends,
a waiver expires. So each row says when it holds, and a reader keeps the rows that hold at
its `now`. The rows come from the sign-off rules themselves (gates.signoffs.sign_options),
asked at every instant where one of those changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from gates.model import Profile, ProjectState
from gates.readiness import readiness
from gates.signoffs import Part, ReviewRound, SignOption, sign_options
from policies.model import Gate, Policy


@dataclass(frozen=True, slots=True)
class Pending:
    """One sign-off waiting for one person, from `valid_from` until `valid_until` (None: no
    bound). `part` is the person's part for the whole review (their turn when any sign-off of
    theirs is), and exactly one row per person and review is the `lead` at any moment."""

    username: str
    role: str
    on_behalf_of: str | None
    part: Part
    lead: bool
    waiting_for: str
    valid_from: datetime | None
    valid_until: datetime | None

    def holds_at(self, moment: datetime) -> bool:
        """True when the row holds at `moment`."""
        return (self.valid_from is None or self.valid_from <= moment) and (
            self.valid_until is None or moment < self.valid_until
        )


def part_of(options: Sequence[SignOption]) -> Part | None:
    """A person's part in a review: their turn when any sign-off of theirs is, else waiting
    when they have one; None when nothing of the review waits for them."""
    if not options:
        return None
    return Part.YOUR_TURN if any(o.part is Part.YOUR_TURN for o in options) else Part.WAITING


def pending_signoffs(
    profiles: Iterable[Profile],
    policy: Policy,
    gate: Gate,
    state: ProjectState,
    now: datetime,
) -> list[Pending]:
    """Every sign-off of the open review (`state`) waiting for each person, from `now` on."""
    people = list(profiles)
    starts = _segments(people, state, now)
    rounds = [ReviewRound(policy, readiness(policy, gate, state, t), state) for t in starts]
    rows: list[Pending] = []
    for profile in people:
        timeline = [
            _rows_at(profile, review, start) for review, start in zip(rounds, starts, strict=True)
        ]
        rows.extend(_merged(profile.username, timeline, starts))
    return rows


def _segments(people: Sequence[Profile], state: ProjectState, now: datetime) -> list[datetime]:
    """`now`, then every later instant at which someone's authority or a waiver changes."""
    moments = {m for person in people for m in person.moments()}
    moments |= {w.expires_at for w in state.waivers if w.expires_at is not None}
    return [now, *sorted(m for m in moments if m > now)]


_Row = tuple[str, str | None, Part, bool, str]  # role, on behalf of, part, lead, waiting for


def _rows_at(profile: Profile, review: ReviewRound, moment: datetime) -> list[_Row]:
    options = sign_options(profile.at(moment), review)
    part = part_of(options)
    if part is None:
        return []
    return [
        (o.role, o.on_behalf_of, part, index == 0, " ".join(o.waiting_for))
        for index, o in enumerate(options)
    ]


def _merged(username: str, timeline: list[list[_Row]], starts: list[datetime]) -> list[Pending]:
    """The rows of consecutive segments joined while they stay the same."""
    merged: list[Pending] = []
    open_rows: dict[_Row, datetime | None] = {}
    for index, rows in enumerate([*timeline, []]):
        moment = starts[index] if index < len(starts) else None
        for row in list(open_rows):
            if row not in rows:
                merged.append(_pending(username, row, open_rows.pop(row), moment))
        for row in rows:
            open_rows.setdefault(row, None if index == 0 else moment)
    return merged


def _pending(username: str, row: _Row, since: datetime | None, until: datetime | None) -> Pending:
    role, behalf, part, lead, waiting = row
    return Pending(username, role, behalf, part, lead, waiting, since, until)
