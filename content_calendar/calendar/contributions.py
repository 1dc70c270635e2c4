"""Post ideas from other departments (contributor role); editors turn them into drafts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_calendar.accounts.models import audit
from content_calendar.calendar.limits import DEPARTMENT_MAX, TEXT_MAX, TITLE_MAX, link_problem, too_long
from content_calendar.calendar.models import Contribution
from content_calendar.calendar.settings import themes
from content_calendar.calendar.timeutil import LocalTimeError, parse_date
from content_calendar.catalogues import Msg


class ContributionError(ValueError):
    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(problems.values()))
        self.problems = problems


def submit_idea(
    session: Session,
    user_id: int,
    title: str,
    text: str,
    department: str = "",
    theme: str = "",
    wanted_date: str = "",
    link: str = "",
) -> Contribution:
    problems: dict[str, str] = {}
    if not title.strip():
        problems["title"] = Msg("Bitte einen kurzen Titel angeben")
    elif message := too_long(Msg("Titel"), title, TITLE_MAX):
        problems["title"] = message
    if message := too_long(Msg("Text"), text, TEXT_MAX):
        problems["text"] = message
    elif len(text.strip()) < 10:
        problems["text"] = Msg("Bitte die Idee in ein paar Sätzen beschreiben (mindestens 10 Zeichen)")
    if message := too_long(Msg("Abteilung"), department.strip(), DEPARTMENT_MAX):
        problems["department"] = message
    if theme and theme not in themes(session):
        problems["theme"] = Msg("Unbekanntes Thema „%(theme)s“", theme=theme)
    iso_date = None
    if wanted_date.strip():
        try:
            iso_date = parse_date(wanted_date).isoformat()
        except LocalTimeError as exc:
            problems["wanted_date"] = exc.message
    if link and (message := link_problem(link)):
        problems["link"] = message
    if problems:
        raise ContributionError(problems)
    idea = Contribution(
        user_id=user_id,
        title=title.strip(),
        text=text.strip(),
        department=department.strip(),
        theme=theme or None,
        wanted_date=iso_date,
        link=link or None,
    )
    session.add(idea)
    session.flush()
    audit(session, "contribution.submitted", user_id, idea)
    return idea


def open_ideas(session: Session) -> list[Contribution]:
    return list(
        session.scalars(
            select(Contribution).where(Contribution.state == Contribution.NEW).order_by(Contribution.id)
        )
    )


def mark_drafted(session: Session, idea: Contribution, post_id: int, user_id: int) -> None:
    idea.state = Contribution.DRAFTED
    idea.post_id = post_id
    audit(session, "contribution.drafted", user_id, idea, post_id=post_id)


def decline(session: Session, idea: Contribution, user_id: int) -> None:
    idea.state = Contribution.DECLINED
    audit(session, "contribution.declined", user_id, idea)
