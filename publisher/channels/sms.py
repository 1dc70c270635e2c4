"""SMS to a list of E.164 numbers through seven.io, GatewayAPI or Twilio.

Recipients come from the channel options (``recipients = [...]``, e.g. the crisis
staff) and from ``Message.extras["recipients"]`` (e.g. citizens who subscribed).
Every recipient's result is recorded in ``sms_recipient_status``; a retry of the
same delivery sends only to recipients not yet handed to the provider, so a
batch interrupted by a 429 or a timeout is completed instead of repeated.

Outcome unknown: if the provider does not answer, the recipients of that batch
are marked ``unknown`` and the delivery fails with ``outcome_unknown``; the
outbox resends alerts (those recipients may get the SMS twice) and hands
community messages to a person. seven.io rejects the same text to the same
number within 180 s (code 402), which we count as "already sent".
"""

from __future__ import annotations

from typing import Any, ClassVar

import phonenumbers

from publisher.channels.base import ChannelAdapter, CheckResult, Limits, Message, Problem, Receipt
from publisher.channels.sms_providers import SmsProvider, provider_for
from publisher.errors import DeliveryError
from publisher.outbox import ratelimit, sms_status
from publisher.outbox.sms_status import FAILED, REJECTED, UNKNOWN, RecipientResult
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

    def summary(self, message: Message) -> str:
        """Segments and cost, for the editor's preview (not a problem by itself)."""
        valid, _ = self.recipients(message)
        return sms_encoding.describe(self.analyse(message), len(valid), self.cost_per_segment)

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
        if not valid and not invalid:
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
        }

    # -- worker side -------------------------------------------------------------
    def send(self, rendered: dict[str, Any], message: Message, idempotency_key: str) -> Receipt:
        provider = provider_for(self.config)
        text = str(rendered["text"])
        encoding = str(
            rendered.get("encoding") or sms_encoding.analyse(text, replace_typographic=False).encoding
        )
        valid, invalid = self.recipients(message)
        if not valid:
            raise DeliveryError(
                f"{self.config.name}: keine gültigen Empfänger ({len(invalid)} ungültig)", permanent=True
            )
        db = sms_status.default_database()
        done = sms_status.done_recipients(db, idempotency_key)
        todo = [m for m in valid if m not in done]
        for start in range(0, len(todo), provider.batch_size):
            batch = todo[start : start + provider.batch_size]
            ratelimit.acquire(self.config)
            try:
                results = provider.send_batch(text, batch, encoding=encoding, reference=idempotency_key)
            except DeliveryError as exc:
                # The whole request failed: nobody in this batch is "rejected", so a
                # later attempt (after a person fixed the key, topped up credit) sends them.
                state = UNKNOWN if exc.outcome_unknown else FAILED
                sms_status.record(
                    db,
                    idempotency_key,
                    self.config.name,
                    provider.name,
                    [RecipientResult(m, state, None, exc.message) for m in batch],
                )
                if exc.status == 429:
                    ratelimit.pause(self.config, exc.retry_after)
                raise self._with_progress(exc, len(done) + start, len(valid)) from exc
            sms_status.record(db, idempotency_key, self.config.name, provider.name, results)
            retry = [r for r in results if r.status in (FAILED, UNKNOWN)]
            if retry:
                raise DeliveryError(
                    f"{self.config.name}: {len(retry)} von {len(batch)} Empfängern noch nicht gesendet",
                    outcome_unknown=any(r.status == UNKNOWN for r in retry),
                    platform_message=retry[0].error,
                )
        return self._receipt(provider, db, idempotency_key, len(valid), invalid)

    def _with_progress(self, exc: DeliveryError, sent: int, total: int) -> DeliveryError:
        if sent:
            exc.message = f"{exc.message} (bereits {sent} von {total} Empfängern gesendet)"
        return exc

    def _receipt(self, provider: SmsProvider, db: Any, key: str, total: int, invalid: list[str]) -> Receipt:
        statuses = sms_status.statuses_for(db, key) if total else {}
        rejected = sorted(m for m, s in statuses.items() if s == REJECTED)
        accepted = total - len(rejected)
        if accepted == 0:
            raise DeliveryError(
                f"{self.config.name}: alle {total} Empfänger vom Anbieter abgelehnt", permanent=True
            )
        return Receipt(
            remote_id=f"sms-{key}",
            url=None,
            detail={
                "provider": provider.name,
                "accepted": accepted,
                "rejected": len(rejected),
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
