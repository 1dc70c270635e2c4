"""Templates live beside the blueprint that renders them; the shared layout in web/templates."""

from __future__ import annotations

from collections import Counter

from flask import Flask

from content_calendar.web import template_files


def test_no_two_templates_share_a_name_so_none_can_hide_another() -> None:
    names = Counter(path.name for path in template_files())
    assert [name for name, count in names.items() if count > 1] == []


def test_every_template_is_found_by_name_from_its_own_folder(app: Flask) -> None:
    for path in template_files():
        loader = app.jinja_env.loader
        assert loader is not None
        source, filename, _uptodate = loader.get_source(app.jinja_env, path.name)
        assert filename == str(path), path.name
        assert source


def test_only_the_shared_layout_stays_in_the_common_folder() -> None:
    common = {path.name for path in template_files() if path.parent.parent.name == "web"}
    assert common == {
        "base.html",
        "error.html",
        "dashboard.html",
        "_deliveries.html",
        "_language_switch.html",
        "_preview_card.html",
        "_public_footer.html",
    }
