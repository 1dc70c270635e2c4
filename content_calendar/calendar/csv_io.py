"""CSV import and export of the plan.

Import is all or nothing: every row is checked exactly like the editor checks a post
(time incl. DST, channels and their limits, theme, office hours); if any row is bad,
nothing is imported and the report names each bad row with its problem.
Columns (German headers, ``;`` or ``,`` separated): datum, uhrzeit, titel, text,
kanaele (several separated by ``|`` or ``,``), thema, link, zeitversatz (only for the
autumn hour: ``erste`` or ``zweite``).

Spreadsheet programs run a cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or
carriage return before one) as a formula, so the export puts an apostrophe before such
cells (OWASP's advice against CSV injection) and the import takes it off again: an
exported file imports back unchanged.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_calendar.calendar.post_editing import save_post
from content_calendar.calendar.post_model import Post, PostState
from content_calendar.calendar.posts import PostError, PostInput
from content_calendar.calendar.timeutil import LocalTimeError, parse_local, to_local
from content_calendar.catalogues import Msg
from publisher.models import Channel
from publisher.settings import Settings

COLUMNS = ("datum", "uhrzeit", "titel", "text", "kanaele", "thema", "link", "zeitversatz")
REQUIRED = ("datum", "uhrzeit", "text", "kanaele")
MAX_ROWS = 2000
FOLDS = {"": None, "erste": 0, "zweite": 1}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISER = "'"


def neutralise(cell: object) -> object:
    """A text cell a spreadsheet would read as a formula gets a leading apostrophe."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return NEUTRALISER + cell
    return cell


def restore(cell: str) -> str:
    """Undo :func:`neutralise` on import."""
    if cell.startswith(NEUTRALISER) and cell[1:].startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


@dataclass
class ImportReport:
    imported: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, message)
    warnings: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _rows(text: str) -> tuple[list[str], list[dict[str, str]]]:
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in reader.fieldnames or []]
    reader.fieldnames = header
    return header, [{k: restore((v or "").strip()) for k, v in row.items() if k} for row in reader]


def import_csv(
    session: Session, data: bytes, settings: Settings, user_id: int, roles: list[str], submit: bool = False
) -> ImportReport:
    """Import every row or none; the caller commits only if ``report.ok``."""
    report = ImportReport()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.errors.append((0, Msg("Datei ist nicht UTF-8-kodiert — bitte als „CSV UTF-8“ speichern")))
        return report
    header, rows = _rows(text)
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        report.errors.append(
            (
                1,
                Msg(
                    "Spalten fehlen: %(missing)s (erwartet: %(columns)s)",
                    missing=", ".join(missing),
                    columns=";".join(COLUMNS),
                ),
            )
        )
        return report
    if not rows:
        report.errors.append((1, Msg("Keine Zeilen nach der Kopfzeile")))
        return report
    if len(rows) > MAX_ROWS:
        report.errors.append(
            (1, Msg("Zu viele Zeilen: %(n)d, höchstens %(max)d auf einmal", n=len(rows), max=MAX_ROWS))
        )
        return report
    for line, row in enumerate(rows, start=2):
        try:
            _, warnings = _import_row(session, row, settings, user_id, roles, submit)
        except LocalTimeError as exc:
            report.errors.append((line, exc.message))
        except PostError as exc:
            detail = "; ".join(exc.problems.values()) if exc.problems else exc.message
            report.errors.append((line, detail))
        else:
            report.imported += 1
            report.warnings.extend((line, w) for w in warnings)
    if report.errors:
        session.rollback()
        report.imported = 0
    return report


def _import_row(
    session: Session, row: dict[str, str], settings: Settings, user_id: int, roles: list[str], submit: bool
) -> tuple[Post, list[str]]:
    fold_text = row.get("zeitversatz", "").lower()
    if fold_text not in FOLDS:
        raise LocalTimeError(
            Msg("zeitversatz „%(value)s“: erlaubt sind „erste“ oder „zweite“", value=fold_text)
        )
    when = parse_local(row.get("datum", ""), row.get("uhrzeit", ""), settings.timezone, FOLDS[fold_text])
    channels = [c.strip() for c in re.split(r"[|,]", row.get("kanaele", "")) if c.strip()]
    data = PostInput(
        text=row.get("text", ""),
        channel_names=channels,
        publish_at=when,
        title=row.get("titel", ""),
        theme=row.get("thema") or None,
        link=row.get("link") or None,
    )
    # Validation raises before anything is added, so a bad row leaves nothing behind;
    # the caller rolls back the whole import if any row was bad.
    return save_post(session, None, data, settings, user_id, submit, roles)


def export_csv(session: Session, settings: Settings) -> str:
    names = {row[0]: row[1] for row in session.execute(select(Channel.id, Channel.name))}
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(("id", "zustand", *COLUMNS))
    posts = session.scalars(select(Post).where(Post.state != PostState.CANCELLED).order_by(Post.publish_at))
    for post in posts:
        local = to_local(post.publish_at, settings.timezone)
        row = (
            post.id,
            PostState.LABELS.get(post.state, post.state),
            local.strftime("%d.%m.%Y"),
            local.strftime("%H:%M"),
            post.title,
            post.text,
            "|".join(names.get(i, "") for i in post.channel_ids),
            post.theme or "",
            post.link or "",
            ("zweite" if local.fold else "erste") if _ambiguous(local) else "",
        )
        writer.writerow([neutralise(cell) for cell in row])
    return out.getvalue()


def _ambiguous(local: datetime) -> bool:
    return local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset()
