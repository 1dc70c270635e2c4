from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from publisher.outputs.banner import (
    Banner,
    BannerError,
    read_banner,
    script_for,
    validate_banner,
    write_banner,
)


def test_banner_is_written_as_json_and_script(tmp_path: Path) -> None:
    write_banner(tmp_path, Banner(level="severe", text="Hochwasser", link="https://stadt.de/"))
    data = json.loads((tmp_path / "banner.json").read_text())
    assert data["banner"]["text"] == "Hochwasser"
    assert "Hochwasser" in (tmp_path / "banner.js").read_text()
    assert read_banner(tmp_path).level == "severe"  # type: ignore[union-attr]


def test_expired_banner_is_not_shown(tmp_path: Path) -> None:
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    write_banner(tmp_path, Banner(level="allclear", text="Entwarnung", expires_at=past))
    assert read_banner(tmp_path) is None


def test_clear_removes_banner(tmp_path: Path) -> None:
    write_banner(tmp_path, Banner(level="info", text="x"))
    write_banner(tmp_path, None)
    assert read_banner(tmp_path) is None


def test_script_cannot_be_broken_out_of_by_banner_text() -> None:
    script = script_for(Banner(level="info", text="</script><script>alert(1)</script>&amp;"))
    assert "</script>" not in script
    assert "<script>" not in script
    assert "innerHTML" not in script  # only textContent: markup is never interpreted


@pytest.mark.parametrize(
    ("level", "text", "link", "message"),
    [
        ("purple", "x", None, "Unbekannte Warnstufe"),
        ("info", "  ", None, "Bannertext fehlt"),
        ("info", "x", "javascript:alert(1)", "Link muss mit https://"),
        ("info", "x" * 1001, None, "1001 von 1000"),
    ],
)
def test_bad_banner_input_is_refused(level: str, text: str, link: str | None, message: str) -> None:
    with pytest.raises(BannerError, match=message):
        validate_banner(level, text, link)


def test_a_late_write_of_an_older_alert_never_replaces_a_newer_banner(tmp_path: Path) -> None:
    from publisher.outputs.banner import write_banner_unless_newer

    newer = Banner(level="allclear", text="Entwarnung", issued_at="2026-11-21T12:05:00+00:00")
    older = Banner(level="severe", text="Unwetter", issued_at="2026-11-21T13:00:00+01:00")  # 12:00 UTC
    assert write_banner_unless_newer(tmp_path, newer)
    assert not write_banner_unless_newer(tmp_path, older)
    assert read_banner(tmp_path).level == "allclear"  # type: ignore[union-attr]


def test_a_cleared_banner_stays_cleared_for_older_alerts(tmp_path: Path) -> None:
    from publisher.outputs.banner import write_banner_unless_newer

    write_banner(tmp_path, None, cleared_at="2026-11-21T12:05:00+00:00")
    older = Banner(level="severe", text="Unwetter", issued_at="2026-11-21T12:00:00+00:00")
    assert not write_banner_unless_newer(tmp_path, older)
    assert read_banner(tmp_path) is None
    newer = Banner(level="severe", text="Neue Lage", issued_at="2026-11-21T12:10:00+00:00")
    assert write_banner_unless_newer(tmp_path, newer)


# -- the banner in the visitor's language (issue 12) -------------------------------------------

TRANSLATED = Banner(
    level="severe",
    headline="Hochwasser",
    text="Bitte Keller räumen.",
    link="https://stadt.example/info",
    translations={
        "en": {"headline": "Flooding", "text": "Please clear your cellar."},
        "ar": {"headline": "فيضان", "text": "يرجى إخلاء القبو."},
    },
)


def test_the_banner_file_carries_every_language_of_the_alert(tmp_path: Path) -> None:
    write_banner(tmp_path, TRANSLATED)
    data = json.loads((tmp_path / "banner.json").read_text())
    assert data["banner"]["translations"]["en"]["text"] == "Please clear your cellar."
    assert read_banner(tmp_path) == TRANSLATED


def shown_in_browser(tmp_path: Path, locale: str) -> dict[str, str]:
    from tests.browser.chromium import launched_chromium
    from tests.browser.conftest import browser_ready

    if reason := browser_ready():
        pytest.skip(reason)
    (tmp_path / "banner.js").write_text(script_for(TRANSLATED), encoding="utf-8")
    with launched_chromium() as chromium:
        page = chromium.new_context(locale=locale).new_page()
        page.set_content("<html><body><p>Stadtseite</p></body></html>")
        page.add_script_tag(path=str(tmp_path / "banner.js"))
        box = page.locator("#ernstfall-banner")
        return {
            "text": box.inner_text(),
            "lang": box.get_attribute("lang") or "",
            "dir": box.get_attribute("dir") or "",
        }


@pytest.mark.parametrize(
    ("locale", "words", "lang", "direction"),
    [
        ("en-GB", "Flooding Please clear your cellar. More information", "en", "ltr"),
        ("ar-SY", "فيضان يرجى إخلاء القبو. مزيد من المعلومات", "ar", "rtl"),
        ("de-DE", "Hochwasser Bitte Keller räumen. Mehr Informationen", "de", "ltr"),
        ("fr-FR", "Hochwasser Bitte Keller räumen. Mehr Informationen", "de", "ltr"),  # no French text
    ],
)
@pytest.mark.browser
def test_the_script_shows_the_language_the_visitors_browser_asks_for(
    tmp_path: Path, locale: str, words: str, lang: str, direction: str
) -> None:
    shown = shown_in_browser(tmp_path, locale)
    assert " ".join(shown["text"].split()) == words
    assert (shown["lang"], shown["dir"]) == (lang, direction)


def test_the_banner_and_the_darksite_take_the_level_colours_from_the_vocabulary() -> None:
    from content_calendar.crisis.blackout import darksite_html
    from publisher.vocabulary import level_hex_colours

    script = script_for(TRANSLATED)
    for level, colour in level_hex_colours().items():
        assert f'"{level}": "{colour}"' in script
    page = darksite_html([], city="Musterstadt")
    for level in ("extreme", "severe", "info", "allclear"):
        assert f".{level}{{border-color:{level_hex_colours()[level]}}}" in page
