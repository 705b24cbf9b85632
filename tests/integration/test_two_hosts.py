"""Two gunicorn hosts on one PostgreSQL and one S3 store (SeaweedFS), over real HTTP:
nothing a request needs lives in one host's memory or on one host's disk."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url

from tests.actors import demo_actor
from tests.browsing import Browser
from tests.integration.factories import POSTGRES_URL
from tests.servers import BUCKET, Host, SeaweedFS, start_host
from web.demo import PASSWORD, seed_demo
from workflows.identity import MAX_PER_ACCOUNT, MAX_PER_ADDRESS
from workflows.store.db import make_engine
from workflows.store.evidence import S3Store
from workflows.store.records import Project
from workflows.store.schema import upgrade
from workflows.verbs import users
from workflows.workspace import Workspace

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(POSTGRES_URL is None, reason="needs LOCKGATE_TEST_POSTGRES_URL"),
]

PREFIX = "two-hosts"
PROJECT = "PRJ-101"  # a demo project under review
TOO_MANY = "Too many failed attempts"


@dataclass
class Deployment:
    """Hosts A and B, and the database and store they share."""

    a: Host
    b: Host
    engine: Engine
    store: S3Store

    def workspace(self) -> Workspace:
        return Workspace(self.engine, self.store)


def fresh_database() -> str:
    """The test database's sibling `<name>_two_hosts`, created when missing, emptied."""
    assert POSTGRES_URL is not None
    url = make_url(POSTGRES_URL)
    url = url.set(database=f"{url.database}_two_hosts")
    maintenance = url.set(
        drivername="postgresql+psycopg",
        database=os.environ.get("LOCKGATE_TEST_POSTGRES_MAINTENANCE_DB", "test"),
    )
    engine = create_engine(maintenance, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
        ).first()
        if found is None:
            connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    engine.dispose()
    rendered = url.render_as_string(hide_password=False)
    engine = make_engine(rendered)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return rendered


@pytest.fixture(scope="module")
def deployment(
    seaweedfs: SeaweedFS, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    """The demo (five projects) seeded into a fresh database, its files into S3; two hosts."""
    url = fresh_database()
    engine = make_engine(url)
    upgrade(engine)
    store = S3Store(BUCKET, PREFIX)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in seaweedfs.env.items():
            patch.setenv(name, value)
        seed_demo(Workspace(engine, store), count=5)
    folder = tmp_path_factory.mktemp("hosts")
    env = {
        **seaweedfs.env,
        "LOCKGATE_DATABASE_URL": url,
        "LOCKGATE_EVIDENCE_URL": f"s3://{BUCKET}/{PREFIX}",
        "LOCKGATE_SECRET_KEY": "the same on every host",
        "LOCKGATE_TRUSTED_PROXIES": "1",
    }
    hosts = []
    try:
        for name in ("a", "b"):
            instance = folder / name  # nothing shared on disk: each host has its own
            hosts.append(
                start_host({**env, "LOCKGATE_INSTANCE": str(instance)}, folder / f"{name}.log")
            )
        yield Deployment(hosts[0], hosts[1], engine, store)
    finally:
        for host in hosts:
            host.stop()
        engine.dispose()


def signed_in(browser: Browser, host: Host) -> bool:
    """True when the host serves the browser a page behind the login."""
    page = browser.get(f"{host.base}/approvals/")
    assert page.status in (200, 302), page.status
    return page.status == 200


def logged_in(browser: Browser, host: Host, username: str, password: str = PASSWORD) -> Browser:
    page = browser.log_in(host.base, username, password)
    assert page.status == 302, f"{username} could not log in on {host.base}: {page.text[:300]}"
    return browser


def manager_of(deployment: Deployment, key: str) -> str:
    with deployment.workspace().unit_of_work(read_only=True) as uow:
        project = uow.session.execute(select(Project).where(Project.key == key)).unique()
        return project.scalar_one().manager.username


def test_a_file_attached_through_one_host_downloads_identically_through_the_other(
    deployment: Deployment, seaweedfs: SeaweedFS
) -> None:
    content = os.urandom(3 * 1024 * 1024 + 17)  # larger than what is checked in memory
    browser = logged_in(Browser(), deployment.a, manager_of(deployment, PROJECT))
    attach = f"{deployment.a.base}/projects/{PROJECT}/evidence/project_charter"

    posted = browser.upload(attach, {"note": "signed"}, {"file": ("charter.pdf", content)})

    assert posted.status == 302, posted.text[:500]
    page = browser.get(f"{deployment.b.base}/projects/{PROJECT}").text
    version = max(int(v) for v in re.findall(r"/evidence/project_charter/v(\d+)", page))
    download = browser.get(
        f"{deployment.b.base}/projects/{PROJECT}/evidence/project_charter/v{version}"
    )
    assert download.status == 200
    assert download.body == content
    digest = hashlib.sha256(content).hexdigest()
    stored = seaweedfs.client().head_object(Bucket=BUCKET, Key=f"{PREFIX}/{digest}")
    assert stored["ContentLength"] == len(content)


def test_a_logout_on_one_host_ends_the_session_on_the_other(deployment: Deployment) -> None:
    browser = logged_in(Browser(), deployment.a, "pmo")
    copied = browser.copy()
    assert signed_in(copied, deployment.b), "the session of host A is valid on host B"

    assert (
        browser.post(f"{deployment.a.base}/logout", {}, page=f"{deployment.a.base}/").status == 302
    )

    assert not signed_in(copied, deployment.b)
    assert not signed_in(copied.copy(), deployment.a)


def test_disabling_a_user_ends_their_sessions_on_both_hosts(deployment: Deployment) -> None:
    on_a = logged_in(Browser(), deployment.a, "security")
    on_b = logged_in(Browser(), deployment.b, "security")
    assert signed_in(on_a, deployment.a) and signed_in(on_b, deployment.b)

    with deployment.workspace().unit_of_work() as uow:
        users.set_active(uow, demo_actor(uow, "admin"), "security", False)
        uow.commit()

    for browser in (on_a, on_b):
        for host in (deployment.a, deployment.b):
            assert not signed_in(browser.copy(), host)


def test_failed_logins_on_both_hosts_count_together_for_an_account(
    deployment: Deployment,
) -> None:
    hosts = [deployment.a, deployment.b]
    for attempt in range(MAX_PER_ACCOUNT):
        page = Browser().log_in(hosts[attempt % 2].base, "architect", "a wrong guess")
        assert "not correct" in page.text

    for host in hosts:
        assert TOO_MANY in Browser().log_in(host.base, "architect", PASSWORD).text


def test_failed_logins_from_one_client_on_both_hosts_count_together_behind_a_proxy(
    deployment: Deployment,
) -> None:
    guesser = Browser(forwarded="203.0.113.50")  # the address the proxy appended
    hosts = [deployment.a, deployment.b]
    for attempt in range(MAX_PER_ADDRESS):
        page = guesser.log_in(hosts[attempt % 2].base, f"guess{attempt}", "wrong")
        assert "not correct" in page.text

    assert TOO_MANY in guesser.log_in(deployment.a.base, "operations", PASSWORD).text
    assert TOO_MANY in guesser.log_in(deployment.b.base, "operations", PASSWORD).text
    someone_else = Browser(forwarded="198.51.100.60")
    assert someone_else.log_in(deployment.b.base, "operations", PASSWORD).status == 302


def test_each_host_keeps_nothing_on_its_own_disk(deployment: Deployment) -> None:
    instances = [Path(h.log).with_suffix("") for h in (deployment.a, deployment.b)]

    assert all(not (i / "evidence").exists() and not (i / "secret_key").exists() for i in instances)
