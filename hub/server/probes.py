"""The operator's HTTP listener: ``/metrics``, ``/healthz`` and ``/readyz``, without a member certificate.

Plain HTTP on its own address (loopback unless told otherwise), apart from the mTLS gRPC port: a
Prometheus server, a load balancer or systemd can ask without holding a federation identity, and
nothing it serves names a payload or a key. Requests are answered on their own threads, so a
scrape that reads the store never waits on, or holds up, the event loop that serves gRPC.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import make_wsgi_app

from hub.runtime.logs import get_logger
from hub.server.context import HubContext
from hub.server.metrics import HubMetrics
from hub.server.readiness import readiness

log = get_logger("pxhub.probes")

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _json(start_response: StartResponse, status: str, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body, sort_keys=True).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def operations_app(hub: HubContext, metrics: HubMetrics) -> WsgiApp:
    """The WSGI application of the listener."""
    scrape = make_wsgi_app(metrics.registry)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return scrape(environ, start_response)  # type: ignore[no-any-return]
        if path == "/healthz":
            return _json(start_response, "200 OK", {"status": "alive"})
        if path == "/readyz":
            problems = readiness(hub)
            if problems:
                return _json(
                    start_response, "503 Service Unavailable", {"ready": False, "not_ready": problems}
                )
            return _json(start_response, "200 OK", {"ready": True})
        return _json(
            start_response, "404 Not Found", {"error": f"no {path}; try /metrics, /healthz or /readyz"}
        )

    return app


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes every few seconds are not log lines."""


def _server_class(host: str) -> type[_ThreadingServer]:
    if ":" not in host:
        return _ThreadingServer

    class _V6Server(_ThreadingServer):
        address_family = socket.AF_INET6

    return _V6Server


class OperationsListener:
    """The HTTP listener, served on a daemon thread for the life of the hub."""

    def __init__(self, address: str, app: WsgiApp) -> None:
        host, _, port = address.rpartition(":")
        host = host.strip("[]")
        try:
            self._server = make_server(
                host, int(port), app, server_class=_server_class(host), handler_class=_QuietHandler
            )
        except OSError as error:
            raise OSError(f"cannot listen on {address} for metrics and probes: {error.strerror}") from error
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="pxhub-probes", daemon=True)
        self._thread.start()
        log.info("operations_listener_started", listen=address, port=self.port)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
