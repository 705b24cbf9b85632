"""My approvals, the review page and the sign verb ask the same rules, so they agree.

On the demo portfolio (its delegations included: one in force, one still to come, and one
whose delegator has since lost the role), for every user and every open review: My
approvals' two parts are exactly what gates.authority gives, signing succeeds for every
"your turn" entry and is refused by the signing order alone for every "waiting" one.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from gates.authority import authority
from gates.pending import part_of
from gates.signoffs import Part
from tests.actors import demo_actor
from web.demo import DEPUTY, PASSWORD, PEOPLE
from workflows.authority import person_on
from workflows.errors import Refused
from workflows.machines import SUBMITTED
from workflows.state import load_project
from workflows.store.records import Project, Review
from workflows.verbs import reviews, users
from workflows.views.approvals import my_approvals
from workflows.workspace import Workspace

Entry = tuple[str, str]  # project key, part


def listed(ws: Workspace, username: str) -> dict[Entry, list[tuple[str, str]]]:
    """Every entry of both parts of the user's My approvals, every page, with each role it
    is signed as and what that sign-off waits for ('' when nothing)."""
    found = {}
    with ws.unit_of_work() as uow:
        user_id = users.find_user(uow, username).id
        for part in Part:
            page, pages = 1, 1
            while page <= pages:
                shown = my_approvals(uow, user_id, part, page, 5)
                for a in shown.approvals:
                    signs = [(s.role, s.waiting_for) for s in a.signs_as]
                    found[(a.project.key, part.value)] = signs
                page, pages = page + 1, shown.pages
    return found


def given(ws: Workspace, username: str) -> dict[Entry, list[str]]:
    """What the authority rules give the user on every open review: the part, the roles."""
    found = {}
    with ws.unit_of_work() as uow:
        opened = select(Project.key).join(Review).where(Review.state == SUBMITTED)
        for key in uow.session.execute(opened).scalars():
            review = reviews.gate_status(uow, demo_actor(uow, "pmo"), key).authority.review
            person = person_on(uow, username, load_project(uow, key))
            options = authority(person, key, review).signing
            part = part_of(options)
            if part is not None:
                found[(key, part.value)] = [o.role for o in options]
    return found


def everyone() -> Iterator[str]:
    return (p.username for p in PEOPLE)


@pytest.mark.parametrize("username", list(everyone()))
def test_my_approvals_two_parts_are_what_the_authority_rules_give(
    workspace: Workspace, username: str
) -> None:
    shown = listed(workspace, username)
    assert {entry: [role for role, _ in signs] for entry, signs in shown.items()} == given(
        workspace, username
    )


def test_signing_succeeds_for_every_turn_and_is_refused_by_the_order_for_every_wait(
    workspace: Workspace,
) -> None:
    tried = {"signed": 0, "waited": 0}
    for username in everyone():
        for (key, part), signs_as in listed(workspace, username).items():
            for role, waiting_for in signs_as:
                # Never committed: each attempt starts from the same state.
                with workspace.unit_of_work() as uow:
                    if not waiting_for:
                        assert part == Part.YOUR_TURN.value
                        assert (
                            reviews.sign(
                                uow, demo_actor(uow, username), key, "go", PASSWORD, role
                            ).role
                            == role
                        )
                        tried["signed"] += 1
                        continue
                    with pytest.raises(Refused) as refused:
                        reviews.sign(uow, demo_actor(uow, username), key, "go", PASSWORD, role)
                    assert {r.rule for r in refused.value.refusals} == {"sign.order"}
                    tried["waited"] += 1
    assert all(tried.values()), f"the demo should exercise both parts: {tried}"


def test_a_delegation_whose_delegator_lost_the_role_is_neither_listed_nor_accepted(
    workspace: Workspace,
) -> None:
    # The demo's deputy was given security on PRJ-103, then security lost that role there.
    assert not [key for key, _ in listed(workspace, DEPUTY) if key == "PRJ-103"]
    with workspace.unit_of_work() as uow, pytest.raises(Refused) as refused:
        reviews.sign(uow, demo_actor(uow, DEPUTY), "PRJ-103", "go", PASSWORD, "security")
    assert [r.rule for r in refused.value.refusals] == ["role.sign"]


def test_a_delegation_still_to_come_is_not_listed_yet(workspace: Workspace) -> None:
    roles = {role for signs in listed(workspace, DEPUTY).values() for role, _ in signs}
    assert roles == {"sponsor"}  # finance is delegated to the deputy from next week


def test_the_page_shows_both_parts_with_their_exact_counts(auth, client: FlaskClient) -> None:
    auth.login("owner.ops")
    page = client.get("/approvals/").get_data(as_text=True)
    assert 'Your turn <span class="count">1</span>' in page
    assert 'Waiting on others <span class="count">1</span>' in page
    waiting = client.get("/approvals/?part=waiting").get_data(as_text=True)
    assert "PRJ-110" in waiting and "IT operations signs first (order 1)." in waiting
