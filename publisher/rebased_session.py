"""A requests session that sends a library's hard-coded host to a configurable base URL.

tweepy's ``Client.request`` builds every URL from the literal ``https://api.twitter.com``
and facebook-sdk from the module constant ``FACEBOOK_GRAPH_URL``; neither takes a base
URL. Both accept a ``requests.Session`` (tweepy as ``client.session``, facebook-sdk as
``GraphAPI(session=...)``), so the adapter hands them this session: it rewrites the
library's origin to the channel's ``base_url`` (tests aim it at a fake on 127.0.0.1, a
city may use a proxy) and applies a timeout, which neither library sets by default.
Changing the libraries' globals instead would redirect every channel in the process.
"""

from __future__ import annotations

from typing import Any

import requests

from publisher.channels import sessions


class RebasedSession(requests.Session):
    """One send's session (its own ``last_response``) on the channel's kept-alive connections."""

    def __init__(self, channel: str, library_origin: str, base_url: str | None, timeout: float) -> None:
        super().__init__()
        self.library_origin = library_origin.rstrip("/")
        self.base_url = (base_url or library_origin).rstrip("/")
        self.timeout = timeout
        self.last_response: requests.Response | None = None
        sessions.mount_pool(self, channel, self.base_url)

    def rebase(self, url: str) -> str:
        if url.startswith(self.library_origin):
            return self.base_url + url[len(self.library_origin) :]
        return url

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        url_text = url.decode() if isinstance(url, bytes) else url
        method_text = method.decode() if isinstance(method, bytes) else method
        response = super().request(method_text, self.rebase(url_text), *args, **kwargs)
        self.last_response = response  # the status and headers libraries do not pass on
        return response
