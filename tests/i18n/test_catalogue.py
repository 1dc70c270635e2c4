"""The English catalogue covers every message of the interface.

TRANSLATED_SO_FAR is the explicit list of files whose every user-facing string goes through
gettext (README, "Languages"): every page template, every web module that speaks to a person,
and the domain modules whose messages reach the pages. A German literal left in one of them,
or a message missing from the English catalogue, fails this test. A new template or web module
must join the list (or NOT_INTERFACE, with its reason), or the completeness tests fail.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po

from content_calendar.catalogues import CATALOGUE_DIR, translate
from content_calendar.crisis.lifecycle import STATE_LABELS
from content_calendar.crisis.placeholders import TYPE_LABELS
from content_calendar.web import template_files
from content_calendar.web.i18n import DOMAIN_LABELS
from publisher.vocabulary import (
    ALLCLEAR_MARK,
    DELIVERY_STATE_LABELS,
    LEVEL_LABELS,
    READINESS_LABELS,
    UPDATE_MARK,
)

REPO = Path(__file__).resolve().parents[2]
TRANSLATED_SO_FAR = (
    # layout, navigation, login, errors
    "content_calendar/web/templates/base.html",
    "content_calendar/web/templates/_language_switch.html",
    "content_calendar/web/calendar/templates/_calendar_nav.html",
    "content_calendar/web/crisis/templates/_crisis_nav.html",
    "content_calendar/web/dialog/templates/dialog_nav.html",
    "content_calendar/web/accounts/templates/login.html",
    "content_calendar/web/templates/error.html",
    "content_calendar/web/accounts/auth.py",
    "content_calendar/web/errors.py",
    "content_calendar/web/i18n.py",
    "content_calendar/web/start.py",
    # crisis admin: templates, fallback console, held posts, blackout downloads; overview, channels,
    # SMS subscriptions; the domain messages shown there (Msg)
    "content_calendar/web/crisis/console.py",
    "content_calendar/web/crisis/template_admin.py",
    "content_calendar/web/crisis/fallback.py",
    "content_calendar/web/crisis/blackout.py",
    "content_calendar/web/crisis/templates/template_list.html",
    "content_calendar/web/crisis/templates/template_detail.html",
    "content_calendar/web/crisis/templates/template_edit.html",
    "content_calendar/web/crisis/templates/fallback_console.html",
    "content_calendar/web/crisis/templates/held_posts.html",
    "content_calendar/web/templates/dashboard.html",
    "content_calendar/web/templates/_deliveries.html",
    "content_calendar/web/accounts/channels.py",
    "content_calendar/web/accounts/templates/channels.html",
    "content_calendar/web/public/templates/sms_admin.html",
    "content_calendar/crisis/alerts.py",
    "content_calendar/crisis/lifecycle.py",
    "content_calendar/crisis/templates.py",
    "content_calendar/crisis/placeholders.py",
    "content_calendar/crisis/plan_b.py",
    # public pages: SMS sign-up, reply hours; the opt-in SMS
    "content_calendar/web/public/templates/sms_subscribe.html",
    "content_calendar/web/templates/_public_footer.html",
    "content_calendar/web/public/templates/dialog_public_hours.html",
    "content_calendar/web/public/templates/dialog_hours_snippet.html",
    "content_calendar/web/public/sms_subscribe.py",
    "content_calendar/web/public/reply_hours.py",
    "content_calendar/subscribers/signup.py",
    # crisis console: start, send form, live board
    "content_calendar/web/crisis/templates/crisis_index.html",
    "content_calendar/web/crisis/templates/crisis_send.html",
    "content_calendar/web/crisis/templates/crisis_board.html",
    "content_calendar/web/crisis/templates/_readiness.html",
    "content_calendar/web/crisis/templates/_readiness_alert.html",
    "content_calendar/web/templates/_preview_card.html",
    "content_calendar/web/crisis/templates/_blackout_pack.html",
    "content_calendar/crisis/drills.py",  # drill run states and per-channel outcomes (readiness view)
    "content_calendar/crisis/drill_plan.py",  # drill rules as people read them
    # dialog: inbox, thread, reply blocks, free-text approvals, settings, citizen data
    "content_calendar/web/dialog/templates/dialog_subnav.html",
    "content_calendar/web/dialog/templates/dialog_inbox.html",
    "content_calendar/web/dialog/templates/dialog_thread.html",
    "content_calendar/web/dialog/templates/dialog_blocks.html",
    "content_calendar/web/dialog/templates/dialog_block_detail.html",
    "content_calendar/web/dialog/templates/dialog_block_edit.html",
    "content_calendar/web/dialog/templates/dialog_approvals.html",
    "content_calendar/web/dialog/templates/dialog_settings.html",
    "content_calendar/web/dialog/common.py",
    "content_calendar/web/dialog/inbox_pages.py",
    "content_calendar/web/dialog/block_pages.py",
    "content_calendar/web/dialog/approval_pages.py",
    "content_calendar/web/dialog/citizen_data_pages.py",
    "content_calendar/web/dialog/settings_page.py",
    "content_calendar/dialog/blocks.py",
    "content_calendar/dialog/replies.py",
    "content_calendar/dialog/inbox.py",
    "content_calendar/dialog/hours.py",
    # dialog: rumour watch (page, view, the keyword-list messages)
    "content_calendar/web/dialog/templates/dialog_rumours.html",
    "content_calendar/web/dialog/rumour_pages.py",
    "content_calendar/dialog/rumours.py",
    # calendar: week, month, list, review queue, post editor, planning, cadence, ideas, iCal, CSV
    "content_calendar/web/calendar/templates/_calendar_entry.html",
    "content_calendar/web/calendar/templates/_calendar_head.html",
    "content_calendar/web/calendar/templates/calendar_week.html",
    "content_calendar/web/calendar/templates/calendar_month.html",
    "content_calendar/web/calendar/templates/calendar_list.html",
    "content_calendar/web/calendar/templates/review_queue.html",
    "content_calendar/web/calendar/templates/post_editor.html",
    "content_calendar/web/calendar/templates/calendar_admin.html",
    "content_calendar/web/calendar/templates/cadence.html",
    "content_calendar/web/calendar/templates/contributions.html",
    "content_calendar/web/calendar/templates/calendar_feed.html",
    "content_calendar/web/calendar/templates/calendar_import.html",
    "content_calendar/web/calendar/views.py",
    "content_calendar/web/calendar/post_editor.py",
    "content_calendar/web/calendar/editor_form.py",
    "content_calendar/web/calendar/admin.py",
    "content_calendar/web/calendar/contributions.py",
    "content_calendar/web/calendar/io.py",
    "content_calendar/calendar/timeutil.py",
    "content_calendar/calendar/posts.py",
    "content_calendar/calendar/post_editing.py",
    "content_calendar/calendar/post_model.py",
    "content_calendar/calendar/limits.py",
    "content_calendar/calendar/media.py",
    "content_calendar/calendar/contributions.py",
    "content_calendar/calendar/queue_slots.py",
    "content_calendar/calendar/emergency_stop.py",
    "content_calendar/calendar/csv_io.py",
    "content_calendar/calendar/cadence.py",
    "content_calendar/calendar/office_hours.py",
    "content_calendar/calendar/settings.py",
)
TRANSLATED_SO_FAR = (*TRANSLATED_SO_FAR, "content_calendar/web/__init__.py")  # the login prompt

# Web modules without interface text of their own, each with the reason.
NO_TEXT = "no text of its own: it only wires pages or reads data for templates"
API = "the API answers in German by design (problem documents, OpenAPI titles; issue 9)"
NOT_INTERFACE = {
    "content_calendar/web/accounts/__init__.py": NO_TEXT,
    "content_calendar/web/calendar/__init__.py": NO_TEXT,
    "content_calendar/web/crisis/__init__.py": NO_TEXT,
    "content_calendar/web/dialog/__init__.py": NO_TEXT,
    "content_calendar/web/public/__init__.py": NO_TEXT,
    "content_calendar/web/calendar/cadence.py": NO_TEXT,
    "content_calendar/web/crisis/drills.py": NO_TEXT,
    "content_calendar/web/dashboard.py": NO_TEXT,
    "content_calendar/web/helpers.py": NO_TEXT,
    "content_calendar/web/api/__init__.py": API,
    "content_calendar/web/api/drills.py": API,
    "content_calendar/web/api/health.py": API,
    "content_calendar/web/api/lifecycle.py": API,
    "content_calendar/web/api/problems.py": API,
    "content_calendar/web/api/schemas.py": API,
    "content_calendar/web/api/spec.py": API,
    "content_calendar/web/dialog/api.py": API,
    "content_calendar/web/metrics.py": "answers a monitoring system (Prometheus), not a person",
    "content_calendar/web/public/feeds.py": "feeds carry the alerts' own texts; no interface text",
    "content_calendar/web/public/sms_webhooks.py": "answers the SMS provider's servers, not a person",
}
TEMPLATE_FILES = [name for name in TRANSLATED_SO_FAR if name.endswith(".html")]


def test_every_template_is_in_the_english_interface() -> None:
    every = {path.relative_to(REPO).as_posix() for path in template_files()}
    assert sorted(every - set(TEMPLATE_FILES)) == []


def test_every_web_module_is_translated_or_says_why_it_has_no_interface_text() -> None:
    every = {
        path.relative_to(REPO).as_posix() for path in (REPO / "content_calendar" / "web").glob("**/*.py")
    }
    accounted = set(TRANSLATED_SO_FAR) | set(NOT_INTERFACE)
    assert sorted(every - accounted) == []
    assert sorted(set(NOT_INTERFACE) - every) == []  # no stale entries
    assert not set(NOT_INTERFACE) & set(TRANSLATED_SO_FAR)


KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "Msg": None, "lazy_gettext": None}


def catalogue(language: str) -> Catalog:
    with (CATALOGUE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source, locale=language)


def messages_in(relative: str) -> list[str | tuple[str, ...]]:
    method = "jinja2" if relative.endswith(".html") else "python"
    found = []
    for _line, message, _comments, _context in extract_from_file(method, REPO / relative, keywords=KEYWORDS):
        if isinstance(message, tuple):
            found.append(message[0] if len(message) == 1 or message[1] is None else tuple(message[:2]))
        else:
            found.append(message)
    return found


@pytest.mark.parametrize("relative", TRANSLATED_SO_FAR)
def test_every_message_of_a_translated_file_has_its_english_translation(relative: str) -> None:
    english = catalogue("en")
    found = messages_in(relative)
    missing = []
    for message in found:
        entry = english.get(message[0] if isinstance(message, tuple) else message)
        strings = entry.string if entry is not None else None
        translated = all(strings) if isinstance(strings, tuple) else bool(strings)
        if entry is None or not translated or entry.fuzzy:
            missing.append(message)
    assert not missing, f"{relative}: not in the English catalogue (README, 'Languages'): {missing}"


@pytest.mark.parametrize("relative", [name for name in TRANSLATED_SO_FAR if not name.endswith("i18n.py")])
def test_a_translated_file_has_messages_at_all(relative: str) -> None:
    """Guards the list itself: a file in it that extraction cannot read would pass unseen."""
    if relative.endswith(("_language_switch.html", "_public_footer.html")):
        pytest.skip("no words of its own: language names and configured link labels")
    assert messages_in(relative), relative


def test_the_english_catalogue_keeps_every_placeholder_of_its_german_message() -> None:
    english = catalogue("en")
    problems = [(message.id, errors) for message, errors in english.check() if errors]
    assert not problems


# Text left outside gettext in a template: words between tags, and words in the attributes
# a person reads or hears (aria-label, title, placeholder, alt, data-confirm).
JINJA = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.S)
TAG = re.compile(r"<(?:script|style)\b.*?</(?:script|style)>|<[^>]*>", re.S)
READ_ATTRIBUTES = re.compile(
    r'\b(?:aria-label|title|placeholder|alt|data-confirm|data-one|data-many)="([^"]*)"'
)
ALLOWED = {"Ernstfall", "s"}  # the product's name; the unit after a number of seconds


def literal_words(html: str) -> list[str]:
    attributes = " ".join(JINJA.sub(" ", value) for value in READ_ATTRIBUTES.findall(html))
    text = TAG.sub(" ", JINJA.sub(" ", html))
    words = re.findall(r"[^\W\d_]{1,}", f"{text} {attributes}")
    return [word for word in words if word not in ALLOWED]


@pytest.mark.parametrize("relative", TEMPLATE_FILES)
def test_a_translated_template_has_no_words_outside_gettext(relative: str) -> None:
    html = (REPO / relative).read_text(encoding="utf-8")
    assert literal_words(html) == [], f"{relative}: wrap these in {{{{ _('…') }}}}"


def test_the_literal_check_would_find_a_german_word() -> None:
    assert literal_words('<p>Hallo {{ _("Welt") }}</p><a aria-label="Menü">x</a>') == ["Hallo", "x", "Menü"]


def test_the_labels_kept_next_to_their_enums_are_all_marked_for_translation() -> None:
    tables = [LEVEL_LABELS, DELIVERY_STATE_LABELS, READINESS_LABELS, STATE_LABELS, TYPE_LABELS]
    labels = {label for table in tables for label in table.values()} | {UPDATE_MARK, ALLCLEAR_MARK}
    assert labels == set(DOMAIN_LABELS)


def test_the_opt_in_sms_text_exists_in_english_and_german() -> None:
    from content_calendar.subscribers.signup import code_text

    assert code_text("subscribe", "en", "123456") == (
        "Your code to subscribe to the SMS alerts: 123456 (valid for 15 minutes)"
    )
    assert code_text("unsubscribe", "en-GB", "123456").startswith("Your code to unsubscribe")
    assert code_text("subscribe", "de-x-ls", "123456") == (
        "Ihr Code zur Anmeldung bei den SMS-Warnungen: 123456 (15 Minuten gültig)"
    )
    assert translate("Gefahr", "en") == "Danger"
