"""Alerts reuse each platform's kept-alive connections (issue 16: sessions cached, not per send).

facebook-sdk, tweepy and Mastodon.py get a session of their own per send; it used to bring
its own connection pool too, so every alert opened a new TCP (on the internet: TCP and TLS)
connection to Facebook, X and Mastodon. Counted at the fakes (real HTTP servers on
loopback), with every channel type configured, three alerts through the API.
"""

from __future__ import annotations

from flask.testing import FlaskClient

from publisher.channels import sessions
from publisher.vocabulary import DeliveryState
from tests.conftest import api_token
from tests.crisis.conftest import EveryChannel
from tests.crisis.helpers import deliveries, wait_inline

STORM = {"gebiet": "Nordstadt", "von": "14:00", "bis": "18:00"}


def storm_alert(number: int) -> dict[str, object]:
    """The API body of the ``number``-th storm warning (another district each time)."""
    variables = {**STORM, "gebiet": f"Bezirk {number}"}
    return {
        "template": "unwetter",
        "idempotency_key": f"reuse-{number}",
        "confirm_parallel": True,
        "variables": variables,
    }


def test_three_alerts_open_one_connection_per_platform_channel(
    every_channel: EveryChannel, client: FlaskClient
) -> None:
    every = every_channel
    token = api_token(every.db, "krisenstab")
    fakes = {"mastodon": every.mastodon, "x": every.x, "graph": every.graph, "telegram": every.telegram}
    before = {name: fake.connections for name, fake in fakes.items()}
    auth = {"Authorization": f"Bearer {token}"}
    for number in range(3):
        response = client.post("/api/v1/alerts", json=storm_alert(number), headers=auth)
        assert response.status_code == 201, response.get_data(as_text=True)
        wait_inline()
        sent = deliveries(every.db, response.get_json()["id"])
        for name in ("mastodon", "x", "facebook", "instagram", "telegram"):
            assert sent[name].state == DeliveryState.SENT, (name, sent[name].last_error)
    opened = {name: fake.connections - before[name] for name, fake in fakes.items()}
    # Facebook and Instagram are two channels on one Graph fake: a pool each.
    assert opened == {"mastodon": 1, "x": 1, "graph": 2, "telegram": 1}, opened
    assert len(every.x.requests) >= 3 and len(every.mastodon.requests) >= 3
    assert sessions.built() >= 4
