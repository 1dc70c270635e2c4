"""Fixtures for the language tests: the SMS gateway fake and the approved alert library."""

from tests.subscribers.conftest import seven, sms_setup

__all__ = ["seven", "sms_setup"]
