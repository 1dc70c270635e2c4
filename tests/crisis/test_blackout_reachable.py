"""The fallback operator reaches the blackout pack from a page, not by typing its address."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from publisher.db import Database
from publisher.settings import Settings
from tests.conftest import PASSWORD
from tests.crisis.helpers import console_send


def test_the_fallback_operator_reaches_the_blackout_pack_from_the_start_page(
    client: FlaskClient, crisis_setup: Database, instance: Settings
) -> None:
    client.post("/login", data={"username": "krisenstab", "password": PASSWORD})
    _, form = console_send(client, "unwetter", {"gebiet": "Nordstadt", "von": "14:00", "bis": "18:00"})
    alert_id = client.post("/krise/senden/unwetter", data=form).headers["Location"].rsplit("/", 1)[-1]
    client.post("/logout")
    landing = client.post("/login", data={"username": "fallback", "password": PASSWORD}).headers["Location"]
    page = client.get(landing).get_data(as_text=True)
    active = page[page.index('id="active-alerts"') :]
    assert "Unwetterwarnung für Nordstadt" in active
    links = set(re.findall(r'href="([^"]+)"', active))
    pack = {
        f"/krise/warnung/{alert_id}/aushang.pdf",
        f"/krise/warnung/{alert_id}/durchsage.txt",
        f"/krise/warnung/{alert_id}/cap.xml",
        "/krise/darksite.html",
    }
    assert pack <= links
    pdf = client.get(f"/krise/warnung/{alert_id}/aushang.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert "Gefahr" in page and ">severe<" not in page  # the level in German, never the raw value
