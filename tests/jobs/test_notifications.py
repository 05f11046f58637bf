"""Digests (content, recipients, opt-out, dedupe), escalation notices, and outbox delivery with
retries and back-off (commitments.notifications)."""

from __future__ import annotations

import datetime as dt
import socket
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import connection

from boards.models import Membership, Profile
from commitments import notifications, overdue, services
from commitments.models import Action, OutboxMessage, Status

from ..factories import ActionFactory, MembershipFactory, ObligationFactory, UserFactory
from .conftest import TODAY, action_under, overdue_action

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def at_seven_on_monday() -> Any:
    """The clock at NOW (07:00 London on TODAY), so rows stamped by the clock are due at NOW."""
    with time_machine.travel(NOW, tick=False):
        yield


HOSTILE = "<script>alert('x')</script> Fix & sign\r\nBcc: evil@example.org"


def due_in(obligation: Any, days: int, **kwargs: Any) -> Action:
    due = TODAY + dt.timedelta(days=days)
    return ActionFactory(obligation=obligation, due_date=due, original_due_date=due, **kwargs)


def closed_port() -> int:
    """A local TCP port nothing listens on: a real mail server that is down."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the officers' daily digest ---------------------------------------------------------------


def test_the_daily_digest_lists_what_the_officer_s_party_owes_overdue_or_due_soon(obligation: Any, officer: Any, settings: Any) -> None:
    settings.SITE_URL = "https://devotracker.example.org"
    late = overdue_action(obligation, days_late=3, description="Publish the estates strategy")
    soon = due_in(obligation, 5, description="Agree the workforce plan")
    due_in(obligation, 20, description="Too far ahead")
    overdue_action(obligation, days_late=2, description="Already done", status=Status.COMPLETE, completed_date=TODAY, progress=100)

    counts = notifications.send_officer_digests(today=TODAY)

    assert counts["queued"] == 1
    message = OutboxMessage.objects.get()
    assert message.kind == "email.digest.daily"
    assert message.dedupe_key == f"digest:daily:{officer.pk}:2026-03-02"
    assert message.payload["recipients"] == [[officer.pk, "alice@example.org"]]
    assert message.payload["subject"] == "DevoTracker: 1 overdue, 1 due within 14 days (Mon 2 Mar 2026)"
    text, html = message.payload["text"], message.payload["html"]
    assert "Publish the estates strategy" in text and "overdue by 3 days" in text
    assert "Agree the workforce plan" in text
    assert "Too far ahead" not in text and "Already done" not in text
    assert f"https://devotracker.example.org/actions/{late.pk}/update/" in text
    assert f'href="https://devotracker.example.org/actions/{soon.pk}/update/"' in html
    assert 'href="https://devotracker.example.org/commitments/TST-001/"' in html
    assert "https://devotracker.example.org/notifications/" in text


def test_the_daily_digest_goes_to_owners_of_other_parties_work_too(
    obligation: Any, other_obligation: Any, officer: Any, owner: Any
) -> None:
    owned = overdue_action(other_obligation, owner=owner, description="Owned elsewhere")
    notifications.send_officer_digests(today=TODAY)
    recipients = {m.payload["recipients"][0][1]: m for m in OutboxMessage.objects.all()}
    assert set(recipients) == {"olive@example.org"}  # party A owes nothing due: alice gets nothing
    assert "Owned elsewhere" in recipients["olive@example.org"].payload["text"]
    assert f"/actions/{owned.pk}/update/" in recipients["olive@example.org"].payload["text"]


def test_people_who_turned_digests_off_get_none(obligation: Any, officer: Any) -> None:
    overdue_action(obligation)
    Profile.objects.create(user=officer, digests_enabled=False)
    counts = notifications.send_officer_digests(today=TODAY)
    assert (counts["queued"], counts["opted_out"]) == (0, 1)
    assert not OutboxMessage.objects.exists()


def test_the_daily_digest_is_queued_once_per_person_per_day(obligation: Any, officer: Any) -> None:
    overdue_action(obligation)
    assert notifications.send_officer_digests(today=TODAY)["queued"] == 1
    again = notifications.send_officer_digests(today=TODAY)
    assert (again["queued"], again["already_queued"]) == (0, 1)
    assert notifications.send_officer_digests(today=TODAY + dt.timedelta(days=1))["queued"] == 1
    assert OutboxMessage.objects.count() == 2


def test_someone_who_turns_digests_off_after_queueing_is_not_sent_it(obligation: Any, officer: Any) -> None:
    overdue_action(obligation)
    notifications.send_officer_digests(today=TODAY)
    notifications.set_digests_enabled(officer, enabled=False)
    counts = notifications.deliver_outbox(now=NOW)
    assert (counts["sent"], counts["skipped"]) == (0, 1)
    assert mail.outbox == []
    message = OutboxMessage.objects.get()
    assert message.sent_at is not None and "turned digests off" in message.last_error


def test_digest_text_from_users_stays_text(obligation: Any, officer: Any) -> None:
    overdue_action(obligation, description=HOSTILE)
    notifications.send_officer_digests(today=TODAY)
    payload = OutboxMessage.objects.get().payload
    assert "<script>" not in payload["html"]
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Fix &amp; sign" in payload["html"]
    assert "<script>alert('x')</script> Fix & sign" in payload["text"]  # plain text is not HTML-escaped


# --- the secretariat's weekly digest ---------------------------------------------------------


def test_the_weekly_digest_goes_to_each_lead_board_s_secretariat_with_its_overdue_items(
    party_a: Any, board: Any, secretary: Any, lhb: Any, lhb_secretary: Any
) -> None:
    spb_item = action_under(board, party_a, days_late=40, description="SPB-led item")
    unled = action_under(None, party_a, days_late=2, description="Item with no lead board")
    lhb_item = action_under(lhb, party_a, days_late=20, description="LHB-led item")
    action_under(lhb, party_a, days_late=-3, description="Not yet due")
    Action.objects.filter(pk=spb_item.pk).update(overdue_since=TODAY - dt.timedelta(days=30))
    Action.objects.filter(pk=lhb_item.pk).update(overdue_since=TODAY - dt.timedelta(days=15))
    overdue.flag_overdue(today=TODAY)

    counts = notifications.send_secretariat_digests(today=TODAY)

    assert counts["queued"] == 2
    by_key = {m.dedupe_key: m.payload for m in OutboxMessage.objects.filter(kind="email.digest.weekly")}
    assert set(by_key) == {"digest:weekly:SPB:2026-W10", "digest:weekly:LHB:2026-W10"}
    spb, lhb_digest = by_key["digest:weekly:SPB:2026-W10"], by_key["digest:weekly:LHB:2026-W10"]
    assert spb["recipients"] == [[secretary.pk, secretary.email]]
    assert lhb_digest["recipients"] == [[lhb_secretary.pk, lhb_secretary.email]]
    assert spb["subject"] == "DevoTracker weekly digest for SPB: 2 overdue, 1 for Leaders' Committee (2026-W10)"
    # The SPB also takes commitments with no lead board; the most escalated come first.
    assert (
        spb["text"].index("FOR THE NEXT LEADERS' COMMITTEE REPORT")
        < spb["text"].index("SPB-led item")
        < spb["text"].index(unled.description)
    )
    assert "LHB-led item" not in spb["text"]
    assert "ESCALATED TO THE SECRETARIAT" in lhb_digest["text"] and "LHB-led item" in lhb_digest["text"]
    assert "Not yet due" not in lhb_digest["text"]


def test_the_weekly_digest_is_queued_once_per_board_per_iso_week(party_a: Any, board: Any, secretary: Any) -> None:
    action_under(board, party_a)
    assert notifications.send_secretariat_digests(today=TODAY)["queued"] == 1
    assert notifications.send_secretariat_digests(today=TODAY + dt.timedelta(days=6))["already_queued"] == 1  # Sunday, same week
    assert notifications.send_secretariat_digests(today=TODAY + dt.timedelta(days=7))["queued"] == 1
    assert OutboxMessage.objects.count() == 2


def test_secretariat_members_who_opted_out_are_left_off(party_a: Any, board: Any, secretary: Any) -> None:
    colleague = UserFactory(username="sid", email="sid@example.org")
    MembershipFactory(user=colleague, party=None, board=board, role=Membership.Role.SECRETARIAT)
    Profile.objects.create(user=secretary, digests_enabled=False)
    action_under(board, party_a)
    notifications.send_secretariat_digests(today=TODAY)
    assert OutboxMessage.objects.get().payload["recipients"] == [[colleague.pk, "sid@example.org"]]


def test_no_weekly_digest_when_nothing_is_overdue(party_a: Any, board: Any, secretary: Any) -> None:
    action_under(board, party_a, days_late=-1)
    action_under(board, party_a, days_late=30, status="not_pursued")  # closed, however late
    counts = notifications.send_secretariat_digests(today=TODAY)
    assert (counts["queued"], counts["empty"]) == (0, 1)


# --- escalation notices -----------------------------------------------------------------------


def test_an_escalation_notice_is_sent_to_who_was_told_with_both_bodies(obligation: Any, owner: Any, settings: Any) -> None:
    settings.SITE_URL = "https://devotracker.example.org"
    action = overdue_action(obligation, owner=owner, description=HOSTILE)
    overdue.flag_overdue(today=TODAY)
    assert notifications.deliver_outbox(now=NOW)["sent"] == 1
    (email,) = mail.outbox
    assert email.to == ["olive@example.org"]
    assert "\n" not in email.subject and "\r" not in email.subject
    assert email.subject.startswith("Overdue: TST-001 <script>alert('x')</script> Fix & sign Bcc:")
    assert f"https://devotracker.example.org/actions/{action.pk}/update/" in email.body
    html, mime = email.alternatives[0]
    assert mime == "text/html"
    assert "<script>" not in html and "&lt;script&gt;" in html
    message = OutboxMessage.objects.get()
    assert email.extra_headers["Message-ID"] == f"<outbox.{message.pk}@devotracker.example.org>"
    assert email.extra_headers["Auto-Submitted"] == "auto-generated"
    assert (message.sent_at, message.attempts, message.last_error) == (NOW, 1, "")


def test_a_notice_for_an_item_resolved_before_delivery_is_not_sent(obligation: Any, owner: Any) -> None:
    action = overdue_action(obligation, owner=owner)
    overdue.flag_overdue(today=TODAY)
    Action.objects.filter(pk=action.pk).update(status=Status.COMPLETE, completed_date=TODAY)
    overdue.flag_overdue(today=TODAY)  # clears it and resolves the step
    counts = notifications.deliver_outbox(now=NOW)
    assert (counts["sent"], counts["skipped"]) == (0, 1)
    assert mail.outbox == []
    assert "stopped being overdue" in OutboxMessage.objects.get().last_error


def test_an_item_taking_several_steps_at_once_is_listed_once_under_the_highest(obligation: Any, owner: Any, secretary: Any) -> None:
    action = overdue_action(obligation, owner=owner, days_late=40)
    Action.objects.filter(pk=action.pk).update(overdue_since=TODAY - dt.timedelta(days=28))
    overdue.flag_overdue(today=TODAY)  # steps 1 (owner), 2 (secretariat) and 3 (both) at once
    notifications.deliver_outbox(now=NOW)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([owner.email, secretary.email])  # one e-mail each
    for email in mail.outbox:
        assert email.subject.startswith("For the next Leaders' Committee report: TST-001")
        assert "1 item is overdue: 1 going on the next Leaders' Committee report." in email.body
        assert email.body.count(f"/actions/{action.pk}/update/") == 1
        assert "FOR THE NEXT LEADERS' COMMITTEE REPORT (1)" in email.body and "NEWLY OVERDUE" not in email.body


def test_a_secretariat_notice_of_one_item_names_the_board(obligation: Any, owner: Any, secretary: Any) -> None:
    action = overdue_action(obligation, owner=owner, days_late=20)
    Action.objects.filter(pk=action.pk).update(overdue_since=TODAY - dt.timedelta(days=14), escalation_level=1)
    overdue.flag_overdue(today=TODAY)  # step 2 only: the SPB secretariat
    notifications.deliver_outbox(now=NOW)
    (email,) = mail.outbox
    assert email.to == [secretary.email]
    assert email.subject.startswith("Overdue 14 days, escalated to the SPB secretariat: TST-001")
    assert "1 newly escalated to you as the SPB secretariat" in email.body


# --- delivery, retries and back-off ----------------------------------------------------------


def test_a_failed_send_is_retried_with_exponential_back_off_then_given_up(obligation: Any, owner: Any, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    settings.OUTBOX_MAX_ATTEMPTS = 4
    overdue_action(obligation, owner=owner)
    # The mail server being down never blocks the flagging: the pass commits and queues.
    run = overdue.run_flag_overdue("test", today=TODAY)
    assert run.outcome == "success" and run.counts["messages_queued"] == 1

    now = NOW
    waits = []
    for attempt in (1, 2, 3):
        assert notifications.deliver_outbox(now=now)["failed"] == 1
        message = OutboxMessage.objects.get()
        assert message.attempts == attempt and message.sent_at is None
        assert "ConnectionRefusedError" in message.last_error
        waits.append(message.available_at - now)
        # Not picked again before its time …
        assert notifications.deliver_outbox(now=message.available_at - dt.timedelta(seconds=1)) == {
            "sent": 0,
            "skipped": 0,
            "failed": 0,
            "gave_up": 0,
        }
        now = message.available_at
    assert waits == [dt.timedelta(minutes=1), dt.timedelta(minutes=2), dt.timedelta(minutes=4)]
    # … and given up after the last attempt, with the error kept and the row never picked again.
    assert notifications.deliver_outbox(now=now)["gave_up"] == 1
    message = OutboxMessage.objects.get()
    assert (message.attempts, message.sent_at) == (4, None) and "ConnectionRefusedError" in message.last_error
    assert notifications.deliver_outbox(now=now + dt.timedelta(days=1))["gave_up"] == 0
    Action.objects.get()  # the flag stayed
    assert Action.objects.get().overdue_since == TODAY


def test_the_back_off_is_capped(settings: Any) -> None:
    assert notifications.retry_delay(1) == dt.timedelta(seconds=60)
    assert notifications.retry_delay(5) == dt.timedelta(seconds=16 * 60)
    assert notifications.retry_delay(30) == dt.timedelta(hours=6)


def test_one_broken_message_does_not_hold_up_the_others(db: Any) -> None:
    services.queue_message(kind="email", dedupe_key="broken", payload={"to": ["a@example.org"]})  # no subject
    notifications.queue_email(dedupe_key="fine", to=["b@example.org"], subject="Hello", text="Body", html="<p>Body</p>")
    counts = notifications.deliver_outbox(now=NOW)
    assert (counts["sent"], counts["failed"]) == (1, 1)
    assert [m.to for m in mail.outbox] == [["b@example.org"]]
    broken = OutboxMessage.objects.get(dedupe_key="broken")
    assert broken.last_error.startswith("KeyError") and broken.available_at == NOW + dt.timedelta(minutes=1)


def test_a_sent_message_is_never_sent_again(db: Any) -> None:
    notifications.queue_email(dedupe_key="once", to=["b@example.org"], subject="Hello", text="Body", html="<p>Body</p>")
    assert notifications.queue_email(dedupe_key="once", to=["b@example.org"], subject="Hello", text="Body", html="<p>Body</p>") is False
    notifications.deliver_outbox(now=NOW)
    notifications.deliver_outbox(now=NOW + dt.timedelta(hours=1))
    assert len(mail.outbox) == 1


def test_messages_of_kinds_it_does_not_know_are_left_for_their_own_deliverer(db: Any) -> None:
    services.queue_message(kind="webhook", dedupe_key="hook:1", payload={})
    assert notifications.deliver_outbox(now=NOW) == {"sent": 0, "skipped": 0, "failed": 0, "gave_up": 0}
    assert OutboxMessage.objects.get().attempts == 0


@pytest.mark.postgresql(reason="SKIP LOCKED is PostgreSQL's; SQLite serialises writers instead")
@pytest.mark.django_db(transaction=True)
def test_a_message_claimed_by_another_worker_is_skipped_not_waited_for(db: Any, monkeypatch: Any) -> None:
    import psycopg2

    monkeypatch.setattr(notifications.outbox, "schedule_delivery", lambda: None)  # this test delivers by hand

    notifications.queue_email(dedupe_key="claimed", to=["a@example.org"], subject="A", text="A", html="A")
    notifications.queue_email(dedupe_key="free", to=["b@example.org"], subject="B", text="B", html="B")
    claimed = OutboxMessage.objects.get(dedupe_key="claimed")
    s = connection.settings_dict
    other = psycopg2.connect(dbname=s["NAME"], user=s["USER"], password=s["PASSWORD"], host=s["HOST"], port=s["PORT"])
    try:
        with other.cursor() as cursor:  # another worker, mid-send, holding its claim
            cursor.execute("SELECT id FROM commitments_outboxmessage WHERE id = %s FOR UPDATE", [claimed.pk])
        counts = notifications.deliver_outbox(now=NOW + dt.timedelta(seconds=1))
    finally:
        other.rollback()
        other.close()
    assert counts["sent"] == 1
    assert [m.to for m in mail.outbox] == [["b@example.org"]]
    assert OutboxMessage.objects.get(dedupe_key="claimed").sent_at is None


# --- preferences --------------------------------------------------------------------------------


def test_the_profile_is_created_lazily_on_first_choice(officer: Any) -> None:
    assert notifications.digests_enabled(officer) is True
    assert not Profile.objects.filter(user=officer).exists()
    notifications.set_digests_enabled(officer, enabled=False)
    assert Profile.objects.get(user=officer).digests_enabled is False
    assert notifications.digests_enabled(officer) is False
    notifications.set_digests_enabled(officer, enabled=True)
    assert Profile.objects.get(user=officer).digests_enabled is True


def test_an_obligation_digest_item_links_to_the_obligation_update_page(obligation: Any, officer: Any) -> None:
    from commitments.models import Obligation

    Obligation.objects.filter(pk=obligation.pk).update(due_date=TODAY - dt.timedelta(days=1))
    ObligationFactory()  # someone else's, not in alice's digest
    notifications.send_officer_digests(today=TODAY)
    text = OutboxMessage.objects.get().payload["text"]
    assert f"/obligations/{obligation.pk}/update/" in text
    assert "What Party A owes under TST-001" in text
