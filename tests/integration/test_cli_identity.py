"""Who is acting on the command line: `--as` is proved by a password or a personal access
token, a disabled user can do nothing, and scripts that used `--as` alone are told how to
make a token."""

from __future__ import annotations

import shutil

import pytest

from tests.integration.command_line import SECRET, command_line, point_at
from workflows.store.db import make_engine

NO_PASSWORD = {"LOCKGATE_PASSWORD": None}


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """An instance with an admin and a project manager (built once)."""
    root = tmp_path_factory.mktemp("cli-identity")
    lockgate = command_line()
    with pytest.MonkeyPatch.context() as patch:
        point_at(root / "instance", root / "keys", patch)
        lockgate("init", "--admin", "admin", "--admin-password", SECRET)
        lockgate(
            "user", "add", "--as", "admin", "pm", "--name", "Pat", "--role", "project_manager",
            "--password", SECRET,
        )  # fmt: skip
    return root / "instance"


@pytest.fixture
def lockgate(template, tmp_path, monkeypatch):
    """The command line on a private copy of the template instance."""
    point_at(tmp_path / "instance", tmp_path / "keys", monkeypatch)
    shutil.copytree(template, tmp_path / "instance")
    return command_line()


def audit_actions(lockgate) -> list[str]:
    exported = lockgate("audit", "export", "--as", "admin", "--format", "jsonl", code=None)
    return [line.split('"action":"')[1].split('"')[0] for line in exported.output.splitlines()]


def events(instance) -> list[tuple[str, str]]:
    engine = make_engine(f"sqlite:///{instance / 'lockgate.sqlite'}")
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT actor, action FROM audit_events ORDER BY seq")
        found = [(actor, action) for actor, action in rows]
    engine.dispose()
    return found


def test_as_alone_is_refused_and_says_how_to_make_a_token(lockgate, tmp_path):
    before = events(tmp_path / "instance")

    result = lockgate("user", "grant", "--as", "admin", "pm", "pmo", code=2, env=NO_PASSWORD)

    assert "--as USER alone is not enough" in result.output
    assert "lockgate token create" in result.output
    assert "LOCKGATE_TOKEN" in result.output
    assert events(tmp_path / "instance") == before, "nothing was granted or recorded"


def test_a_wrong_password_is_refused_and_counts_toward_throttling(lockgate, tmp_path):
    wrong = {"LOCKGATE_PASSWORD": "not the password"}

    result = lockgate("user", "grant", "--as", "admin", "pm", "pmo", code=1, env=wrong)

    assert result.output == "error: The username or password is not correct.\n"
    engine = make_engine(f"sqlite:///{tmp_path / 'instance' / 'lockgate.sqlite'}")
    with engine.connect() as connection:
        failures = connection.exec_driver_sql("SELECT username, address FROM login_failures")
        assert [(name, address.startswith("cli:")) for name, address in failures] == [
            ("admin", True)
        ]
    engine.dispose()


def test_a_script_acts_with_a_token_and_without_a_password(lockgate, tmp_path):
    made = lockgate("token", "create", "--as", "pm", "--name", "nightly report", "--days", "30")
    token = made.stdout.splitlines()[0]

    as_script = {"LOCKGATE_PASSWORD": None, "LOCKGATE_TOKEN": token}
    registered = lockgate(
        "project", "register", "LITE-1", "Small thing", "--policy", "lite",
        "--fact", "budget=10000", "--fact", "risk=low", "--sponsor", "admin", env=as_script,
    )  # fmt: skip

    assert token.startswith("lgt_") and len(token) > 40
    assert "LITE-1" in registered.output
    assert ("pm", "project.registered") in events(tmp_path / "instance")
    assert ("pm", "token.created") in events(tmp_path / "instance")


def test_a_token_names_its_owner_and_refuses_another_name(lockgate):
    token = lockgate("token", "create", "--as", "pm", "--name", "ci").stdout.splitlines()[0]

    result = lockgate(
        "token", "list", "--as", "admin", code=1,
        env={"LOCKGATE_PASSWORD": None, "LOCKGATE_TOKEN": token},
    )  # fmt: skip

    assert (
        result.output == "error: LOCKGATE_TOKEN belongs to 'pm', not 'admin': unset one of them.\n"
    )


def test_a_token_cannot_make_another_token(lockgate):
    token = lockgate("token", "create", "--as", "pm", "--name", "ci").stdout.splitlines()[0]

    result = lockgate(
        "token", "create", "--name", "forever", code=1,
        env={"LOCKGATE_PASSWORD": None, "LOCKGATE_TOKEN": token},
    )  # fmt: skip

    assert "A token cannot make another token" in result.output


def test_a_revoked_token_stops_working_at_once(lockgate, tmp_path):
    token = lockgate("token", "create", "--as", "pm", "--name", "ci").stdout.splitlines()[0]
    listed = lockgate("token", "list", "--as", "pm").output
    token_id = listed.splitlines()[1].split()[0]

    lockgate("token", "revoke", "--as", "pm", token_id)
    result = lockgate(
        "token", "list", code=1, env={"LOCKGATE_PASSWORD": None, "LOCKGATE_TOKEN": token}
    )

    assert "ci" in listed and "active" in listed and token[4:12] in listed
    assert token not in listed, "a list never shows the token itself"
    assert "The access token was revoked" in result.output
    assert ("pm", "token.revoked") in events(tmp_path / "instance")


def test_an_unknown_token_is_refused(lockgate):
    result = lockgate(
        "token", "list", code=1, env={"LOCKGATE_PASSWORD": None, "LOCKGATE_TOKEN": "lgt_made-up"}
    )

    assert "The access token is not one Lockgate issued" in result.output


def test_a_disabled_user_can_do_nothing_with_a_password_or_a_token(lockgate, tmp_path):
    token = lockgate("token", "create", "--as", "pm", "--name", "ci").stdout.splitlines()[0]

    disabled = lockgate("user", "disable", "--as", "admin", "pm")
    with_password = lockgate("token", "list", "--as", "pm", code=1)
    with_token = lockgate(
        "token", "list", code=1, env={"LOCKGATE_PASSWORD": None, "LOCKGATE_TOKEN": token}
    )
    lockgate("user", "enable", "--as", "admin", "pm")

    assert disabled.output == "disabled pm\n"
    assert with_password.output == "error: The username or password is not correct.\n"
    assert with_token.output == "error: The account 'pm' is disabled: ask an admin.\n"
    assert lockgate("token", "list", "--as", "pm").exit_code == 0, "enabled again, it works"
    assert [a for _, a in events(tmp_path / "instance")][-3:] == [
        "user.disabled",
        "login.failed",  # the password tried while disabled
        "user.enabled",
    ]


def test_only_admins_disable_users(lockgate):
    result = lockgate("user", "disable", "--as", "pm", "admin", code=1)

    assert result.output.startswith("error: cannot enable or disable users:")


def test_init_creates_only_the_first_admin(lockgate):
    result = lockgate("init", "--admin", "mallory", "--admin-password", SECRET, code=1)

    assert "The system creates only the first admin: ask an admin to add users." in result.output


def test_admins_review_grant_conflicts_and_others_are_refused(lockgate, tmp_path):
    clean = lockgate("user", "conflicts", "--as", "admin")
    refused = lockgate("user", "conflicts", "--as", "pm", code=1)

    assert events(tmp_path / "instance")[-1] == ("pm", "action.refused"), "the refusal is audited"

    assert clean.output.splitlines()[-1] == "0 conflict(s)"
    assert "Only auditors, the PMO or admins may review who holds which roles." in refused.output


def test_a_project_on_hold_is_resumed_from_the_command_line_and_both_are_audited(
    lockgate, tmp_path
):
    lockgate(
        "user", "add", "--as", "admin", "sam", "--name", "Sam", "--password", SECRET,
    )  # fmt: skip
    lockgate(
        "project", "register", "--as", "pm", "LITE-1", "Small thing", "--policy", "lite",
        "--fact", "budget=10000", "--fact", "risk=low", "--sponsor", "sam",
    )  # fmt: skip

    held = lockgate("project", "hold", "--as", "sam", "LITE-1", "--reason", "Vendor offer late")
    no_reason = lockgate("project", "resume", "--as", "sam", "LITE-1", "--reason", " ", code=1)
    resumed = lockgate("project", "resume", "--as", "sam", "LITE-1", "--reason", "Offer in")
    by_manager = lockgate("project", "kill", "--as", "pm", "LITE-1", "--reason", "No", code=1)

    assert held.output == "LITE-1 is now on hold\n"
    assert "give a reason" in no_reason.output
    assert resumed.output == "LITE-1 is now initiation\n"
    assert "Only the sponsor or the PMO may kill the project." in by_manager.output
    actions = [a for _, a in events(tmp_path / "instance")]
    assert actions[-4:] == ["project.hold", "action.refused", "project.resume", "action.refused"]


def test_a_user_added_without_a_password_gets_a_one_time_link(lockgate, monkeypatch):
    monkeypatch.setenv("LOCKGATE_BASE_URL", "https://lockgate.example.com/")

    added = lockgate("user", "add", "--as", "admin", "nina", "--name", "Nina Analyst")
    reset = lockgate("user", "reset", "--as", "admin", "nina")

    assert added.stdout.splitlines()[0] == "added nina"
    assert added.stdout.splitlines()[1].startswith("https://lockgate.example.com/password/")
    assert "shown only now" in added.stderr
    assert reset.stdout.splitlines()[0].startswith("https://lockgate.example.com/password/")
    assert reset.stdout != added.stdout


def test_a_user_changes_their_own_password_on_the_command_line(lockgate):
    changed = lockgate(
        "user", "password", "--as", "pm", env={"LOCKGATE_NEW_PASSWORD": "a-better-secret"}
    )
    old = lockgate("token", "list", "--as", "pm", code=1)
    new = lockgate("token", "list", "--as", "pm", env={"LOCKGATE_PASSWORD": "a-better-secret"})

    assert changed.output == "password changed; every portal session of yours ended\n"
    assert old.output == "error: The username or password is not correct.\n"
    assert new.exit_code == 0


def test_overdue_work_is_listed_for_the_pmo_and_admins_only(lockgate, tmp_path):
    listed = lockgate("reviews", "overdue", "--as", "admin")
    as_json = lockgate("reviews", "overdue", "--as", "admin", "--json")
    refused = lockgate("reviews", "overdue", "--as", "pm", code=1)

    assert events(tmp_path / "instance")[-1] == ("pm", "action.refused"), "the refusal is audited"

    assert listed.output.splitlines()[-2:] == ["0 overdue review(s)", "0 overdue condition(s)"]
    assert as_json.output.startswith("{") and '"reviews": []' in as_json.output
    assert "Only the PMO or admins may see the portfolio dashboard." in refused.output
