"""A demo portfolio, seeded through the verbs so its history is real and audited:
users for every role, projects at every stage and tier, open reviews waiting for signatures,
and delegations: one in force, one still to come, and one that no longer counts because its
delegator has since lost the role."""

from __future__ import annotations

import io
import random
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from gates.decisions import FollowUp
from policies.model import Artifact, ArtifactKind, Decision, FactType, FormField, Signoff
from workflows.authority import person_on
from workflows.errors import LockgateError
from workflows.identity import Actor, authenticate, system
from workflows.state import load_project, policy_of
from workflows.store.records import Project
from workflows.store.uow import UnitOfWork
from workflows.verbs import (
    attach,
    conditions,
    password_links,
    projects,
    publishing,
    reviews,
    users,
    waivers,
)
from workflows.workspace import Workspace

PASSWORD = "demo-password"


@dataclass(frozen=True)
class Person:
    username: str
    name: str
    roles: tuple[str, ...] = ()


PEOPLE = (
    Person("admin", "Ada Adams", ("admin",)),
    Person("pmo", "Priya Okafor", ("pmo",)),
    Person("pmo.mensah", "Kwame Mensah", ("pmo",)),
    Person("auditor", "Marek Nowak", ("auditor",)),
    Person("pm.lee", "Jordan Lee", ("project_manager",)),
    Person("pm.garcia", "Sofia Garcia", ("project_manager",)),
    Person("pm.chen", "Wei Chen", ("project_manager",)),
    Person("sponsor.king", "Helen King"),
    Person("sponsor.ali", "Omar Ali"),
    Person("finance", "Grace Müller"),
    Person("security", "Ravi Patel"),
    Person("architect", "Lena Svensson"),
    Person("operations", "Tom Becker"),
    Person("owner.ops", "Nadia Haddad"),
    Person("validation", "Ines Moreau"),
    Person("deputy", "Dana Ruiz"),
)
DEPUTY = "deputy"

APPROVERS = {
    "finance": "finance",
    "security": "security",
    "architecture": "architect",
    "operations": "operations",
    "business_owner": "owner.ops",
    "validation": "validation",
}

# name, policy, facts, where it ends: a stage, "review" (submitted, waiting), "on_hold", "killed"
PORTFOLIO: tuple[tuple[str, str, dict[str, str], str], ...] = (
    (
        "S/4HANA finance migration",
        "standard",
        {
            "budget": "2400000",
            "risk": "high",
            "regulated": "true",
            "vendor_involved": "true",
            "replaces_legacy_system": "true",
            "handles_personal_data": "true",
            "duration_months": "20",
        },
        "review:execution",
    ),
    (
        "Data centre exit to cloud",
        "standard",
        {
            "budget": "1800000",
            "risk": "high",
            "vendor_involved": "true",
            "replaces_legacy_system": "true",
            "duration_months": "24",
        },
        "execution",
    ),
    (
        "Customer portal redesign",
        "standard",
        {
            "budget": "650000",
            "risk": "medium",
            "handles_personal_data": "true",
            "duration_months": "9",
        },
        "review:planning",
    ),
    (
        "Payroll provider switch",
        "standard",
        {
            "budget": "420000",
            "risk": "medium",
            "vendor_involved": "true",
            "handles_personal_data": "true",
            "duration_months": "8",
        },
        "cutover",
    ),
    (
        "Zero-trust network access",
        "standard",
        {"budget": "380000", "risk": "high", "duration_months": "12"},
        "review:initiation",
    ),
    (
        "CRM consolidation",
        "standard",
        {
            "budget": "900000",
            "risk": "medium",
            "vendor_involved": "true",
            "replaces_legacy_system": "true",
            "duration_months": "14",
        },
        "closure",
    ),
    (
        "Lab information system validation",
        "standard",
        {"budget": "300000", "risk": "medium", "regulated": "true", "duration_months": "10"},
        "planning",
    ),
    (
        "Service desk tooling refresh",
        "standard",
        {"budget": "150000", "risk": "low", "vendor_involved": "true", "duration_months": "5"},
        "closed",
    ),
    (
        "Data warehouse modernization",
        "standard",
        {"budget": "720000", "risk": "medium", "duration_months": "16"},
        "on_hold",
    ),
    (
        "Mobile field service app",
        "standard",
        {
            "budget": "260000",
            "risk": "medium",
            "handles_personal_data": "true",
            "duration_months": "7",
        },
        "review:cutover",
    ),
    (
        "E-invoicing compliance",
        "standard",
        {"budget": "210000", "risk": "medium", "regulated": "true", "duration_months": "6"},
        "execution",
    ),
    (
        "Identity governance rollout",
        "standard",
        {
            "budget": "540000",
            "risk": "high",
            "handles_personal_data": "true",
            "duration_months": "11",
        },
        "initiation",
    ),
    (
        "Legacy fax server retirement",
        "standard",
        {
            "budget": "60000",
            "risk": "low",
            "replaces_legacy_system": "true",
            "duration_months": "3",
        },
        "closed",
    ),
    (
        "Warehouse robotics pilot",
        "standard",
        {"budget": "480000", "risk": "critical", "vendor_involved": "true", "duration_months": "9"},
        "killed",
    ),
    (
        "Treasury system upgrade",
        "standard",
        {"budget": "330000", "risk": "medium", "vendor_involved": "true", "duration_months": "8"},
        "review:closure",
    ),
    (
        "Backup platform replacement",
        "standard",
        {"budget": "95000", "risk": "low", "duration_months": "4"},
        "cutover",
    ),
    (
        "HR analytics dashboards",
        "standard",
        {
            "budget": "45000",
            "risk": "medium",
            "handles_personal_data": "true",
            "duration_months": "3",
        },
        "planning",
    ),
    (
        "Contract lifecycle management",
        "standard",
        {"budget": "275000", "risk": "medium", "vendor_involved": "true", "duration_months": "10"},
        "review:planning",
    ),
    ("Intranet search upgrade", "lite", {"budget": "18000", "risk": "low"}, "closed"),
    ("Meeting room booking", "lite", {"budget": "12000", "risk": "low"}, "review:execution"),
    ("Print fleet rationalization", "lite", {"budget": "40000", "risk": "medium"}, "execution"),
    (
        "Expense app integration",
        "lite",
        {"budget": "30000", "risk": "low", "handles_personal_data": "true"},
        "execution",
    ),
    ("Developer laptop standard", "lite", {"budget": "22000", "risk": "low"}, "initiation"),
    ("Wiki migration", "lite", {"budget": "15000", "risk": "low"}, "review:initiation"),
    ("Visitor sign-in kiosk", "lite", {"budget": "9000", "risk": "low"}, "closure"),
)


class DemoClock:
    """A clock that starts in the past and moves forward as the demo history is written."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, days: float) -> None:
        self.now = min(self.now + timedelta(days=days), datetime.now(UTC))


def seed_demo(
    ws: Workspace,
    count: int = len(PORTFOLIO),
    seed: int = 7,
    progress: Callable[[int], None] | None = None,
) -> list[str]:
    """Seed users and `count` projects (cycling the demo portfolio); returns the project keys.

    Refuses (raises LockgateError) when the database already holds projects.
    """
    rng = random.Random(seed)
    clock = DemoClock(datetime.now(UTC) - timedelta(days=420))
    real_clock, ws.clock = ws.clock, clock
    try:
        _seed_people(ws)
        keys = []
        for index in range(count):
            name, policy_id, facts, target = PORTFOLIO[index % len(PORTFOLIO)]
            suffix = f" {index // len(PORTFOLIO) + 1}" if index >= len(PORTFOLIO) else ""
            key = f"{'LT' if policy_id == 'lite' else 'PRJ'}-{index + 101}"
            clock.now = datetime.now(UTC) - timedelta(days=rng.randint(120, 400))
            _seed_project(ws, rng, clock, key, name + suffix, policy_id, facts, target)
            keys.append(key)
            if progress:
                progress(index + 1)
        clock.now = datetime.now(UTC)
        if set(AFTER_SEEDING) <= set(keys):
            _seed_the_present(ws, clock)
        return keys
    finally:
        ws.clock = real_clock


def _seed_people(ws: Workspace) -> None:
    with ws.unit_of_work() as uow:
        if uow.session.query(Project.id).first() is not None:
            raise LockgateError(
                "The database already holds projects: the demo seeds an empty "
                "one. Use a new LOCKGATE_INSTANCE folder."
            )
        publishing.publish_library(uow)
        first, *others = PEOPLE  # the admin, created by the system; the others by the admin
        users.add_user(uow, system(), first.username, first.name, PASSWORD, roles=first.roles)
        uow.commit()
    with ws.unit_of_work() as uow:
        admin = _as(ws, first.username)
        for person in others:
            # As at work: the admin adds the person and issues an enrollment link; the person
            # sets their own password through it (here, the demo's, so everyone can try it).
            users.add_user(
                uow, admin, person.username, person.name, None,
                f"{person.username}@example.com", person.roles,
            )  # fmt: skip
            link = password_links.issue_link(uow, admin, person.username, password_links.ENROLL)
            password_links.use_link(uow, link.token, PASSWORD)
        uow.commit()
    for person in PEOPLE:  # once each, before any unit of work of the seeding is open
        _as(ws, person.username)


_ACTORS: weakref.WeakKeyDictionary[Workspace, dict[str, Actor]] = weakref.WeakKeyDictionary()


def _as(ws: Workspace, username: str) -> Actor:
    """A demo person, authenticated with the demo password once per workspace, as anyone
    acting in Lockgate is: the demo has no way around authentication either."""
    known = _ACTORS.setdefault(ws, {})
    if username not in known:
        with ws.unit_of_work() as uow:
            known[username] = authenticate(uow, username, PASSWORD, "demo seeding")
    return known[username]


def _seed_project(
    ws: Workspace,
    rng: random.Random,
    clock: DemoClock,
    key: str,
    name: str,
    policy_id: str,
    facts: dict[str, str],
    target: str,
) -> None:
    manager = rng.choice(["pm.lee", "pm.garcia", "pm.chen"])
    sponsor = rng.choice(["sponsor.king", "sponsor.ali"])
    if policy_id == "standard":
        go_live = (clock.now + timedelta(days=200)).date().isoformat()
        facts = {
            "duration_months": "6",
            "business_unit": "Operations",
            "go_live_date": go_live,
            **facts,
        }
    with ws.unit_of_work() as uow:
        projects.register_project(
            uow, _as(ws, manager), key, name, policy_id, facts, manager, sponsor
        )
        project = load_project(uow, key)
        for role, username in APPROVERS.items():
            users.grant_role(uow, _as(ws, "admin"), username, role, project)
        uow.commit()
    stage_target, _, review_at = target.partition(":")
    stop = review_at or stage_target
    _advance(ws, rng, clock, key, manager, sponsor, stop, submit_last=bool(review_at))
    if stage_target in ("on_hold", "killed"):
        with ws.unit_of_work() as uow:
            verb = projects.hold if stage_target == "on_hold" else projects.kill
            verb(
                uow,
                _as(ws, sponsor),
                key,
                "Business priorities changed; funding moved to FY27."
                if stage_target == "killed"
                else "Waiting for the vendor's revised offer.",
            )
            uow.commit()


def _advance(
    ws: Workspace,
    rng: random.Random,
    clock: DemoClock,
    key: str,
    manager: str,
    sponsor: str,
    stop: str,
    submit_last: bool,
) -> None:
    stops = {"on_hold": "execution", "killed": "planning"}
    stop = stops.get(stop, stop)
    while True:
        with ws.unit_of_work() as uow:
            project = load_project(uow, key)
            stage, policy = project.stage, policy_of(uow, project)
        if stage == stop and not submit_last:
            return
        status = _status(ws, manager, key)
        if status is None:
            return
        _attach_all(ws, rng, clock, key, manager, status)
        clock.advance(rng.uniform(2, 10))
        with ws.unit_of_work() as uow:
            reviews.submit_gate(uow, _as(ws, manager), key)
            uow.commit()
        if stage == stop:
            _sign_some(ws, rng, clock, key, sponsor)
            return
        _sign_all(ws, rng, clock, key, sponsor, policy.role_title)
        clock.advance(rng.uniform(1, 5))
        _decide(ws, rng, key, sponsor)
        clock.advance(rng.uniform(5, 30))


def _status(ws: Workspace, manager: str, key: str) -> reviews.GateStatus | None:
    with ws.unit_of_work() as uow:
        try:
            return reviews.gate_status(uow, _as(ws, manager), key)
        except LockgateError:
            return None


def _attach_all(
    ws: Workspace,
    rng: random.Random,
    clock: DemoClock,
    key: str,
    manager: str,
    status: reviews.GateStatus,
) -> None:
    for line in status.report.lines:
        if isinstance(line.requirement, Artifact) and not line.status.ok:
            clock.advance(rng.uniform(0.5, 4))
            with ws.unit_of_work() as uow:
                _attach(uow, rng, clock, key, manager, line.requirement)
                uow.commit()


def _attach(
    uow: UnitOfWork,
    rng: random.Random,
    clock: DemoClock,
    key: str,
    manager: str,
    artifact: Artifact,
) -> None:
    if artifact.kind is ArtifactKind.FILE:
        body = (
            f"{artifact.title}\n{key}\nPrepared by {manager} on {clock.now:%Y-%m-%d}.\n"
            f"{artifact.why}\n"
        ).encode()
        filename = f"{key}-{artifact.id}.pdf"
        attach.attach_file(
            uow,
            _as(uow.workspace, manager),
            key,
            artifact.id,
            io.BytesIO(body),
            filename,
            "application/pdf",
        )
    elif artifact.kind is ArtifactKind.LINK:
        attach.attach_link(
            uow,
            _as(uow.workspace, manager),
            key,
            artifact.id,
            f"https://wiki.example.com/{key.lower()}/{artifact.id}",
        )
    else:
        values = {f.id: _form_value(f, rng, clock) for f in artifact.fields}
        attach.attach_form(uow, _as(uow.workspace, manager), key, artifact.id, values)


def _form_value(field: FormField, rng: random.Random, clock: DemoClock) -> str:
    if field.type is FactType.ENUM:
        return field.values[0]
    if field.type is FactType.BOOLEAN:
        return "true"
    if field.type is FactType.DATE:
        return clock.now.date().isoformat()
    if field.type is FactType.MONEY:
        return str(rng.randrange(50_000, 900_000, 1_000))
    if field.type is FactType.INTEGER:
        if "percent" in field.id:
            return "100"
        count = rng.randint(0, 3) if "defect" in field.id else rng.randint(40, 400)
        # The standard policy's criteria ask for no open critical defect (the draw is kept,
        # so the rest of the demo portfolio stays as it was).
        return "0" if "critical" in field.id else str(count)
    return f"{field.title} {rng.randint(1000, 9999)}"


def _needed_signers(status: reviews.GateStatus, sponsor: str) -> list[tuple[str, Signoff]]:
    signers = []
    for line in status.report.lines:
        if isinstance(line.requirement, Signoff) and not line.status.ok:
            role = line.requirement.role
            who = sponsor if role == "sponsor" else "pmo" if role == "pmo" else APPROVERS[role]
            signers.append((who, line.requirement))
    return sorted(signers, key=lambda pair: pair[1].order or 0)


def _sign_all(
    ws: Workspace,
    rng: random.Random,
    clock: DemoClock,
    key: str,
    sponsor: str,
    title: Callable[[str], str],
) -> None:
    status = _status(ws, "pmo", key)
    assert status is not None
    for who, signoff in _needed_signers(status, sponsor):
        for _ in range(signoff.min if isinstance(signoff.min, int) else 1):
            clock.advance(rng.uniform(0.2, 3))
            _sign(ws, key, who, signoff.role, "go", "")


def _sign_some(ws: Workspace, rng: random.Random, clock: DemoClock, key: str, sponsor: str) -> None:
    status = _status(ws, "pmo", key)
    assert status is not None
    needed = _needed_signers(status, sponsor)
    for who, signoff in needed[: rng.randint(0, max(0, len(needed) - 1))]:
        clock.advance(rng.uniform(0.2, 2))
        _sign(ws, key, who, signoff.role, "go", "")


def _close_conditions(ws: Workspace, key: str) -> None:
    """Each open condition of the project closed by its owner: the next gate's go needs it."""
    with ws.unit_of_work() as uow:
        project = load_project(uow, key)
        for condition in conditions.open_conditions(uow, project.id):
            note = "Done: both risks closed in the risk register."
            conditions.close_condition(uow, _as(ws, condition.owner), condition.id, note)
        uow.commit()


def _sign(ws: Workspace, key: str, who: str, role: str, decision: str, comment: str) -> None:
    with ws.unit_of_work() as uow:
        reviews.sign(uow, _as(ws, who), key, decision, PASSWORD, role, comment)
        uow.commit()


def _decide(ws: Workspace, rng: random.Random, key: str, sponsor: str) -> None:
    status = _status(ws, "pmo", key)
    conditional = status is not None and Decision.CONDITIONAL_GO in status.gate.decisions
    _close_conditions(ws, key)
    with ws.unit_of_work() as uow:
        if conditional and rng.random() < 0.2:
            due = (ws.clock() + timedelta(days=30)).date()
            follow_up = FollowUp(
                "Close the two open medium-severity risks", "pm.lee", max(due, date.today())
            )
            reviews.decide(
                uow,
                _as(ws, sponsor),
                key,
                "conditional_go",
                "Approved with one condition.",
                [follow_up],
            )
        else:
            reviews.decide(uow, _as(ws, sponsor), key, "go")
        uow.commit()


# The open reviews the present-day steps act on (seed 7): PRJ-103 waits for security,
# PRJ-110 (cutover) for its sponsor at the end of the signing chain, PRJ-115 for its sponsor.
AFTER_SEEDING = ("PRJ-103", "PRJ-110", "PRJ-115")


def _seed_the_present(ws: Workspace, clock: DemoClock) -> None:
    """What happened this month: a sponsor on leave delegated, finance delegated from next
    week, security delegated on PRJ-103 and then lost that role there (so the delegation no
    longer counts), and PRJ-110's cutover runbook changed after it was signed (so its chain
    starts again: operations signs now, the others wait for their turn)."""
    now = clock.now
    with ws.unit_of_work() as uow:
        project = load_project(uow, "PRJ-115")
        sponsor = _sponsor_of(uow, project)
        week = timedelta(days=7)
        users.delegate(
            uow, _as(ws, sponsor), DEPUTY, "sponsor", now - week, now + 2 * week, project, "Leave"
        )
        users.delegate(
            uow, _as(ws, "finance"), DEPUTY, "finance", now + week, now + 3 * week, None, "Closing"
        )
        uow.commit()
    with ws.unit_of_work() as uow:
        covered = load_project(uow, "PRJ-103")
        cover = (now - week, now + 4 * week)
        users.delegate(
            uow, _as(ws, "security"), DEPUTY, "security", *cover, covered, "Audit season"
        )
        uow.commit()
    with ws.unit_of_work() as uow:
        users.revoke_role(
            uow, _as(ws, "admin"), "security", "security", load_project(uow, "PRJ-103")
        )
        uow.commit()
    _change_signed_evidence(ws, clock, "PRJ-110")
    _seed_waivers(ws, clock)


def _seed_waivers(ws: Workspace, clock: DemoClock) -> None:
    """Two waivers, each requested by the project's manager: the PMO approved the first (its
    requirement shows as waived), the second awaits a decision."""
    requested = []
    for key in _waiver_candidates(ws)[:2]:
        with ws.unit_of_work() as uow:
            status = reviews.gate_status(uow, _as(ws, "pmo"), key)
            manager = status.project.manager.username
            line = next(
                line
                for line in status.report.lines
                if not line.status.ok and "pmo" in line.requirement.waivable_by
            )
            until = clock.now + timedelta(days=60)
            why = "Superseded by the group-wide assessment; reviewed again before go-live."
            asked = waivers.request_waiver(uow, _as(ws, manager), key, line.key, why, until)
            uow.commit()
            requested.append(asked.id)
    for waiver_id in requested[:1]:
        with ws.unit_of_work() as uow:
            waivers.approve_waiver(uow, _as(ws, "pmo"), waiver_id)
            uow.commit()


def _waiver_candidates(ws: Workspace) -> list[str]:
    """Projects between reviews whose next gate misses a requirement the PMO may waive."""
    found = []
    with ws.unit_of_work() as uow:
        keys = [
            f"{'LT' if policy_id == 'lite' else 'PRJ'}-{index + 101}"
            for index, (_name, policy_id, _facts, _end) in enumerate(PORTFOLIO)
        ]
        for key in sorted(keys):
            try:
                status = reviews.gate_status(uow, _as(ws, "pmo"), key)
            except LockgateError:
                continue
            if status.review is None and any(
                not line.status.ok and "pmo" in line.requirement.waivable_by
                for line in status.report.lines
            ):
                found.append(key)
    return found


def _sponsor_of(uow: UnitOfWork, project: Project) -> str:
    return next(
        name
        for name in ("sponsor.king", "sponsor.ali")
        if "sponsor" in person_on(uow, name, project).roles
    )


def _change_signed_evidence(ws: Workspace, clock: DemoClock, key: str) -> None:
    with ws.unit_of_work() as uow:
        status = reviews.gate_status(uow, _as(ws, "pmo"), key)
        manager = status.project.manager.username
        artifact = next(
            line.requirement
            for line in status.report.lines
            if isinstance(line.requirement, Artifact)
            and line.requirement.kind is not ArtifactKind.FORM
            and line.status.ok
        )
    with ws.unit_of_work() as uow:
        _attach(uow, random.Random(0), clock, key, manager, artifact)
        uow.commit()
