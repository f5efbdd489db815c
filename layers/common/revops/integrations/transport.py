"""HTTP sessions for every outbound integration.

All clients that speak HTTP to an external system (Salesforce, ElevenLabs,
GoHighLevel, plain-HTTPS file sources) get their `requests.Session` from
`new_session()`. In AWS nothing is registered and sessions are plain.

The offline stack registers transport adapters for the hosts it emulates
(for example `https://revops-demo.my.salesforce.com`), so the very same client
code talks to in-process stand-ins over the real wire protocol. Lambda code
never imports the offline stack; the stack registers itself here.
"""

from __future__ import annotations

import threading

import requests
from requests.adapters import BaseAdapter, HTTPAdapter

_lock = threading.Lock()
_adapters: dict[str, BaseAdapter] = {}


class _Registered(BaseAdapter):
    """Forwards to whatever adapter is registered for a prefix at send time.

    Sessions outlive registrations (warm containers cache clients), so the
    lookup happens per request, not when the session is built.
    """

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def send(self, request, **kwargs):  # type: ignore[override]
        with _lock:
            adapter = _adapters.get(self.prefix)
        if adapter is None:
            raise requests.ConnectionError(f"no stand-in registered for {self.prefix}")
        return adapter.send(request, **kwargs)

    def close(self) -> None:
        pass


# Big enough for a worker's thread pool to keep its connections alive.
_POOL_SIZE = 64


def register_adapter(prefix: str, adapter: BaseAdapter) -> None:
    """Route every request whose URL starts with `prefix` through `adapter`."""
    with _lock:
        _adapters[prefix] = adapter


def unregister_adapter(prefix: str) -> None:
    with _lock:
        _adapters.pop(prefix, None)


def clear_adapters() -> None:
    with _lock:
        _adapters.clear()


def new_session() -> requests.Session:
    """A session with pooled connections and any registered stand-in adapters."""
    session = requests.Session()
    pooled = HTTPAdapter(pool_connections=_POOL_SIZE, pool_maxsize=_POOL_SIZE)
    session.mount("https://", pooled)
    session.mount("http://", pooled)
    with _lock:
        for prefix in _adapters:
            session.mount(prefix, _Registered(prefix))
    return session
