"""Templates: validation, versions, four-eyes approval and the per-channel rendering check."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from content_calendar.accounts.models import AuditEvent
from content_calendar.crisis.alerts import AlertError, find_template
from content_calendar.crisis.template_library import TEMPLATES
from content_calendar.crisis.templates import (
    TemplateError,
    approve,
    create_version,
    load_library,
    template_spec,
    validate_spec,
    versions,
)
from publisher.db import Database
from publisher.settings import Settings
from tests.conftest import login

EXPECTED = {
    "unwetter", "hochwasser", "stromausfall", "trinkwasser_abkochen", "bombenentschaerfung", "grossbrand",
    "gasaustritt", "hitzewarnung", "strassensperrung", "richtigstellung", "probealarm", "entwarnung",
}  # fmt: skip


def test_library_has_every_municipal_template_in_three_languages() -> None:
    assert {t["key"] for t in TEMPLATES} == EXPECTED
    for spec in TEMPLATES:
        assert validate_spec(spec) == {}, spec["key"]
        assert {"de", "en", "de-x-ls"} <= set(spec["texts"]), spec["key"]


def test_every_shipped_template_passes_the_channel_check(
    db: Database, instance: Settings, users: dict[str, int]
) -> None:
    with db.session() as session:
        for template in load_library(session, users["redaktion"]):
            report = approve(session, template, users["freigabe"], instance)
            assert report.problems == {}
            assert "sms" in report.renderings and "banner" in report.renderings


def test_author_cannot_approve_and_unapproved_template_cannot_be_sent(
    db: Database, instance: Settings, users: dict[str, int]
) -> None:
    with db.session() as session:
        template = create_version(session, TEMPLATES[0], users["freigabe"])
        with pytest.raises(AlertError, match="noch nicht freigegeben"):
            find_template(session, template.key)
        with pytest.raises(TemplateError, match="Vier-Augen-Prinzip"):
            approve(session, template, users["freigabe"], instance)
        assert template.approved_at is None


def test_editing_creates_a_new_version_and_the_old_one_stays_in_use_until_approved(
    db: Database, instance: Settings, users: dict[str, int]
) -> None:
    with db.session() as session:
        first = create_version(session, TEMPLATES[0], users["redaktion"])
        approve(session, first, users["freigabe"], instance)
        changed = template_spec(first)
        changed["texts"]["de"]["text"] = "Neuer Text für {gebiet} von {von} bis {bis} Uhr."
        second = create_version(session, changed, users["redaktion2"], note="Text gekürzt")
        assert second.version == 2
        assert find_template(session, "unwetter").version == 1  # still the approved one
        approve(session, second, users["freigabe"], instance)
        assert find_template(session, "unwetter").version == 2
        assert [v.version for v in versions(session, "unwetter")] == [2, 1]
        assert not first.current and first.approved_at is not None
        logged = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "template.version_created")
        ).all()
        texts = [e.detail["spec"]["texts"]["de"]["text"] for e in logged]
        assert texts[0].startswith("Unwetterwarnung") and texts[1].startswith("Neuer Text")


def test_approval_refuses_an_sms_of_three_segments_and_names_the_language(
    db: Database, instance: Settings, users: dict[str, int]
) -> None:
    spec = template_spec_copy("strassensperrung")
    spec["texts"]["en"]["text"] = "Road closed. " + "Please drive carefully and follow the signs. " * 8
    with db.session() as session:
        template = create_version(session, spec, users["redaktion"])
        with pytest.raises(TemplateError) as caught:
            approve(session, template, users["freigabe"], instance)
    assert any(key.startswith("sms (Englisch") for key in caught.value.problems)
    assert "höchstens 2 erlaubt" in next(iter(caught.value.problems.values()))


def test_banner_headline_must_be_short(db: Database, instance: Settings, users: dict[str, int]) -> None:
    spec = template_spec_copy("probealarm")
    spec["texts"]["de"]["headline"] = "Probealarm " + "sehr lange Überschrift " * 5 + "{zeit}"
    with db.session() as session:
        template = create_version(session, spec, users["redaktion"])
        with pytest.raises(TemplateError) as caught:
            approve(session, template, users["freigabe"], instance)
    assert any("Website-Banner: Überschrift" in text for text in caught.value.problems.values())


def test_validation_names_undefined_placeholders_and_missing_easy_language() -> None:
    spec = template_spec_copy("unwetter")
    del spec["texts"]["de-x-ls"]
    spec["texts"]["en"]["text"] = "Storm in {ort}"
    problems = validate_spec(spec)
    assert problems["texts.de-x-ls"] == "Text in Leichte Sprache fehlt"
    assert "{ort}" in problems["texts.en.text"]


def test_template_admin_pages_edit_and_approve(client, users: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    login(client, "redaktion")
    assert client.post("/vorlagen/bibliothek-laden").status_code == 302
    page = client.get("/vorlagen/").get_data(as_text=True)
    assert "Hochwasser" in page and "noch nicht freigegeben" in page
    refused = client.post("/vorlagen/gasaustritt/1/freigeben")
    assert refused.status_code == 403  # an editor has no approver role
    client.post("/logout")
    login(client, "freigabe")
    approved = client.post("/vorlagen/gasaustritt/1/freigeben")
    assert approved.status_code == 303
    detail = client.get("/vorlagen/gasaustritt").get_data(as_text=True)
    assert "aktuell nutzbar" in detail and "Freigegeben von freigabe" in detail
    bad = client.post(
        "/vorlagen/gasaustritt/bearbeiten", data={"name": "", "event": "Gas", "level": "extreme"}
    )
    assert bad.status_code == 422
    assert "Name fehlt" in bad.get_data(as_text=True)


def template_spec_copy(key: str) -> dict:  # type: ignore[type-arg]
    import copy

    return copy.deepcopy(next(t for t in TEMPLATES if t["key"] == key))
