"""A real HTTP receiver for the webhooks tests: a local server on a free port (not a mock), which
answers as each test scripts it, records what it was sent, verifies signatures with the
``standardwebhooks`` library and de-duplicates on ``webhook-id`` as a partner's receiver should."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from boards.models import ApiToken

from .. import factories


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """What the server was sent, and how it is to answer (a queue of scripted answers, then 200)."""

    url: str
    received: list[Received] = field(default_factory=list)
    answers: deque[tuple[int, float, dict[str, str], bytes]] = field(default_factory=deque)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(
        self, status: int, *, delay: float = 0.0, headers: dict[str, str] | None = None, body: bytes = b"ok", times: int = 1
    ) -> None:
        for _ in range(times):
            self.answers.append((status, delay, headers or {}, body))

    def verified(self, secret: str) -> list[dict[str, Any]]:
        """Every body received whose signature verifies with ``secret`` (the library's check)."""
        hook = Webhook(secret)
        out = []
        for item in self.received:
            try:
                out.append(hook.verify(item.body, item.headers))
            except WebhookVerificationError:
                continue
        return out

    def unique(self, secret: str) -> dict[str, dict[str, Any]]:
        """The receiver's de-duplication: one body per webhook-id, in first-seen order."""
        hook = Webhook(secret)
        seen: dict[str, dict[str, Any]] = {}
        for item in self.received:
            payload = hook.verify(item.body, item.headers)
            seen.setdefault(item.headers["webhook-id"], payload)
        return seen

    def wait_for(self, count: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with state.lock:
                state.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                status, delay, headers, body = state.answers.popleft() if state.answers else (200, 0.0, {}, b"ok")
            if delay:
                time.sleep(delay)
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def local_receivers(settings: Any) -> None:
    """Let deliveries reach the receiver on this host (the development settings)."""
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.WEBHOOKS_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0.01
    settings.WEBHOOK_RETRY_MAX_SECONDS = 0.05
    settings.WEBHOOK_READ_TIMEOUT = 0.5
    settings.WEBHOOK_CONNECT_TIMEOUT = 0.5


@pytest.fixture
def partner_token(partner: Any) -> ApiToken:
    return ApiToken.issue(user=partner, scope=ApiToken.Scope.WRITE, name="partner system")[0]


__all__ = ["Receiver", "factories"]
