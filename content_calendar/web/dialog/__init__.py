"""The dialog's web side: the inbox API (``/api/v1/inbox``) and the public reply hours."""
