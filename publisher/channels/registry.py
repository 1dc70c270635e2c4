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


# What each adapter imports only when it sends (kept lazy so that the web app and the
# scheduler never load the SDKs): a sending worker imports them at start (``warm_up``),
# not on its first alert, where they cost 300 to 500 ms (issue 16).
SEND_IMPORTS: dict[str, tuple[str, ...]] = {
    "mastodon": ("mastodon", "mastodon.errors"),
    "x": ("tweepy",),
    "bluesky": (
        "httpx",
        "atproto",
        "atproto_client.request",
        "atproto_client.exceptions",
        "cryptography.fernet",
    ),
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


def warm_up(channel_types: list[str] | set[str]) -> list[str]:
    """Import the adapters of ``channel_types`` and what they import only to send.

    Unknown types are skipped (the delivery itself reports them). Returns the modules imported.
    """
    done: list[str] = []
    for channel_type in sorted(set(channel_types) & set(ADAPTERS)):
        module_name = ADAPTERS[channel_type].split(":")[0]
        for name in (module_name, *SEND_IMPORTS.get(channel_type, ())):
            import_module(name)
            done.append(name)
    return done
