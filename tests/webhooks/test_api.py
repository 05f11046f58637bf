"""``/api/v1/webhooks/`` (issue 14): a partner registers, reads, changes, tests and removes its own
organisation's subscriptions with its token; the signing secret is answered once (on registering
and on rotating) and never read back; unsafe endpoints, unknown event types and unknown fields are
refused with the field named; a read-only token reads but writes nothing; another organisation's
subscriptions are invisible (404), and administrators see them all."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from boards.models import ApiToken, Membership
from webhooks import secrets, services
from webhooks.models import Attempt, Event, EventType, Subscription

from ..conftest import token_client
from ..factories import MembershipFactory, PartyFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks/"
ENDPOINT = "https://hooks.party-a.example.org/devotracker"


def body(**overrides: Any) -> dict[str, Any]:
    return {"endpoint": ENDPOINT, "event_types": [EventType.OBLIGATION_UPDATED, EventType.ACTION_OVERDUE], **overrides}


def post(client: APIClient, url: str, data: Any = None) -> Any:
    return client.post(url, data, format="json")


def token_of(key: str) -> ApiToken:
    token = ApiToken.find(key)
    assert token is not None
    return token


def subscription_for(key: str, **fields: Any) -> Subscription:
    """A subscription of the token's user's organisation, registered through the service."""
    token = token_of(key)
    party = Membership.objects.filter(user=token.user, party__isnull=False).first().party  # type: ignore[union-attr]
    subscription, _secret = services.register(
        by=token.user, party=party, token=token, endpoint=fields.pop("endpoint", ENDPOINT), event_types=[EventType.OBLIGATION_UPDATED]
    )
    for name, value in fields.items():
        setattr(subscription, name, value)
    subscription.save()
    return subscription


def errors_of(response: Any) -> dict[str, list[str]]:
    data = response.json()
    assert set(data) >= {"detail", "code", "errors"}, data
    return data["errors"]  # type: ignore[no-any-return]


def fields_named(response: Any) -> set[str]:
    """The fields a 400 names (an item of a list is named ``field.index``)."""
    return {name.split(".")[0] for name in errors_of(response)}


# --- registering ---------------------------------------------------------------------------------


def test_a_write_token_registers_a_subscription_for_its_organisation_and_sees_the_secret_once(
    write_token: str, party_a: Any, partner: Any
) -> None:
    client = token_client(write_token)
    response = post(client, URL, body(description="Our case system", contact_email="integrations@party-a.example.org"))

    assert response.status_code == 201, response.content
    created = response.json()
    assert created["secret"].startswith(secrets.PREFIX) and len(created["secret"]) > 40
    assert created["party"] == "party-a"
    assert created["endpoint"] == ENDPOINT
    assert created["event_types"] == ["obligation.updated", "action.overdue"]
    assert created["is_active"] is True and created["token"] == token_of(write_token).prefix
    assert response["Location"] == created["url"] and created["url"].endswith(f"{URL}{created['id']}/")
    subscription = Subscription.objects.get()
    assert subscription.party == party_a and subscription.token == token_of(write_token) and subscription.created_by == partner
    assert subscription.description == "Our case system" and subscription.contact_email == "integrations@party-a.example.org"
    # Stored encrypted: the database holds no usable secret, but it opens to the one answered.
    assert created["secret"] not in subscription.secret and secrets.unseal(subscription.secret) == created["secret"]

    # Never again: not in the list, not in the item, not under any name.
    for url in (URL, created["url"], f"{created['url']}deliveries/"):
        again = client.get(url)
        assert again.status_code == 200
        assert created["secret"] not in again.content.decode() and "secret" not in again.content.decode().replace("previous_secret", "")
    assert "secret" not in client.get(created["url"]).json()


def test_a_read_only_token_may_not_register(read_token: str) -> None:
    response = post(token_client(read_token), URL, body())
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Subscription.objects.exists()


def test_a_session_may_not_register_through_the_api(admin_user: Any, party_a: Any) -> None:
    """The subscription reads as the token that registers it: a signed-in person has none
    (administrators register on the webhooks page)."""
    client = APIClient()
    client.force_login(admin_user)
    response = post(client, URL, body())
    assert response.status_code == 403 and "webhooks page" in response.json()["detail"]
    assert not Subscription.objects.exists()


def test_unknown_fields_are_refused_by_name(write_token: str) -> None:
    response = post(token_client(write_token), URL, body(secret="whsec_mine", evnet_types=["ping"]))
    assert response.status_code == 400
    assert errors_of(response) == {"evnet_types": ["Unknown field."], "secret": ["Unknown field."]}
    assert not Subscription.objects.exists()


def test_an_http_endpoint_is_refused(write_token: str, settings: Any) -> None:
    assert settings.WEBHOOKS_ALLOW_HTTP is False
    response = post(token_client(write_token), URL, body(endpoint="http://hooks.party-a.example.org/devotracker"))
    assert response.status_code == 400
    assert errors_of(response) == {"endpoint": ["The address must start with https://."]}
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://127.0.0.1/",
        "https://169.254.169.254/latest/meta-data",
        "https://10.0.0.5/",
        "https://[::1]/",
        "https://192.168.1.20:8443/hook",
        "https://[::ffff:10.0.0.5]/",
        "https://0.0.0.0/",
    ],
)
def test_a_private_loopback_or_link_local_address_is_refused(write_token: str, endpoint: str) -> None:
    response = post(token_client(write_token), URL, body(endpoint=endpoint))
    assert response.status_code == 400, response.content
    assert list(errors_of(response)) == ["endpoint"]
    assert "is not a public address" in errors_of(response)["endpoint"][0]
    assert not Subscription.objects.exists()


def test_an_address_with_a_password_is_refused(write_token: str) -> None:
    response = post(token_client(write_token), URL, body(endpoint="https://me:hunter2@hooks.party-a.example.org/"))
    assert response.status_code == 400
    assert errors_of(response) == {"endpoint": ["The address must not contain a user name or password."]}


@pytest.mark.parametrize(
    "event_types",
    [
        ["obligation.updated", "obligation.deleted"],
        ["ping"],  # a test event is sent on request, not subscribed to
        [],
        "obligation.updated",
        [7],
        None,
    ],
)
def test_event_types_must_be_a_non_empty_list_of_known_types(write_token: str, event_types: Any) -> None:
    response = post(token_client(write_token), URL, body(event_types=event_types))
    assert response.status_code == 400, response.content
    assert fields_named(response) == {"event_types"}
    assert not Subscription.objects.exists()


def test_an_unknown_event_type_is_named(write_token: str) -> None:
    response = post(token_client(write_token), URL, body(event_types=["obligation.updated", "obligation.deleted"]))
    assert errors_of(response) == {"event_types.1": ['"obligation.deleted" is not a valid choice.']}


def test_required_fields_are_named(write_token: str) -> None:
    response = post(token_client(write_token), URL, {})
    assert response.status_code == 400
    assert set(errors_of(response)) == {"endpoint", "event_types"}


def test_a_member_of_two_organisations_must_say_which_and_only_one_of_theirs(partner: Any, party_b: Any) -> None:
    MembershipFactory(user=partner, party=party_b, role=Membership.Role.OFFICER)
    PartyFactory(slug="party-c", name="Party C")
    client = token_client(ApiToken.issue(user=partner, scope=ApiToken.Scope.WRITE)[1])

    unnamed = post(client, URL, body())
    assert unnamed.status_code == 400 and list(errors_of(unnamed)) == ["party"]
    assert "several organisations" in errors_of(unnamed)["party"][0]
    other = post(client, URL, body(party="party-c"))
    assert other.status_code == 400 and errors_of(other) == {"party": ["Not an organisation you belong to."]}
    assert not Subscription.objects.exists()

    named = post(client, URL, body(party="party-b"))
    assert named.status_code == 201 and named.json()["party"] == "party-b"
    assert Subscription.objects.get().party == party_b


def test_a_member_of_one_organisation_may_not_name_another(write_token: str, party_b: Any) -> None:
    response = post(token_client(write_token), URL, body(party="party-b"))
    assert response.status_code == 400 and errors_of(response) == {"party": ["Not an organisation you belong to."]}
    assert not Subscription.objects.exists()


def test_a_user_of_no_organisation_is_told(db: Any) -> None:
    from ..factories import UserFactory

    loner = UserFactory(username="loner")
    response = post(token_client(ApiToken.issue(user=loner, scope=ApiToken.Scope.WRITE)[1]), URL, body())
    assert response.status_code == 400 and errors_of(response) == {"party": ["You belong to no organisation."]}


def test_the_body_must_be_json(write_token: str) -> None:
    client = token_client(write_token)
    for form in ("multipart", None):
        response = client.post(URL, {"endpoint": ENDPOINT, "event_types": "obligation.updated"}, **({"format": form} if form else {}))
        assert response.status_code == 415, form
    urlencoded = client.generic("POST", URL, f"endpoint={ENDPOINT}&event_types=obligation.updated", "application/x-www-form-urlencoded")
    assert urlencoded.status_code == 415
    assert not Subscription.objects.exists()


def test_the_list_is_json_only(write_token: str) -> None:
    client = token_client(write_token)
    subscription_for(write_token)
    assert client.get(URL, {"format": "csv"}).status_code == 406
    assert client.get(URL, HTTP_ACCEPT="text/csv").status_code == 406
    assert client.get(URL, {"page": 2}).status_code == 404


# --- reading -------------------------------------------------------------------------------------


def test_the_list_shows_only_the_callers_organisations_subscriptions(
    write_token: str, read_token: str, other_officer: Any, admin_user: Any
) -> None:
    mine = subscription_for(write_token)
    other_key = ApiToken.issue(user=other_officer, scope=ApiToken.Scope.WRITE)[1]
    theirs = subscription_for(other_key, endpoint="https://hooks.party-b.example.org/in")

    listed = token_client(read_token).get(URL)
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [mine.pk] and listed.json()["count"] == 1
    assert [row["id"] for row in token_client(other_key).get(URL).json()["results"]] == [theirs.pk]

    # Another organisation's subscription does not exist for the caller, whatever it tries.
    other_client = token_client(other_key)
    assert other_client.get(f"{URL}{mine.pk}/").status_code == 404
    assert other_client.get(f"{URL}{mine.pk}/deliveries/").status_code == 404
    assert other_client.patch(f"{URL}{mine.pk}/", {"is_active": False}, format="json").status_code == 404
    assert other_client.delete(f"{URL}{mine.pk}/").status_code == 404
    assert post(other_client, f"{URL}{mine.pk}/test/").status_code == 404
    assert post(other_client, f"{URL}{mine.pk}/rotate-secret/").status_code == 404
    mine.refresh_from_db()
    assert mine.is_active and not mine.events.exists() and mine.previous_secret == ""

    # Administrators see every organisation's.
    admin = APIClient()
    admin.force_login(admin_user)
    assert sorted(row["id"] for row in admin.get(URL).json()["results"]) == sorted([mine.pk, theirs.pk])
    assert admin.get(f"{URL}{theirs.pk}/").json()["party"] == "party-b"


def test_an_officer_of_the_organisation_reads_its_subscriptions_signed_in(write_token: str, officer: Any, other_officer: Any) -> None:
    mine = subscription_for(write_token)
    client = APIClient()
    client.force_login(officer)
    assert [row["id"] for row in client.get(URL).json()["results"]] == [mine.pk]
    client.force_login(other_officer)
    assert client.get(URL).json()["results"] == []


def test_anonymous_callers_are_told_to_authenticate(write_token: str) -> None:
    subscription = subscription_for(write_token)
    api = APIClient()
    assert api.get(URL).status_code == 401
    assert api.get(f"{URL}{subscription.pk}/").status_code == 401
    assert post(api, URL, body()).status_code == 401


def test_a_subscription_reads_as_documented(write_token: str) -> None:
    subscription = subscription_for(write_token, description="Case system", contact_email="ops@party-a.example.org")
    data = token_client(write_token).get(f"{URL}{subscription.pk}/").json()
    assert set(data) == {
        "id",
        "url",
        "party",
        "endpoint",
        "event_types",
        "description",
        "contact_email",
        "token",
        "is_active",
        "disabled_at",
        "disabled_reason",
        "failing_since",
        "previous_secret_expires_at",
        "created_at",
        "deliveries",
    }
    assert data["deliveries"].endswith(f"{URL}{subscription.pk}/deliveries/")
    assert data["created_at"].endswith("Z") and data["failing_since"] is None


def test_a_listing_is_not_answered_304_after_a_subscription_changes(write_token: str) -> None:
    """Subscriptions and their logs change without a change of the data the API serves: a copy
    validated by the data's ETag would be stale."""
    client = token_client(write_token)
    subscription = subscription_for(write_token)
    first = client.get(f"{URL}{subscription.pk}/")
    validator = first.get("ETag")
    services.change(subscription, by=token_of(write_token).user, is_active=False)
    again = client.get(f"{URL}{subscription.pk}/", HTTP_IF_NONE_MATCH=validator or '"x"')
    assert again.status_code == 200 and again.json()["is_active"] is False


# --- changing and removing -----------------------------------------------------------------------


def test_patch_changes_the_endpoint_events_and_state(write_token: str, partner: Any) -> None:
    subscription = subscription_for(write_token)
    client = token_client(write_token)
    url = f"{URL}{subscription.pk}/"

    response = client.patch(
        url, {"endpoint": "https://hooks.party-a.example.org/v2", "event_types": ["paper.published", "period.closed"]}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["endpoint"] == "https://hooks.party-a.example.org/v2"
    assert response.json()["event_types"] == ["paper.published", "period.closed"]

    paused = client.patch(url, {"is_active": False}, format="json")
    assert paused.status_code == 200 and paused.json()["is_active"] is False
    subscription.refresh_from_db()
    assert not subscription.is_active and subscription.disabled_at is not None and str(partner) in subscription.disabled_reason

    resumed = client.patch(url, {"is_active": True}, format="json")
    assert resumed.status_code == 200 and resumed.json()["is_active"] is True and resumed.json()["disabled_at"] is None
    subscription.refresh_from_db()
    assert subscription.endpoint == "https://hooks.party-a.example.org/v2" and subscription.disabled_reason == ""


def test_patch_refuses_unknown_fields_and_unsafe_values(write_token: str) -> None:
    subscription = subscription_for(write_token)
    client = token_client(write_token)
    url = f"{URL}{subscription.pk}/"

    unknown = client.patch(url, {"party": "party-b", "token": "abc"}, format="json")
    assert unknown.status_code == 400 and errors_of(unknown) == {"party": ["Unknown field."], "token": ["Unknown field."]}
    private = client.patch(url, {"endpoint": "https://169.254.169.254/latest/meta-data"}, format="json")
    assert private.status_code == 400 and list(errors_of(private)) == ["endpoint"]
    http = client.patch(url, {"endpoint": "http://hooks.party-a.example.org/"}, format="json")
    assert http.status_code == 400 and list(errors_of(http)) == ["endpoint"]
    empty = client.patch(url, {"event_types": []}, format="json")
    assert empty.status_code == 400 and fields_named(empty) == {"event_types"}
    bogus = client.patch(url, {"event_types": ["commitment.deleted"]}, format="json")
    assert bogus.status_code == 400 and fields_named(bogus) == {"event_types"}
    for loose in (1, "true", "yes", None):  # true or false, as the schema says
        refused = client.patch(url, {"is_active": loose}, format="json")
        assert refused.status_code == 400 and fields_named(refused) == {"is_active"}, loose

    subscription.refresh_from_db()
    assert subscription.endpoint == ENDPOINT and subscription.event_types == [EventType.OBLIGATION_UPDATED]


def test_put_is_not_offered(write_token: str) -> None:
    subscription = subscription_for(write_token)
    assert token_client(write_token).put(f"{URL}{subscription.pk}/", body(), format="json").status_code == 405


def test_delete_removes_the_subscription_and_its_log(write_token: str) -> None:
    subscription = subscription_for(write_token)
    services.send_test(subscription, by=token_of(write_token).user)
    response = token_client(write_token).delete(f"{URL}{subscription.pk}/")
    assert response.status_code == 204
    assert not Subscription.objects.exists() and not Event.objects.exists()
    assert token_client(write_token).get(f"{URL}{subscription.pk}/").status_code == 404


# --- the delivery log and its buttons ------------------------------------------------------------


def test_a_test_event_is_queued_and_shows_in_the_log(write_token: str) -> None:
    subscription = subscription_for(write_token)
    client = token_client(write_token)
    response = post(client, f"{URL}{subscription.pk}/test/")
    assert response.status_code == 201, response.content
    ping = response.json()
    assert ping["type"] == "ping" and ping["state"] == "pending" and ping["attempts"] == 0 and ping["tries"] == []
    assert ping["id"].startswith("msg_")
    assert ping["payload"]["type"] == "ping" and ping["payload"]["data"]["party"] == "party-a"

    log = client.get(f"{URL}{subscription.pk}/deliveries/").json()
    assert [row["id"] for row in log["results"]] == [ping["id"]]
    assert Event.objects.get().subscription == subscription


def test_the_log_lists_events_newest_first_with_their_tries_and_filters_by_state(write_token: str) -> None:
    subscription = subscription_for(write_token)
    user = token_of(write_token).user
    older, newer = services.send_test(subscription, by=user), services.send_test(subscription, by=user)
    now = timezone.now()
    Attempt.objects.create(event=older, at=now - dt.timedelta(minutes=2), outcome=Attempt.Outcome.FAILED, status_code=500, latency_ms=12)
    Attempt.objects.create(event=older, at=now - dt.timedelta(minutes=1), outcome=Attempt.Outcome.DELIVERED, status_code=204, latency_ms=8)
    Event.objects.filter(pk=older.pk).update(state=Event.State.DELIVERED, attempts=2, delivered_at=now, next_attempt_at=None)
    client = token_client(write_token)
    url = f"{URL}{subscription.pk}/deliveries/"

    rows = client.get(url).json()["results"]
    assert [row["id"] for row in rows] == [newer.msg_id, older.msg_id]
    assert rows[1]["state"] == "delivered" and rows[1]["attempts"] == 2
    assert [(t["outcome"], t["status_code"]) for t in rows[1]["tries"]] == [("delivered", 204), ("failed", 500)]
    assert rows[1]["tries"][0]["at"].endswith("Z") and rows[1]["delivered_at"] is not None
    assert rows[0]["tries"] == [] and rows[0]["next_attempt_at"] is not None

    assert [row["id"] for row in client.get(url, {"state": "delivered"}).json()["results"]] == [older.msg_id]
    assert [row["id"] for row in client.get(url, {"state": "pending"}).json()["results"]] == [newer.msg_id]
    assert client.get(url, {"state": "failed"}).json()["results"] == []
    bogus = client.get(url, {"state": "bogus"})
    assert bogus.status_code == 400 and list(errors_of(bogus)) == ["state"]


def test_an_event_is_redelivered_with_its_tries_counted_afresh(write_token: str) -> None:
    subscription = subscription_for(write_token)
    event = services.send_test(subscription, by=token_of(write_token).user)
    Attempt.objects.create(event=event, outcome=Attempt.Outcome.FAILED, status_code=500)
    Event.objects.filter(pk=event.pk).update(state=Event.State.FAILED, attempts=10, next_attempt_at=None)
    client = token_client(write_token)

    response = post(client, f"{URL}{subscription.pk}/deliveries/{event.msg_id}/redeliver/")
    assert response.status_code == 200, response.content
    assert response.json()["id"] == event.msg_id and response.json()["state"] == "pending" and response.json()["attempts"] == 0
    assert len(response.json()["tries"]) == 1  # the log keeps the earlier tries
    event.refresh_from_db()
    assert event.state == Event.State.PENDING and event.attempts == 0 and event.next_attempt_at is not None

    assert post(client, f"{URL}{subscription.pk}/deliveries/msg_{'0' * 32}/redeliver/").status_code == 404
    assert post(client, f"{URL}{subscription.pk}/deliveries/not-an-id/redeliver/").status_code == 404


def test_an_event_of_another_subscription_is_not_redelivered_through_this_one(write_token: str) -> None:
    first, second = subscription_for(write_token), subscription_for(write_token, endpoint="https://other.party-a.example.org/")
    event = services.send_test(second, by=token_of(write_token).user)
    Event.objects.filter(pk=event.pk).update(state=Event.State.DELIVERED, attempts=1)
    assert post(token_client(write_token), f"{URL}{first.pk}/deliveries/{event.msg_id}/redeliver/").status_code == 404
    assert Event.objects.get(pk=event.pk).state == Event.State.DELIVERED


def test_rotating_answers_a_new_secret_and_keeps_the_old_one_for_a_day(write_token: str) -> None:
    client = token_client(write_token)
    created = post(client, URL, body()).json()
    before = timezone.now()

    response = post(client, f"{URL}{created['id']}/rotate-secret/")
    assert response.status_code == 200, response.content
    data = response.json()
    assert set(data) == {"secret", "previous_secret_expires_at"}
    assert data["secret"].startswith(secrets.PREFIX) and data["secret"] != created["secret"]
    expires = parse_datetime(data["previous_secret_expires_at"])
    assert expires is not None
    assert abs(expires - (before + dt.timedelta(hours=24))) < dt.timedelta(minutes=1)

    subscription = Subscription.objects.get()
    assert secrets.unseal(subscription.secret) == data["secret"] and secrets.unseal(subscription.previous_secret) == created["secret"]
    shown = client.get(f"{URL}{created['id']}/").json()
    assert shown["previous_secret_expires_at"] == data["previous_secret_expires_at"]
    assert data["secret"] not in json.dumps(shown)


# --- a read-only token writes nothing ------------------------------------------------------------


def test_every_write_with_a_read_only_token_is_refused(write_token: str, read_token: str) -> None:
    subscription = subscription_for(write_token)
    event = services.send_test(subscription, by=token_of(write_token).user)
    Event.objects.filter(pk=event.pk).update(state=Event.State.FAILED, attempts=10)
    stored = Subscription.objects.values().get(pk=subscription.pk)
    client = token_client(read_token)
    item = f"{URL}{subscription.pk}/"

    for response in (
        post(client, URL, body()),
        client.patch(item, {"is_active": False}, format="json"),
        client.delete(item),
        post(client, f"{item}test/"),
        post(client, f"{item}rotate-secret/"),
        post(client, f"{item}deliveries/{event.msg_id}/redeliver/"),
    ):
        assert response.status_code == 403, (response.request["PATH_INFO"], response.content)
        assert response.json()["code"] == "permission_denied"

    assert Subscription.objects.values().get(pk=subscription.pk) == stored
    assert Subscription.objects.count() == 1 and Event.objects.count() == 1
    assert Event.objects.get().state == Event.State.FAILED
    # Reading is allowed.
    assert client.get(item).status_code == 200 and client.get(f"{item}deliveries/").status_code == 200


def test_a_signed_in_officer_of_the_organisation_may_manage_but_not_register(write_token: str, officer: Any) -> None:
    """A session has no scope: its user's roles decide, and an officer of the organisation may
    change its subscriptions (registering needs a token, which the subscription reads as)."""
    subscription = subscription_for(write_token)
    client = APIClient()
    client.force_login(officer)
    assert client.patch(f"{URL}{subscription.pk}/", {"description": "Changed by Alice"}, format="json").status_code == 200
    assert post(client, f"{URL}{subscription.pk}/test/").status_code == 201
    assert post(client, URL, body()).status_code == 403


# --- the schema ----------------------------------------------------------------------------------


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = spec["components"]["schemas"][name]
    return schema


def test_the_schema_documents_the_webhooks_operations(api: APIClient) -> None:
    spec = json.loads(api.get("/api/v1/schema/?format=json").content)
    paths = spec["paths"]
    assert set(paths[URL]) >= {"get", "post"}
    assert set(paths[f"{URL}{{id}}/"]) >= {"get", "patch", "delete"} and "put" not in paths[f"{URL}{{id}}/"]
    assert "get" in paths[f"{URL}{{id}}/deliveries/"]
    for action in ("test", "rotate-secret", "deliveries/{msg_id}/redeliver"):
        assert "post" in paths[f"{URL}{{id}}/{action}/"], action

    create = paths[URL]["post"]
    assert list(create["requestBody"]["content"]) == ["application/json"]
    request = _resolve(spec, create["requestBody"]["content"]["application/json"]["schema"])
    assert set(request["required"]) == {"endpoint", "event_types"}
    assert request["additionalProperties"] is False
    items = _resolve(spec, request["properties"]["event_types"]["items"])
    assert items["enum"] == services.SUBSCRIBABLE
    assert request["properties"]["event_types"]["minItems"] == 1
    created = _resolve(spec, create["responses"]["201"]["content"]["application/json"]["schema"])
    assert "secret" in created["properties"]
    shown = _resolve(spec, paths[f"{URL}{{id}}/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"])
    assert "secret" not in shown["properties"]
    states = {p["name"]: p for p in paths[f"{URL}{{id}}/deliveries/"]["get"]["parameters"]}["state"]
    assert sorted(states["schema"]["enum"]) == sorted(Event.State.values)


def test_every_answer_conforms_to_the_schema(write_token: str, read_token: str, api: APIClient) -> None:
    """Each webhooks operation's answers, with real subscriptions and logs in every state, checked
    against the published schema by schemathesis's own response check (its run in
    tests/api/test_schema.py meets no subscription, so cannot)."""
    import schemathesis
    from werkzeug.test import EnvironBuilder, TestResponse
    from werkzeug.wrappers import Request

    schema = schemathesis.openapi.from_dict(json.loads(api.get("/api/v1/schema/?format=json").content))
    checked: list[tuple[str, str, int]] = []

    def conforms(method: str, template: str, url: str, response: Any) -> Any:
        request = Request(EnvironBuilder(method=method, path=url).get_environ())
        answer = TestResponse([response.content], status=response.status_code, headers=list(response.headers.items()), request=request)
        schema[template][method].validate_response(answer)
        checked.append((method, template, response.status_code))
        return response

    client, reader = token_client(write_token), token_client(read_token)
    item, log = f"{URL}{{id}}/", f"{URL}{{id}}/deliveries/"
    created = conforms("POST", URL, URL, post(client, URL, body())).json()
    conforms("POST", URL, URL, post(client, URL, body(contact_email="ops@party-a.example.org", description="Case system")))
    conforms("POST", URL, URL, post(client, URL, body(endpoint="https://10.0.0.5/")))
    conforms("POST", URL, URL, post(reader, URL, body()))
    conforms("POST", URL, URL, post(APIClient(), URL, body()))
    one = f"{URL}{created['id']}/"
    conforms("GET", URL, URL, client.get(URL))
    conforms("GET", URL, f"{URL}?page=9", client.get(URL, {"page": 9}))
    conforms("GET", URL, URL, client.get(URL, HTTP_ACCEPT="text/csv"))
    conforms("POST", f"{item}rotate-secret/", f"{one}rotate-secret/", post(client, f"{one}rotate-secret/"))
    ping = conforms("POST", f"{item}test/", f"{one}test/", post(client, f"{one}test/")).json()
    event = Event.objects.get(msg_id=ping["id"])
    Attempt.objects.create(event=event, outcome=Attempt.Outcome.FAILED, error="Timed out waiting for the answer.")
    Attempt.objects.create(event=event, outcome=Attempt.Outcome.DELIVERED, status_code=200, latency_ms=9, response_body="ok")
    Event.objects.filter(pk=event.pk).update(state=Event.State.DELIVERED, attempts=2, delivered_at=timezone.now(), next_attempt_at=None)
    Subscription.objects.filter(pk=created["id"]).update(failing_since=timezone.now())
    conforms("PATCH", item, one, client.patch(one, {"is_active": False}, format="json"))
    conforms("PATCH", item, one, client.patch(one, {"endpoint": "ftp://hooks.party-a.example.org/"}, format="json"))
    conforms("PATCH", item, one, reader.patch(one, {"is_active": True}, format="json"))
    conforms("GET", item, one, client.get(one))
    conforms("GET", item, f"{URL}999999/", client.get(f"{URL}999999/"))
    conforms("GET", log, f"{one}deliveries/", client.get(f"{one}deliveries/"))
    conforms("GET", log, f"{one}deliveries/?state=bogus", client.get(f"{one}deliveries/", {"state": "bogus"}))
    redeliver = f"{log}{{msg_id}}/redeliver/"
    conforms("POST", redeliver, f"{one}deliveries/{event.msg_id}/redeliver/", post(client, f"{one}deliveries/{event.msg_id}/redeliver/"))
    missing = f"{one}deliveries/msg_{'0' * 32}/redeliver/"
    conforms("POST", redeliver, missing, post(client, missing))
    conforms("DELETE", item, one, reader.delete(one))
    conforms("DELETE", item, one, client.delete(one))
    assert {(method, status) for method, _template, status in checked} >= {
        ("POST", 201),
        ("POST", 200),
        ("POST", 400),
        ("POST", 401),
        ("POST", 403),
        ("POST", 404),
        ("GET", 200),
        ("GET", 400),
        ("GET", 404),
        ("GET", 406),
        ("PATCH", 200),
        ("PATCH", 400),
        ("PATCH", 403),
        ("DELETE", 403),
        ("DELETE", 204),
    }
