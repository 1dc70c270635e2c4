"""Every page of every role at 390×844 (a phone) and 1366×900 (a laptop).

The pages come from the app's own route map and the role policy, so a new page is
checked as soon as it exists: it must not scroll sideways (WCAG 1.4.10 reflow), axe-core
must find nothing serious or critical (WCAG 2.2 A/AA: contrast, names, target size …),
and the main navigation must be reachable (on the phone behind the menu button).
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from content_calendar.accounts.policy import POLICY
from tests.browser.conftest import ROLES, SIZES, Site, axe_findings, login, page_overflow

pytestmark = pytest.mark.browser

# Routes that are not pages for a person: downloads, feeds, JSON, streams, fragments.
NOT_PAGES = {
    "static": "files",
    "dashboard.deliveries": "table fragment the overview reloads",
    "post_editor.media": "image file",
    "calendar_io.feed": "iCal feed",
    "calendar_io.export_csv": "CSV download",
    "crisis.board_state": "JSON for the board",
    "crisis.live": "event stream",
}
NOT_PAGE_PREFIXES = ("api.", "public.", "public_feeds.", "blackout.")
PUBLIC_PAGES = ("/login", "/sms/", "/sms/abmelden")
START_PAGES = {
    "admin": "/",
    "editor": "/kalender/woche",
    "approver": "/kalender/freigaben",
    "crisis": "/krise/",
    "fallback": "/fallback/",
    "contributor": "/ideen/",
}


# Which demo value (tests/browser/conftest.py) fills an id in which page's address.
DEMO_VALUES = {
    "post_editor.show": {"post_id": "post_id"},
    "crisis.send": {"key": "key"},
    "crisis.board": {"alert_id": "alert_id"},
    "template_admin.detail": {"key": "key"},
    "template_admin.edit": {"key": "key"},
    "dialog.thread": {"item_id": "item_id"},
    "dialog_blocks.detail": {"key": "block_key"},
    "dialog_blocks.edit": {"key": "block_key"},
}


def is_page(endpoint: str) -> bool:
    return endpoint not in NOT_PAGES and not endpoint.startswith(NOT_PAGE_PREFIXES)


def page_rules(app: Flask) -> list[Any]:
    """The routes that are pages for a logged-in person."""
    rules = []
    for rule in app.url_map.iter_rules():
        needed = getattr(app.view_functions[rule.endpoint], "required_permissions", None)
        if "GET" in (rule.methods or ()) and needed and is_page(rule.endpoint):
            rules.append(rule)
    return rules


def pages_for(app: Flask, role: str, ids: dict[str, Any]) -> list[str]:
    """Every HTML page the role may open, with the demo ids filled in."""
    paths: set[str] = set()
    for rule in page_rules(app):
        if not app.view_functions[rule.endpoint].required_permissions & POLICY[role]:
            continue
        values = demo_values(rule, ids)
        if values is not None:  # None: reported by test_every_page_has_demo_data_to_show
            paths.add(rule.build(values, append_unknown=False)[1])  # type: ignore[index]
    return sorted(paths)


def demo_values(rule: Any, ids: dict[str, Any]) -> dict[str, Any] | None:
    """The values for the ids in the rule's address, or None if the demo data has none."""
    needed = rule.arguments - set(rule.defaults or {})
    known = DEMO_VALUES.get(rule.endpoint, {})
    if not needed <= known.keys():
        return None
    return {name: ids[known[name]] for name in needed}


def test_every_page_has_demo_data_to_show(site: Site) -> None:
    """A page with an id in its address needs a demo value, or it would go unchecked."""
    missing = sorted(rule.rule for rule in page_rules(site.app) if demo_values(rule, site.ids) is None)
    assert not missing, f"add demo data (conftest.py _seed) and a DEMO_VALUES entry for: {missing}"


def problems_on(page: Any, url: str, size: str) -> list[str]:
    response = page.goto(url)
    found: list[str] = []
    if response is None or response.status != 200:
        return [f"{url}: HTTP {response.status if response else 'none'}"]
    overflow = page_overflow(page)
    if overflow > 0:
        found.append(f"{url} ({size}): {overflow} px wider than the screen")
    found += [f"{url} ({size}): {finding}" for finding in axe_findings(page)]
    return found


def navigation_problems(page: Any, url: str) -> list[str]:
    """Every link of the main navigation can be seen (after opening the menu on a phone)."""
    nav = page.locator("#main-nav")
    if nav.count() == 0:
        return [f"{url}: no #main-nav"]
    toggle = page.locator("#nav-toggle")
    if toggle.is_visible():
        if toggle.get_attribute("aria-expanded") != "false":
            return [f"{url}: menu button should start closed (aria-expanded=false)"]
        toggle.click()
        if toggle.get_attribute("aria-expanded") != "true":
            return [f"{url}: menu button does not open the menu"]
    hidden = [link.inner_text() for link in nav.locator("a").all() if not link.is_visible()]
    return [f"{url}: navigation links not visible: {hidden}"] if hidden else []


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_of_the_role_fits_the_screen_passes_axe_and_has_its_navigation(
    site: Site, browser: Any, role: str, size: str
) -> None:
    page = login(browser, site, ROLES[role], SIZES[size])
    landed = page.url.removeprefix(site.base)
    problems = [] if landed == START_PAGES[role] else [f"landed on {landed}, not {START_PAGES[role]}"]
    paths = pages_for(site.app, role, site.ids)
    assert len(paths) >= 2, paths
    for path in paths:
        problems += problems_on(page, site.base + path, size)
        problems += navigation_problems(page, site.base + path)
    page.context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("size", list(SIZES))
def test_public_pages_fit_the_screen_and_pass_axe(site: Site, browser: Any, size: str) -> None:
    page = browser.new_context(viewport=SIZES[size], locale="de-DE", bypass_csp=True).new_page()
    problems: list[str] = []
    for path in PUBLIC_PAGES:
        problems += problems_on(page, site.base + path, size)
    page.context.close()
    assert not problems, "\n".join(problems)
