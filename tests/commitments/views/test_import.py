"""Bulk update of actions from a spreadsheet: upload → preview → confirm, all rows or none, with
per-row, per-column errors; only CSV and .xlsx files (by extension and content), within the size
limit; the same permissions and rules as the forms and the API."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook

from commitments.models import Action, StatusUpdate
from commitments.services import UpdateInput, record_update

from ...factories import ActionFactory

pytestmark = pytest.mark.django_db

EXAMPLE = Path(settings.BASE_DIR) / "docs" / "examples" / "action-updates.csv"
# The documented example (docs/officer-guide.md): three actions, numbered 9001-9003 in the test.
EXAMPLE_ROWS = [
    ["action_id", "version", "description", "status", "rag", "progress", "revised_due_date", "reason", "note", "evidence"],
    [
        "9001",
        "1",
        "Agree the estates pipeline",
        "in_progress",
        "green",
        "40",
        "",
        "Work has started",
        "Pipeline drafted with the boroughs",
        "",
    ],
    [
        "9002",
        "1",
        "Publish the prevention plan",
        "complete",
        "",
        "",
        "",
        "Signed off by the SPB",
        "",
        "https://example.org/spb-minutes-2018-03",
    ],
    ["9003", "1", "Report to Leaders' Committee", "", "amber", "", "2026-03-31", "Committee date moved", "", ""],
]


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client: Client, content: bytes, name: str = "updates.csv") -> Any:
    return client.post("/import/", {"file": SimpleUploadedFile(name, content)})


def confirm(client: Client) -> Any:
    token = client.session["commitments.import"]["token"]
    return client.post("/import/confirm/", {"token": token})


@pytest.fixture
def actions(obligation: Any) -> list[Action]:
    """Three actions of party A (the officer's party) with fixed ids, as in the documented example."""
    return [
        ActionFactory(id=9001 + i, obligation=obligation, description=text)
        for i, text in enumerate(["Estates pipeline", "Prevention plan", "LC report"])
    ]


def test_the_documented_example_is_the_one_these_tests_generate() -> None:
    assert EXAMPLE.exists(), f"{EXAMPLE} is missing: write csv_bytes(EXAMPLE_ROWS) to it"
    assert EXAMPLE.read_bytes() == csv_bytes(EXAMPLE_ROWS)


def test_a_valid_csv_is_previewed_then_saved_through_the_services(officer_client: Client, actions: list[Action]) -> None:
    response = upload(officer_client, EXAMPLE.read_bytes(), "action-updates.csv")

    assert response.status_code == 200
    html = response.content.decode()
    assert "3 actions will be updated" in html
    assert "Status: Not started to In progress" in html
    assert "Due date: " in html and "to 31 March 2026" in html
    assert "Save 3 updates" in html
    assert not StatusUpdate.objects.exists()  # a preview saves nothing

    response = confirm(officer_client)

    assert response.status_code == 302 and response["Location"] == "/my-work/"
    first, second, third = (Action.objects.get(pk=a.pk) for a in actions)
    assert (first.status, first.rag, first.progress, first.version) == ("in_progress", "green", 40, 2)
    assert (second.status, second.progress, second.completed_date) == ("complete", 100, dt.date.today())
    assert (third.rag, third.due_date) == ("amber", dt.date(2026, 3, 31))
    assert set(StatusUpdate.objects.values_list("source", flat=True)) == {"import"}
    assert StatusUpdate.objects.get(action=second).evidence == ["https://example.org/spb-minutes-2018-03"]
    assert "commitments.import" not in officer_client.session
    assert "3 action updates saved" in officer_client.get("/my-work/").content.decode()


def test_an_xlsx_workbook_with_typed_cells_is_read_the_same_way(officer_client: Client, actions: list[Action]) -> None:
    rows: list[list[Any]] = [
        ["Action ID", "Version", "Status", "Progress", "Revised due date", "Reason", "Evidence"],
        [9001, 1, "In progress", 55.0, dt.datetime(2026, 6, 30), "Started", ""],
        [9002, 1, "", "", None, "", "Filed in the LC drive | https://example.org/x"],
    ]

    upload(officer_client, xlsx_bytes(rows), "updates.xlsx")
    response = confirm(officer_client)

    assert response.status_code == 302
    first, second = Action.objects.get(pk=9001), Action.objects.get(pk=9002)
    assert (first.status, first.progress, first.due_date) == ("in_progress", 55, dt.date(2026, 6, 30))
    assert StatusUpdate.objects.get(action=second).evidence == ["Filed in the LC drive", "https://example.org/x"]


def test_one_bad_row_saves_nothing_and_names_the_row_and_column(officer_client: Client, actions: list[Action]) -> None:
    rows = [
        ["action_id", "version", "status", "rag", "progress", "reason"],
        ["9001", "1", "in_progress", "", "", "Started"],
        ["9002", "1", "finished", "", "", "Done"],
        ["9003", "1", "", "purple", "150", ""],
    ]

    response = upload(officer_client, csv_bytes(rows))

    html = response.content.decode()
    assert "<title>Error: " in html
    assert "Nothing has been saved" in html
    assert 'href="#row-3">Row 3, status: “finished” is not a status' in html
    assert 'href="#row-4">Row 4, rag: “purple” is not a RAG rating' in html
    assert 'href="#row-4">Row 4, progress: “150” is not a progress figure' not in html  # parsed, then range-checked
    assert "Row 4, progress: Progress must be a whole number from 0 to 100" in html
    assert "Save " not in html  # no confirm button
    assert "commitments.import" not in officer_client.session
    assert not StatusUpdate.objects.exists()
    assert set(Action.objects.values_list("version", flat=True)) == {1}


def test_a_change_between_preview_and_confirm_saves_nothing(officer_client: Client, officer: Any, actions: list[Action]) -> None:
    upload(officer_client, EXAMPLE.read_bytes(), "action-updates.csv")
    # Someone updates the third action after the preview.
    record_update(actions[2], by=officer, version=1, data=UpdateInput(note="Meanwhile, in the browser"))

    response = confirm(officer_client)

    assert response.status_code == 409
    html = response.content.decode()
    assert "Row 4, version: Action 9003 has changed since this version" in html
    # Rows 2 and 3 were valid, yet nothing of them was saved.
    assert list(StatusUpdate.objects.values_list("note", flat=True)) == ["Meanwhile, in the browser"]
    assert Action.objects.get(pk=9001).version == 1


def test_rows_for_another_partys_action_are_refused(officer_client: Client, actions: list[Action], other_obligation: Any) -> None:
    theirs = ActionFactory(obligation=other_obligation)

    html = upload(
        officer_client, csv_bytes([["action_id", "version", "note"], [str(theirs.pk), "1", "Not mine"], ["424242", "1", "Nobody's"]])
    ).content.decode()

    assert f"Row 2, action_id: You may not update action {theirs.pk}: it belongs to Party B" in html
    assert "Row 3, action_id: There is no action 424242" in html
    assert not StatusUpdate.objects.exists()


def test_row_rules_match_the_forms(officer_client: Client, actions: list[Action]) -> None:
    rows = [
        ["action_id", "version", "status", "rag", "revised_due_date", "reason", "evidence"],
        ["9001", "1", "complete", "", "", "Done", ""],
        ["9002", "1", "", "red", "", "", ""],
        ["9003", "1", "", "", "31/02/2026", "Moved", ""],
        ["9003", "", "", "", "", "", "x"],
        ["abc", "1", "", "", "", "", ""],
    ]

    html = upload(officer_client, csv_bytes(rows)).content.decode()

    assert "Row 2, evidence: Give evidence that this is complete" in html
    assert "Row 3, reason: Give a reason for changing the status, RAG rating or due date" in html
    assert "Row 4, revised_due_date: “31/02/2026” is not a date" in html
    assert "Row 5, action_id: Action 9003 is also on row 4" in html
    assert "Row 5, version: Enter the version you last saw" in html
    assert "Row 6, action_id: “abc” is not an action number" in html
    assert not StatusUpdate.objects.exists()


def test_untouched_rows_of_the_download_are_skipped(officer_client: Client, actions: list[Action], other_obligation: Any) -> None:
    ActionFactory(obligation=other_obligation, description="Not the officer's")
    download = officer_client.get("/import/template.csv")
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="devotracker-action-updates.csv"'
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["action_id", "version"]
    assert [r[0] for r in rows[1:]] == ["9001", "9002", "9003"]

    rows[1][rows[0].index("note")] = "Only this row changes"
    html = upload(officer_client, csv_bytes(rows)).content.decode()

    assert "1 action will be updated; 2 rows change nothing and will be skipped" in html
    assert confirm(officer_client).status_code == 302
    assert list(StatusUpdate.objects.values_list("action_id", flat=True)) == [9001]


def test_the_download_is_safe_to_open_in_a_spreadsheet(officer_client: Client, obligation: Any) -> None:
    ActionFactory(obligation=obligation, description='=HYPERLINK("http://evil.example","click")')

    text = officer_client.get("/import/template.csv").content.decode("utf-8-sig")

    assert "'=HYPERLINK" in text


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("updates.txt", b"action_id,version\n1,1\n", "must be a CSV file (.csv) or an Excel workbook (.xlsx)"),
        ("updates.csv", xlsx_bytes([["action_id", "version"], [1, 1]]), "ends in .csv but is not a CSV file"),
        ("updates.xlsx", b"action_id,version\n1,1\n", "ends in .xlsx but is not an Excel workbook"),
        ("updates.csv", b"\x00\x01\x02binary", "ends in .csv but is not a CSV file"),
        ("updates.csv", b"", "The selected file is empty"),
        ("updates.csv", b"action_id,version,colour\n1,1,red\n", "Column C is headed “colour”, which is not a column of the import"),
        ("updates.csv", b"action_id,status\n1,complete\n", "The header row must include the column version"),
        ("updates.csv", b"action_id,version\n", "no rows of updates under its header row"),
    ],
)
def test_files_of_the_wrong_type_or_shape_are_refused_with_a_clear_error(
    officer_client: Client, name: str, content: bytes, message: str
) -> None:
    response = upload(officer_client, content, name)

    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert 'href="#id_file"' in html
    assert "commitments.import" not in officer_client.session


def test_a_file_over_the_size_limit_is_refused(officer_client: Client, settings: Any, actions: list[Action]) -> None:
    settings.IMPORT_MAX_BYTES = 1024
    content = csv_bytes([["action_id", "version", "note"], ["9001", "1", "x" * 2000]])

    html = upload(officer_client, content).content.decode()

    assert "The selected file must be smaller than 1 KB" in html
    assert not StatusUpdate.objects.exists()


def test_viewers_may_not_import(viewer_client: Client, actions: list[Action]) -> None:
    assert viewer_client.get("/import/").status_code == 403
    assert upload(viewer_client, EXAMPLE.read_bytes()).status_code == 403
    assert viewer_client.get("/import/template.csv").status_code == 403
    assert not StatusUpdate.objects.exists()


def test_a_confirm_without_a_current_preview_saves_nothing(officer_client: Client, actions: list[Action]) -> None:
    response = officer_client.post("/import/confirm/", {"token": "forged"}, follow=True)

    assert "That upload has expired or was already saved" in response.content.decode()
    assert not StatusUpdate.objects.exists()


def test_a_confirmed_upload_cannot_be_saved_twice(officer_client: Client, actions: list[Action]) -> None:
    upload(officer_client, EXAMPLE.read_bytes(), "action-updates.csv")
    token = officer_client.session["commitments.import"]["token"]
    assert officer_client.post("/import/confirm/", {"token": token}).status_code == 302

    officer_client.post("/import/confirm/", {"token": token})

    assert StatusUpdate.objects.count() == 3


def test_a_file_that_changes_nothing_offers_nothing_to_save(officer_client: Client, actions: list[Action]) -> None:
    rows = list(csv.reader(io.StringIO(officer_client.get("/import/template.csv").content.decode("utf-8-sig"))))

    html = upload(officer_client, csv_bytes(rows)).content.decode()

    assert "Nothing to save: every row matches what is already recorded" in html
    assert "/import/confirm/" not in html
