"""The subscriber table as the SMS channel's audience source (registered on import).

Numbers are stored in E.164 at sign-up (``signup.normalise_phone``), so the worker
sends them as read: no per-number work at alert time. Reads are keyset pages on the
primary key, each in its own short transaction, so no read stays open while a batch
is on its way to the gateway.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, and_, func, select, true

from content_calendar.subscribers.models import SmsSubscriber, SubscriberStatus
from publisher.channels import sms_audience
from publisher.channels.sms_audience import Audience
from publisher.db import Database


def audience_filter(audience: Audience) -> ColumnElement[bool]:
    """The SQL condition for ``audience``: active subscribers, by language and stored area."""
    conditions: list[ColumnElement[bool]] = [SmsSubscriber.status == SubscriberStatus.ACTIVE]
    if audience.languages:
        conditions.append(SmsSubscriber.language.in_(audience.languages))
    if audience.except_languages:
        conditions.append(SmsSubscriber.language.not_in(audience.except_languages))
    if audience.areas:
        conditions.append(SmsSubscriber.area.in_(audience.areas))
    return and_(true(), *conditions)


def count_query(audience: Audience) -> Select[int]:
    return select(func.count()).select_from(SmsSubscriber).where(audience_filter(audience))


class SubscriberAudience:
    """:class:`publisher.channels.sms_audience.AudienceSource` over ``sms_subscribers``."""

    def count(self, db: Database, audience: Audience) -> int:
        with db.session() as session:
            return int(session.scalar(count_query(audience)) or 0)

    def page(self, db: Database, audience: Audience, after: int, limit: int) -> Sequence[tuple[int, str]]:
        query = (
            select(SmsSubscriber.id, SmsSubscriber.phone)
            .where(audience_filter(audience), SmsSubscriber.id > after)
            .order_by(SmsSubscriber.id)
            .limit(limit)
        )
        with db.session() as session:  # plain tuples: 100,000 ORM rows cost seconds
            return session.execute(query).all()


sms_audience.register(SubscriberAudience())
