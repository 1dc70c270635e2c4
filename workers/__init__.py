"""Who runs it: the Celery app, the two lanes, the scheduler tick, the embedded supervisor."""
