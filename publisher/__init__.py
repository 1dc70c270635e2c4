"""How messages get out: channel adapters, the delivery outbox, retries, public outputs.

This package imports no Flask and could be used on its own.
"""
