"""A stdlib HTTP server in a thread, recording every exchange; the Infisical and Kubernetes doubles build on it."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Exchange:
    server: str  # "infisical" or "kubernetes"
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    status: int = 0
    response: bytes = b""

    @property
    def is_write(self) -> bool:
        return self.method in ("POST", "PATCH", "PUT", "DELETE")

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Timeline:
    """Every exchange of every double, in the order the server saw them (one timeline for both)."""

    exchanges: list[Exchange] = field(default_factory=list)

    def of(self, server: str) -> list[Exchange]:
        return [exchange for exchange in self.exchanges if exchange.server == server]


class Double:
    """Subclasses answer `handle(exchange) -> (status, document)`."""

    server_name = "double"

    def __init__(self, timeline: Timeline | None = None) -> None:
        self.timeline = timeline or Timeline()
        self._lock = threading.Lock()

    def handle(self, exchange: Exchange) -> tuple[int, Any]:
        raise NotImplementedError

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        parsed = urllib.parse.urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        exchange = Exchange(self.server_name, handler.command, parsed.path,
                            dict(urllib.parse.parse_qsl(parsed.query)), dict(handler.headers.items()),
                            handler.rfile.read(length) if length else b"")
        with self._lock:
            status, document = self.handle(exchange)
            payload = b"" if document is None else json.dumps(document).encode()
            exchange.status, exchange.response = status, payload
            self.timeline.exchanges.append(exchange)
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    @contextmanager
    def running(self, wrap: Any = None) -> Iterator[str]:
        """Serves on 127.0.0.1 (an ephemeral port) and yields the base URL; `wrap` may add TLS to the socket."""
        double = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                double._serve(self)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _any

            def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read the timeline
                return

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        scheme = "http"
        if wrap is not None:
            server.socket = wrap(server.socket)
            scheme = "https"
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        thread.start()
        try:
            yield f"{scheme}://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join()
