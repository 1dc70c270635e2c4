"""Channel readiness: know before the crisis that every channel will work.

Each enabled channel is checked on a schedule with the platform's own credential
check (nothing is posted): ``check`` runs it and decides ok / warning / failing,
``notify`` tells the crisis staff once per change, ``status`` is what the console,
the API and the digest read, ``metrics`` is the Prometheus view of it.
"""

from __future__ import annotations

from publisher.readiness.check import Audience, Verdict, check_channels, claim_due
from publisher.readiness.models import ChannelHealth
from publisher.readiness.notify import notify_changes
from publisher.readiness.status import ChannelReadiness, down_now, open_warnings, plan_b, readiness

__all__ = [
    "Audience",
    "ChannelHealth",
    "ChannelReadiness",
    "Verdict",
    "check_channels",
    "claim_due",
    "down_now",
    "notify_changes",
    "open_warnings",
    "plan_b",
    "readiness",
]
