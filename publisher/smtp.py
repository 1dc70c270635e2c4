"""The one way we open an SMTP connection: plain, STARTTLS or TLS from the start, then login.

Used by the e-mail channel (server from channels.toml) and the weekly digest (server from
``ERNSTFALL_SMTP_*``). Callers map smtplib's exceptions to their own errors; this module only
connects, so a failure here means nothing was sent yet.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field

from publisher.settings import Settings


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    user: str = ""
    password: str = field(default="", repr=False)
    starttls: bool = False
    ssl: bool = False
    timeout: float = 15.0
    ca_file: str | None = None  # a private CA (tests, in-house relays); None: the system's CAs


def server_from_settings(settings: Settings) -> SmtpServer:
    """The mail server of the weekly digest (``ERNSTFALL_SMTP_*``)."""
    return SmtpServer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        user=settings.smtp_user,
        password=settings.smtp_password,
        starttls=settings.smtp_starttls,
        ssl=settings.smtp_ssl,
        timeout=settings.smtp_timeout,
    )


def open_smtp(server: SmtpServer) -> smtplib.SMTP:
    """A connected, (if asked) encrypted and logged-in client. The caller quits it.

    Raises ``OSError`` (refused, DNS, timeout), ``ssl.SSLError`` or ``smtplib.SMTPException``.
    """
    context = ssl.create_default_context(cafile=server.ca_file)
    client: smtplib.SMTP
    if server.ssl:
        client = smtplib.SMTP_SSL(server.host, server.port, timeout=server.timeout, context=context)
    else:
        client = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
    try:
        if server.starttls and not server.ssl:
            client.starttls(context=context)
        if server.user:
            client.login(server.user, server.password)
    except BaseException:
        client.close()
        raise
    return client
