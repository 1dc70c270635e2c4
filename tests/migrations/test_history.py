"""The migration history is one line: one head, one parent per revision, no branches."""

from __future__ import annotations

from alembic.script import ScriptDirectory

from content_calendar.database import alembic_config


def script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def test_the_history_has_exactly_one_head() -> None:
    assert len(script().get_heads()) == 1


def test_every_revision_has_at_most_one_parent_and_no_branch_label() -> None:
    for revision in script().walk_revisions():
        assert not revision.is_merge_point, revision.revision
        assert not revision.is_branch_point, revision.revision
        assert not revision.branch_labels, revision.revision


def test_it_starts_with_the_old_heads_in_the_order_they_were_written() -> None:
    line = [revision.revision for revision in reversed(list(script().walk_revisions()))]
    assert line[:4] == ["0001", "0300_crisis_queue", "0100_sms_recipient_status", "0200_content_calendar"]
