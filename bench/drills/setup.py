"""Prepare a database that holds the MoU and demo data for the drills, and describe it for locust.

``python -m bench.drills.setup OUT.json`` (with ``DRILL_PASSWORD`` and the drill's settings) adds:

- for the eight parties that owe the most, two officers each, and at least four actions per party
  (two of them due yesterday, so the overdue pass has notices to send);
- ten viewers; four partner systems (officers of the first four parties) with write tokens;
- a member of the SPB's secretariat, and a Leaders' Committee meeting whose paper it can build.

and writes what the locust users need (accounts, keys, the ids they write to, refs and slugs they
read) to OUT.json. Idempotent enough to run twice: accounts are got or created.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any


def main(out: Path) -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.db.models import Count
    from django.utils import timezone

    from boards.models import ApiToken, Board, Meeting, Membership, Party
    from commitments.models import Action, Commitment, Obligation, Theme
    from commitments.services import add_action
    from pilots.models import Pilot

    user_model = get_user_model()
    password = os.environ["DRILL_PASSWORD"]
    hashed = make_password(password)  # one hash for every drill account: hashing is deliberately slow
    today = timezone.localdate()

    def account(username: str) -> Any:
        user, _ = user_model.objects.get_or_create(username=username, defaults={"email": f"{username}@drill.example"})
        user.password = hashed
        user.email = f"{username}@drill.example"
        user.save()
        return user

    parties = list(Party.objects.annotate(n=Count("obligations")).filter(n__gt=0).order_by("-n", "slug")[:8])
    if len(parties) < 4:
        raise SystemExit("load the MoU and demo data first (manage.py load_mou, load_demo)")
    officers, partners, party_rows = [], [], []
    for k, party in enumerate(parties):
        first = None
        for side in ("a", "b"):
            user = account(f"drill-officer-{k}-{side}")
            Membership.objects.get_or_create(user=user, party=party, role=Membership.Role.OFFICER)
            officers.append({"username": user.username, "party": k})
            first = first or user
        obligations = list(Obligation.objects.filter(party=party).order_by("pk").values_list("pk", flat=True)[:20])
        have = Action.objects.filter(obligation__party=party).count()
        for n in range(max(0, 4 - have) + 2):
            due = today - dt.timedelta(days=1) if n < 2 else today + dt.timedelta(days=30 + n)
            add_action(
                Obligation.objects.get(pk=obligations[n % len(obligations)]),
                by=first,
                description=f"Drill step {n + 1} for {party.name}",
                due_date=due,
                owner=first,
            )
        actions = list(Action.objects.filter(obligation__party=party).order_by("pk").values_list("pk", flat=True)[:20])
        party_rows.append({"slug": party.slug, "obligations": obligations, "actions": actions})
        if k < 4:
            partner = account(f"drill-partner-{k}")
            Membership.objects.get_or_create(user=partner, party=party, role=Membership.Role.OFFICER)
            partners.append(
                {"username": partner.username, "party": k, "key": ApiToken.issue(user=partner, scope="write", name="load drill")[1]}
            )

    viewers_group = Group.objects.get_or_create(name="viewers")[0]
    viewers = []
    for i in range(10):
        user = account(f"drill-viewer-{i}")
        user.groups.add(viewers_group)
        viewers.append({"username": user.username})

    spb = Board.objects.get(code__iexact="SPB")
    secretary = account("drill-secretary")
    Membership.objects.get_or_create(user=secretary, board=spb, role=Membership.Role.SECRETARIAT)
    committee = Board.objects.filter(kind=Board.Kind.COMMITTEE).order_by("code").first() or spb
    meeting = Meeting.objects.create(
        board=committee, date=today + dt.timedelta(days=14), title="Drill: health and care devolution", item_number="9"
    )

    data = {
        "password": password,
        "officers": officers,
        "partners": partners,
        "viewers": viewers,
        "secretary": {"username": secretary.username, "meeting": meeting.pk},
        "parties": party_rows,
        "refs": list(Commitment.objects.order_by("ref").values_list("ref", flat=True)),
        "boards": list(Board.objects.filter(is_mou_board=True).values_list("code", flat=True)),
        "pilots": list(Pilot.objects.values_list("slug", flat=True)),
        "themes": list(Theme.objects.values_list("slug", flat=True)),
    }
    out.write_text(json.dumps(data, indent=1))
    print(
        f"drill data: {len(officers)} officers, {len(partners)} partners, {len(viewers)} viewers, {sum(len(p['actions']) for p in party_rows)} actions to write",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
