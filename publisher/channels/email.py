"""E-mail over SMTP (smtplib): STARTTLS, login, plain text plus HTML, to named lists.

Options::

    [channels.presse]
    type = "email"
    host = "smtp.stadt.de"
    port = 587
    starttls = true               # or ssl = true for port 465
    username = "presse@stadt.de"
    password_env = "ERNSTFALL_SMTP_PASSWORD"   # or password_file
    from = "Stadt Musterstadt <presse@stadt.de>"
    lists = { presse = ["dpa@example.org"], intern = ["buergermeister@stadt.de"] }
    send_to = ["presse"]          # which lists this channel mails (default: all)

Recipients go into Bcc so the press list is never disclosed; ``To`` is the sender.

Outcome unknown: SMTP has no idempotency key. If the connection drops after the
message data was sent, the mail may have been accepted; alerts are sent again
(a duplicate is better than a missing alert), community mails go to a person.
The Message-ID is derived from the delivery key, so a resend carries the same
Message-ID and many mail clients show it once.
"""

from __future__ import annotations

import html
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from typing import Any, ClassVar

from publisher.channels.base import ChannelAdapter, CheckResult, Limits, Message, Problem, Receipt
from publisher.errors import DeliveryError
from publisher.smtp import SmtpServer, open_smtp

SUBJECT_MAX = 200


class EmailChannel(ChannelAdapter):
    type_name = "email"
    label = "E-Mail"
    limits: ClassVar[Limits] = Limits(max_length=100_000, max_media=0)
    idempotent = False

    # -- options ---------------------------------------------------------------
    def opt(self, key: str, default: Any = None) -> Any:
        return self.config.options.get(key, default)

    @property
    def sender(self) -> str:
        return str(self.opt("from") or self.opt("username") or "")

    def recipients(self, message: Message) -> list[str]:
        lists: dict[str, list[str]] = dict(self.opt("lists") or {})
        chosen = message.extras.get("email_lists") or self.opt("send_to") or list(lists)
        found: dict[str, None] = {}
        for name in chosen:
            for address in lists.get(str(name), []):
                found[str(address).strip()] = None
        return list(found)

    # -- editor side -------------------------------------------------------------
    def subject(self, message: Message) -> str:
        base = message.title or message.text_for(self.type_name, self.config.name).strip().split("\n")[0]
        return base[:SUBJECT_MAX]

    def validate(self, message: Message) -> list[Problem]:
        problems = [p for p in super().validate(message) if p.code != "too_many_media"]
        if message.media:
            problems.append(Problem("media", "E-Mail: Bilder werden nicht angehängt — Link verwenden"))
        if not self.opt("host"):
            problems.append(Problem("host", "E-Mail: host (SMTP-Server) fehlt in der Kanalkonfiguration"))
        if "@" not in parseaddr(self.sender)[1]:
            problems.append(Problem("from", "E-Mail: Absender (from) fehlt oder ist keine E-Mail-Adresse"))
        lists = dict(self.opt("lists") or {})
        wanted = message.extras.get("email_lists") or self.opt("send_to") or list(lists)
        for name in wanted:
            if str(name) not in lists:
                problems.append(Problem("list", f"E-Mail: Verteiler „{name}“ ist nicht konfiguriert"))
        for address in self.recipients(message):
            if "@" not in parseaddr(address)[1]:
                problems.append(Problem("address", f"E-Mail: „{address}“ ist keine E-Mail-Adresse"))
        if not self.recipients(message):
            problems.append(Problem("no_recipients", "E-Mail: keine Empfänger (lists) konfiguriert"))
        return problems

    def render(self, message: Message) -> dict[str, Any]:
        text = self.render_text(message)
        paragraphs = "".join(
            f"<p>{html.escape(part).replace(chr(10), '<br>')}</p>"
            for part in text.split("\n\n")
            if part.strip()
        )
        link = ""
        if message.link and message.link.startswith(("https://", "http://")):
            safe = html.escape(message.link, quote=True)
            link = f'<p><a href="{safe}">{safe}</a></p>'
        return {
            "subject": self.subject(message),
            "text": text,
            "html": f'<!doctype html><html lang="{html.escape(message.language)}"><body>'
            f"{paragraphs}{link}</body></html>",
        }

    # -- worker side ------------------------------------------------------------
    def build(self, rendered: dict[str, Any], recipients: list[str], key: str) -> EmailMessage:
        mail = EmailMessage()
        mail["Subject"] = rendered["subject"]
        mail["From"] = self.sender
        mail["To"] = formataddr(parseaddr(self.sender))
        domain = parseaddr(self.sender)[1].partition("@")[2] or "ernstfall.invalid"
        mail["Message-ID"] = f"<{key}@{domain}>"
        mail.set_content(rendered["text"])
        mail.add_alternative(rendered["html"], subtype="html")
        del mail["Bcc"]
        return mail

    def connect(self) -> smtplib.SMTP:
        host = str(self.opt("host") or "")
        if not host:
            raise DeliveryError(f"{self.config.name}: host fehlt", permanent=True)
        try:
            client = open_smtp(self.server(host))
        except DeliveryError:
            raise
        except smtplib.SMTPAuthenticationError as exc:
            raise self._error(exc, "Anmeldung am SMTP-Server abgelehnt (Benutzer/Passwort prüfen)") from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryError(
                f"{self.config.name}: Server kann kein STARTTLS/AUTH",
                permanent=True,
                platform_message=str(exc),
            ) from exc
        except ssl.SSLError as exc:
            raise DeliveryError(
                f"{self.config.name}: TLS fehlgeschlagen (Zertifikat?)",
                permanent=True,
                platform_message=str(exc),
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise self._error(exc, "SMTP-Server lehnt ab") from exc
        except (OSError, smtplib.SMTPException) as exc:  # refused, DNS, timeout before sending
            raise DeliveryError(
                f"{self.config.name}: SMTP-Server {host} nicht erreichbar ({type(exc).__name__})",
                platform_message=str(exc) or None,
            ) from exc
        return client

    def server(self, host: str) -> SmtpServer:
        use_ssl = bool(self.opt("ssl", False))
        username = str(self.opt("username") or "")
        return SmtpServer(
            host=host,
            port=int(self.opt("port", 465 if use_ssl else 587)),
            user=username,
            password=self.config.secret("password") if username else "",
            starttls=bool(self.opt("starttls", True)),
            ssl=use_ssl,
            timeout=self.config.http_timeout,
            ca_file=self.opt("tls_ca_file"),
        )

    def _error(self, exc: smtplib.SMTPResponseException, text: str) -> DeliveryError:
        code = exc.smtp_code
        platform = (
            exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc)
        )
        return DeliveryError(
            f"{self.config.name}: {text} ({code})",
            permanent=500 <= code < 600,
            platform_message=platform,
            status=code,
        )

    def send(self, rendered: dict[str, Any], message: Message, idempotency_key: str) -> Receipt:
        recipients = self.recipients(message)
        if not recipients:
            raise DeliveryError(f"{self.config.name}: keine Empfänger", permanent=True)
        mail = self.build(rendered, recipients, idempotency_key)
        client = self.connect()
        try:
            refused = client.send_message(mail, to_addrs=recipients)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(
                f"{self.config.name}: alle Empfänger abgelehnt",
                permanent=all(500 <= code < 600 for code, _ in exc.recipients.values()),
                platform_message="; ".join(f"{a}: {c}" for a, (c, _) in exc.recipients.items())[:500],
            ) from exc
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            raise self._error(exc, "Nachricht abgelehnt") from exc
        except (TimeoutError, smtplib.SMTPServerDisconnected, OSError) as exc:
            # The data may have reached the server before it went away.
            raise DeliveryError(
                f"{self.config.name}: Verbindung während des Sendens verloren",
                outcome_unknown=True,
                platform_message=str(exc) or type(exc).__name__,
            ) from exc
        finally:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()
        return Receipt(
            remote_id=str(mail["Message-ID"]),
            detail={"recipients": len(recipients) - len(refused), "refused": sorted(refused)},
        )

    def check(self) -> CheckResult:
        try:
            client = self.connect()
        except DeliveryError as exc:
            return CheckResult(False, str(exc))
        try:
            code, _ = client.noop()
        finally:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()
        return CheckResult(code == 250, f"SMTP-Server {self.opt('host')} erreichbar, Anmeldung erfolgreich")
