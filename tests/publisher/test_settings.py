"""The typed settings object: the only reader of the environment, every default once."""

from __future__ import annotations

import ast
import smtplib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_lib
from aiosmtpd.controller import Controller

from content_calendar.crisis.alerts import cap_sender
from publisher.redis_client import redis_client
from publisher.settings import (
    README_END,
    README_START,
    Settings,
    SettingsError,
    configuration_table,
    envsecret,
    load_settings,
)
from publisher.smtp import SmtpServer, open_smtp
from workers.supervisor import free_port

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("content_calendar", "publisher", "workers")
SETTINGS_MODULE = REPO / "publisher" / "settings.py"


def _environment_reads(path: Path, root: Path = REPO) -> list[str]:
    """Every ``os.environ`` / ``os.getenv`` / ``from os import environ`` in one module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        is_os = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os"
        if is_os and node.attr in ("environ", "environb", "getenv", "getenvb", "putenv"):  # type: ignore[attr-defined]
            found.append(f"{path.relative_to(root)}:{node.lineno}: {ast.unparse(node)}")
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            names = {alias.name for alias in node.names}
            if names & {"environ", "environb", "getenv", "getenvb"}:
                found.append(f"{path.relative_to(root)}:{node.lineno}: from os import {sorted(names)}")
    return found


def test_no_module_but_settings_reads_the_environment() -> None:
    modules = [p for package in PACKAGES for p in sorted((REPO / package).rglob("*.py"))]
    assert len(modules) > 50  # the scan really looked at the code
    reads = [r for p in modules if p != SETTINGS_MODULE for r in _environment_reads(p)]
    assert reads == [], "read the environment through publisher.settings:\n" + "\n".join(reads)
    assert _environment_reads(SETTINGS_MODULE)  # the scan does recognise a reader


def test_the_scan_catches_every_way_of_reading_the_environment(tmp_path: Path) -> None:
    module = tmp_path / "sneaky.py"
    module.write_text(
        "import os\nfrom os import getenv\n"
        "a = os.environ['X']\nb = os.getenv('Y')\nc = os.environ.get('Z')\n",
        encoding="utf-8",
    )
    assert len(_environment_reads(module, root=tmp_path)) == 4


def test_it_reads_a_secret_from_the_file_named_by_name_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "smtp_password"
    secret.write_text("  s3cret-aus-datei\n", encoding="utf-8")
    monkeypatch.delenv("ERNSTFALL_SMTP_PASSWORD", raising=False)
    monkeypatch.setenv("ERNSTFALL_SMTP_PASSWORD_FILE", str(secret))
    assert load_settings().smtp_password == "s3cret-aus-datei"


def test_the_variable_itself_wins_over_its_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "token"
    secret.write_text("aus-datei", encoding="utf-8")
    monkeypatch.setenv("ERNSTFALL_SMS_INBOUND_TOKEN_FILE", str(secret))
    monkeypatch.setenv("ERNSTFALL_SMS_INBOUND_TOKEN", "direkt")
    assert load_settings().sms_inbound_token == "direkt"


def test_database_url_can_come_from_a_file_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "database_url"
    secret.write_text("postgresql+psycopg://ernstfall:pw@db/ernstfall\n", encoding="utf-8")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL_FILE", str(secret))
    settings = load_settings()
    assert settings.database_url == "postgresql+psycopg://ernstfall:pw@db/ernstfall"
    assert "pw@db" not in repr(settings)  # secrets stay out of logs and tracebacks


def test_a_missing_secret_file_is_named_in_the_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ERNSTFALL_SECRET_KEY", raising=False)
    monkeypatch.setenv("ERNSTFALL_SECRET_KEY_FILE", str(tmp_path / "fehlt"))
    with pytest.raises(SettingsError, match=r"ERNSTFALL_SECRET_KEY_FILE names a file that cannot be read"):
        load_settings()


def test_channel_secrets_named_in_configuration_also_read_name_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "mastodon"
    secret.write_text("token-aus-datei\n", encoding="utf-8")
    monkeypatch.delenv("ERNSTFALL_TEST_MASTODON_TOKEN", raising=False)
    monkeypatch.setenv("ERNSTFALL_TEST_MASTODON_TOKEN_FILE", str(secret))
    assert envsecret("ERNSTFALL_TEST_MASTODON_TOKEN") == "token-aus-datei"


def test_a_bad_integer_names_the_variable_and_what_it_accepts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERNSTFALL_LEASE_SECONDS", "abc")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value) == "ERNSTFALL_LEASE_SECONDS must be an integer, got 'abc'"


def test_every_bad_value_is_reported_at_once_one_per_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERNSTFALL_PORT", "0")
    monkeypatch.setenv("ERNSTFALL_SMTP_STARTTLS", "vielleicht")
    monkeypatch.setenv("ERNSTFALL_SMS_MIN_LEVEL", "gross")
    monkeypatch.setenv("ERNSTFALL_TIMEZONE", "Europe/Atlantis")
    monkeypatch.setenv("ERNSTFALL_HTTP_TIMEOUT", "schnell")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    lines = set(str(caught.value).splitlines())
    assert lines == {
        "ERNSTFALL_PORT must be at least 1, got '0'",
        "ERNSTFALL_SMTP_STARTTLS must be a boolean (1/0, true/false, yes/no, on/off, ja/nein), "
        "got 'vielleicht'",
        "ERNSTFALL_SMS_MIN_LEVEL must be one of 'info', 'severe', 'extreme' or 'allclear', got 'gross'",
        "ERNSTFALL_TIMEZONE must be an IANA time zone such as Europe/Berlin, got 'Europe/Atlantis'",
        "ERNSTFALL_HTTP_TIMEOUT must be a number, got 'schnell'",
    }


def test_a_bad_secret_value_is_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERNSTFALL_SMTP_PORT", "25")
    monkeypatch.setenv("ERNSTFALL_SMTP_PASSWORD", "geheim")
    monkeypatch.setenv("ERNSTFALL_WEB_THREADS", "-1")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "geheim" not in str(caught.value)
    assert str(caught.value) == "ERNSTFALL_WEB_THREADS must be greater than 0, got '-1'"


def test_the_cli_stops_with_the_message_instead_of_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from workers.cli import main

    monkeypatch.setenv("ERNSTFALL_HOME", str(tmp_path))
    monkeypatch.setenv("ERNSTFALL_MAX_ATTEMPTS_CRISIS", "viele")
    assert main(["migrate"]) == 2
    assert "ERNSTFALL_MAX_ATTEMPTS_CRISIS must be an integer, got 'viele'" in capsys.readouterr().err


def test_existing_variable_names_keep_working(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERNSTFALL_HOME", str(tmp_path / "inst"))
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6390/2")
    monkeypatch.setenv("ERNSTFALL_VISIBILITY_TIMEOUT", "7200")
    monkeypatch.setenv("ERNSTFALL_BACKOFF_BASE", "0.5")
    monkeypatch.setenv("ERNSTFALL_PUBLIC_URL", "https://warnung.stadt.example/")
    monkeypatch.setenv("ERNSTFALL_SMS_AREAS", "Nord, Süd,,Altstadt")
    monkeypatch.setenv("ERNSTFALL_SMTP_SSL", "ja")
    monkeypatch.setenv("ERNSTFALL_LOG_LEVEL", "debug")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("ERNSTFALL_CHANNELS", raising=False)
    settings = load_settings()
    assert settings.home == (tmp_path / "inst").resolve()
    assert settings.database_url == f"sqlite:///{settings.home / 'ernstfall.db'}"
    assert settings.channels_file == settings.home / "channels.toml"
    assert settings.redis_url == "redis://127.0.0.1:6390/2"
    assert settings.broker_visibility_timeout == 7200
    assert settings.backoff_base_seconds == 0.5
    assert settings.public_base_url == "https://warnung.stadt.example"
    assert settings.sms_areas == ("Nord", "Süd", "Altstadt")
    assert settings.smtp_ssl is True
    assert settings.log_level == "DEBUG"


def test_an_empty_variable_means_its_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERNSTFALL_LEASE_SECONDS", "")
    monkeypatch.setenv("ERNSTFALL_WEB_THREADS", "10")
    monkeypatch.delenv("ERNSTFALL_SSE_MAX_STREAMS", raising=False)
    settings = load_settings()
    assert settings.lease_seconds == Settings.model_fields["lease_seconds"].default
    assert settings.sse_max_streams == 5  # half the web threads


def test_redis_url_falls_back_to_the_one_ernstfall_up_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ERNSTFALL_HOME", str(tmp_path))
    monkeypatch.delenv("REDIS_URL", raising=False)
    settings = load_settings()
    assert settings.redis_url is None and settings.external_redis_url is None
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "redis.url").write_text("redis://127.0.0.1:7000/0\n", encoding="utf-8")
    assert settings.redis_url == "redis://127.0.0.1:7000/0"
    assert settings.external_redis_url is None  # so `ernstfall up` still starts its own


def test_settings_are_frozen() -> None:
    settings = load_settings()
    with pytest.raises(ValueError):
        settings.lease_seconds = 1  # type: ignore[misc]


# -- the public URL has one default, shared by the CAP sender --------------------------------


def test_the_cap_sender_uses_the_single_default_of_the_public_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ERNSTFALL_PUBLIC_URL", raising=False)
    monkeypatch.delenv("ERNSTFALL_CAP_SENDER", raising=False)
    default_url = Settings.model_fields["public_base_url"].default
    assert load_settings().public_base_url == default_url
    assert cap_sender() == "ernstfall@127.0.0.1" == f"ernstfall@{default_url.split('//')[1].split(':')[0]}"


def test_the_cap_sender_follows_the_configured_public_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERNSTFALL_PUBLIC_URL", "https://warnung.musterstadt.de")
    monkeypatch.delenv("ERNSTFALL_CAP_SENDER", raising=False)
    assert cap_sender() == "ernstfall@warnung.musterstadt.de"
    monkeypatch.setenv("ERNSTFALL_CAP_SENDER", "leitstelle@musterstadt.de")
    assert cap_sender() == "leitstelle@musterstadt.de"


def test_the_public_url_default_is_declared_once_in_the_code() -> None:
    hits = [
        f"{p.relative_to(REPO)}"
        for package in PACKAGES
        for p in (REPO / package).rglob("*.py")
        if any(url in p.read_text(encoding="utf-8") for url in ("127.0.0.1:8080", "ernstfall.local"))
    ]
    assert hits == ["publisher/settings.py"]


# -- README ------------------------------------------------------------------------------------


def test_the_readme_lists_every_variable_with_its_one_default() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.partition(README_START)[2].partition(README_END)[0]
    assert section.strip() == configuration_table().strip(), (
        "README configuration table is stale: run "
        ".venv/bin/python -m publisher.settings --write-readme README.md"
    )
    for info in Settings.model_fields.values():
        assert f"`{info.validation_alias}`" in section


# -- the SMTP and Redis factories against real servers -------------------------------------------


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        self.messages.append(envelope.original_content)
        self.arrived.set()
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, _Inbox]]:
    port = free_port()
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


def test_open_smtp_connects_to_a_real_server_and_sends(smtp_server: tuple[int, _Inbox]) -> None:
    port, inbox = smtp_server
    with open_smtp(SmtpServer(host="127.0.0.1", port=port, timeout=5)) as client:
        client.sendmail("a@stadt.example", ["b@stadt.example"], "Subject: Probe\r\n\r\nHallo\r\n")
    assert inbox.arrived.wait(5)
    assert b"Hallo" in inbox.messages[0]


def test_open_smtp_refuses_starttls_the_server_does_not_offer(smtp_server: tuple[int, _Inbox]) -> None:
    port, _ = smtp_server
    with pytest.raises(smtplib.SMTPNotSupportedError):
        open_smtp(SmtpServer(host="127.0.0.1", port=port, starttls=True, timeout=5))


def test_the_smtp_password_is_not_in_the_servers_repr() -> None:
    assert "geheim" not in repr(SmtpServer(host="h", port=25, user="u", password="geheim"))


def test_redis_client_talks_to_a_real_redis_with_timeouts(redis_server: str) -> None:
    client = redis_client(redis_server, connect_timeout=0.5, timeout=1)
    client.set("ernstfall:settings-test", "1", ex=5)
    assert client.get("ernstfall:settings-test") == b"1"
    kwargs = client.connection_pool.connection_kwargs
    assert (kwargs["socket_connect_timeout"], kwargs["socket_timeout"]) == (0.5, 1)


def test_redis_client_without_a_url_says_what_is_missing() -> None:
    with pytest.raises(ValueError, match="REDIS_URL"):
        redis_client("")


def test_redis_client_to_a_closed_port_fails_fast() -> None:
    client = redis_client(f"redis://127.0.0.1:{free_port()}/0", connect_timeout=0.5)
    with pytest.raises(redis_lib.ConnectionError):
        client.ping()
