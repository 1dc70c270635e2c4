"""SMS to E.164 numbers through seven.io, GatewayAPI or Twilio.

Recipients: the channel's fixed numbers (``recipients = [...]``, e.g. the crisis
staff), numbers in ``Message.extras["recipients"]`` (e.g. one person's opt-in code),
and an *audience* (``Message.extras["audience"]``: languages and areas of the
subscribers) that the worker reads page by page while it sends — an alert to
100,000 subscribers stores a definition and a count, never the numbers
(``sms_audience``). Recipients go out in batches, several at once within the
provider's limits (``sms_sender``); each batch has a stable key and range
(``sms_batches``) and is recorded as soon as the gateway answered, so a retry of
the same delivery skips every batch the gateway accepted.

Outcome unknown: if the provider does not answer, the recipients of that batch
are marked ``unknown`` and the delivery fails with ``outcome_unknown``; the
outbox resends alerts (those recipients may get the SMS twice) and hands
community messages to a person. seven.io rejects the same text to the same
number within 180 s (code 402), which we count as "already sent".
"""

from __future__ import annotations

from typing import Any, ClassVar

import phonenumbers

from publisher.channels import sms_audience
from publisher.channels.base import ChannelAdapter, CheckResult, Limits, Message, Problem, Receipt
from publisher.channels.sms_audience import COUNT_KEY, audience_of
from publisher.channels.sms_batches import RecipientReader, plan
from publisher.channels.sms_providers import SmsProvider, provider_for
from publisher.channels.sms_sender import BatchSender
from publisher.errors import DeliveryError
from publisher.outbox import sms_status
from publisher.outbox.sms_status import DONE, REJECTED
from publisher.text import sms as sms_encoding

DEFAULT_MAX_SEGMENTS = 3


def normalize_number(raw: str, region: str = "DE") -> str | None:
    """E.164 ("+4917612345678") for a valid number, else None."""
    try:
        number = phonenumbers.parse(str(raw), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class SmsChannel(ChannelAdapter):
    type_name = "sms"
    label = "SMS"
    limits: ClassVar[Limits] = Limits(
        max_length=DEFAULT_MAX_SEGMENTS * 153, counted_as="segments", max_media=0
    )
    idempotent = False  # no provider deduplicates by key; see the module docstring

    # -- options ---------------------------------------------------------------
    @property
    def region(self) -> str:
        return str(self.config.options.get("default_region", "DE")).upper()

    @property
    def max_segments(self) -> int:
        return int(self.config.options.get("max_segments", DEFAULT_MAX_SEGMENTS))

    @property
    def cost_per_segment(self) -> float | None:
        value = self.config.options.get("cost_per_segment")
        return float(value) if value is not None else None

    @property
    def replace_typographic(self) -> bool:
        return bool(self.config.options.get("replace_typographic", True))

    def raw_recipients(self, message: Message) -> list[str]:
        configured = list(self.config.options.get("recipients") or [])
        extra = message.extras.get("recipients") or []
        return [str(r) for r in [*configured, *extra]]

    def recipients(self, message: Message) -> tuple[list[str], list[str]]:
        """(valid E.164 numbers without duplicates, raw entries that are not valid numbers)."""
        valid: dict[str, None] = {}
        invalid: list[str] = []
        for raw in self.raw_recipients(message):
            number = normalize_number(raw, self.region)
            if number is None:
                invalid.append(raw)
            else:
                valid[number] = None
        return list(valid), invalid

    # -- editor side -------------------------------------------------------------
    def analyse(self, message: Message) -> sms_encoding.SmsText:
        return sms_encoding.analyse(self.render_text(message), replace_typographic=self.replace_typographic)

    def measure(self, text: str) -> int:
        return sms_encoding.analyse(text, replace_typographic=self.replace_typographic).units

    def recipient_count(self, message: Message) -> int:
        """Fixed numbers plus the audience's size when the delivery was made: no per-number work."""
        valid, _ = self.recipients(message)
        return len(valid) + int(message.extras.get(COUNT_KEY) or 0)

    def summary(self, message: Message) -> str:
        """Segments and cost, for the editor's preview (not a problem by itself)."""
        count = self.recipient_count(message)
        return sms_encoding.describe(self.analyse(message), count, self.cost_per_segment)

    def validate(self, message: Message) -> list[Problem]:
        problems: list[Problem] = []
        sms = self.analyse(message)
        if not sms.text.strip():
            problems.append(Problem("empty", "SMS: Text fehlt"))
        if sms.segments > self.max_segments:
            unit = "GSM-7" if sms.encoding == "gsm7" else "UCS-2"
            allowed = self.max_segments * sms_encoding.MULTI[sms.encoding]
            detail = f"{self.summary(message)}"
            problems.append(
                Problem(
                    "too_many_segments",
                    f"SMS: {sms.segments} Teile, höchstens {self.max_segments} erlaubt "
                    f"({sms.units} von {allowed} Zeichen {unit}) — {detail}",
                )
            )
        if message.media:
            problems.append(Problem("media", "SMS: Bilder können per SMS nicht gesendet werden"))
        valid, invalid = self.recipients(message)
        for raw in invalid:
            problems.append(
                Problem("bad_recipient", f"SMS: Empfänger „{raw}“ ist keine gültige Telefonnummer")
            )
        if not valid and not invalid and audience_of(message.extras) is None:
            problems.append(Problem("no_recipients", "SMS: keine Empfänger (recipients) konfiguriert"))
        if str(self.config.options.get("provider", "")).lower() not in _provider_names():
            problems.append(
                Problem(
                    "provider",
                    f"SMS: provider {self.config.options.get('provider')!r} unbekannt "
                    f"(möglich: {', '.join(_provider_names())})",
                )
            )
        return problems

    def render(self, message: Message) -> dict[str, Any]:
        sms = self.analyse(message)
        return {
            "text": sms.text,
            "encoding": sms.encoding,
            "segments": sms.segments,
            "replaced": list(sms.replaced),
            "summary": self.summary(message),
            "recipients": self.recipient_count(message),
        }

    # -- worker side -------------------------------------------------------------
    def send(self, rendered: dict[str, Any], message: Message, idempotency_key: str) -> Receipt:
        provider = provider_for(self.config)
        text = str(rendered["text"])
        encoding = str(
            rendered.get("encoding") or sms_encoding.analyse(text, replace_typographic=False).encoding
        )
        fixed, invalid = self.recipients(message)
        audience = audience_of(message.extras)
        if not fixed and audience is None:
            raise DeliveryError(
                f"{self.config.name}: keine gültigen Empfänger ({len(invalid)} ungültig)", permanent=True
            )
        db = sms_status.default_database(self.config.current_settings().database_url)
        source = sms_audience.registered() if audience is not None else None
        reader = RecipientReader(fixed, audience, source, db)
        batches = plan(reader, sms_status.batch_ledger(db, idempotency_key), provider.batch_size)
        sender = BatchSender(self.config, provider, db, idempotency_key, text, encoding)
        total = len(fixed) + int(message.extras.get(COUNT_KEY) or 0)
        sender.run(batches, provider.concurrency, total)
        return self._receipt(provider, db, idempotency_key, invalid)

    def _receipt(self, provider: SmsProvider, db: Any, key: str, invalid: list[str]) -> Receipt:
        counts = sms_status.tally(db, key)
        rejected = counts.get(REJECTED, 0)
        accepted = sum(n for state, n in counts.items() if state in DONE) - rejected
        if accepted == 0:
            reason = f"alle {rejected} Empfänger vom Anbieter abgelehnt" if rejected else "keine Empfänger"
            raise DeliveryError(f"{self.config.name}: {reason}", permanent=True)
        return Receipt(
            remote_id=f"sms-{key}",
            url=None,
            detail={
                "provider": provider.name,
                "accepted": accepted,
                "rejected": rejected,
                "invalid": len(invalid),
            },
        )

    def check(self) -> CheckResult:
        try:
            provider = provider_for(self.config)
        except DeliveryError as exc:
            return CheckResult(False, str(exc))
        try:
            return provider.check()
        except DeliveryError as exc:  # e.g. a missing credential
            return CheckResult(False, str(exc))


def _provider_names() -> list[str]:
    from publisher.channels.sms_providers import PROVIDERS

    return sorted(PROVIDERS)
