"""Concurrent writers on one obligation, on PostgreSQL, through both doors at once.

Twenty clients, each in its own thread with its own database connection, update party A's
obligation: ten through the API (a write token; five send the version they read in the body, five
in ``If-Match``) and ten through the browser's update form (a signed-in officer posting the form's
hidden ``version``). Every client reads the version first (the API's object, the form page), then
all are released together by a barrier.

What must hold (issue 8 §2): every accepted write has exactly one history row and every rejected one
none; a rejected API write got 409 (body version) or 412 (If-Match) and a rejected form the conflict
page; versions are contiguous; each history row starts from the state the previous one left
(nothing interleaved); the final state is the last accepted write's. A second test retries every
refused writer until all twenty land, each exactly once.
"""

from __future__ import annotations

import itertools
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connections
from django.test import Client
from rest_framework.test import APIClient

from boards.models import ApiToken
from commitments.models import Obligation, StatusUpdate

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
    pytest.mark.postgresql(
        reason="twenty threads writing at once: the in-memory SQLite test database locks its shared cache with no busy timeout"
    ),
]

WRITERS = 20
RAGS = ("red", "amber", "green")


@dataclass
class Attempt:
    """What one client was told about one write."""

    writer: int
    door: str  # "api-body", "api-if-match" or "form"
    seen_version: int
    status: int
    accepted: bool
    version_after: int | None  # the API's answer (the form's redirect does not say)


def door_of(writer: int) -> str:
    if writer % 2 == 0:
        return "form"
    return "api-if-match" if writer % 4 == 1 else "api-body"


def token_of(writer: int) -> str:
    return f"writer-{writer:02d}"


class Writer:
    """One client: reads the version through its door, then writes with it."""

    def __init__(self, writer: int, obligation_id: int, officer: Any, api_key: str) -> None:
        self.writer, self.door, self.obligation_id = writer, door_of(writer), obligation_id
        if self.door == "form":
            self.client: Client = Client()
            self.client.force_login(officer)
        else:
            api = APIClient()
            api.credentials(HTTP_AUTHORIZATION=f"Token {api_key}")
            self.client = api

    def read_version(self) -> int:
        if self.door == "form":
            page = self.client.get(f"/obligations/{self.obligation_id}/update/")
            assert page.status_code == 200
            return int(re.search(rb'name="version" value="(\d+)"', page.content).group(1))
        response = self.client.get(f"/api/v1/obligations/{self.obligation_id}/")
        assert response.status_code == 200
        return int(response.json()["version"])

    def write(self, version: int) -> Attempt:
        progress = 1 + self.writer * 4  # distinct per writer, so the final state names its writer
        rag = RAGS[self.writer % 3]
        note = f"{token_of(self.writer)} recorded progress"
        if self.door == "form":
            response = self.client.post(
                f"/obligations/{self.obligation_id}/update/",
                {
                    "version": version,
                    "status": "in_progress",
                    "rag": rag,
                    "progress": progress,
                    "reason": "Concurrency drill",
                    "note": note,
                },
            )
            accepted = response.status_code == 302
            if not accepted:
                assert response.status_code == 409, response.status_code
                assert b'id="conflict"' in response.content and b"has <strong>not</strong> been saved" in response.content
            return Attempt(self.writer, self.door, version, response.status_code, accepted, None)
        body: dict[str, Any] = {"status": "in_progress", "rag": rag, "progress": progress, "reason": "Concurrency drill", "note": note}
        headers = {}
        if self.door == "api-if-match":
            headers["HTTP_IF_MATCH"] = f'"{version}"'
        else:
            body["version"] = version
        response = self.client.post(f"/api/v1/obligations/{self.obligation_id}/updates/", body, format="json", **headers)
        accepted = response.status_code == 201
        if not accepted:
            expected = 412 if self.door == "api-if-match" else 409
            assert response.status_code == expected, (response.status_code, response.content[:300])
            assert response.json()["current"]["version"] > version
        return Attempt(self.writer, self.door, version, response.status_code, accepted, response.json()["version"] if accepted else None)


def run_together(writers: list[Writer], work: Any) -> list[Any]:
    """Run ``work(writer, barrier)`` for every writer in its own thread, each with its own
    database connection (Django's connections are per thread), closed when the thread ends."""
    barrier = threading.Barrier(len(writers), timeout=60)

    def body(w: Writer) -> Any:
        try:
            return work(w, barrier)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(writers)) as pool:
        return list(pool.map(body, writers))


@pytest.fixture
def writers(obligation: Any, officer: Any, partner: Any) -> list[Writer]:
    key = ApiToken.issue(user=partner, scope=ApiToken.Scope.WRITE)[1]
    return [Writer(i, obligation.pk, officer, key) for i in range(WRITERS)]


def history(obligation_id: int) -> list[StatusUpdate]:
    return list(StatusUpdate.objects.filter(obligation_id=obligation_id, target_type="obligation").order_by("version"))


def assert_consistent(obligation_id: int, start_version: int, attempts: list[Attempt]) -> list[StatusUpdate]:
    """The checks both tests share; returns the history written during the drill."""
    rows = [u for u in history(obligation_id) if u.version > start_version]
    accepted = [a for a in attempts if a.accepted]
    # Every accepted write has exactly one history row; every rejected one has none.
    for a in attempts:
        mine = [u for u in rows if u.note.startswith(token_of(a.writer))]
        assert len(mine) == (1 if a.accepted else 0), (a, [u.note for u in mine])
        if a.version_after is not None:
            assert mine[0].version == a.version_after  # what the API told the client is what was stored
    assert len(rows) == len({a.writer for a in accepted})
    # Versions are contiguous and each row starts where the one before ended: nothing interleaved.
    assert [u.version for u in rows] == list(range(start_version + 1, start_version + 1 + len(rows)))
    for before, after in itertools.pairwise(rows):
        assert (after.from_progress, after.from_rag) == (before.to_progress, before.to_rag)
    # The final state is the last accepted write's, and the version says how many landed.
    final = Obligation.objects.get(pk=obligation_id)
    assert final.version == start_version + len(rows)
    if rows:
        assert (final.progress, final.rag, final.status) == (rows[-1].to_progress, rows[-1].to_rag, rows[-1].to_status)
    return rows


def test_twenty_writers_with_the_same_version_one_wins_and_nineteen_are_told(writers: list[Writer], obligation: Any) -> None:
    start = Obligation.objects.get(pk=obligation.pk).version

    def work(w: Writer, barrier: threading.Barrier) -> Attempt:
        version = w.read_version()
        barrier.wait()  # everyone has read; all write at once
        return w.write(version)

    attempts = run_together(writers, work)

    assert {a.seen_version for a in attempts} == {start}
    accepted = [a for a in attempts if a.accepted]
    assert len(accepted) == 1, [(a.door, a.status) for a in attempts]
    refused = [a for a in attempts if not a.accepted]
    assert {a.status for a in refused if a.door == "form"} <= {409}
    assert {a.status for a in refused if a.door == "api-body"} <= {409}
    assert {a.status for a in refused if a.door == "api-if-match"} <= {412}
    assert len({a.door for a in attempts}) == 3  # all three doors took part
    rows = assert_consistent(obligation.pk, start, attempts)
    assert len(rows) == 1 and rows[0].note.startswith(token_of(accepted[0].writer))


def test_writers_that_retry_after_a_conflict_all_land_exactly_once(writers: list[Writer], obligation: Any) -> None:
    start = Obligation.objects.get(pk=obligation.pk).version

    def work(w: Writer, barrier: threading.Barrier) -> list[Attempt]:
        tries: list[Attempt] = []
        barrier.wait()
        while True:
            attempt = w.write(w.read_version())  # read again after each refusal, as a client should
            tries.append(attempt)
            if attempt.accepted:
                return tries
            assert len(tries) < 200, "a writer never got through"

    per_writer = run_together(writers, work)
    attempts = [a for tries in per_writer for a in tries]

    assert all(tries[-1].accepted for tries in per_writer)
    assert sum(a.accepted for a in attempts) == WRITERS
    refusals = [a for a in attempts if not a.accepted]
    assert all(a.status in (409, 412) for a in refusals)
    rows = assert_consistent(obligation.pk, start, [a for a in attempts if a.accepted])
    assert len(rows) == WRITERS
    # Nothing lost: every writer's note is in the history once, whichever door it used.
    assert sorted(u.note.split()[0] for u in rows) == sorted(token_of(i) for i in range(WRITERS))
