"""Who may do what: the one declarative role -> permission policy.

Routes, the API and the post workflow check *permissions*, never role names; the role
table in the README is generated from this module (``python -m
content_calendar.accounts.policy`` prints it) and a test keeps the two identical.
The roles follow docs/DESIGN.md: editors plan posts, approvers approve posts and
templates, crisis staff send alerts, fallback operators keep plan B running,
contributors submit ideas, admins may do everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from content_calendar.accounts.models import ROLES


class Permission(StrEnum):
    VIEW_OVERVIEW = "view_overview"
    VIEW_CALENDAR = "view_calendar"
    PLAN_POSTS = "plan_posts"
    SUBMIT_POSTS = "submit_posts"
    APPROVE_POSTS = "approve_posts"
    CANCEL_POSTS = "cancel_posts"
    DECIDE_HELD_POSTS = "decide_held_posts"
    SUBMIT_IDEAS = "submit_ideas"
    MANAGE_SLOTS = "manage_slots"
    EMERGENCY_STOP = "emergency_stop"
    CONFIGURE_CALENDAR = "configure_calendar"
    VIEW_TEMPLATES = "view_templates"
    EDIT_TEMPLATES = "edit_templates"
    APPROVE_TEMPLATES = "approve_templates"
    SEND_ALERTS = "send_alerts"
    VIEW_ALERTS = "view_alerts"
    OPERATE_FALLBACK = "operate_fallback"
    USE_BLACKOUT_PACK = "use_blackout_pack"
    CHECK_CHANNELS = "check_channels"
    MANAGE_SUBSCRIBERS = "manage_subscribers"
    MANAGE_USERS = "manage_users"
    VIEW_INBOX = "view_inbox"
    ANSWER_CITIZENS = "answer_citizens"
    APPROVE_REPLY_BLOCKS = "approve_reply_blocks"
    MANAGE_CITIZEN_DATA = "manage_citizen_data"


P = Permission

# What each permission allows, in the README's words (English) and the UI's (German).
DESCRIPTIONS: dict[Permission, str] = {
    P.VIEW_OVERVIEW: "overview `/`: upcoming posts, recent alerts, deliveries; API `GET /deliveries`",
    P.VIEW_CALENDAR: "calendar, review queue, post pages, cadence, `/planung`, CSV export, calendar feed",
    P.PLAN_POSTS: "write, change, move and import posts; turn ideas into posts",
    P.SUBMIT_POSTS: "submit a post for approval (API `POST /posts`)",
    P.APPROVE_POSTS: "approve a post or send it back (four eyes)",
    P.CANCEL_POSTS: "cancel a post (web and API)",
    P.DECIDE_HELD_POSTS: "`/angehalten/`: publish, reschedule or drop posts held by crisis mode",
    P.SUBMIT_IDEAS: "`/ideen`: submit post ideas",
    P.MANAGE_SLOTS: "queue slots on `/planung`",
    P.EMERGENCY_STOP: "emergency stop of all community posts",
    P.CONFIGURE_CALENDAR: "themes, friend type, reply hours, self-approval",
    P.VIEW_TEMPLATES: "`/vorlagen`: alert templates and their versions",
    P.EDIT_TEMPLATES: "write a new template version, load the template library",
    P.APPROVE_TEMPLATES: "approve a template version (four eyes)",
    P.SEND_ALERTS: "`/krise/`: send an alert, updates and the all-clear (web and API)",
    P.VIEW_ALERTS: "an alert's live delivery board (web and API)",
    P.OPERATE_FALLBACK: "`/fallback/`: send again, push an alert via SMS",
    P.USE_BLACKOUT_PACK: "blackout pack: printed notice, loudspeaker text and audio, darksite, CAP XML",
    P.CHECK_CHANNELS: "`/kanaele`: channels and their credential check",
    P.MANAGE_SUBSCRIBERS: "`/sms/verwaltung`: GDPR export and deletion of SMS subscribers",
    P.MANAGE_USERS: "users and API tokens (`ernstfall user`, `ernstfall token`)",
    P.VIEW_INBOX: "`/dialog/`: the inbox (names and phone numbers hidden) and the rumour watch",
    P.ANSWER_CITIZENS: "see who wrote, assign, answer and close inbox entries; write reply blocks",
    P.APPROVE_REPLY_BLOCKS: "approve a reply block version or a free-text reply (four eyes)",
    P.MANAGE_CITIZEN_DATA: "GDPR export and deletion of one author's inbox entries",
}
LABELS: dict[Permission, str] = {
    P.VIEW_OVERVIEW: "Übersicht ansehen",
    P.VIEW_CALENDAR: "Kalender ansehen",
    P.PLAN_POSTS: "Beiträge planen",
    P.SUBMIT_POSTS: "Beiträge einreichen",
    P.APPROVE_POSTS: "Beiträge freigeben",
    P.CANCEL_POSTS: "Beiträge abbrechen",
    P.DECIDE_HELD_POSTS: "über angehaltene Beiträge entscheiden",
    P.SUBMIT_IDEAS: "Ideen einreichen",
    P.MANAGE_SLOTS: "Sendezeiten pflegen",
    P.EMERGENCY_STOP: "Notstopp auslösen",
    P.CONFIGURE_CALENDAR: "Planung einstellen",
    P.VIEW_TEMPLATES: "Vorlagen ansehen",
    P.EDIT_TEMPLATES: "Vorlagen bearbeiten",
    P.APPROVE_TEMPLATES: "Vorlagen freigeben",
    P.SEND_ALERTS: "Warnungen senden",
    P.VIEW_ALERTS: "Warnungen verfolgen",
    P.OPERATE_FALLBACK: "Fallback bedienen",
    P.USE_BLACKOUT_PACK: "Blackout-Paket nutzen",
    P.CHECK_CHANNELS: "Kanäle prüfen",
    P.MANAGE_SUBSCRIBERS: "SMS-Abos verwalten",
    P.MANAGE_USERS: "Benutzer verwalten",
    P.VIEW_INBOX: "Posteingang ansehen",
    P.ANSWER_CITIZENS: "Bürger:innen antworten",
    P.APPROVE_REPLY_BLOCKS: "Antwortbausteine freigeben",
    P.MANAGE_CITIZEN_DATA: "Daten von Bürger:innen verwalten",
}

ADMIN = "admin"
POLICY: dict[str, frozenset[Permission]] = {
    ADMIN: frozenset(Permission),
    "editor": frozenset(
        {
            P.VIEW_OVERVIEW,
            P.VIEW_CALENDAR,
            P.PLAN_POSTS,
            P.SUBMIT_POSTS,
            P.CANCEL_POSTS,
            P.DECIDE_HELD_POSTS,
            P.SUBMIT_IDEAS,
            P.MANAGE_SLOTS,
            P.VIEW_TEMPLATES,
            P.EDIT_TEMPLATES,
        }
    ),
    "approver": frozenset(
        {
            P.VIEW_OVERVIEW,
            P.VIEW_CALENDAR,
            P.APPROVE_POSTS,
            P.CANCEL_POSTS,
            P.DECIDE_HELD_POSTS,
            P.MANAGE_SLOTS,
            P.EMERGENCY_STOP,
            P.VIEW_TEMPLATES,
            P.EDIT_TEMPLATES,
            P.APPROVE_TEMPLATES,
            P.VIEW_ALERTS,
        }
    ),
    "crisis": frozenset(
        {P.VIEW_OVERVIEW, P.VIEW_TEMPLATES, P.SEND_ALERTS, P.VIEW_ALERTS, P.USE_BLACKOUT_PACK}
    ),
    "fallback": frozenset(
        {P.VIEW_OVERVIEW, P.VIEW_ALERTS, P.OPERATE_FALLBACK, P.USE_BLACKOUT_PACK, P.CHECK_CHANNELS}
    ),
    "contributor": frozenset({P.VIEW_OVERVIEW, P.SUBMIT_IDEAS, P.SUBMIT_POSTS}),
}


# Dialog (issue 14): editors answer citizens; approvers approve reply blocks and free-text
# replies (four eyes); crisis staff watch the inbox and rumours. Admins have every permission.
POLICY["editor"] = POLICY["editor"] | {P.VIEW_INBOX, P.ANSWER_CITIZENS}
POLICY["approver"] = POLICY["approver"] | {P.VIEW_INBOX, P.APPROVE_REPLY_BLOCKS}
POLICY["crisis"] = POLICY["crisis"] | {P.VIEW_INBOX}


def permissions_for(roles: Iterable[str]) -> frozenset[Permission]:
    """Everything the given roles allow together; unknown role names allow nothing."""
    found: set[Permission] = set()
    for role in roles:
        found |= POLICY.get(role, frozenset())
    return frozenset(found)


def allows(roles: Iterable[str], *wanted: Permission | str) -> bool:
    """True if the roles grant at least one of ``wanted``.

    Templates pass plain names (``current_user.can('plan_posts')``); an unknown name
    raises ValueError instead of silently allowing or refusing.
    """
    granted = permissions_for(roles)
    return any(Permission(w) in granted for w in wanted)


def refusal(*wanted: Permission) -> str:
    """The German message for a refused request."""
    names = " oder ".join(f"„{LABELS[p]}“" for p in wanted)
    return f"Ihre Rolle erlaubt das nicht: es fehlt die Berechtigung {names}."


def role_table() -> str:
    """The README's role table (Markdown), generated from :data:`POLICY`."""
    header = "| permission | allows | " + " | ".join(ROLES) + " |"
    rule = "|---|---|" + "---|" * len(ROLES)
    rows = [
        f"| `{p.value}` | {DESCRIPTIONS[p]} | "
        + " | ".join("✓" if p in POLICY[role] else "–" for role in ROLES)
        + " |"
        for p in Permission
    ]
    return "\n".join([header, rule, *rows])


README_START = "<!-- role-table:start (generated by python -m content_calendar.accounts.policy) -->"
README_END = "<!-- role-table:end -->"


def readme_section(readme: str) -> str:
    """The text between the role-table markers of the README."""
    start = readme.index(README_START) + len(README_START)
    return readme[start : readme.index(README_END)].strip()


if __name__ == "__main__":
    print(README_START)
    print(role_table())
    print(README_END)
