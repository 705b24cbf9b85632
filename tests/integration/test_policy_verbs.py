"""Publishing policy versions (immutable once published) and moving a project to a newer one."""

from __future__ import annotations

import pytest

from policies.library import LIBRARY
from tests.integration.factories import policy_source
from workflows.errors import InvalidInput, NotFound, Refused
from workflows.identity import system
from workflows.state import load_project
from workflows.verbs import migration, projects, publishing

STAKEHOLDER_MAP = (
    "      - id: business_case\n",
    "      - id: stakeholder_map\n"
    "        title: Stakeholder map\n"
    "        kind: file\n"
    "      - id: business_case\n",
)
LARGE_FROM_HALF_A_MILLION = (
    'when: project.budget > 250000 || project.risk == "high"',
    'when: project.budget > 500000 || project.risk == "high"',
)


def version_two(*edits: tuple[str, str]) -> str:
    source = policy_source("standard", 4)
    for old, new in edits:
        assert source.count(old) == 1
        source = source.replace(old, new)
    return source


# -- publish -----------------------------------------------------------------------------------


def test_the_system_publishes_a_version_exactly_as_written(act, read, events, head):
    source = version_two(STAKEHOLDER_MAP)
    start = head()

    row = act(publishing.publish, system(), source, "standard-v2.yaml")

    stored = read(lambda uow: _published(publishing.latest(uow, "standard")))
    assert stored == ("standard@4", source, "system")
    [event] = events(after=start)
    assert (event.action, event.data["policy"], event.data["digest"]) == (
        "policy.published",
        "standard@4",
        row.digest,
    )


def test_nobody_publishes_a_version_alone_not_even_the_pmo(refuses):
    error = refuses(Refused, publishing.publish, "pmo", version_two(), "standard-v2.yaml")

    assert [r.rule for r in error.refusals] == ["publish.four_eyes"]
    assert "propose it (`lockgate policy propose FILE`" in error.reasons[0]


@pytest.mark.parametrize("actor", ["pm", "admin", "auditor", "sponsor"])
def test_only_the_pmo_publishes_policies(refuses, actor):
    error = refuses(Refused, publishing.publish, actor, version_two(), "standard-v2.yaml")

    assert error.reasons == ["Only the PMO may publish policies."]


def test_a_published_version_never_changes(read, refuses):
    changed = (
        (LIBRARY / "standard.yaml")
        .read_text(encoding="utf-8")
        .replace("title: Standard IT project policy", "title: Standard IT project policy (edited)")
    )

    error = refuses(Refused, publishing.publish, system(), changed, "standard.yaml")

    assert error.reasons == [
        "standard@3 is already published and a published version never changes: "
        "give the new file version 4."
    ]
    assert read(lambda uow: publishing.version(uow, "standard", 3).title) == (
        "Standard IT project policy"
    )


def test_a_version_lower_than_the_latest_is_refused(act, refuses):
    act(publishing.publish, system(), policy_source("standard", 5), "standard-v3.yaml")

    error = refuses(Refused, publishing.publish, system(), version_two(), "standard-v2.yaml")

    assert "standard@5 is already published" in error.reasons[0]
    assert "give the new file version 6" in error.reasons[0]


def test_a_malformed_policy_is_refused_naming_each_line_and_field(refuses):
    source = version_two(
        ("initial_stage: initiation\n", "initial_stage: initiation\nowner: pmo\n"),
        ("has(project.go_live_date)", "has(project.go_live_dat)"),
    )
    lines = source.splitlines()
    owner_line = lines.index("owner: pmo") + 1
    expr_line = next(n for n, text in enumerate(lines, 1) if "go_live_dat)" in text)

    error = refuses(InvalidInput, publishing.publish, system(), source, "standard-v2.yaml")

    assert str(error).startswith("standard-v2.yaml has 2 problem(s)")
    places = sorted(error.problems)
    assert [p.split(":")[0] for p in places] == [str(owner_line), str(expr_line)]
    assert "go_live_date" in error.problems[places[1]], "a did-you-mean for the misspelt fact"


def test_publishing_the_library_again_publishes_nothing(act, events, head):
    start = head()

    assert act(publishing.publish_library) == []
    assert events(after=start) == []


def test_an_unpublished_version_is_not_found(read):
    with pytest.raises(NotFound, match="Policy standard@9 is not published"):
        read(lambda uow: publishing.version(uow, "standard", 9))


# -- migrate -----------------------------------------------------------------------------------


def test_a_migration_preview_lists_the_changes_and_their_impact(act, read, rows, new_project):
    key = new_project("ERP-1")
    act(publishing.publish, system(), version_two(STAKEHOLDER_MAP, LARGE_FROM_HALF_A_MILLION), "v2")
    before = rows()

    preview = read(lambda uow: migration.preview_migration(uow, key, 4))

    assert rows() == before, "a preview changes nothing"
    assert (preview.old, preview.new, preview.old_tier, preview.new_tier) == (
        "standard@3",
        "standard@4",
        "large",
        "medium",
    )
    changes = [str(c) for c in preview.changes]
    assert "gate initiation: added artifact:stakeholder_map (Stakeholder map)" in changes
    assert (
        "tiers: changed large (Large)\n"
        '    when: project.budget > 250000 || project.risk == "high" || project.regulated'
        ' -> project.budget > 500000 || project.risk == "high" || project.regulated'
    ) in changes
    assert preview.refusals == []
    assert "artifact:stakeholder_map" in [line.key for line in preview.next_gate_after.blocking]


def test_a_migration_preview_lists_each_change_once_in_words(act, read, new_project):
    key = new_project("ERP-1")
    act(publishing.publish, system(), version_two(STAKEHOLDER_MAP), "v2")

    preview = read(lambda uow: migration.preview_migration(uow, key, 4))

    assert [str(c) for c in preview.changes] == [
        "gate initiation: added artifact:stakeholder_map (Stakeholder map)"
    ]


def test_a_migration_is_applied_and_audited_with_old_and_new(act, read, new_project, events, head):
    key = new_project("ERP-1")
    act(publishing.publish, system(), version_two(STAKEHOLDER_MAP, LARGE_FROM_HALF_A_MILLION), "v2")
    start = head()

    act(migration.migrate, "pmo", key, 4, "Adopt the 2026 policy")

    pinned = read(lambda uow: _pinned(load_project(uow, key)))
    assert pinned == ("standard@4", "medium")
    [event] = events(after=start)
    assert event.action == "project.policy_migrated"
    assert (event.data["old_policy"], event.data["new_policy"]) == ("standard@3", "standard@4")
    assert (event.data["old_tier"], event.data["new_tier"]) == ("large", "medium")
    assert event.data["reason"] == "Adopt the 2026 policy"
    assert any("stakeholder_map" in change for change in event.data["changes"])


def test_a_project_with_an_open_review_cannot_be_migrated(
    act, read, new_project, submit_ready, refuses
):
    key = new_project("ERP-1")
    submit_ready(key)
    act(publishing.publish, system(), version_two(STAKEHOLDER_MAP), "v2")

    preview = read(lambda uow: migration.preview_migration(uow, key, 4))
    error = refuses(Refused, migration.migrate, "pmo", key, 4, "Adopt v2")

    expected = "A review is open: decide or withdraw it before moving the project."
    assert preview.refusals == [expected]
    assert error.reasons == [expected]


def test_a_project_only_moves_to_a_newer_version(act, new_project, refuses):
    act(publishing.publish, system(), version_two(), "v2")
    key = new_project("ERP-1")

    error = refuses(Refused, migration.migrate, "pmo", key, 3, "Back to v2")

    assert error.reasons == ["ERP-1 is on standard@4; it can only move to a newer version."]


def test_a_migration_needs_the_pmo_and_a_reason(act, new_project, refuses):
    key = new_project("ERP-1")
    act(publishing.publish, system(), version_two(), "v2")

    refuses(Refused, migration.migrate, "pm", key, 4, "Newer is better", match="Only the PMO")
    error = refuses(Refused, migration.migrate, "pmo", key, 4, " ")

    assert error.reasons == ["Give a reason for moving the project."]


def test_a_migration_to_an_unpublished_version_is_not_found(new_project, refuses):
    key = new_project("ERP-1")

    refuses(NotFound, migration.migrate, "pmo", key, 4, "Why", match="standard@4 is not published")


def _pinned(project):
    return project.policy_version.ref, project.tier


def _published(row):
    return row.ref, row.source, row.published_by


def test_a_project_on_hold_is_not_moved_to_a_version_without_the_stage_it_resumes_to(
    act, new_project, pass_gate, refuses, stage_of
):
    key = new_project("ERP-1")
    pass_gate(key)
    act(projects.hold, "sponsor", key, "Budget freeze")
    renamed = version_two(("    stage: planning\n", "    stage: design\n"))
    act(publishing.publish, system(), renamed, "v2")

    refuses(Refused, migration.migrate, "pmo", key, 4, "Adopt v2", match="planning")

    act(projects.resume, "sponsor", key, "Budget released")
    assert stage_of(key) == "planning"
