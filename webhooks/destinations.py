"""Where a webhook may be sent, and sending it there (issue 14).

A subscriber names the address, so the address is untrusted: without checks a webhook is a way to
make the server call its own network (server-side request forgery). So:

- only ``https://`` is accepted (``http://`` only when ``WEBHOOKS_ALLOW_HTTP`` is on, for
  development), with no user name or password in the address;
- the host name is resolved at every delivery, and every address it resolves to must be a public
  one: private, loopback, link-local (the cloud metadata service at 169.254.169.254), shared,
  multicast, reserved and unspecified ranges are refused, in IPv4 and IPv6 (and IPv4 inside IPv6).
  ``WEBHOOKS_ALLOWED_NETWORKS`` lists networks allowed nevertheless (a receiver on the same host in
  development and in the tests);
- the connection goes to the address just checked, not to the name again, so a name that resolves
  to a public address for the check and a private one for the connection (DNS rebinding) reaches
  only the checked address. TLS still verifies the certificate against the host name;
- redirects are not followed (a 3xx is a failed delivery), timeouts are short, and only the
  first ``RESPONSE_KEPT`` bytes of a response are read, for the delivery log.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

import urllib3
from django.conf import settings

RESPONSE_KEPT = 1024
USER_AGENT = "DevoTracker-Webhooks/1"


class UnsafeDestination(ValueError):
    """An address webhooks may not be sent to; the message says why."""


class DeliveryError(Exception):
    """A delivery that got no HTTP answer (refused connection, time-out, TLS failure)."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    latency_ms: int


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8)
def _allowed_networks(spec: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in spec)


def allowed_networks() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return _allowed_networks(tuple(getattr(settings, "WEBHOOKS_ALLOWED_NETWORKS", ())))


def is_public(address: IPAddress) -> bool:
    """True for an address webhooks may reach: a global unicast one, or one in the allowed list."""
    if any(address in network for network in allowed_networks()):
        return True
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            return is_public(mapped)
    return address.is_global and not address.is_multicast and not address.is_reserved


def check_url(url: str) -> tuple[str, str, int]:
    """The scheme, host and port of a webhook address, or :class:`UnsafeDestination`: the
    address's form only (no lookup). Used when a subscription is registered and at delivery."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeDestination(f"Not a valid address: {exc}.") from None
    scheme = parts.scheme.lower()
    allow_http = getattr(settings, "WEBHOOKS_ALLOW_HTTP", False)
    if scheme != "https" and not (scheme == "http" and allow_http):
        raise UnsafeDestination(
            "The address must start with https://." if not allow_http else "The address must start with https:// or http://."
        )
    if parts.username is not None or parts.password is not None:
        raise UnsafeDestination("The address must not contain a user name or password.")
    host = parts.hostname
    if not host:
        raise UnsafeDestination("The address has no host name.")
    return scheme, host, port or (443 if scheme == "https" else 80)


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to, each checked; :class:`UnsafeDestination` if any is not
    public (a name with one private address among public ones is refused, not half-trusted)."""
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        found = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise UnsafeDestination(f"The host name {host} does not resolve ({exc}).") from None
        found = list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos))
    for address in found:
        if not is_public(address):
            raise UnsafeDestination(f"{host} resolves to {address}, which is not a public address.")
    if not found:
        raise UnsafeDestination(f"The host name {host} does not resolve.")
    return found


def check_destination(url: str) -> None:
    """The whole check, as at delivery: form, then every resolved address."""
    _scheme, host, port = check_url(url)
    resolve(host, port)


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST ``body`` to ``url`` after checking it (:class:`UnsafeDestination`), at the checked
    address, following no redirect. :class:`DeliveryError` when there is no HTTP answer."""
    scheme, host, port = check_url(url)
    address = str(resolve(host, port)[0])
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    timeout = urllib3.Timeout(connect=settings.WEBHOOK_CONNECT_TIMEOUT, read=settings.WEBHOOK_READ_TIMEOUT)
    pool: urllib3.HTTPConnectionPool
    if scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address, port, timeout=timeout, retries=False, server_hostname=host, assert_hostname=host, cert_reqs="CERT_REQUIRED"
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False)
    netloc = host if port == (443 if scheme == "https" else 80) else f"{host}:{port}"
    if ":" in host:
        netloc = f"[{host}]" if port == (443 if scheme == "https" else 80) else f"[{host}]:{port}"
    started = time.monotonic()
    try:
        response = pool.urlopen(
            "POST",
            target,
            body=body,
            headers={**headers, "Host": netloc, "User-Agent": USER_AGENT, "Content-Type": "application/json"},
            redirect=False,
            retries=False,
            assert_same_host=False,
            preload_content=False,
        )
        try:
            kept = response.read(RESPONSE_KEPT, decode_content=False)
        finally:
            response.release_conn()
            response.close()
    except urllib3.exceptions.HTTPError as exc:
        raise DeliveryError(_describe(exc)) from None
    finally:
        pool.close()
    latency = int((time.monotonic() - started) * 1000)
    return Answer(status=response.status, body=kept.decode("utf-8", errors="replace"), latency_ms=latency)


def _describe(exc: Exception) -> str:
    if isinstance(exc, urllib3.exceptions.ConnectTimeoutError):
        return "Timed out connecting."
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
        return "Timed out waiting for the answer."
    if isinstance(exc, urllib3.exceptions.SSLError):
        return f"TLS failed: {exc}"[:300]
    if isinstance(exc, urllib3.exceptions.NewConnectionError):
        return "The connection was refused or failed."
    return f"{type(exc).__name__}: {exc}"[:300]
