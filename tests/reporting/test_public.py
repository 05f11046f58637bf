"""The public progress view (issue 15, point 4): /public/ without signing in, the published state of
every commitment by theme, lead board and pilot and one page per commitment; off (404) unless
PUBLIC_VIEW; cached under the change log's head (a published change is seen at once, a 304 for an
unchanged page); a fixed number of queries; its own rate limit (a 429 page); and nothing private
on any page or in the open data it links to."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from boards.models import Board
from commitments import models as commitment_models
from commitments.lifecycle import london_today
from commitments.models import Commitment, Obligation, StatusUpdate
from commitments.services import UpdateInput, record_update
from reporting.opendata import FILES, build_package
from reporting.periods import close_period, open_period

from ..factories import ActionFactory, UserFactory
from .conftest import Dataset

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def public_on(settings: Any, tmp_path: Path) -> None:
    settings.PUBLIC_VIEW = True
    settings.PUBLIC_RATE_LIMIT = "10000/minute"
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def anonymous() -> Client:
    return Client()


def get(client: Client, path: str, **headers: Any) -> Any:
    response = client.get(path, **headers)
    assert response.status_code < 500, f"{path}: {response.status_code}"
    return response


def text(response: Any) -> str:
    return response.content.decode()


def main(response: Any) -> str:
    """The text of the page's <main> element, tags removed and spaces collapsed."""
    body = text(response)
    inner = body[body.index("<main") : body.index("</main>")]
    return " ".join(re.sub(r"<[^>]+>", " ", inner).split())


def public_urls(dataset: Dataset) -> list[str]:
    return [
        "/public/",
        *(f"/public/themes/{t.slug}/" for t in dataset.themes),
        "/public/boards/SPB/",
        "/public/boards/LEB/",
        f"/public/pilots/{dataset.pilot.slug}/",
        *(f"/public/commitments/{ref}/" for ref in dataset.commitments),
    ]


@pytest.fixture
def closed_period(dataset: Dataset, lc_board: Board, lc_secretariat: Any) -> Any:
    """Leaders' Committee's period, closed today: its frozen snapshot is what "since the last
    report" compares with."""
    today = london_today()
    period = open_period(
        board=lc_board, name="Autumn 2026", starts_on=today - dt.timedelta(days=60), ends_on=today - dt.timedelta(days=1), by=lc_secretariat
    )
    return close_period(period, by=lc_secretariat)


def assess(dataset: Dataset, ref: str, **data: Any) -> None:
    """The lead board's secretariat records a commitment's assessed state (a published update)."""
    c = Commitment.objects.get(ref=ref)
    record_update(c, by=dataset_secretary(dataset), version=c.version, data=UpdateInput(**data))


def dataset_secretary(dataset: Dataset) -> Any:
    from boards.models import Membership

    user = UserFactory(username="spb.sec")
    Membership.objects.get_or_create(user=user, board=dataset.spb, party=None, role=Membership.Role.SECRETARIAT)
    return user


# --- pages, setting, content ------------------------------------------------------------------------


def test_every_page_answers_signed_out_and_links_the_others(anonymous: Client, dataset: Dataset) -> None:
    for path in public_urls(dataset):
        response = get(anonymous, path)
        assert response.status_code == 200, path
        body = text(response)
        # The public layout: a sign-in link, no staff navigation, no sign-out.
        assert 'href="/accounts/login/"' in body
        assert "Sign out" not in body and "My work" not in body and "/dashboard/" not in body and "/admin/" not in body
        assert 'href="/open-data/"' in body
    overview = text(get(anonymous, "/public/"))
    for t in dataset.themes:
        assert f'href="/public/themes/{t.slug}/"' in overview
    assert 'href="/public/boards/SPB/"' in overview and 'href="/public/boards/LEB/"' in overview
    assert f'href="/public/pilots/{dataset.pilot.slug}/"' in overview
    theme = text(get(anonymous, f"/public/themes/{dataset.themes[0].slug}/"))
    assert 'href="/public/commitments/EST-01/"' in theme and 'href="/public/commitments/EST-02/"' in theme
    assert "COM-01" not in theme
    # A board's code in any case is the same page.
    assert get(anonymous, "/public/boards/spb/").status_code == 200


def test_the_setting_off_gives_404_everywhere(anonymous: Client, dataset: Dataset, settings: Any) -> None:
    settings.PUBLIC_VIEW = False
    for path in public_urls(dataset):
        assert anonymous.get(path).status_code == 404, path


def test_unknown_or_hostile_addresses_are_404_and_writes_405(anonymous: Client, dataset: Dataset) -> None:
    for path in [
        "/public/themes/nope/",
        "/public/boards/NOPE/",
        "/public/pilots/nope/",
        "/public/commitments/NOPE-99/",
        "/public/commitments/" + "X" * 5000 + "/",
        "/public/commitments/%3Cscript%3E/",
        "/public/commitments/%00/",
        "/public/commitments/EST-01%27%3B--/",
        "/public/nothing-here/",
    ]:
        assert anonymous.get(path).status_code == 404, path
    assert anonymous.post("/public/").status_code == 405
    assert anonymous.head("/public/").status_code == 200


def test_content_is_the_published_state_with_the_rating_used(anonymous: Client, dataset: Dataset) -> None:
    today = london_today()
    Commitment.objects.filter(ref="EST-01").update(target_date=today - dt.timedelta(days=5))  # in progress: overdue
    # EST-02 rolls up amber; its lead board's secretariat rated it red: red is the rating used.
    Commitment.objects.filter(ref="EST-02").update(assurance_rag="red", assurance_at=dt.datetime.now(dt.UTC))

    page = main(get(anonymous, "/public/commitments/EST-01/"))
    assert "In progress" in page and "40%" in page and "Red self-assessed" in page and "Overdue" in page
    assert "Capital and estates" in page and dataset.spb.name in page and dataset.pilot.name in page
    page = main(get(anonymous, "/public/commitments/EST-02/"))
    assert "Red assurance rating" in page and "Amber" not in page and "50%" in page
    page = main(get(anonymous, "/public/commitments/COM-01/"))
    assert "Complete" in page and "100%" in page and "Green self-assessed" in page
    assert "nothing to compare with" in page  # no period closed yet

    overview = get(anonymous, "/public/")
    totals = main(overview)
    assert "Commitments 5" in totals and "Complete 1" in totals and "Overdue 1" in totals
    assert "3 red, 0 amber, 1 green; 1 not rated yet" in totals  # UND-01 rolls up red
    row = re.search(r'<a class="govuk-link" href="/public/themes/capital-and-estates/">.*?</tr>', text(overview), re.S)
    assert row is not None
    assert [int(n) for n in re.findall(r">(\d+)</td>", row.group(0))] == [3, 0, 1, 3, 0, 0, 0]


def test_an_update_awaiting_approval_is_not_shown(anonymous: Client, dataset: Dataset) -> None:
    if not hasattr(commitment_models, "PendingUpdate"):
        pytest.skip("TODO(issue 15): PendingUpdate is not in commitments.models yet")
    c = dataset.commitments["EST-01"]
    commitment_models.PendingUpdate.objects.create(
        target_type="commitment",
        commitment=c,
        board=dataset.spb,
        author=dataset.owner,
        base_version=c.version,
        status="complete",
        rag="green",
        changes_rag=True,
        progress=100,
        reason="Pending reason",
        note="Pending note",
    )
    for path in ["/public/commitments/EST-01/", "/public/", f"/public/themes/{dataset.themes[0].slug}/"]:
        page = main(get(anonymous, path))
        assert "Pending" not in page, path
    page = main(get(anonymous, "/public/commitments/EST-01/"))
    assert "In progress" in page and "40%" in page and "Red" in page and "Complete" not in page


def test_the_public_view_changes_only_when_the_secretariat_approves(anonymous: Client, dataset: Dataset, officer: Any) -> None:
    """Approval before publishing (issue 15, "Done when"): an officer's update under a board that
    approves is submitted, returned, resubmitted and approved; the public page changes only then."""
    from commitments import services

    if not (hasattr(services, "approve_update") and hasattr(services, "return_update") and hasattr(Board, "requires_approval")):
        pytest.skip("TODO(issue 15): approval before publishing is not in commitments.services yet")
    Board.objects.filter(pk=dataset.spb.pk).update(requires_approval=True)
    secretary = dataset_secretary(dataset)
    path = "/public/commitments/EST-02/"  # rolls up from party A's one obligation, amber

    def rating() -> str:
        page = main(get(anonymous, path))
        return next(word for word in ("Red", "Amber", "Green") if f"{word} self-assessed" in page)

    def submit() -> Any:
        o = Obligation.objects.get(pk=dataset.obligations["today"].pk)
        return record_update(o, by=officer, version=o.version, data=UpdateInput(rag="red", reason="Budget cut"))

    assert rating() == "Amber"
    pending = submit()
    assert isinstance(pending, commitment_models.PendingUpdate)
    assert rating() == "Amber"
    services.return_update(pending, by=secretary, comment="Say which budget")
    assert rating() == "Amber"
    pending = submit()
    assert rating() == "Amber"
    services.approve_update(pending, by=secretary)
    assert rating() == "Red"


def test_movement_since_the_last_closed_period(anonymous: Client, dataset: Dataset, closed_period: Any) -> None:
    assess(dataset, "EST-01", rag="green", reason="Funding agreed")  # red -> green: improved
    page = main(get(anonymous, "/public/commitments/EST-01/"))
    assert "Autumn 2026" in page and "Improved (RAG)" in page
    assert "Then In progress Self-assessed rating then: ■ Red 40%" in page
    assert "Funding agreed" not in page  # the reason is never shown
    overview = main(get(anonymous, "/public/"))
    assert "Improved (RAG) 1" in overview and "Worsened (RAG) 0" in overview
    theme = main(get(anonymous, f"/public/themes/{dataset.themes[0].slug}/"))
    assert "1 improved (rag)" in theme and "Improved (RAG)" in theme and "No change" in theme


# --- fast: cache, conditional responses, fixed queries ----------------------------------------------


def test_pages_are_cached_until_a_change_is_published(anonymous: Client, dataset: Dataset) -> None:
    path = "/public/commitments/EST-01/"
    assert "In progress" in main(get(anonymous, path))
    # A write outside the change log (not a published change) is not seen: the page is cached.
    Commitment.objects.filter(ref="EST-01").update(title="Renamed without a change")
    assert "Renamed without a change" not in main(get(anonymous, path))
    # A published update records a change: the next request builds afresh.
    assess(dataset, "EST-01", status="complete", progress=100, reason="Done", evidence=["https://example.org/done"])
    page = main(get(anonymous, path))
    assert "Complete" in page and "100%" in page and "Renamed without a change" in page
    overview = main(get(anonymous, "/public/"))
    assert "Complete 2" in overview


def test_an_unchanged_page_is_a_304_and_a_change_makes_it_a_200(anonymous: Client, dataset: Dataset) -> None:
    path = "/public/commitments/EST-02/"
    first = get(anonymous, path)
    etag = first["ETag"]
    assert first["Cache-Control"] == "public, no-cache" and "nonce-" in first["Content-Security-Policy"]
    again = anonymous.get(path, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag and not again.content
    assert "Content-Security-Policy" not in again  # the stored page keeps its own (nonce and all)
    assert anonymous.get("/public/commitments/EST-01/", HTTP_IF_NONE_MATCH=etag).status_code == 200  # per address
    assess(dataset, "EST-02", rag="green", reason="Better")
    changed = anonymous.get(path, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_no_session_or_user_is_read_and_signed_in_readers_see_the_same_page(dataset: Dataset, viewer: Any) -> None:
    signed_in = Client()
    signed_in.force_login(viewer)
    anonymous = Client()
    get(anonymous, "/public/")  # fill the cache
    with CaptureQueriesContext(connection) as seen:
        body = text(get(signed_in, "/public/"))
    assert len(seen) == 1, [q["sql"] for q in seen]  # the change log's head, nothing else
    assert "Sign out" not in body and viewer.username not in body
    assert "Vary" not in get(anonymous, "/public/") or "Cookie" not in get(anonymous, "/public/")["Vary"]


# Queries to build each page (cache empty), with a closed period: see reporting.public.
# overview: head, period, themes, pilots, commitments, pilot links, movement
# a theme, board or pilot: head, the theme/board/pilot, period, commitments, pilot links, movement
# a commitment: head, period, the commitment (with its state then), its pilots, its movement
BUILD_QUERIES = {"overview": 7, "theme": 6, "board": 6, "pilot": 6, "commitment": 5}


def _count(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as seen:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(seen)


def test_query_counts_are_fixed_whatever_the_number_of_commitments(
    anonymous: Client, grow: Callable[[int], None], lc_board: Board, lc_secretariat: Any
) -> None:
    today = london_today()
    close_period(
        open_period(board=lc_board, name="P1", starts_on=today - dt.timedelta(days=40), ends_on=today, by=lc_secretariat), by=lc_secretariat
    )
    paths = {
        "overview": "/public/",
        "theme": "/public/themes/capital-and-estates/",
        "board": "/public/boards/SPB/",
        "pilot": "/public/pilots/grow-pilot/",
        "commitment": "/public/commitments/GRW-000/",
    }
    seen: dict[int, dict[str, int]] = {}
    for n in (3, 30):
        grow(n if n == 3 else n - 3)
        cache.clear()
        seen[n] = {page: _count(anonymous, path) for page, path in paths.items()}
        # Served from the cache: the change log's head only.
        assert {page: _count(anonymous, path) for page, path in paths.items()} == dict.fromkeys(paths, 1)
    assert seen[3] == seen[30] == BUILD_QUERIES
    # Without a closed period there is no movement to read: one query fewer (two on the overview,
    # whose period look-up is one query either way).


# --- the rate limit -------------------------------------------------------------------------------


def test_past_its_rate_limit_a_client_gets_a_429_page(dataset: Dataset, settings: Any) -> None:
    settings.PUBLIC_RATE_LIMIT = "3/minute"
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(3):
        assert client.get("/public/").status_code == 200
    limited = client.get("/public/commitments/EST-01/")
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    page = main(limited)
    assert "Too many requests" in page and "Wait" in page
    assert 'href="/open-data/"' in text(limited)
    # Another address has its own count; the limit applies to the public pages only.
    assert Client(REMOTE_ADDR="203.0.113.8").get("/public/").status_code == 200
    assert client.get("/open-data/").status_code == 200


def test_the_rate_limit_is_not_applied_while_the_cache_is_down(dataset: Dataset, settings: Any, monkeypatch: Any) -> None:
    from rest_framework.throttling import SimpleRateThrottle

    settings.PUBLIC_RATE_LIMIT = "1/minute"

    def broken(self: Any, *args: Any) -> Any:
        raise ConnectionError("cache down")

    monkeypatch.setattr(SimpleRateThrottle, "throttle_success", broken)
    client = Client()
    assert [client.get("/public/").status_code for _ in range(3)] == [200, 200, 200]


# --- nothing private --------------------------------------------------------------------------------

PRIVATE = {
    "owner username": "zqowner-username",
    "owner first name": "Zqfirstname",
    "owner last name": "Zqlastname",
    "owner e-mail": "zq.private.owner@secret.example.org",
    "author username": "zqauthor-username",
    "author e-mail": "zq.author@secret.example.org",
    "commitment notes": "ZQ commitment notes",
    "commitment assurance reason": "ZQ commitment assurance reason",
    "obligation assurance reason": "ZQ obligation assurance reason",
    "update reason": "ZQ update reason",
    "update note": "ZQ update note",
    "update evidence": "https://zq-evidence.example.org/private.pdf",
    "pending reason": "ZQ pending reason",
    "pending note": "ZQ pending note",
    "pending evidence": "https://zq-pending.example.org/evidence.pdf",
    "pending comment": "ZQ pending comment",
    "theme notes": "ZQ theme notes",
    "board notes": "ZQ board notes",
    "pilot notes": "ZQ pilot notes",
    "party notes": "ZQ party notes",
}
PENDING_RAG = "amber"  # what the pending update asks for EST-01 (published: red)


def seed_private_text(dataset: Dataset, closed: Any) -> None:
    p = PRIVATE
    owner = UserFactory(
        username=p["owner username"], first_name=p["owner first name"], last_name=p["owner last name"], email=p["owner e-mail"]
    )
    author = dataset_secretary(dataset)
    author.username, author.email = p["author username"], p["author e-mail"]
    author.first_name, author.last_name = p["owner first name"], p["owner last name"]
    author.save()
    Obligation.objects.update(owner=owner, assurance_reason=p["obligation assurance reason"], assurance_by=author, assurance_rag="green")
    for o in Obligation.objects.all():
        ActionFactory(obligation=o, owner=owner, created_by=author, description="Hold the review", due_date=london_today())
    Commitment.objects.update(
        notes=p["commitment notes"], assurance_reason=p["commitment assurance reason"], assurance_by=author, assessed_by=author
    )
    dataset.themes[0].__class__.objects.update(notes=p["theme notes"])
    Board.objects.update(notes=p["board notes"])
    dataset.pilot.__class__.objects.update(notes=p["pilot notes"])
    dataset.party_a.__class__.objects.update(notes=p["party notes"])
    # Published updates with reasons, notes and evidence (a re-dating too: "since the last report"
    # lists it, and the staff pages show its reason; the public pages must not).
    c = Commitment.objects.get(ref="EST-01")
    record_update(
        c,
        by=author,
        version=c.version,
        data=UpdateInput(
            rag="red",
            progress=45,
            revised_due_date=london_today() + dt.timedelta(days=90),
            reason=p["update reason"],
            note=p["update note"],
            evidence=[p["update evidence"]],
        ),
    )
    assert StatusUpdate.objects.filter(reason=p["update reason"]).exists()
    if hasattr(commitment_models, "PendingUpdate"):
        c.refresh_from_db()
        commitment_models.PendingUpdate.objects.create(
            target_type="commitment",
            commitment=c,
            board=dataset.spb,
            author=author,
            base_version=c.version,
            status="not_pursued",
            rag=PENDING_RAG,
            changes_rag=True,
            progress=5,
            reason=p["pending reason"],
            note=p["pending note"],
            evidence=[p["pending evidence"]],
            comment=p["pending comment"],
        )
    # else: TODO(issue 15) — PendingUpdate is not in commitments.models yet; seed one once it is.


def crawl(client: Client, start: str) -> Iterator[tuple[str, Any]]:
    """Every page reachable from ``start`` through links under /public/, and what they link to
    outside it that is published (the open data page and its files)."""
    seen: set[str] = set()
    queue = [start]
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        assert response.status_code == 200, path
        yield path, response
        if "text/html" not in response.get("Content-Type", ""):
            continue
        for href in re.findall(r'href="([^"#]+)"', text(response)):
            target = urlsplit(href).path
            if target.startswith("/public/") or target.startswith("/open-data/"):
                queue.append(target)


def test_nothing_private_appears_on_any_public_page_or_in_the_open_data(anonymous: Client, dataset: Dataset, closed_period: Any) -> None:
    seed_private_text(dataset, closed_period)
    build_package()
    pages = dict(crawl(anonymous, "/public/"))

    expected = {"/public/", *public_urls(dataset), "/open-data/", *(f"/open-data/{name}" for name in FILES)}
    assert expected <= set(pages), expected - set(pages)
    for path, response in pages.items():
        body = (b"".join(response.streaming_content) if response.streaming else response.content).decode("utf-8").lower()
        for what, value in PRIVATE.items():
            assert value.lower() not in body, f"{path} shows the {what}"
    # The published state, not the pending one.
    page = main(pages["/public/commitments/EST-01/"])
    assert "In progress" in page and "Not pursued" not in page and "45%" in page and "Red self-assessed" in page
    assert "Re-dated" in page


# --- the settings ---------------------------------------------------------------------------------

SHOW_SETTINGS = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='devotracker.settings'; django.setup(); "
    "from django.conf import settings as s; print(s.PUBLIC_VIEW, s.PUBLIC_RATE_LIMIT)"
)


def test_on_in_the_quick_start_off_in_production_unless_set_and_a_bad_rate_is_refused(tmp_path: Path) -> None:
    from ..devotracker.test_settings import run_python

    production = {"PRODUCTION": "true", "SECRET_KEY": "k" * 50, "ALLOWED_HOSTS": "tracker.example", "VAR_DIR": str(tmp_path)}
    quick = run_python(SHOW_SETTINGS, DATABASE_URL="", VAR_DIR=str(tmp_path))
    assert quick.returncode == 0, quick.stderr
    assert quick.stdout.split() == ["True", "300/minute"]
    assert run_python(SHOW_SETTINGS, **production).stdout.split() == ["False", "300/minute"]
    assert run_python(SHOW_SETTINGS, **production, PUBLIC_VIEW="true", PUBLIC_RATE_LIMIT="20/second").stdout.split() == [
        "True",
        "20/second",
    ]
    assert run_python(SHOW_SETTINGS, DATABASE_URL="", VAR_DIR=str(tmp_path), PUBLIC_VIEW="off").stdout.split()[0] == "False"
    for bad in ("lots", "0/minute", "10/fortnight", "10 per minute"):
        result = run_python(SHOW_SETTINGS, DATABASE_URL="", VAR_DIR=str(tmp_path), PUBLIC_RATE_LIMIT=bad)
        assert result.returncode != 0 and "PUBLIC_RATE_LIMIT must be" in result.stderr, bad
    result = run_python(SHOW_SETTINGS, DATABASE_URL="", VAR_DIR=str(tmp_path), PUBLIC_VIEW="maybe")
    assert result.returncode != 0 and "PUBLIC_VIEW must be one of" in result.stderr


# --- the real data ----------------------------------------------------------------------------------


@pytest.fixture
def real_data(settings: Any) -> None:
    """The quick start's data: the MoU inventory and the demo's owners, actions and two years of history."""
    import io

    from django.core.management import call_command

    settings.DEMO_PASSWORD = "a-demo-password-for-tests"
    call_command("load_mou", stdout=io.StringIO(), stderr=io.StringIO())
    call_command("load_demo", stdout=io.StringIO(), stderr=io.StringIO())


def test_on_the_real_data_every_page_answers_and_no_person_or_private_text_appears(anonymous: Client, real_data: None) -> None:
    from django.contrib.auth import get_user_model

    pages = {path: response for path, response in crawl(anonymous, "/public/") if path.startswith("/public/")}
    refs = set(Commitment.objects.values_list("ref", flat=True))
    assert len(refs) == 83
    assert {f"/public/commitments/{ref}/" for ref in refs} <= set(pages)
    assert f"Commitments {len(refs)}" in main(pages["/public/"])
    people: set[str] = set()
    for user in get_user_model().objects.all():
        # Usernames that are plain words ("officer", "partner") are words of the pages too.
        people |= {user.email, *([user.username] if "." in user.username else [])}
        if user.first_name and user.last_name:
            people.add(f"{user.first_name} {user.last_name}")
    texts = {t for t in StatusUpdate.objects.values_list("reason", flat=True) if len(t) > 30}
    texts |= {t for t in StatusUpdate.objects.values_list("note", flat=True) if len(t) > 30}
    assert people and texts
    for path, response in pages.items():
        body = text(response)
        for value in people | texts:
            assert value and value not in body, f"{path} shows {value!r}"
