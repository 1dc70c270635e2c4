"""Messages from the domain packages (Msg) reach a page in the reader's language."""

from __future__ import annotations

import pickle

from flask import Flask

from content_calendar.catalogues import Msg
from content_calendar.web.i18n import localize


def test_a_msg_is_the_german_text_with_its_values_filled_in() -> None:
    message = Msg(
        "Die Sprache „%(asked)s“ gibt es hier nicht. Angeboten: %(offered)s.", asked="xx", offered="de"
    )
    assert message == "Die Sprache „xx“ gibt es hier nicht. Angeboten: de."
    assert message.msgid.startswith("Die Sprache „%(asked)s“")


def test_a_msg_survives_pickling_with_its_msgid() -> None:
    message = Msg("Gefahr")
    copy = pickle.loads(pickle.dumps(message))
    assert isinstance(copy, Msg)
    assert (copy, copy.msgid, copy.params) == ("Gefahr", "Gefahr", {})


def test_a_msg_is_translated_for_another_persons_language() -> None:
    message = Msg(
        "Die Sprache „%(asked)s“ gibt es hier nicht. Angeboten: %(offered)s.", asked="xx", offered="de"
    )
    assert message.in_language("en") != message
    assert "xx" in message.in_language("en")
    assert message.in_language("de") == message


def test_localize_shows_a_msg_and_a_marked_text_in_the_page_language(app: Flask) -> None:
    with app.test_request_context("/?lang=en"):
        from flask import session

        session["lang"] = "en"
        assert localize(Msg("Gefahr")) == "Danger"
        assert localize("Gefahr") == "Danger"
        assert localize("ein Fehlertext der Plattform") == "ein Fehlertext der Plattform"
    with app.test_request_context("/"):
        assert localize(Msg("Gefahr")) == "Gefahr"


def test_templates_have_a_localize_filter(app: Flask) -> None:
    with app.test_request_context("/"):
        from flask import session

        session["lang"] = "en"
        rendered = app.jinja_env.from_string("{{ m|localize }}").render(m=Msg("Gefahr"))
    assert rendered == "Danger"
