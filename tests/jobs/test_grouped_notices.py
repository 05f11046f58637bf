"""The overdue pass's notices grouped by recipient (issue 11): whenever one pass tells the same
person of several items (the first pass over a backlog, the first pass after downtime, a busy
day), they get one e-mail listing every item, with counts by step; nothing is lost, nothing is
sent twice, and re-running the pass sends nothing more."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.core import mail

from boards.models import Membership
from commitments import notifications, overdue, services
from commitments.models import Action, Escalation, OutboxMessage, Status

from ..factories import MembershipFactory, UserFactory
from .conftest import TODAY, action_under, overdue_action
from .test_notifications import closed_port

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def at_seven_on_monday() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def deliver() -> dict[str, int]:
    return notifications.deliver_outbox(now=NOW)


def by_recipient() -> dict[str, Any]:
    emails = {}
    for email in mail.outbox:
        (address,) = email.to
        assert address not in emails, f"{address} got two e-mails"
        emails[address] = email
    return emails


def update_links(email: Any) -> set[str]:
    return set(re.findall(r"/(?:actions|obligations)/\d+/update/", email.body))


def long_overdue(obligation: Any, days: int, **kwargs: Any) -> Action:
    """An action already in an overdue spell of ``days`` days (flagged by an earlier pass, no step
    recorded yet): the pass takes every step it has reached."""
    action = overdue_action(obligation, days_late=days + 1, **kwargs)
    Action.objects.filter(pk=action.pk).update(overdue_since=TODAY - dt.timedelta(days=days))
    return action


def test_a_pass_over_items_owned_by_two_people_sends_two_e_mails_listing_every_item(obligation: Any, owner: Any) -> None:
    other = UserFactory(username="otto", first_name="Otto", last_name="Owner", email="otto@example.org")
    olive_items = [overdue_action(obligation, owner=owner, days_late=d, description=f"Olive's {d}") for d in range(1, 8)]
    otto_items = [overdue_action(obligation, owner=other, days_late=d, description=f"Otto's {d}") for d in range(1, 6)]

    counts = overdue.flag_overdue(today=TODAY)
    assert (counts["newly_overdue"], counts["escalated_step_1"], counts["messages_queued"]) == (12, 12, 2)
    assert deliver()["sent"] == 2

    emails = by_recipient()
    assert set(emails) == {owner.email, other.email}
    for email, items, name in ((emails[owner.email], olive_items, "Olive"), (emails[other.email], otto_items, "Otto")):
        n = len(items)
        assert email.subject == f"{n} items newly overdue"
        assert email.body.startswith(f"Hello {name} Owner,\n\n{n} items are overdue: {n} newly overdue.")
        assert f"NEWLY OVERDUE ({n})" in email.body
        assert update_links(email) == {f"/actions/{a.pk}/update/" for a in items}  # every item, once each
        html = email.alternatives[0][0]
        assert f"Newly overdue ({n})</h2>" in html and html.count("<li ") == n

    # Re-running the pass (the same day, and the next) queues and sends nothing more.
    assert overdue.flag_overdue(today=TODAY)["messages_queued"] == 0
    assert overdue.flag_overdue(today=TODAY + dt.timedelta(days=1))["messages_queued"] == 0
    assert deliver()["sent"] == 0
    assert len(mail.outbox) == 2 and OutboxMessage.objects.count() == 2


def test_secretariat_escalations_are_grouped_per_secretariat_member(
    party_a: Any, owner: Any, secretary: Any, board: Any, lhb: Any, lhb_secretary: Any
) -> None:
    # Items 14+ days into their spell, owners already told (step 1 recorded as level 1): this pass
    # is step 2 for each, to the lead board's secretariat.
    def step_two_due(lead: Any, n: int) -> list[Action]:
        items = []
        for i in range(n):
            action = action_under(lead, party_a, owner=owner, days_late=20, description=f"{lead.code} item {i}")
            Action.objects.filter(pk=action.pk).update(overdue_since=TODAY - dt.timedelta(days=15), escalation_level=1)
            items.append(action)
        return items

    spb_items, lhb_items = step_two_due(board, 4), step_two_due(lhb, 3)
    # A third person is secretariat of both boards: one e-mail for both boards' items.
    both = UserFactory(username="bea", first_name="Bea", last_name="Both", email="bea@example.org")
    MembershipFactory(user=both, party=None, board=board, role=Membership.Role.SECRETARIAT)
    MembershipFactory(user=both, party=None, board=lhb, role=Membership.Role.SECRETARIAT)

    counts = overdue.flag_overdue(today=TODAY)
    assert (counts["escalated_step_1"], counts["escalated_step_2"], counts["messages_queued"]) == (0, 7, 3)
    deliver()
    emails = by_recipient()
    assert set(emails) == {secretary.email, lhb_secretary.email, both.email}  # the owner hears nothing new

    spb = emails[secretary.email]
    assert spb.subject == "4 overdue items escalated to the SPB secretariat"
    assert "4 items are overdue: 4 newly escalated to you as the SPB secretariat." in spb.body
    assert "ESCALATED TO THE SPB SECRETARIAT (4)" in spb.body
    assert update_links(spb) == {f"/actions/{a.pk}/update/" for a in spb_items}
    lhb_mail = emails[lhb_secretary.email]
    assert lhb_mail.subject == "3 overdue items escalated to the LHB secretariat"
    assert update_links(lhb_mail) == {f"/actions/{a.pk}/update/" for a in lhb_items}
    combined = emails[both.email]
    assert combined.subject == "7 overdue items escalated to the LHB and SPB secretariats"
    assert update_links(combined) == {f"/actions/{a.pk}/update/" for a in spb_items + lhb_items}

    assert overdue.flag_overdue(today=TODAY)["messages_queued"] == 0 and deliver()["sent"] == 0


def test_after_downtime_each_person_gets_one_e_mail_counting_items_by_the_highest_step(
    obligation: Any, owner: Any, officer: Any, secretary: Any
) -> None:
    # The first pass after weeks without one finds a backlog at every step of the ladder.
    new = overdue_action(obligation, owner=owner, days_late=1, description="New")  # step 1
    fortnight = long_overdue(obligation, 20, owner=owner, description="Fortnight")  # steps 1, 2
    month = long_overdue(obligation, 30, owner=owner, description="Month")  # steps 1, 2, 3
    unowned = long_overdue(obligation, 30, description="Unowned")  # steps 1, 2, 3 (to the party's officer)

    counts = overdue.flag_overdue(today=TODAY)
    assert (counts["escalated_step_1"], counts["escalated_step_2"], counts["escalated_step_3"]) == (4, 3, 2)
    assert counts["messages_queued"] == 3
    deliver()
    emails = by_recipient()
    assert set(emails) == {owner.email, officer.email, secretary.email}

    olive = emails[owner.email]  # told of step 1 for three items, and step 3 for one of them
    assert olive.subject == "3 overdue items: 1 for the next Leaders' Committee report and 2 newly overdue"
    assert "3 items are overdue: 1 going on the next Leaders' Committee report and 2 newly overdue." in olive.body
    assert olive.body.index("FOR THE NEXT LEADERS' COMMITTEE REPORT (1)") < olive.body.index("NEWLY OVERDUE (2)")
    assert update_links(olive) == {f"/actions/{a.pk}/update/" for a in (new, fortnight, month)}

    sam = emails[secretary.email]  # steps 2 and 3 of two items, step 2 of one
    assert sam.subject == "3 overdue items: 2 for the next Leaders' Committee report and 1 escalated to the SPB secretariat"
    assert (
        "3 items are overdue: 2 going on the next Leaders' Committee report and 1 newly escalated to you as the SPB secretariat."
        in sam.body
    )
    assert update_links(sam) == {f"/actions/{a.pk}/update/" for a in (fortnight, month, unowned)}

    alice = emails[officer.email]  # the unowned item: steps 1 and 3
    assert alice.subject.startswith("For the next Leaders' Committee report: TST-001 Unowned")
    assert update_links(alice) == {f"/actions/{unowned.pk}/update/"}

    # Every step with someone to tell is in exactly the messages of the people it names.
    for message in OutboxMessage.objects.all():
        for escalation in Escalation.objects.filter(pk__in=message.payload["escalation_ids"]):
            assert message.payload["to"] in escalation.notified
    told = {(e.pk, address) for e in Escalation.objects.all() for address in e.notified}
    listed = {(pk, m.payload["to"]) for m in OutboxMessage.objects.all() for pk in m.payload["escalation_ids"]}
    assert told == listed


def test_items_resolved_before_delivery_are_left_out_and_an_empty_notice_is_not_sent(obligation: Any, owner: Any, officer: Any) -> None:
    done, still = overdue_action(obligation, owner=owner), overdue_action(obligation, owner=owner)
    gone = overdue_action(obligation)  # to the party's officer, alone
    overdue.flag_overdue(today=TODAY)
    for action in (done, gone):
        Action.objects.filter(pk=action.pk).update(status=Status.COMPLETE, completed_date=TODAY)
    overdue.flag_overdue(today=TODAY)  # clears them and resolves their steps
    counts = deliver()
    assert (counts["sent"], counts["skipped"]) == (1, 1)
    (email,) = mail.outbox
    assert email.to == [owner.email] and update_links(email) == {f"/actions/{still.pk}/update/"}
    skipped = OutboxMessage.objects.get(payload__to=officer.email)
    assert skipped.sent_at is not None and "stopped being overdue" in skipped.last_error


def test_a_failed_send_is_retried_and_each_person_still_gets_exactly_one_e_mail(obligation: Any, owner: Any, settings: Any) -> None:
    for _ in range(3):
        overdue_action(obligation, owner=owner)
    overdue.flag_overdue(today=TODAY)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    assert deliver()["failed"] == 1  # the mail server is down: kept, retried later
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    message = OutboxMessage.objects.get()
    assert notifications.deliver_outbox(now=message.available_at)["sent"] == 1
    assert notifications.deliver_outbox(now=message.available_at + dt.timedelta(hours=1))["sent"] == 0
    (email,) = mail.outbox
    assert email.extra_headers["Message-ID"].startswith(f"<outbox.{message.pk}@")  # stable: a resend folds
    assert "3 items are overdue" in email.body


def test_addresses_differing_only_in_case_are_one_recipient(obligation: Any) -> None:
    upper = UserFactory(username="kim1", email="Kim@Example.org")
    lower = UserFactory(username="kim2", email="kim@example.org")
    overdue_action(obligation, owner=upper)
    overdue_action(obligation, owner=lower)
    assert overdue.flag_overdue(today=TODAY)["messages_queued"] == 1
    deliver()
    (email,) = mail.outbox
    assert email.subject == "2 items newly overdue"


def test_hostile_text_in_a_grouped_notice_stays_text(obligation: Any, owner: Any) -> None:
    hostile = "<script>alert('x')</script> Fix & sign\r\nBcc: evil@example.org"
    overdue_action(obligation, owner=owner, description=hostile)
    overdue_action(obligation, owner=owner, description="Plain")
    overdue.flag_overdue(today=TODAY)
    deliver()
    (email,) = mail.outbox
    assert "\n" not in email.subject and "\r" not in email.subject
    html = email.alternatives[0][0]
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<html lang="en-GB">' in html and "<h2 " in html
    assert "<script>alert('x')</script>" in email.body  # the plain text is text already


def test_a_long_list_is_counted_in_full_and_linked_past_the_section_limit(obligation: Any, owner: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(notifications.escalations, "ESCALATION_SECTION_LIMIT", 3)
    for _ in range(5):
        overdue_action(obligation, owner=owner)
    overdue.flag_overdue(today=TODAY)
    deliver()
    (email,) = mail.outbox
    assert "5 items are overdue: 5 newly overdue." in email.body and "NEWLY OVERDUE (5)" in email.body
    assert len(update_links(email)) == 3 and "... and 2 more: " in email.body


def test_a_message_queued_before_grouping_is_still_delivered(obligation: Any, owner: Any) -> None:
    action = overdue_action(obligation, owner=owner)
    overdue.flag_overdue(today=TODAY)
    OutboxMessage.objects.all().delete()  # as if this pass had queued the old per-step message instead
    escalation = Escalation.objects.get(action=action)
    services.queue_message(
        kind=notifications.ESCALATION_KIND, dedupe_key=f"escalation:{escalation.pk}", payload={"escalation_id": escalation.pk}
    )
    assert deliver()["sent"] == 1
    (email,) = mail.outbox
    assert email.to == [owner.email] and email.subject.startswith("Overdue: TST-001")
