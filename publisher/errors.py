"""The one error type a channel adapter raises."""

from __future__ import annotations


class DeliveryError(Exception):
    """A send failed.

    ``permanent``: retrying cannot help (bad credentials, content rejected).
    ``retry_after``: seconds the platform asked us to wait (Retry-After, rate-limit reset).
    ``outcome_unknown``: the request may have reached the platform (timeout after sending),
    so a resend could duplicate the message.
    ``platform_message``: the platform's own words, shown to people unchanged.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        outcome_unknown: bool = False,
        platform_message: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after
        self.outcome_unknown = outcome_unknown
        self.platform_message = platform_message
        self.status = status

    def __str__(self) -> str:
        if self.platform_message and self.platform_message not in self.message:
            return f"{self.message}: {self.platform_message}"
        return self.message
