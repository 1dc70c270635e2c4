"""Preview: records exactly what would be posted, sends nothing.

The default for every channel without credentials; the rendered text is kept on
the delivery and shown in the UI. The receipt below is ordinary: the outbox, not this
adapter, ends a preview's delivery ``previewed`` (never ``sent``) from the channel category.
"""

from __future__ import annotations

from typing import Any, ClassVar

from publisher.channels.base import CONFIG_CODES, ChannelAdapter, Limits, Message, Problem, Receipt


class PreviewChannel(ChannelAdapter):
    type_name = "preview"
    label = "Vorschau"
    limits: ClassVar[Limits] = Limits(max_length=None, max_media=10)
    idempotent = True

    def imitated(self) -> ChannelAdapter | None:
        """The adapter of the platform this preview stands in for, if we know it."""
        from publisher.channels.registry import UnknownChannelType, adapter_class

        imitates = self.config.options.get("imitates")
        if not imitates or imitates == "preview":
            return None
        try:
            return adapter_class(str(imitates))(self.config)
        except (UnknownChannelType, ImportError):
            return None

    def render(self, message: Message) -> dict[str, Any]:
        # A preview of another platform renders and validates with that platform's rules.
        inner = self.imitated()
        if inner is None:
            return {"text": self.render_text(message)}
        return {"imitates": inner.type_name, **inner.render(message)}

    def validate(self, message: Message) -> list[Problem]:
        inner = self.imitated()
        if inner is None:
            return super().validate(message)
        return [p for p in inner.validate(message) if p.code not in CONFIG_CODES]

    def send(self, rendered: dict[str, Any], message: Message, idempotency_key: str) -> Receipt:
        return Receipt(
            remote_id=f"preview-{idempotency_key}",
            url=None,
            detail={"preview": True, "would_post": rendered},
        )
