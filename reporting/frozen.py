"""A closed period's figures, read from its frozen snapshot: what the period's papers show (issue 13).

A paper for a meeting whose reporting period is closed is built from the period's frozen snapshot,
so rebuilding it later gives the same content whatever was written since: every tracked value
(status, RAG, progress, due date, overdue, owner, escalation step) comes from the snapshot's state
rows; the history it lists is cut at the instant the snapshot was taken (history is append-only);
the escalations are those open at that instant. What the snapshot does not record — a
commitment's title, a party's name, an action's description — is read as it is now: these are the
items' names, not their progress.

Each function here mirrors the live one the papers use for an open period
(``Commitment.objects.for_list``, :func:`reporting.dashboards.overdue_item_list`,
:func:`reporting.dashboards.due_item_list`) and returns the same shapes, so the templates do not
know which they were given.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from commitments.lifecycle import CLOSED_STATUSES
from commitments.models import Action, Commitment, Escalation, Obligation

from .dashboards import OverdueItem, Scope
from .dashboards.queries import item_entry, obligation_label
from .models import ActionState, CommitmentState, ObligationState, Snapshot


def commitments(snapshot: Snapshot, scope: Scope) -> list[Any]:
    """The scope's commitments the snapshot holds, by theme and ref, each carrying its frozen shown
    state under the names the live list annotates (``shown_status_db``, ``shown_rag_db``,
    ``rating_used_db``, ``shown_progress_db``, ``is_overdue``) and its frozen ``target_date``."""
    states = {
        row["commitment_id"]: row
        for row in CommitmentState.objects.filter(snapshot=snapshot, commitment_id__in=scope.commitments().values("pk")).values(
            "commitment_id", "status", "rag", "progress", "due_date", "overdue"
        )
    }
    out = list(
        Commitment.objects.filter(pk__in=list(states))
        .select_related("theme", "lead_board", "agreement", "parent")
        .order_by("theme__order", "ref")
    )
    for c in out:
        state = states[c.pk]
        c.shown_status_db, c.shown_rag_db, c.shown_progress_db = state["status"], state["rag"], state["progress"]
        # A snapshot keeps the shown RAG, not the assurance rating (issue 15): a paper built from it
        # counts the ratings it froze.
        c.rating_used_db = state["rag"]
        c.is_overdue, c.target_date = state["overdue"], state["due_date"]
    return out


def _targets(snapshot: Snapshot, scope: Scope, condition: Q) -> list[tuple[str, Any, Any]]:
    """(kind, live item, frozen state) of the scope's obligations and actions whose state in the
    snapshot matches ``condition``: four queries."""
    found: list[tuple[str, Any, Any]] = []
    for kind, state_model, model, key, scoped, related in (
        ("Obligation", ObligationState, Obligation, "obligation_id", scope.obligations(), ("commitment", "party")),
        ("Action", ActionState, Action, "action_id", scope.actions(), ("obligation__commitment", "obligation__party")),
    ):
        states: QuerySet[Any] = state_model.objects.filter(condition, snapshot=snapshot, **{f"{key}__in": scoped.values("pk")})
        by_id = {getattr(s, key): s for s in states}
        items = model.objects.filter(pk__in=list(by_id)).select_related(*related)
        found += [(kind, item, by_id[item.pk]) for item in items]
    return found


def _entries(snapshot: Snapshot, targets: list[tuple[str, Any, Any]]) -> list[OverdueItem]:
    owners = get_user_model().objects.in_bulk({state.owner_id for _, _, state in targets if state.owner_id})
    out = []
    for kind, item, state in targets:
        frozen = SimpleNamespace(due_date=state.due_date, owner=owners.get(state.owner_id), escalation_level=state.escalation_level)
        if kind == "Obligation":
            commitment, party, description = (
                item.commitment,
                item.party,
                obligation_label(item.party.name, item.commitment.ref),
            )
        else:
            commitment, party, description = item.obligation.commitment, item.obligation.party, item.description
        out.append(item_entry(kind, commitment, party, frozen, description, snapshot.day))
    return out


def overdue_item_list(snapshot: Snapshot, scope: Scope) -> list[OverdueItem]:
    """The scope's obligations and actions overdue on the snapshot's day, most overdue first."""
    items = _entries(snapshot, _targets(snapshot, scope, Q(overdue=True)))
    items.sort(key=lambda i: (-i.days_overdue, i.ref, i.kind))
    return items


def due_item_list(snapshot: Snapshot, scope: Scope, *, until: dt.date) -> list[OverdueItem]:
    """The scope's obligations and actions open on the snapshot's day and due from then to ``until``,
    soonest first."""
    condition = Q(due_date__gte=snapshot.day, due_date__lte=until) & ~Q(status__in=CLOSED_STATUSES)
    items = _entries(snapshot, _targets(snapshot, scope, condition))
    items.sort(key=lambda i: (i.due_date, i.ref, i.kind))
    return items


def open_escalations(snapshot: Snapshot) -> Q:
    """Escalations open at the instant the snapshot was taken."""
    return Q(created_at__lte=snapshot.taken_at) & (Q(resolved_at__isnull=True) | Q(resolved_at__gt=snapshot.taken_at))


def states_of(snapshot: Snapshot, escalations: list[Escalation]) -> dict[tuple[str, int], Any]:
    """The frozen state of each escalated item, keyed ("action" | "obligation", id): two queries."""
    actions = [e.action_id for e in escalations if e.action_id]
    obligations = [e.obligation_id for e in escalations if not e.action_id and e.obligation_id]
    out: dict[tuple[str, int], Any] = {}
    for s in ActionState.objects.filter(snapshot=snapshot, action_id__in=actions):
        out[("action", s.action_id)] = s
    for s in ObligationState.objects.filter(snapshot=snapshot, obligation_id__in=obligations):
        out[("obligation", s.obligation_id)] = s
    return out


__all__ = ["commitments", "due_item_list", "open_escalations", "overdue_item_list", "states_of"]
