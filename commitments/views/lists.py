"""The officer pages that read (issue 3): my work, the commitment, obligation and action lists, and
the commitment page. A FilterSet parses, a queryset method reads a page in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from boards.models import Membership, Party
from pilots.models import Pilot

from .. import dependencies, ownership
from ..assurance import can_assure
from ..filtersets import ActionFilterSet, CommitmentFilterSet, ObligationFilterSet
from ..models import Action, Agreement, Commitment, Escalation, Obligation, PendingUpdate, Theme, london_today
from .common import (
    filtered_list,
    tidy_query,
    writable_action_ids,
    writable_obligation_ids,
)

# --- my work ----------------------------------------------------------------------------------


# Updates returned to their author are pointed out on My work for this long (issue 15).
RETURNED_SHOWN_DAYS = 30


def my_work(request: HttpRequest) -> HttpResponse:
    """``/my-work/``: the open obligations and actions the user's parties owe (or the user owns),
    overdue first, then by due date; for secretariat members also those under the commitments
    their boards lead, and those commitments. Counts at the top.

    Queries: memberships (1), officer parties (1), obligations (1), actions (1), led commitments
    (1, secretariat only), updates awaiting approval (1), write permissions (2); the number of rows
    does not change it.
    """
    user: Any = request.user
    today = london_today()
    soon = today + dt.timedelta(days=settings.DIGEST_DUE_WITHIN_DAYS)
    memberships = list(Membership.objects.filter(user=user).select_related("party", "board").order_by("role", "party__name", "board__name"))
    board_ids = [m.board_id for m in memberships if m.role == Membership.Role.SECRETARIAT]

    obligations_qs = Obligation.objects.owed_by_user(user)
    actions_qs = Action.objects.owed_by_user(user)
    if board_ids:
        obligations_qs = obligations_qs | Obligation.objects.filter(commitment__lead_board_id__in=board_ids)
        actions_qs = actions_qs | Action.objects.filter(obligation__commitment__lead_board_id__in=board_ids)
    order: list[Any] = [F("is_overdue").desc(), F("due_date").asc(nulls_last=True), "id"]
    # for_list() first: open() is declared on the shared TrackedQuerySet, for_list() per model.
    obligations = list(obligations_qs.for_list(today).open().order_by(*order))
    actions = list(actions_qs.for_list(today).open().order_by(*order))
    led = list(Commitment.objects.filter(lead_board_id__in=board_ids).for_list(today).order_by("ref")) if board_ids else []

    recent = timezone.now() - dt.timedelta(days=RETURNED_SHOWN_DAYS)
    approvals = PendingUpdate.objects.visible_to(user).aggregate(
        to_decide=Count("pk", filter=Q(state="submitted", board_id__in=board_ids)),
        waiting=Count("pk", filter=Q(state="submitted") & ~Q(board_id__in=board_ids)),
        returned=Count("pk", filter=Q(state="returned", author_id=user.pk, decided_at__gte=recent)),
    )

    items = [*obligations, *actions]
    counts = {
        "overdue": sum(1 for i in items if i.is_overdue),
        "due_soon": sum(1 for i in items if not i.is_overdue and i.due_date and today <= i.due_date <= soon),
        "open": len(items),
    }
    return render(
        request,
        "commitments/my_work.html",
        {
            "memberships": memberships,
            "obligations": obligations,
            "actions": actions,
            "led_commitments": led,
            "counts": counts,
            "due_within_days": settings.DIGEST_DUE_WITHIN_DAYS,
            "writable_obligations": writable_obligation_ids(user, obligations),
            "writable_actions": writable_action_ids(user, actions),
            "may_import": bool(user.is_superuser) or bool(memberships),
            "approvals": approvals,
            "returned_shown_days": RETURNED_SHOWN_DAYS,
            # Nothing without an owner (issue 16): the worklist is for secretariats and administrators.
            "may_use_worklist": bool(user.is_superuser) or bool(board_ids),
        },
    )


# --- lists ------------------------------------------------------------------------------------


def commitment_list(request: HttpRequest) -> HttpResponse:
    """``/commitments/``: every commitment, filtered by the partner API's parameters (theme, board,
    pilot, party, status, rag, overdue, due_before, due_after, q, agreement, kind), sortable and
    paginated; the filters live in the URL so a view can be shared. Bad filter values are shown in
    an error summary and ignored (the valid ones still apply).

    Queries: the filter's own look-ups of the values given (theme, pilot, party: at most 3), the
    choices offered (themes, boards, pilots, parties, agreements: 5), the count and the page (2).
    """
    if tidy := tidy_query(request):
        return tidy
    today = london_today()
    filterset = CommitmentFilterSet(request.GET or None, queryset=Commitment.objects.for_list(today), request=request)
    context = filtered_list(request, filterset, default_sort="ref")
    context.update(
        {
            "agreement_options": [("", "Any agreement"), *((a.slug, a.short_name) for a in Agreement.objects.order_by("date", "slug"))],
            "party_options": [("", "Any party"), *((p.slug, p.name) for p in Party.objects.order_by("name"))],
            "pilot_options": [(p.slug, p.name) for p in Pilot.objects.order_by("name")],
            "theme_options": [(t.slug, t.name) for t in Theme.objects.order_by("order", "name")],
            "kind_options": list(Commitment.Kind.choices),
            "noun": "commitments",
        }
    )
    return render(request, "commitments/commitment_list.html", context)


def _tracked_list(  # the shared body of the obligation and action lists
    request: HttpRequest,
    *,
    filterset_class: type[Any],
    queryset: QuerySet[Any],
    template: str,
    noun: str,
    writable: Callable[[Any, Sequence[Any]], set[int]],
) -> HttpResponse:
    if tidy := tidy_query(request):
        return tidy
    filterset = filterset_class(request.GET or None, queryset=queryset, request=request)
    context = filtered_list(request, filterset, default_sort="due")
    context.update(
        {
            "writable": writable(request.user, list(context["page_obj"].object_list)),
            "party_options": [("", "Any party"), *((p.slug, p.name) for p in Party.objects.obligated().order_by("name"))],
            "theme_options": [("", "Any theme"), *((t.slug, t.name) for t in Theme.objects.order_by("order", "name"))],
            "noun": noun,
        }
    )
    return render(request, template, context)


def obligation_list(request: HttpRequest) -> HttpResponse:
    """``/obligations/``: every party's obligations, filtered by ObligationFilterSet (commitment,
    party, theme, board, owner, status, rag, overdue, due_before, due_after), sortable, paginated.
    Queries: choices (3), count, page, write permissions (3)."""
    return _tracked_list(
        request,
        filterset_class=ObligationFilterSet,
        queryset=Obligation.objects.for_list(london_today()),
        template="commitments/obligation_list.html",
        noun="obligations",
        writable=writable_obligation_ids,
    )


def action_list(request: HttpRequest) -> HttpResponse:
    """``/actions/``: every action, filtered by ActionFilterSet (the overdue drill-downs land here)."""
    return _tracked_list(
        request,
        filterset_class=ActionFilterSet,
        queryset=Action.objects.for_list(london_today()),
        template="commitments/action_list.html",
        noun="actions",
        writable=writable_action_ids,
    )


# --- the commitment page ----------------------------------------------------------------------


def commitment_or_404(ref: str, qs: QuerySet[Any] | None = None) -> Commitment:
    """The commitment with this ref in any case (partners key on refs; people type them)."""
    return get_object_or_404(qs if qs is not None else Commitment.objects.all(), ref__iexact=ref)


def _mark_pending(user: Any, commitment: Commitment, obligations: list[Obligation]) -> None:
    """Set ``pending_update`` on the commitment, its obligations and their (prefetched) actions:
    the update awaiting approval the user may see, else None (issue 15). One query."""
    pending = {
        (p.target_type, p.action_id or p.obligation_id or p.commitment_id): p
        for p in PendingUpdate.objects.visible_to(user).submitted().filter(commitment=commitment).select_related("author", "board")
    }
    commitment.pending_update = pending.get(("commitment", commitment.pk))  # type: ignore[attr-defined]
    for o in obligations:
        o.pending_update = pending.get(("obligation", o.pk))  # type: ignore[attr-defined]
        for a in o.actions.all():
            a.pending_update = pending.get(("action", a.pk))


def commitment_detail(request: HttpRequest, ref: str) -> HttpResponse:
    """``/commitments/<ref>/``: the text and its sources, who leads it, every party's obligation
    with its actions, and the full timeline of updates.

    Queries: the commitment with theme, lead board, agreement and parent (1), its prefetched
    relations (``CommitmentQuerySet.for_detail``: 15), who may write what (memberships 2,
    commitment 1, obligations 1). Fixed, whatever the number of obligations, actions or updates.
    """
    today = london_today()
    commitment = commitment_or_404(ref, Commitment.objects.for_detail(today))
    obligations = list(commitment.obligations.all())
    user = request.user
    # An action may be written exactly when its obligation may (same party, same lead board), so
    # one permission query covers both.
    writable = writable_obligation_ids(user, obligations)
    can_assess = Commitment.objects.writable_by(user).filter(pk=commitment.pk).exists()
    # The assurance rating of the commitment and of its obligations: one assurer for all (issue 15).
    can_give_assurance = can_assure(user, commitment)
    _mark_pending(user, commitment, obligations)
    dependency_links = dependencies.for_commitment_page(commitment, today)
    for o in obligations:
        for a in o.actions.all():
            a.dependency_links = dependency_links.get(dependencies.node(a))
    fell_to_default = _fell_to_default(commitment, obligations)
    return render(
        request,
        "commitments/commitment_detail.html",
        {
            "commitment": commitment,
            "obligations": obligations,
            "writable_obligations": writable,
            "can_assess": can_assess,
            "can_assure": can_give_assurance,
            "timeline": list(commitment.updates.all()),
            "pilot_links": list(commitment.pilot_links.all()),
            "links_out": list(commitment.links_out.all()),
            "links_in": list(commitment.links_in.all()),
            "dependency_links": dependency_links.get(dependencies.node(commitment)),
            # Nothing without an owner (issue 16): who may assign, and escalations that fell to the
            # default board because no board leads the commitment.
            "can_assign_lead_board": ownership.can_assign_lead_board(user, commitment),
            "assignable_obligations": {o.pk for o in obligations if ownership.can_assign_owner(user, o)},
            "fell_to_default": fell_to_default,
        },
    )


def _fell_to_default(commitment: Commitment, obligations: list[Obligation]) -> str:
    """Where no board leads the commitment: the code of the default board its items' open
    escalations fell to (and mark each such obligation and action with ``fell_to_default``), or ""
    (issue 16). One query, and none for a commitment a board leads."""
    if commitment.lead_board_id is not None:
        return ""
    rows = list(
        Escalation.objects.filter(commitment=commitment, fell_to_default_board=True, resolved_at__isnull=True).values_list(
            "obligation_id", "action_id", "board__code"
        )
    )
    actions = {action_id: code for _, action_id, code in rows if action_id}
    by_obligation = {obligation_id: code for obligation_id, action_id, code in rows if not action_id}
    for o in obligations:
        o.fell_to_default = by_obligation.get(o.pk, "")  # type: ignore[attr-defined]
        for a in o.actions.all():
            a.fell_to_default = actions.get(a.pk, "")
    return next((code for _, _, code in rows if code), "")
