"""The public SMS sign-up page states the reply hours (the shared snippet), in German and English."""

from __future__ import annotations

from flask.testing import FlaskClient

from publisher.settings import Settings


def test_the_sms_sign_up_page_states_the_reply_hours_and_the_emergency_number(
    instance: Settings, client: FlaskClient
) -> None:
    page = client.get("/sms/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    hours = page[page.index('id="reply-hours"') : page.index("</section>", page.index('id="reply-hours"'))]
    assert "Wann wir antworten" in hours
    assert "Mo–Fr 08:00–18:00 Uhr, nicht an Feiertagen" in hours
    assert "In Lebensgefahr: Notruf 112." in hours
    assert page.index('id="reply-hours"') < page.index("</main>")  # inside the page, before the footer


def test_the_english_sms_page_states_the_reply_hours_in_english(
    instance: Settings, client: FlaskClient
) -> None:
    page = client.get("/sms/?lang=en").get_data(as_text=True)
    hours = page[page.index('id="reply-hours"') : page.index("</section>", page.index('id="reply-hours"'))]
    assert "When we answer" in hours and "call 112" in hours
    assert "Wann wir antworten" not in hours and "Notruf" not in hours
    assert "Mo–Fr" not in hours
