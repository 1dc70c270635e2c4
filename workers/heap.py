"""Keep the garbage collector's full passes off an alert's path (issue 16).

A started worker holds some 200,000 long-lived objects (Celery, SQLAlchemy, the platform
SDKs, the app). CPython's full collection walks all of them: 60-140 ms on this machine,
once in a while, whenever enough new objects have survived — during an alert, that is
one platform's post 100 ms late. Moving what start-up built into the permanent
generation (``gc.freeze``) leaves the collector only the objects made since.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)


def freeze_startup_objects() -> int:
    """Collect once, then exempt every surviving object from later collections."""
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.info("%d start-up objects exempt from garbage collection", frozen)
    return frozen
