"""Fixtures for the security tests: the SMS webhook set-up of the channel tests."""

from __future__ import annotations

from tests.channels.test_sms import gateway, seven, twilio, webhook_setup  # noqa: F401  (fixtures)
