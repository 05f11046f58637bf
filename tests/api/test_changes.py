"""The sync feed (``/api/v1/changes/``): every create, update and delete after a cursor, in commit
order, so a follower neither misses nor repeats a change, even with concurrent writers and a
writer that commits late.

These tests commit for real (``transactional_db``) and write from threads, each with its own
PostgreSQL connection. The feed serves a change only once every older transaction has finished,
and PostgreSQL's horizon is cluster-wide, so an unrelated long transaction elsewhere on the same
server can delay (never reorder or drop) what the feed shows: followers here therefore poll with a
deadline rather than expect every change at once.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.test import Client
from rest_framework.test import APIClient

from boards.models import Meeting
from commitments import services
from commitments.api.views import decode_cursor, encode_cursor
from commitments.models import Change, Obligation

from ..factories import CommitmentFactory, ObligationFactory

# serial: the feed serves only what every running transaction can see, and PostgreSQL's snapshot
# horizon spans the whole server, so another test's open transaction (in another xdist worker's
# database) would hold the feed back.
pytestmark = [pytest.mark.postgresql(reason="the sync feed's cursors are PostgreSQL transaction ids and snapshots"), pytest.mark.serial]


def drain(
    client: APIClient, cursor: str, *, until: Callable[[list[dict[str, Any]]], bool], timeout: float = 30, **params: Any
) -> tuple[list[dict[str, Any]], str]:
    """Follow the feed from ``cursor`` until ``until(seen)`` holds and nothing more is ready."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while True:
        response = client.get("/api/v1/changes/", {"after": cursor, **params})
        assert response.status_code == 200, response.content
        body = response.json()
        seen.extend(body["results"])
        cursor = body["next_cursor"]
        if not body["has_more"] and until(seen):
            return seen, cursor
        if time.monotonic() > deadline:
            raise AssertionError(f"the feed did not catch up in {timeout}s: {len(seen)} changes seen")
        if not body["has_more"]:
            time.sleep(0.05)


def c_fields(change: dict[str, Any]) -> dict[str, Any]:
    return {k: change[k] for k in ("resource", "key", "op", "version", "at")}


def head(client: APIClient) -> str:
    response = client.get("/api/v1/changes/head/")
    assert response.status_code == 200
    return str(response.json()["cursor"])


def update(obligation_id: int, progress: int, by: Any) -> None:
    ob = Obligation.objects.get(pk=obligation_id)
    services.record_update(ob, by=by, version=ob.version, data=services.UpdateInput(progress=progress))


# --- the feed's shape ---------------------------------------------------------------------------


def test_creates_updates_and_deletes_appear_with_links_and_tombstones(
    transactional_db: Any, reader: APIClient, officer: Any, obligation: Any, admin_user: Any
) -> None:
    start = head(reader)
    update(obligation.pk, 10, officer)
    action = services.add_action(obligation, by=officer, description="Agree the plan", due_date=dt.date(2030, 1, 31))
    action_pk = action.pk
    # Created and deleted where the product does: the admin (which records the change, as every
    # writer does; an action with history cannot be deleted there, a meeting can).
    admin = Client()
    admin.force_login(admin_user)
    response = admin.post(
        "/admin/boards/meeting/add/",
        {
            "board": obligation.commitment.lead_board_id,
            "date": "2030-02-01",
            "date_precision": "day",
            "title": "Board meeting",
            "sources": "[]",
        },
    )
    assert response.status_code == 302, response.content
    meeting_pk = Meeting.objects.get(title="Board meeting").pk
    assert admin.post(f"/admin/boards/meeting/{meeting_pk}/delete/", {"post": "yes"}).status_code == 302
    seen, _ = drain(reader, start, until=lambda s: any(c["op"] == "delete" for c in s))
    triples = [(c["resource"], c["key"], c["op"]) for c in seen]
    assert ("obligations", str(obligation.pk), "update") in triples
    assert ("actions", str(action_pk), "create") in triples
    assert triples.index(("meetings", str(meeting_pk), "create")) < triples.index(("meetings", str(meeting_pk), "delete"))
    ob_change = next(c for c in seen if c["resource"] == "obligations" and c["op"] == "update")
    assert ob_change["version"] == 2 and ob_change["at"].endswith("Z")
    assert ob_change["url"] == f"http://testserver/api/v1/obligations/{obligation.pk}/"
    # The link works for the live object; after a delete it answers 404 (the tombstone says why).
    assert reader.get(ob_change["url"]).status_code == 200
    tombstone = next(c for c in seen if c["op"] == "delete")
    assert reader.get(tombstone["url"]).status_code == 404
    assert any(c["resource"] == "status-updates" and c["op"] == "create" for c in seen)


def test_the_feed_from_the_start_holds_every_change_once_in_order(
    transactional_db: Any, reader: APIClient, officer: Any, obligation: Any
) -> None:
    for progress in (10, 20, 30):
        update(obligation.pk, progress, officer)
    everything = Change.objects.count()
    seen, cursor = drain(reader, "", until=lambda s: len(s) >= everything, limit=2)
    assert len(seen) == everything
    versions = [c["version"] for c in seen if c["resource"] == "obligations" and c["key"] == str(obligation.pk)]
    assert versions == sorted(versions) and versions[-3:] == [2, 3, 4]
    # Nothing new: the same cursor comes back and has_more is false.
    again = reader.get("/api/v1/changes/", {"after": cursor}).json()
    assert again == {"results": [], "next_cursor": cursor, "has_more": False}


def test_limit_has_more_and_resource_filter(transactional_db: Any, reader: APIClient, officer: Any, obligation: Any) -> None:
    start = head(reader)
    for progress in (5, 6, 7):
        update(obligation.pk, progress, officer)
    # 3 obligation updates and 3 status-update rows (the head may sit a little earlier when another
    # transaction on the server was open: it replays, it never skips).
    drain(reader, start, until=lambda s: sum(c["op"] == "update" for c in s) >= 3)
    first = reader.get("/api/v1/changes/", {"after": start, "limit": 2}).json()
    assert len(first["results"]) == 2 and first["has_more"] is True
    only = reader.get("/api/v1/changes/", {"after": start, "resource": "obligations"}).json()
    assert {c["resource"] for c in only["results"]} == {"obligations"}
    assert [c["version"] for c in only["results"] if c["op"] == "update"] == [2, 3, 4]
    both = reader.get(f"/api/v1/changes/?after={start}&resource=obligations&resource=status-updates").json()
    assert {c["resource"] for c in both["results"]} == {"obligations", "status-updates"}
    assert sum(c["resource"] == "status-updates" for c in both["results"]) >= 3
    assert reader.get("/api/v1/changes/", {"limit": 100000}).status_code == 200  # clamped, not refused


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"after": "not a cursor"}, "after"),
        ({"after": "djE6MTox"[:-1] + "!"}, "after"),
        ({"after": encode_cursor(1, 1)[:-2]}, "after"),
        ({"after": "dGV4dA"}, "after"),  # base64 of "text"
        ({"after": "x" * 500}, "after"),
        ({"limit": "0"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "-5"}, "limit"),
        ({"resource": "users"}, "resource"),
    ],
)
def test_bad_cursors_and_limits_are_400_with_field_errors(
    transactional_db: Any, reader: APIClient, params: dict[str, str], field: str
) -> None:
    response = reader.get("/api/v1/changes/", params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_cursors_round_trip_and_stay_opaque(transactional_db: Any) -> None:
    cursor = encode_cursor(123456789, 42)
    assert decode_cursor(cursor) == (123456789, 42)
    assert "123456789" not in cursor and "=" not in cursor
    assert decode_cursor("") == (0, 0)


# --- concurrency ------------------------------------------------------------------------------


def test_a_late_committing_writer_is_neither_missed_nor_overtaken(
    transactional_db: Any, reader: APIClient, officer: Any, obligation: Any, party_a: Any
) -> None:
    """Writer A takes its transaction id first and commits last; writer B commits in between.

    A follower keyed on the change row's id would read B's row (the larger id) while A's is still
    invisible, move past it, and never see A's change. The feed must hold B back until A is done.
    (B's obligation is under another commitment: two updates under one commitment queue on its
    roll-up row, so B would simply wait for A.)
    """
    other_obligation = ObligationFactory(party=party_a, commitment=CommitmentFactory(ref="LATE-B"))
    start = head(reader)
    a_wrote = threading.Event()
    a_may_commit = threading.Event()
    errors: list[BaseException] = []

    def writer_a() -> None:
        try:
            with transaction.atomic():
                update(obligation.pk, 11, officer)
                a_wrote.set()
                assert a_may_commit.wait(30)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=writer_a)
    thread.start()
    assert a_wrote.wait(30)
    # Writer B (this thread, autocommit) commits while A is still open.
    update(other_obligation.pk, 22, officer)
    time.sleep(0.2)
    while_open = reader.get("/api/v1/changes/", {"after": start}).json()
    keys = {(c["resource"], c["key"]) for c in while_open["results"] if c["op"] == "update"}
    assert ("obligations", str(other_obligation.pk)) not in keys, "B was served while A, older, was still running"
    assert ("obligations", str(obligation.pk)) not in keys
    a_may_commit.set()
    thread.join(30)
    assert not errors, errors
    seen, _ = drain(reader, while_open["next_cursor"], until=lambda s: sum(c["op"] == "update" for c in s) >= 2)
    order = [c["key"] for c in seen if c["resource"] == "obligations" and c["op"] == "update"]
    # A took its transaction id first, so it comes first, although it committed last.
    assert order == [str(obligation.pk), str(other_obligation.pk)]


def test_a_follower_under_concurrent_writers_sees_every_change_exactly_once(transactional_db: Any, reader: APIClient, officer: Any) -> None:
    writers, per_writer = 4, 12
    party = officer.memberships.first().party
    # One commitment each: updates under one commitment queue on its roll-up row.
    obligation_ids = [ObligationFactory(party=party, commitment=CommitmentFactory(ref=f"CONC-{i}")).pk for i in range(writers)]
    start = head(reader)
    baseline = Change.objects.order_by("-id").values_list("id", flat=True).first() or 0
    done = threading.Event()
    errors: list[BaseException] = []

    def write(index: int) -> None:
        rng = random.Random(index)
        try:
            for n in range(per_writer):
                with transaction.atomic():
                    update(obligation_ids[index], n + 1, officer)
                    # Some transactions stay open a while: late commits, interleaved with others.
                    if rng.random() < 0.3:
                        time.sleep(rng.uniform(0.01, 0.15))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()

    # The follower polls with a small page while the writers run, as a partner would.
    seen: list[dict[str, Any]] = []
    cursor = start
    while not done.is_set():
        body = reader.get("/api/v1/changes/", {"after": cursor, "limit": 7}).json()
        seen.extend(body["results"])
        cursor = body["next_cursor"]
        if all(not t.is_alive() for t in threads):
            done.set()
        time.sleep(0.01)
    for t in threads:
        t.join()
    assert not errors, errors

    # A change's identity includes its time: a commitment's roll-up updates share its version.
    def identity(resource: str, key: str, op: str, version: Any, at: Any) -> tuple[Any, ...]:
        return (resource, key, op, version, at if isinstance(at, str) else at.isoformat().replace("+00:00", "Z"))

    written = Counter(identity(ch.resource, ch.key, ch.op, ch.version, ch.at) for ch in Change.objects.filter(id__gt=baseline))
    # Each update: the obligation, its history row and (its progress moves the roll-up) the commitment.
    assert sum(written.values()) == writers * per_writer * 3
    rest, _ = drain(reader, cursor, until=lambda s: not written - Counter(identity(**c_fields(c)) for c in seen + s))
    seen.extend(rest)

    identities = Counter(identity(**c_fields(c)) for c in seen)
    assert max(identities.values()) == 1, "a change was served twice"
    # Exactly the rows after the starting cursor: every write of the writers, nothing twice, nothing
    # else. (The head cursor sits a little early when another transaction on the server was open
    # when it was taken; then a few older rows are replayed, once, before the writers' rows.)
    txid, change_id = decode_cursor(start)
    after_start = Change.objects.filter(Q(txid__gt=txid) | Q(txid=txid, id__gt=change_id))
    assert identities == Counter(identity(ch.resource, ch.key, ch.op, ch.version, ch.at) for ch in after_start)
    assert not written - identities
    # Each obligation's versions arrive in the order they were written.
    for pk in obligation_ids:
        versions = [c["version"] for c in seen if c["resource"] == "obligations" and c["key"] == str(pk) and c["op"] == "update"]
        assert versions == list(range(2, per_writer + 2))


def test_head_then_full_pull_then_follow_misses_nothing(transactional_db: Any, reader: APIClient, officer: Any, obligation: Any) -> None:
    """The documented recipe: take a cursor, pull the lists, follow the feed from the cursor."""
    cursor = head(reader)
    snapshot = {o["id"]: o["version"] for o in reader.get("/api/v1/obligations/").json()["results"]}
    update(obligation.pk, 70, officer)  # a change after the pull
    seen, _ = drain(reader, cursor, until=lambda s: any(c["resource"] == "obligations" and c["op"] == "update" for c in s))
    change = next(c for c in seen if c["resource"] == "obligations" and c["op"] == "update")
    assert change["key"] == str(obligation.pk) and change["version"] == snapshot[obligation.pk] + 1
    assert reader.get(change["url"]).json()["progress"] == 70


def test_a_roll_up_change_is_an_update_of_the_commitment(transactional_db: Any, reader: APIClient, officer: Any, obligation: Any) -> None:
    """The commitment's shown state follows its obligations: when the roll-up moves, partners
    following the feed (or asking updated_since) hear of the commitment too."""
    start = head(reader)
    before = reader.get("/api/v1/commitments/TST-001/").json()
    update(obligation.pk, 50, officer)  # roll-up progress 0 -> 50
    seen, _ = drain(reader, start, until=lambda s: any(c["resource"] == "commitments" and c["op"] == "update" for c in s))
    change = next(c for c in seen if c["resource"] == "commitments" and c["op"] == "update")
    assert change["key"] == "TST-001" and change["url"].endswith("/api/v1/commitments/TST-001/")
    after = reader.get(change["url"]).json()
    assert after["rollup"]["progress"] == 50 and after["updated_at"] > before["updated_at"]
    since = reader.get("/api/v1/commitments/", {"updated_since": before["updated_at"].replace("Z", "+00:00")}).json()
    assert [c["ref"] for c in since["results"]] == ["TST-001"]
    # A note changes no roll-up: no commitment change.
    commitment_updates = Change.objects.filter(resource="commitments", key="TST-001", op="update")
    count = commitment_updates.count()
    ob = Obligation.objects.get(pk=obligation.pk)
    services.record_update(ob, by=officer, version=ob.version, data=services.UpdateInput(note="just a note"))
    assert commitment_updates.count() == count
