"""Channel adapters, one module per platform, found through :mod:`publisher.channels.registry`."""
