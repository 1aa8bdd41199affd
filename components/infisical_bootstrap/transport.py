"""JSON over HTTP(S) with bounded retries, shared by the Infisical and the Kubernetes clients (stdlib only).

Retries cover what a starting cluster throws at a Job: connection refused while the Service has no ready
endpoint, 502/503/504 from a restarting pod, 429 rate limits. Every other status is returned to the caller,
which maps it to a typed error. Progress lines name the method, the path and the status, never a body or
a header, so no secret can reach them.
"""

from __future__ import annotations

import json
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 10
    base_delay: float = 1.0
    max_delay: float = 30.0

    def delays(self) -> Iterator[float]:
        """The waits between attempts: doubling from base_delay, capped at max_delay (attempts - 1 of them)."""
        for attempt in range(self.attempts - 1):
            yield min(self.max_delay, self.base_delay * 2**attempt)


@dataclass(frozen=True)
class Response:
    status: int
    body: Any  # the decoded JSON document, or None when the body is empty or not JSON


class Unreachable(Exception):
    """The server could not be reached, or kept answering with a retried status, through every attempt."""


class Transport:
    def __init__(self, base_url: str, log: Callable[[str], None], retry: RetryPolicy | None = None,
                 ssl_context: ssl.SSLContext | None = None, timeout: float = 30.0,
                 sleep: Callable[[float], None] | None = None, label: str = "http") -> None:
        self.base_url = base_url.rstrip("/")
        self._log = log
        self._retry = retry or RetryPolicy()
        self._ssl_context = ssl_context
        self._timeout = timeout
        self._sleep = sleep or time.sleep
        self._label = label

    def send(self, method: str, path: str, body: Any = None, query: Mapping[str, str] | None = None,
             headers: Mapping[str, str] | None = None, content_type: str = "application/json") -> Response:
        url = self.base_url + path
        if query:
            url += "?" + urllib.parse.urlencode(sorted(query.items()))
        data = None if body is None else json.dumps(body).encode()
        request_headers = {"Accept": "application/json", **(headers or {})}
        if data is not None:
            request_headers["Content-Type"] = content_type
        delays = self._retry.delays()
        attempt = 1
        while True:
            problem: str
            try:
                response = self._once(method, url, data, request_headers)
                if response.status not in RETRIED_STATUSES:
                    return response
                problem = f"status {response.status}"
            except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
                problem = _describe(error)
                response = None
            delay = next(delays, None)
            if delay is None:
                if response is not None:
                    return response
                raise Unreachable(f"{self._label}: {method} {path}: {problem} after {attempt} attempts")
            self._log(f"{self._label}: {method} {path}: {problem}, retry {attempt}/{self._retry.attempts - 1} "
                      f"in {delay:g}s")
            self._sleep(delay)
            attempt += 1

    def _once(self, method: str, url: str, data: bytes | None, headers: dict[str, str]) -> Response:
        request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310 - http(s) only, from config
        try:
            with urllib.request.urlopen(request, timeout=self._timeout, context=self._ssl_context) as reply:  # noqa: S310
                return Response(reply.status, _decode(reply.read()))
        except urllib.error.HTTPError as error:
            with error:
                return Response(error.code, _decode(error.read()))


def _decode(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _describe(error: BaseException) -> str:
    """The kind of a connection failure, without the request it came from."""
    reason = getattr(error, "reason", error)
    return f"{type(reason).__name__}: {reason}" if str(reason) else type(reason).__name__
