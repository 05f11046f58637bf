"""Illustrative demo data and demo accounts for the quick start.

The sources give no actions, delivery dates or statuses, so everything this module writes is
marked as demo data (``is_demo`` on obligations' state, actions, status updates and meetings) and
is never produced by :mod:`commitments.loader`. Dates are relative to the day the demo is loaded,
so the quick start always shows a living tracker: some items overdue, some due soon, two years of
history. The generator is seeded, so the same day gives the same data.

Demo accounts (DESIGN.md §10) get ``DEMO_PASSWORD`` on every run, except the API-only
``partner``, which gets no usable password: it cannot sign in to the web pages and reaches the API
with a key from ``manage.py create_api_token partner``.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from boards.models import Board, Meeting, Membership, Party, Profile
from devotracker.db import refresh_planner_statistics

from . import changes
from .lifecycle import is_overdue
from .models import Action, Change, Escalation, Obligation, Rag, Status, StatusUpdate
from .services import refresh_all_rollups


@dataclass(frozen=True)
class DemoAccount:
    username: str
    first_name: str
    last_name: str
    role: str  # officer | secretariat | viewer | administrator | partner
    target: str  # party slug(s) or board code, "" for none
    label: str  # "party or board" column of the README table


DEMO_ACCOUNTS = [
    DemoAccount("officer", "Olivia", "Okafor", "officer", "nhs-england", "NHS England"),
    DemoAccount("lc.officer", "Liam", "Chen", "officer", "london-councils", "London Councils"),
    DemoAccount(
        "camden.officer", "Priya", "Shah", "officer", "camden,london-boroughs", "London Borough of Camden; London boroughs (collective)"
    ),
    DemoAccount("gla.officer", "Grace", "Adeyemi", "officer", "gla,mayor-of-london", "Greater London Authority; Mayor of London"),
    DemoAccount("secretariat", "Sam", "Patel", "secretariat", "SPB", "London Health and Care Strategic Partnership Board (SPB)"),
    DemoAccount("leb.secretariat", "Leah", "Murphy", "secretariat", "LEB", "London Estates Board (LEB)"),
    DemoAccount("viewer", "Victor", "Nwosu", "viewer", "", "Leaders' Committee (viewers)"),
    DemoAccount("admin", "Ada", "Morgan", "administrator", "", "Administrator (staff)"),
    DemoAccount("partner", "Partner", "System", "partner", "mayor-of-london", "Mayor of London (API only, no password)"),
]

ACTION_TEMPLATES = [
    "Agree terms of reference with {party}",
    "Draft the delivery plan section for {ref}",
    "Report progress on {ref} to the {board}",
    "Complete the options appraisal for {ref}",
    "Publish the evidence review supporting {ref}",
    "Hold a joint workshop with borough and NHS partners on {ref}",
    "Sign off the business case for {ref}",
    "Set up data sharing between partners for {ref}",
]
NOTES = [
    "Work is on track; partners met this month.",
    "Waiting for national sign-off before the next step.",
    "Resourcing gap identified; escalated to the programme board.",
    "Draft circulated to partners for comment.",
    "Milestone met; evidence filed on the programme SharePoint.",
    "Timetable slipped because of the pre-election period.",
]


def ensure_accounts(password: str) -> list[DemoAccount]:
    """Create or refresh the demo accounts and their memberships; set each one's password (the
    API-only partner's is made unusable)."""
    User = get_user_model()
    viewers, _ = Group.objects.get_or_create(name="viewers")
    for account in DEMO_ACCOUNTS:
        user, _ = User.objects.get_or_create(username=account.username)
        user.first_name, user.last_name = account.first_name, account.last_name
        user.email = f"{account.username}@devotracker.example"
        user.is_active = True
        user.is_staff = user.is_superuser = account.role == "administrator"
        if account.role == "partner":
            # A partner system uses the API with a key (manage.py create_api_token), never the web
            # pages: no usable password, so the sign-in form refuses it whatever is typed
            # (Django's ModelBackend rejects a user whose password is unusable).
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.save()
        Profile.objects.get_or_create(user=user)
        if account.role == "viewer":
            user.groups.add(viewers)
        if account.role in ("officer", "partner"):
            for slug in account.target.split(","):
                party = Party.objects.filter(slug=slug).first()
                if party:
                    Membership.objects.get_or_create(user=user, party=party, role=Membership.Role.OFFICER)
        if account.role == "secretariat":
            board = Board.objects.filter(code=account.target).first()
            if board:
                Membership.objects.get_or_create(user=user, board=board, role=Membership.Role.SECRETARIAT)
    return DEMO_ACCOUNTS


def demo_loaded() -> bool:
    return Action.objects.filter(is_demo=True).exists()


def remove_demo_data() -> None:
    """Delete demo actions, history and meetings, and return obligations to their loaded state."""
    updates = StatusUpdate.objects.filter(Q(is_demo=True) | Q(action__is_demo=True))
    meetings = Meeting.objects.filter(is_demo=True, reports__isnull=True)
    # The sync feed hears of every row that goes, the cascaded history included (tombstones).
    changes.record_bulk(StatusUpdate, updates.values_list("pk", flat=True), op=Change.Op.DELETE)
    changes.record_bulk(Action, Action.objects.filter(is_demo=True).values_list("pk", flat=True), op=Change.Op.DELETE)
    changes.record_bulk(Meeting, meetings.values_list("pk", flat=True), op=Change.Op.DELETE)
    updates.delete()
    Escalation.objects.filter(obligation__is_demo=True).delete()
    Action.objects.filter(is_demo=True).delete()
    meetings.delete()
    reset = list(Obligation.objects.filter(is_demo=True).values_list("pk", flat=True))
    Obligation.objects.filter(pk__in=reset).update(
        is_demo=False,
        owner=None,
        due_date=None,
        status=Status.NOT_STARTED,
        rag="",
        progress=0,
        version=1,
        overdue_since=None,
        escalation_level=0,
    )
    changes.record_bulk(Obligation, reset)
    refresh_all_rollups()


def _state_path(rng: random.Random, final_status: str) -> list[tuple[str, str, int]]:
    """A plausible sequence of (status, rag, progress) states ending in ``final_status``."""
    steps: list[tuple[str, str, int]] = []
    progress = 0
    n = {Status.NOT_STARTED: 0, Status.IN_PROGRESS: rng.randint(1, 4), Status.COMPLETE: rng.randint(2, 5), Status.NOT_PURSUED: 1}[
        Status(final_status)
    ]
    for i in range(n):
        last = i == n - 1
        if final_status == Status.NOT_PURSUED:
            steps.append((Status.NOT_PURSUED, "", 0))
            break
        if last and final_status == Status.COMPLETE:
            steps.append((Status.COMPLETE, Rag.GREEN, 100))
            break
        progress = min(95, progress + rng.randint(10, 35))
        rag = rng.choices([Rag.GREEN, Rag.AMBER, Rag.RED], weights=[5, 3, 2])[0]
        steps.append((Status.IN_PROGRESS, rag, progress))
    return steps


@transaction.atomic
def load_demo(*, today: dt.date | None = None, seed: int = 2017) -> dict[str, int]:
    """Generate the demo actions, obligation states, two years of history and upcoming meetings."""
    today = today or timezone.localdate()
    now = timezone.now()
    rng = random.Random(seed)
    User = get_user_model()
    owners: dict[int, Any] = {}
    for m in Membership.objects.filter(
        role=Membership.Role.OFFICER, user__username__in=[a.username for a in DEMO_ACCOUNTS if a.role == "officer"]
    ):
        if m.party_id is not None:
            owners.setdefault(m.party_id, m.user)
    fallback_author = User.objects.filter(username="secretariat").first()

    obligations = list(
        Obligation.objects.select_related("commitment", "commitment__lead_board", "party").order_by("commitment__ref", "party__slug")
    )
    actions: list[Action] = []
    action_paths: list[list[tuple[str, str, int]]] = []
    updates: list[StatusUpdate] = []
    for obligation in obligations:
        owner = owners.get(obligation.party_id)
        final = rng.choices([Status.NOT_STARTED, Status.IN_PROGRESS, Status.COMPLETE, Status.NOT_PURSUED], weights=[2, 6, 2, 0.3])[0]
        path = _state_path(rng, final)
        obligation.is_demo = True
        obligation.owner = owner
        obligation.due_date = today + dt.timedelta(days=rng.randint(-150, 720))
        status, rag, progress = path[-1] if path else (Status.NOT_STARTED, "", 0)
        obligation.status, obligation.rag, obligation.progress = status, rag, progress
        updates.extend(_history(rng, path, now, target_type="obligation", obligation=obligation, author=owner or fallback_author))
        obligation.version = 1 + len(path)
        obligation.overdue_since = _first_seen_overdue(obligation.due_date, obligation.status, today)
        # Actions for the parties with demo officers and the collectives, so "My work" and the
        # overdue lists have something to show; every demo officer gets at least one overdue action.
        if owner is None and not obligation.party.collective:
            continue
        for n in range(rng.randint(1, 3)):
            due = today + dt.timedelta(days=rng.randint(-150, 300))
            if n == 0 and owner is not None and rng.random() < 0.35:
                due = today - dt.timedelta(days=rng.randint(3, 60))
                action_final = Status.IN_PROGRESS  # overdue and open: something to chase
            elif due < today:
                action_final = rng.choices([Status.NOT_STARTED, Status.IN_PROGRESS, Status.COMPLETE], weights=[1, 2, 9])[0]
            else:
                action_final = rng.choices([Status.NOT_STARTED, Status.IN_PROGRESS, Status.COMPLETE], weights=[4, 5, 1])[0]
            apath = _state_path(rng, action_final)
            astatus, arag, aprogress = apath[-1] if apath else (Status.NOT_STARTED, "", 0)
            action = Action(
                obligation=obligation,
                description=rng.choice(ACTION_TEMPLATES).format(
                    party=obligation.party.name,
                    ref=obligation.commitment.ref,
                    board=(obligation.commitment.lead_board or Board(name="programme board")).name,
                ),
                owner=owner,
                due_date=due,
                original_due_date=due - dt.timedelta(days=rng.choice([0, 0, 0, 30, 60])),
                status=astatus,
                rag=arag,
                progress=aprogress,
                completed_date=(min(due, today) - dt.timedelta(days=rng.randint(0, 20))) if astatus == Status.COMPLETE else None,
                version=1 + len(apath),
                is_demo=True,
                created_by=owner or fallback_author,
            )
            action.overdue_since = _first_seen_overdue(action.due_date, action.status, today)
            actions.append(action)
            action_paths.append(apath)
    Obligation.objects.bulk_update(
        obligations, ["is_demo", "owner", "due_date", "status", "rag", "progress", "version", "overdue_since"], batch_size=500
    )
    Action.objects.bulk_create(actions, batch_size=500)
    for action, apath in zip(actions, action_paths, strict=True):
        updates.extend(
            _history(
                rng, apath, now, target_type="action", action=action, obligation=action.obligation, author=action.owner or fallback_author
            )
        )
    StatusUpdate.objects.bulk_create(updates, batch_size=1000)
    meetings = _meetings(today)
    refresh_all_rollups()
    # the sync feed hears of the bulk writes in one go
    changes.record_bulk(Obligation, [o.pk for o in obligations])
    changes.record_bulk(Action, [a.pk for a in actions], op=Change.Op.CREATE)
    changes.record_bulk(StatusUpdate, [u.pk for u in updates], op=Change.Op.CREATE)
    refresh_planner_statistics()
    return {"obligations": len(obligations), "actions": len(actions), "status_updates": len(updates), "meetings": meetings}


def _first_seen_overdue(due: dt.date | None, status: str, today: dt.date) -> dt.date | None:
    """As if the daily pass had been running: an open item past its due date was first seen
    overdue the day after it fell due. The quick start's first pass then takes the escalation
    steps those days call for (secretariat after 14 days, Leaders' Committee after 28)."""
    if due is None or not is_overdue(due, status, today):
        return None
    return due + dt.timedelta(days=1)


def _history(
    rng: random.Random,
    path: list[tuple[str, str, int]],
    now: dt.datetime,
    *,
    target_type: str,
    author: Any,
    obligation: Obligation,
    action: Action | None = None,
) -> list[StatusUpdate]:
    """History rows walking through ``path`` over the last two years, oldest first."""
    if not path:
        return []
    stamps = sorted(now - dt.timedelta(days=rng.randint(1, 730), minutes=rng.randint(0, 1440)) for _ in path)
    rows = []
    before: tuple[str, str, int] = (Status.NOT_STARTED, "", 0)
    for version, (stamp, after) in enumerate(zip(stamps, path, strict=True), start=2):
        rows.append(
            StatusUpdate(
                target_type=target_type,
                commitment_id=obligation.commitment_id,
                obligation=obligation,
                action=action,
                party_id=obligation.party_id,
                author=author,
                created_at=stamp,
                source=StatusUpdate.Source.DEMO,
                from_status=before[0],
                to_status=after[0],
                from_rag=before[1],
                to_rag=after[1],
                from_progress=before[2],
                to_progress=after[2],
                version=version,
                reason="Demo data: illustrative progress." if before[:2] != after[:2] else "",
                note=rng.choice(NOTES),
                evidence=["https://example.org/evidence/demo"] if after[0] == Status.COMPLETE else [],
                is_demo=True,
            )
        )
        before = after
    return rows


def _meetings(today: dt.date) -> int:
    """Upcoming (and one past) demo meetings of Leaders' Committee and the MoU boards."""
    plan = [
        ("LC", 21, "Health and care devolution: delivery of the MoU commitments", "6"),
        ("LC", -70, "Health and care devolution: delivery of the MoU commitments", "7"),
        ("LHB", 28, "London Health Board: devolution progress", "4"),
        ("SPB", 14, "Strategic Partnership Board: outstanding actions", "3"),
        ("SPB", -42, "Strategic Partnership Board: outstanding actions", "3"),
        ("LEB", 35, "London Estates Board: outstanding actions", "5"),
        ("LWB", 42, "London Workforce Board: outstanding actions", "2"),
    ]
    count = 0
    for code, offset, title, item in plan:
        board = Board.objects.filter(code=code).first()
        if board is None:
            continue
        meeting, created = Meeting.objects.get_or_create(
            board=board,
            date=today + dt.timedelta(days=offset),
            is_demo=True,
            defaults={
                "title": title,
                "item_number": item,
                "report_by": "Strategic Lead for Health and Adult Social Care, London Councils",
                "contact": "devotracker@londoncouncils.example",
            },
        )
        if created:
            changes.record(meeting, Change.Op.CREATE)
        count += 1
    return count
