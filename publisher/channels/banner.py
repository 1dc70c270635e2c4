"""Website banner as a channel: an alert replaces the banner on the city's site."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from publisher.channels.base import ChannelAdapter, CheckResult, Limits, Message, Problem, Receipt
from publisher.outputs.banner import Banner, read_banner, write_banner_unless_newer
from publisher.vocabulary import AlertLevel

HEADLINE_MAX = 120  # room for "ÜBUNG – Aktualisierung – " before an 80-character headline


class BannerChannel(ChannelAdapter):
    type_name = "banner"
    label = "Website-Banner"
    limits: ClassVar[Limits] = Limits(max_length=1000, max_media=0)
    idempotent = True  # writing the same banner twice is harmless

    def public_dir(self) -> Path:
        configured = self.config.options.get("public_dir")
        return Path(str(configured)) if configured else self.config.current_settings().public_dir

    def build_text(self, message: Message) -> str:
        return message.text_for(self.type_name, self.config.name)

    def validate(self, message: Message) -> list[Problem]:
        problems = super().validate(message)
        headline = message.title or ""
        if len(headline) > HEADLINE_MAX:
            problems.append(
                Problem(
                    "headline_too_long",
                    f"Website-Banner: Überschrift {len(headline)} von {HEADLINE_MAX} Zeichen",
                )
            )
        return problems

    def render(self, message: Message) -> dict[str, Any]:
        level = message.level or ("info" if message.kind == "alert" else "info")
        if message.drill:
            level = "exercise"
        expires_at = message.expires_at
        if level == AlertLevel.ALLCLEAR and not expires_at:
            hours = float(self.config.options.get("allclear_hours", 6))
            expires_at = (datetime.now(UTC) + timedelta(hours=hours)).isoformat()
        return {
            "level": level,
            "headline": message.title,
            "text": self.render_text(message),
            "link": message.link,
            "expires_at": expires_at,
            "alert_id": message.extras.get("alert_id"),
            "translations": message.extras.get("translations") or None,
            "issued_at": message.extras.get("issued_at") or message.extras.get("sent"),
        }

    def send(self, rendered: dict[str, Any], message: Message, idempotency_key: str) -> Receipt:
        known = {k: v for k, v in rendered.items() if k in Banner.__dataclass_fields__}
        banner = Banner(updated_at=datetime.now(UTC).isoformat(), **known)
        written = write_banner_unless_newer(self.public_dir(), banner)
        # Superseded is success too: a newer message already stands on the banner.
        return Receipt(remote_id=f"banner-{idempotency_key}", url=None, detail={"written": written})

    def check(self) -> CheckResult:
        folder = self.public_dir()
        folder.mkdir(parents=True, exist_ok=True)
        current = read_banner(folder)
        state = f"aktuell: {current.level}" if current else "kein aktives Banner"
        return CheckResult(True, f"Ordner {folder} beschreibbar, {state}")
