"""Maps a channel type to its adapter class, imported lazily."""

from __future__ import annotations

from importlib import import_module

from publisher.channels.base import ChannelAdapter, ChannelConfig

ADAPTERS: dict[str, str] = {
    "preview": "publisher.channels.preview:PreviewChannel",
    "mastodon": "publisher.channels.mastodon:MastodonChannel",
    "banner": "publisher.channels.banner:BannerChannel",
    "x": "publisher.channels.x:XChannel",
    "facebook": "publisher.channels.facebook:FacebookChannel",
    "instagram": "publisher.channels.instagram:InstagramChannel",
    "bluesky": "publisher.channels.bluesky:BlueskyChannel",
    "telegram": "publisher.channels.telegram:TelegramChannel",
    "sms": "publisher.channels.sms:SmsChannel",
    "email": "publisher.channels.email:EmailChannel",
    "webhook": "publisher.channels.webhook:WebhookChannel",
    "apprise": "publisher.channels.apprise_channel:AppriseChannel",
    "atom": "publisher.channels.atom:AtomChannel",
    "cap": "publisher.channels.cap:CapChannel",
}


class UnknownChannelType(ValueError):
    pass


def adapter_class(channel_type: str) -> type[ChannelAdapter]:
    try:
        target = ADAPTERS[channel_type]
    except KeyError as exc:
        known = ", ".join(sorted(ADAPTERS))
        raise UnknownChannelType(f"Unbekannter Kanaltyp {channel_type!r} (bekannt: {known})") from exc
    module_name, class_name = target.split(":")
    cls: type[ChannelAdapter] = getattr(import_module(module_name), class_name)
    return cls


def make_adapter(config: ChannelConfig) -> ChannelAdapter:
    return adapter_class(config.type)(config)
