"""The open data package (issue 14): a Frictionless Data Package that validates with the
``frictionless`` library, holds the tracked state and no personal data, is published atomically,
rebuilt when a period closes, and is public at /open-data/."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from frictionless import validate

from commitments.models import Commitment, Obligation
from reporting.opendata import FILES, RESOURCES, build_package, current_dir, root
from reporting.periods import close_period, open_period
from reporting.tasks import build_open_data_task

from ..conftest import axe_violations
from .conftest import Dataset

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def read(directory: Path, name: str) -> list[dict[str, str]]:
    with (directory / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_package_validates_and_holds_the_tracked_state_without_personal_data(dataset: Dataset) -> None:
    owner = dataset.owner  # owns the overdue obligation and action
    owner.username, owner.first_name, owner.last_name, owner.email = "zq-owner", "Zqfirst", "Zqlast", "zq.owner@example.org"
    owner.save()
    Commitment.objects.filter(ref="EST-02").update(title='=HYPERLINK("http://x")')
    directory = build_package()

    report = validate(str(directory / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    # The check is not vacuous: a status outside the schema's list, or an obligation of a
    # commitment the package does not hold, is reported.
    text = (directory / "obligations.csv").read_text(encoding="utf-8")
    header, first, *rest = text.splitlines(keepends=True)
    (directory / "obligations.csv").write_text(
        header + first.replace(",in_progress,", ",halfway,").replace("EST-01", "NOPE-1") + "".join(rest), encoding="utf-8"
    )
    broken = validate(str(directory / "datapackage.json"))
    assert not broken.valid and {e[0] for e in broken.flatten(["type"])} >= {"constraint-error", "foreign-key"}
    (directory / "obligations.csv").write_text(text, encoding="utf-8")

    package = json.loads((directory / "datapackage.json").read_text(encoding="utf-8"))
    assert package["licenses"][0]["name"] == "OGL-UK-3.0"
    assert {r["name"] for r in package["resources"]} == {r.name for r in RESOURCES}
    commitments = {row["ref"]: row for row in read(directory, "commitments.csv")}
    assert set(commitments) == set(Commitment.objects.values_list("ref", flat=True))
    assert commitments["EST-02"]["title"].startswith("'=")  # the one CSV formula guard
    obligations = read(directory, "obligations.csv")
    overdue = {int(row["id"]) for row in obligations if row["overdue"] == "true"}
    assert overdue == set(Obligation.objects.overdue().values_list("pk", flat=True)) and overdue
    assert {r["name"]: r["stats"]["rows"] for r in package["resources"]}["obligations"] == Obligation.objects.count()
    everything = "".join((directory / name).read_text(encoding="utf-8") for name in FILES)
    for personal in ("zq-owner", "Zqfirst", "Zqlast", "zq.owner@example.org"):
        assert personal not in everything, personal


def test_a_rebuild_is_published_whole_and_two_builds_are_kept(dataset: Dataset) -> None:
    first = build_package(now=dt.datetime(2026, 1, 1, 6, 45, tzinfo=dt.UTC))
    second = build_package(now=dt.datetime(2026, 1, 2, 6, 45, tzinfo=dt.UTC))
    assert current_dir() == second and first.exists()
    third = build_package(now=dt.datetime(2026, 1, 3, 6, 45, tzinfo=dt.UTC))
    assert current_dir() == third and second.exists() and not first.exists()
    assert sorted(p.name for p in root().iterdir() if p.is_file()) == ["CURRENT"]


def test_anyone_may_read_the_page_and_the_files(dataset: Dataset) -> None:
    anonymous = Client()
    page = anonymous.get("/open-data/")
    assert page.status_code == 200 and "has not been published yet" in page.content.decode()
    assert anonymous.get("/open-data/datapackage.json").status_code == 404

    build_open_data_task.apply()

    page = anonymous.get("/open-data/").content.decode()
    assert "Open Government Licence v3.0" in page and 'href="/open-data/obligations.csv"' in page
    assert "<code>illustrative</code>" in page  # each field explained
    package = anonymous.get("/open-data/datapackage.json")
    assert package.status_code == 200 and json.loads(b"".join(package.streaming_content))["name"]
    obligations = anonymous.get("/open-data/obligations.csv")
    assert obligations.status_code == 200 and "attachment" in obligations["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(obligations.streaming_content).decode())))
    assert rows[0][:3] == ["id", "commitment", "party"] and len(rows) == Obligation.objects.count() + 1
    for name in ("settings.py", "..%2Fdatapackage.json", "CURRENT", "obligations.csv.bak"):
        assert anonymous.get(f"/open-data/{name}").status_code == 404, name
    assert anonymous.post("/open-data/").status_code in (403, 405)


def test_closing_a_period_queues_a_rebuild_after_the_commit(
    dataset: Dataset, lc_board: Any, lc_secretariat: Any, django_capture_on_commit_callbacks: Any
) -> None:
    period = open_period(
        board=lc_board, name="LC, January 2000", starts_on=dt.date(2000, 1, 1), ends_on=dt.date(2000, 1, 31), by=lc_secretariat
    )
    with django_capture_on_commit_callbacks() as callbacks:
        close_period(period, by=lc_secretariat)
    assert [c.__name__ for c in callbacks].count("_publish_open_data") == 1
    directory = build_package()
    periods = read(directory, "periods.csv")
    assert periods == [
        {
            "id": str(period.pk),
            "board": lc_board.code,
            "name": "LC, January 2000",
            "starts_on": "2000-01-01",
            "ends_on": "2000-01-31",
            "state": "closed",
            "frozen_on": period.__class__.objects.get(pk=period.pk).snapshot.day.isoformat(),
        }
    ]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_published_page_is_accessible_and_its_files_download_signed_out(live_server: Any, page: Any, dataset: Dataset) -> None:
    build_package()
    page.goto(f"{live_server.url}/open-data/")
    assert page.url == f"{live_server.url}/open-data/"  # public: no sign-in redirect
    assert axe_violations(page) == []
    with page.expect_download() as download:
        page.click("a[href='/open-data/actions.csv']")
    assert download.value.suggested_filename == "actions.csv"
