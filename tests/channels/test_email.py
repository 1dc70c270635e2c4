"""E-mail channel against a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from publisher.channels.base import ChannelConfig, Message
from publisher.channels.email import EmailChannel
from tests.channels.pipeline import enqueue_delivery, send_error, wait_for_state
from tests.conftest import configure_channels
from tests.fakes.smtp import FakeSmtp, self_signed_cert
from workers.supervisor import free_port

LISTS = {"presse": ["redaktion@zeitung.example", "dpa@agentur.example"], "intern": ["bm@stadt.example"]}
MESSAGE = Message(
    text="Die Nordbrücke ist gesperrt.\n\nUmleitung über <Südring> & Markt.",
    title="Sperrung Nordbrücke",
    link="https://stadt.example/sperrung?a=1&b=2",
)


@pytest.fixture
def smtp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSmtp]:
    cert = self_signed_cert(tmp_path)
    server = FakeSmtp("presse@stadt.example", "geheim", cert=cert).start()
    server.cert_file = cert[0]  # type: ignore[attr-defined]
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "geheim")
    yield server
    server.stop()


def options(smtp: FakeSmtp, **extra: Any) -> dict[str, Any]:
    return {
        "host": "127.0.0.1",
        "port": smtp.port,
        "starttls": True,
        "tls_ca_file": str(smtp.cert_file),  # type: ignore[attr-defined]
        "username": "presse@stadt.example",
        "password_env": "TEST_SMTP_PASSWORD",
        "from": "Stadt Musterstadt <presse@stadt.example>",
        "lists": LISTS,
        **extra,
    }


def channel(smtp: FakeSmtp, **extra: Any) -> EmailChannel:
    return EmailChannel(ChannelConfig("presse", "email", options=options(smtp, **extra), http_timeout=2.0))


def test_sends_plain_text_and_html_over_starttls_with_auth_to_bcc(smtp: FakeSmtp) -> None:
    mail_channel = channel(smtp, send_to=["presse"])
    receipt = mail_channel.send(mail_channel.render(MESSAGE), MESSAGE, "key-1")
    [received] = smtp.received
    assert received.rcpt_tos == LISTS["presse"]
    mail = received.message
    assert mail["Subject"] == "Sperrung Nordbrücke"
    assert mail["To"] == "Stadt Musterstadt <presse@stadt.example>"
    assert "Bcc" not in mail and "dpa@agentur.example" not in received.data.decode()
    assert mail["Message-ID"] == "<key-1@stadt.example>" == receipt.remote_id
    plain = mail.get_body(("plain",)).get_content()
    html_part = mail.get_body(("html",)).get_content()
    assert "Umleitung über <Südring> & Markt." in plain
    assert "&lt;Südring&gt; &amp; Markt." in html_part
    assert 'href="https://stadt.example/sperrung?a=1&amp;b=2"' in html_part


def test_the_subject_is_the_composed_title_with_its_drill_mark_once(smtp: FakeSmtp) -> None:
    drill = Message(text="ÜBUNG – Probealarm", title="ÜBUNG – Sirenentest", drill=True)
    assert channel(smtp).render(drill)["subject"] == "ÜBUNG – Sirenentest"


def test_lists_from_the_message_choose_recipients(smtp: FakeSmtp) -> None:
    mail_channel = channel(smtp)
    message = Message(text="intern", title="Lage", extras={"email_lists": ["intern"]})
    mail_channel.send(mail_channel.render(message), message, "k")
    assert smtp.received[0].rcpt_tos == ["bm@stadt.example"]


def test_validate_names_unknown_lists_and_bad_addresses(smtp: FakeSmtp) -> None:
    mail_channel = channel(smtp, lists={"presse": ["kein-at-zeichen"]}, send_to=["presse", "buerger"])
    texts = [p.text for p in mail_channel.validate(MESSAGE)]
    assert "E-Mail: Verteiler „buerger“ ist nicht konfiguriert" in texts
    assert "E-Mail: „kein-at-zeichen“ ist keine E-Mail-Adresse" in texts


def test_wrong_password_is_permanent(smtp: FakeSmtp, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "falsch")
    error = send_error(channel(smtp), MESSAGE)
    assert error.permanent and error.status == 535
    assert "Benutzer/Passwort prüfen" in str(error)
    assert smtp.received == []


def test_connection_refused_is_transient() -> None:
    port = free_port()  # nothing listens here
    mail_channel = EmailChannel(
        ChannelConfig(
            "presse",
            "email",
            options={"host": "127.0.0.1", "port": port, "from": "a@b.example", "lists": LISTS},
            http_timeout=1.0,
        )
    )
    error = send_error(mail_channel, MESSAGE)
    assert not error.permanent and not error.outcome_unknown
    assert "nicht erreichbar" in str(error)


@pytest.mark.parametrize(
    ("stage", "reply", "permanent", "status"),
    [
        ("DATA", "451 4.3.0 Temporary failure, try again later", False, 451),
        ("DATA", "554 5.7.1 Message rejected as spam", True, 554),
    ],
)
def test_data_replies_are_classified_by_code(
    smtp: FakeSmtp, stage: str, reply: str, permanent: bool, status: int
) -> None:
    smtp.handler.script.append((stage, reply))
    error = send_error(channel(smtp), MESSAGE)
    assert (error.permanent, error.status) == (permanent, status)
    assert reply.split(" ", 1)[1] in (error.platform_message or "")


def test_all_recipients_refused_is_permanent(smtp: FakeSmtp) -> None:
    smtp.handler.script.extend([("RCPT", "550 5.1.1 User unknown")] * 2)
    error = send_error(channel(smtp, send_to=["presse"]), MESSAGE)
    assert error.permanent and "alle Empfänger abgelehnt" in str(error)


def test_one_refused_recipient_does_not_stop_the_others(smtp: FakeSmtp) -> None:
    smtp.handler.script.append(("RCPT", "550 5.1.1 User unknown"))
    mail_channel = channel(smtp, send_to=["presse"])
    receipt = mail_channel.send(mail_channel.render(MESSAGE), MESSAGE, "k")
    assert receipt.detail == {"recipients": 1, "refused": ["redaktion@zeitung.example"]}
    assert smtp.received[0].rcpt_tos == ["dpa@agentur.example"]


def test_timeout_after_data_is_outcome_unknown(smtp: FakeSmtp) -> None:
    smtp.handler.data_delay = 3.0
    error = send_error(channel(smtp), MESSAGE)
    assert error.outcome_unknown and not error.permanent


def test_check_logs_in_without_sending(smtp: FakeSmtp, monkeypatch: pytest.MonkeyPatch) -> None:
    result = channel(smtp).check()
    assert result.ok and "Anmeldung erfolgreich" in result.text
    assert smtp.received == []
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "falsch")
    assert not channel(smtp).check().ok


def test_missing_password_is_permanent_and_names_the_setting(
    smtp: FakeSmtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TEST_SMTP_PASSWORD")
    error = send_error(channel(smtp), MESSAGE)
    assert error.permanent and "TEST_SMTP_PASSWORD" in str(error)


@pytest.mark.integration
def test_email_goes_out_through_a_community_worker(stack: Any, db: Any, smtp: FakeSmtp) -> None:
    configure_channels(
        db,
        f"""
[channels.presse]
type = "email"
host = "127.0.0.1"
port = {smtp.port}
tls_ca_file = "{smtp.cert_file}"
username = "presse@stadt.example"
password_env = "TEST_SMTP_PASSWORD"
from = "presse@stadt.example"
lists = {{ presse = ["redaktion@zeitung.example"] }}
""",
    )
    stack.start("community")
    delivery_id = enqueue_delivery(stack, db, "presse", MESSAGE, "community")
    done = wait_for_state(db, delivery_id, "sent", "dead", "unknown")
    assert done.state == "sent", done.last_error
    assert done.remote_id == f"<{done.idempotency_key}@stadt.example>"
    assert smtp.received[0].rcpt_tos == ["redaktion@zeitung.example"]
