"""Which subscribers an alert reaches: its districts, or everybody when it names none."""

from __future__ import annotations

from content_calendar.crisis.models import Alert
from content_calendar.crisis.plan_b import recipients_by_language
from content_calendar.subscribers.models import SmsSubscriber, SubscriberStatus
from publisher.db import Database, utcnow

PEOPLE = {"+4915100000001": "Nordstadt", "+4915100000002": "Südstadt", "+4915100000003": ""}


def add_people(db: Database) -> None:
    with db.session() as session:
        for phone, area in PEOPLE.items():
            session.add(
                SmsSubscriber(
                    phone=phone,
                    language="de",
                    area=area,
                    status=SubscriberStatus.ACTIVE,
                    consent_at=utcnow(),
                )
            )


def alert_for(area: str) -> Alert:
    return Alert(
        identifier="x",
        idempotency_key="k",
        level="severe",
        headline="h",
        texts={"de": {"headline": "h", "text": "t"}},
        variables={"gebiet": area},
    )


def test_alert_for_a_district_reaches_it_and_the_whole_city_subscribers(db: Database) -> None:
    add_people(db)
    with db.session() as session:
        groups = recipients_by_language(session, alert_for("Nordstadt"))
    assert sorted(groups["de"]) == ["+4915100000001", "+4915100000003"]


def test_alert_naming_no_district_reaches_everybody(db: Database) -> None:
    add_people(db)
    with db.session() as session:
        groups = recipients_by_language(session, alert_for("gesamtes Stadtgebiet"))
    assert sorted(groups["de"]) == sorted(PEOPLE)
