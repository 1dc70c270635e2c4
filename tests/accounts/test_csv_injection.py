"""CSV export neutralises formula cells; the import takes the neutraliser off again."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from content_calendar.calendar.csv_io import export_csv, import_csv, neutralise, restore
from content_calendar.calendar.post_model import Post
from publisher.db import Database
from publisher.settings import Settings
from tests.calendar.calendar_helpers import CHANNELS_TOML, add_post, channel_ids
from tests.conftest import configure_channels

HEADER = "datum;uhrzeit;titel;text;kanaele;thema;link;zeitversatz\n"
FORMULAS = [
    '=HYPERLINK("http://evil.example","Klick")',
    "+49 171 1234567",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("cell", FORMULAS)
def test_it_puts_an_apostrophe_before_every_formula_start(cell: str) -> None:
    assert neutralise(cell) == "'" + cell
    assert restore("'" + cell) == cell


@pytest.mark.parametrize("cell", ["Stadtfest", "'zitiert'", "a=b", "", "100 %"])
def test_it_leaves_harmless_cells_alone(cell: str) -> None:
    assert neutralise(cell) == cell
    assert restore(cell) == cell


def test_the_export_never_starts_a_cell_with_a_formula_character(
    db: Database, instance: Settings, users: dict[str, int]
) -> None:
    configure_channels(db, CHANNELS_TOML)
    for text in FORMULAS:
        add_post(db, channels=channel_ids(db, "mastodon"), text=text)
    with db.session() as session:
        exported = export_csv(session, instance)
    rows = list(csv.reader(io.StringIO(exported), delimiter=";"))
    cells = [cell for row in rows[1:] for cell in row]
    assert [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")] == []
    texts = sorted(row[5] for row in rows[1:])
    assert texts == sorted("'" + t for t in FORMULAS)


def test_an_exported_file_imports_back_with_the_original_text(
    db: Database, instance: Settings, users: dict[str, int]
) -> None:
    configure_channels(db, CHANNELS_TOML)
    original = '=HYPERLINK("http://evil.example","Klick")'
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(HEADER.strip().split(";"))
    writer.writerow(["03.06.2031", "10:00", "@Titel", original, "mastodon", "", "", ""])
    data = out.getvalue()
    with db.session() as session:
        first = import_csv(session, data.encode(), instance, users["redaktion"], ["editor"])
        assert first.ok, first.errors
        session.commit()
    with db.session() as session:
        exported = export_csv(session, instance)
    assert ";'@Titel;\"'=HYPERLINK" in exported
    body = "\n".join(line.split(";", 2)[2] for line in exported.splitlines()).encode()
    with db.session() as session:
        again = import_csv(session, body, instance, users["redaktion"], ["editor"])
        assert again.ok, again.errors
        session.commit()
    with db.session() as session:
        posts = session.scalars(select(Post)).all()
        assert [(p.title, p.text) for p in posts] == [("@Titel", original)] * 2
