"""Server-side request forgery is refused (issue 14): only https (http only when a setting allows
it), never a private, loopback, link-local, shared, multicast or reserved address, checked at every
delivery on the addresses the name resolves to then (DNS rebinding), redirects not followed.
Refusals are logged."""

from __future__ import annotations

import ipaddress
import logging
import socket
from typing import Any

import pytest

from boards.models import ApiToken
from webhooks import destinations, dispatch, services
from webhooks.models import Attempt, Subscription

from .conftest import Receiver


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1",
     "240.0.0.1", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "2002:a00:1::", "203.0.113.9"],
)  # fmt: skip
def test_non_public_addresses_are_not_public(address: str) -> None:
    assert not destinations.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "2a00:1450:4009:81f::200e", "151.101.0.81"])
def test_public_addresses_are(address: str) -> None:
    assert destinations.is_public(ipaddress.ip_address(address))


def test_an_allowed_network_is_reachable(settings: Any) -> None:
    settings.WEBHOOKS_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    assert destinations.is_public(ipaddress.ip_address("127.0.0.1"))
    assert not destinations.is_public(ipaddress.ip_address("127.0.0.2"))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.example.org/in", "https://"),
        ("ftp://hooks.example.org/in", "https://"),
        ("https://user:pw@hooks.example.org/in", "user name or password"),
        ("https:///in", "no host"),
        ("https://hooks.example.org:99999/in", "valid"),
    ],
)
def test_address_forms_refused(url: str, message: str) -> None:
    with pytest.raises(destinations.UnsafeDestination, match=message):
        destinations.check_url(url)


def test_plain_http_only_when_the_setting_allows_it(settings: Any) -> None:
    settings.WEBHOOKS_ALLOW_HTTP = True
    assert destinations.check_url("http://hooks.example.org/in") == ("http", "hooks.example.org", 80)


def test_a_name_resolving_to_a_private_address_is_refused() -> None:
    with pytest.raises(destinations.UnsafeDestination, match="not a public address"):
        destinations.resolve("localhost", 443)  # a real name, resolving to loopback


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "https://127.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/",
        "https://10.0.0.5/",
    ],
)
def test_registration_refuses_private_literals(url: str, partner: Any, admin_user: Any, settings: Any, caplog: Any) -> None:
    settings.WEBHOOKS_ALLOW_HTTP = True
    token = ApiToken.issue(user=partner, scope="write")[0]
    with pytest.raises(services.Invalid) as refused, caplog.at_level(logging.WARNING, logger="devotracker.security"):
        services.register(
            by=admin_user,
            party=partner.memberships.first().party,
            token=token,
            endpoint=url,
            event_types=["commitment.updated"],
        )
    assert "endpoint" in refused.value.errors
    assert not Subscription.objects.exists()
    assert [r.getMessage() for r in caplog.records] == ["webhook endpoint refused"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.serial
def test_delivery_to_a_name_resolving_to_loopback_is_refused_and_logged(
    receiver: Receiver, partner_token: ApiToken, admin_user: Any, settings: Any, caplog: Any
) -> None:
    settings.WEBHOOKS_ALLOW_HTTP = True  # but no allowed network: loopback stays refused
    port = receiver.url.split(":")[2].split("/")[0]
    subscription, _secret = services.register(
        by=admin_user,
        party=partner_token.user.memberships.first().party,
        token=partner_token,
        endpoint=f"http://localhost:{port}/hook",
        event_types=["commitment.updated"],
    )
    services.send_test(subscription, by=admin_user)
    with caplog.at_level(logging.WARNING, logger="devotracker.security"):
        dispatch.deliver(subscription.pk, budget=2)
    assert receiver.received == []
    attempt = Attempt.objects.get()
    assert attempt.outcome == Attempt.Outcome.REFUSED and "not a public address" in attempt.error
    assert any(r.getMessage() == "webhook delivery refused" for r in caplog.records)


@pytest.mark.django_db(transaction=True)
@pytest.mark.serial
def test_each_delivery_checks_the_name_again(
    receiver: Receiver, partner_token: ApiToken, admin_user: Any, settings: Any, monkeypatch: Any
) -> None:
    """DNS rebinding: the name resolved to the allowed receiver for one delivery and to the metadata
    service for the next; the second is refused, and the connection goes to the address checked."""
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.WEBHOOKS_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    port = int(receiver.url.split(":")[2].split("/")[0])
    answers = iter([["127.0.0.1"], ["169.254.169.254"]])
    real = socket.getaddrinfo

    def rebinding(host: str, *args: Any, **kwargs: Any) -> list[Any]:
        if host != "partner.example.org":  # the connection itself, to the address checked
            return real(host, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)) for address in next(answers)]

    monkeypatch.setattr(destinations.socket, "getaddrinfo", rebinding)
    subscription, _secret = services.register(
        by=admin_user,
        party=partner_token.user.memberships.first().party,
        token=partner_token,
        endpoint=f"http://partner.example.org:{port}/hook",
        event_types=["commitment.updated"],
    )
    services.send_test(subscription, by=admin_user)
    dispatch.deliver(subscription.pk, budget=2)
    assert len(receiver.received) == 1 and receiver.received[0].headers["host"] == f"partner.example.org:{port}"
    services.send_test(subscription, by=admin_user)
    dispatch.deliver(subscription.pk, budget=2)
    assert len(receiver.received) == 1
    assert list(Attempt.objects.order_by("id").values_list("outcome", flat=True)) == ["delivered", "refused"]
