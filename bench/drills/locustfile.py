"""The load scenario (issue 8 §3), run headless by scripts/drill.sh against gunicorn on loopback.

Users (``-u 50``: weights 20 / 8 / 20, plus one secretariat member):

- **Officer**: signs in through the form, opens My work, then updates obligations and actions of
  their party through the update forms: GET the form, POST it with the version it showed. Two
  officers share each party's items, so some writes meet a newer version: the 409 conflict page is
  an expected answer (the write was refused and the officer told), not a failure.
- **Partner**: a system with a write token: follows the sync feed (``/changes/``), pulls lists,
  and posts action updates with the version it read (201, or 409 as above).
- **Viewer**: reads the London and scoped dashboards, lists, commitments, a CSV export.
- **Secretary**: now and then builds the Leaders' Committee paper (the Celery worker builds it).

Every accepted write is appended to the ledger (``DRILL_LEDGER``, one JSON object a line: door,
target, id, the version the server gave it, a unique note token), so bench/drills/verify.py can
check afterwards that the database holds each exactly once. With ``DRILL_ALLOW_503=1`` (the
PostgreSQL restart drill) a 503 is accepted when it is the clean kind (the API's JSON error shape or
the GOV.UK page, no stack trace) and counted in the ledger; anything else stays a failure.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from locust import HttpUser, between, task

DATA: dict[str, Any] = json.loads(Path(os.environ["DRILL_DATA"]).read_text())
RUN = os.environ.get("DRILL_RUN", "load")
ALLOW_503 = os.environ.get("DRILL_ALLOW_503") == "1"
_ledger_lock = threading.Lock()
# Open for the whole run (line-buffered, so a write is on disk before the next request).
_ledger = Path(os.environ["DRILL_LEDGER"]).open("a", buffering=1)  # noqa: SIM115
_officers = itertools.cycle(DATA["officers"])
_partners = itertools.cycle(DATA["partners"])
_viewers = itertools.cycle(DATA["viewers"])

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FIELD = re.compile(r'name="(version|seen_status|seen_rag|seen_progress|seen_due_date)" value="([^"]*)"')
LEAKS = ("Traceback", "OperationalError", "psycopg2", 'File "')


def record(**entry: Any) -> None:
    with _ledger_lock:
        _ledger.write(json.dumps(entry) + "\n")


def token() -> str:
    return f"drill-{RUN}-{uuid.uuid4().hex[:16]}"


def clean_503(response: Any) -> bool:
    """A 503 the drill accepts: the service said "try again", and nothing about its insides."""
    if not ALLOW_503 or response.status_code != 503:
        return False
    text = response.text
    if any(leak in text for leak in LEAKS):
        return False
    if response.headers.get("Content-Type", "").startswith("application/json"):
        return response.json().get("code") == "service_unavailable"
    return "Sorry, the service is unavailable" in text


def judge(response: Any, ok: tuple[int, ...], path: str) -> bool:
    """Mark a response a success or a failure; True when it was one of ``ok``."""
    if response.status_code in ok:
        response.success()
        return True
    if clean_503(response):
        record(unavailable=path)
        response.success()
        return False
    response.failure(f"{response.status_code}: {response.text[:200]}")
    return False


class SignedIn(HttpUser):
    abstract = True

    def sign_in(self, username: str) -> None:
        while True:  # during the PostgreSQL drill the sign-in page itself may answer 503 for a moment
            with self.client.get("/accounts/login/", name="/accounts/login/", catch_response=True) as page:
                if not judge(page, (200,), "/accounts/login/"):
                    time.sleep(1)  # as a person would: wait, then try again (gevent makes this cooperative)
                    continue
            csrf = CSRF.search(page.text)
            form = {"username": username, "password": DATA["password"], "csrfmiddlewaretoken": csrf.group(1) if csrf else ""}
            with self.client.post(
                "/accounts/login/", form, name="/accounts/login/ [POST]", allow_redirects=False, catch_response=True
            ) as done:
                if judge(done, (302,), "/accounts/login/ [POST]"):
                    return
            time.sleep(1)


class Officer(SignedIn):
    weight = 20
    wait_time = between(1, 3)

    def on_start(self) -> None:
        me = next(_officers)
        self.sign_in(me["username"])
        self.party = DATA["parties"][me["party"]]

    @task(2)
    def my_work(self) -> None:
        with self.client.get("/my-work/", catch_response=True) as r:
            judge(r, (200,), "/my-work/")

    @task(1)
    def a_commitment(self) -> None:
        ref = random.choice(DATA["refs"])
        with self.client.get(f"/commitments/{ref}/", name="/commitments/[ref]/", catch_response=True) as r:
            judge(r, (200,), "/commitments/[ref]/")

    @task(4)
    def update_an_obligation(self) -> None:
        self._update("obligation", f"/obligations/{random.choice(self.party['obligations'])}/update/")

    @task(3)
    def update_an_action(self) -> None:
        self._update("action", f"/actions/{random.choice(self.party['actions'])}/update/")

    def _update(self, target: str, path: str) -> None:
        name = f"/{target}s/[id]/update/"
        with self.client.get(path, name=name, catch_response=True) as page:
            if not judge(page, (200,), name):
                return
        fields = dict(FIELD.findall(page.text))
        csrf = CSRF.search(page.text)
        if "version" not in fields or not csrf:
            return
        note = token()
        form = {
            **fields,
            "csrfmiddlewaretoken": csrf.group(1),
            "status": "in_progress",
            "progress": str(random.randint(0, 100)),
            "reason": "Load drill",
            "note": f"{note} recorded by the load drill",
        }
        with self.client.post(path, form, name=f"{name} [POST]", allow_redirects=False, catch_response=True) as r:
            if judge(r, (302, 409), f"{name} [POST]"):
                if r.status_code == 302:
                    # An accepted write takes the version it was made against up by exactly one.
                    record(door="form", target=target, id=int(path.split("/")[2]), version=int(fields["version"]) + 1, token=note)
                else:
                    record(conflict="form")


class Partner(HttpUser):
    weight = 8
    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        me = next(_partners)
        self.client.headers["Authorization"] = f"Token {me['key']}"
        self.party = DATA["parties"][me["party"]]
        self.cursor = ""
        with self.client.get("/api/v1/changes/head/", catch_response=True) as r:
            if judge(r, (200,), "/api/v1/changes/head/"):
                self.cursor = r.json()["cursor"]

    @task(4)
    def sync(self) -> None:
        for _ in range(5):  # follow has_more a few pages, then wait like a polling partner
            with self.client.get(f"/api/v1/changes/?after={self.cursor}&limit=200", name="/api/v1/changes/", catch_response=True) as r:
                if not judge(r, (200,), "/api/v1/changes/"):
                    return
                body = r.json()
            self.cursor = body["next_cursor"]
            if not body["has_more"]:
                return

    @task(3)
    def lists(self) -> None:
        for path, name in (
            ("/api/v1/commitments/?page_size=50", "/api/v1/commitments/"),
            (f"/api/v1/obligations/?party={self.party['slug']}&page_size=100", "/api/v1/obligations/?party="),
            ("/api/v1/actions/?overdue=true&page_size=100", "/api/v1/actions/?overdue=true"),
        ):
            with self.client.get(path, name=name, catch_response=True) as r:
                judge(r, (200,), name)

    @task(3)
    def update_an_action(self) -> None:
        action = random.choice(self.party["actions"])
        with self.client.get(f"/api/v1/actions/{action}/", name="/api/v1/actions/[id]/", catch_response=True) as r:
            if not judge(r, (200,), "/api/v1/actions/[id]/"):
                return
            version = r.json()["version"]
        note = token()
        body = {"progress": random.randint(0, 100), "note": f"{note} pushed by a partner system", "version": version}
        name = "/api/v1/actions/[id]/updates/"
        with self.client.post(f"/api/v1/actions/{action}/updates/", json=body, name=name, catch_response=True) as r:
            if judge(r, (201, 409), name):
                if r.status_code == 201:
                    record(door="api", target="action", id=action, version=r.json()["version"], token=note)
                else:
                    record(conflict="api")


class Viewer(SignedIn):
    weight = 20
    wait_time = between(1, 4)

    def on_start(self) -> None:
        self.sign_in(next(_viewers)["username"])

    def _get(self, path: str, name: str) -> None:
        with self.client.get(path, name=name, catch_response=True) as r:
            judge(r, (200,), name)

    @task(4)
    def london(self) -> None:
        self._get("/dashboard/", "/dashboard/")

    @task(3)
    def scoped(self) -> None:
        choice = random.choice([("boards", DATA["boards"]), ("pilots", DATA["pilots"]), ("parties", [p["slug"] for p in DATA["parties"]])])
        self._get(f"/dashboard/{choice[0]}/{random.choice(choice[1])}/", f"/dashboard/{choice[0]}/[key]/")

    @task(2)
    def lists(self) -> None:
        self._get(f"/commitments/?theme={random.choice(DATA['themes'])}", "/commitments/?theme=")
        self._get("/actions/?overdue=true", "/actions/?overdue=true")

    @task(1)
    def a_commitment(self) -> None:
        self._get(f"/commitments/{random.choice(DATA['refs'])}/", "/commitments/[ref]/")

    @task(1)
    def export(self) -> None:
        self._get("/dashboard/?format=csv&table=summary", "/dashboard/?format=csv")


class Secretary(SignedIn):
    fixed_count = 1
    wait_time = between(30, 50)

    def on_start(self) -> None:
        self.sign_in(DATA["secretary"]["username"])
        self.meeting = DATA["secretary"]["meeting"]

    @task
    def build_the_paper(self) -> None:
        path = f"/meetings/{self.meeting}/"
        with self.client.get(path, name="/meetings/[id]/", catch_response=True) as page:
            if not judge(page, (200,), "/meetings/[id]/"):
                return
        csrf = CSRF.search(page.text)
        if not csrf:
            return
        with self.client.post(
            f"{path}build/",
            {"csrfmiddlewaretoken": csrf.group(1)},
            name="/meetings/[id]/build/",
            allow_redirects=False,
            catch_response=True,
        ) as r:
            judge(r, (302,), "/meetings/[id]/build/")
