"""Logging setup shared by the CLI and the Celery workers."""

from __future__ import annotations

import logging

# These log signed OAuth headers or full URLs at DEBUG; credentials must never reach a log.
CREDENTIAL_LOGGERS = ("requests_oauthlib", "oauthlib", "urllib3", "httpx", "httpcore")


def quiet_credential_loggers() -> None:
    for name in CREDENTIAL_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def configure_logging(level: str) -> None:
    """``level`` is ``Settings.log_level`` (ERNSTFALL_LOG_LEVEL)."""
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    quiet_credential_loggers()
