"""Nothing without an owner (issue 16): the secretariats' worklist (``/worklist/``, and its CSV) and
the assignment forms (``/commitments/<ref>/lead-board/``, ``/obligations/<id>/owner/``,
``/actions/<id>/owner/``). Permission is checked before a form is shown and again by
:mod:`commitments.ownership`, which writes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from boards.models import Board, Party
from devotracker.api.renderers import csv_lines
from devotracker.people import name_of

from ..forms import LeadBoardForm, OwnerForm
from ..models import Action, Commitment, Obligation, Theme, london_today
from ..ownership import (
    assign_lead_board,
    assign_owner,
    can_assign_lead_board,
    can_assign_owner,
    lead_board_choices,
    may_use_worklist,
    owner_assigner_label,
    owner_candidates,
    unowned_q,
    worklist_commitments_q,
)
from ..templatetags.tracker import possessive
from .common import PAGE_SIZE, post_item_write, tidy_query
from .lists import commitment_or_404

KIND_LABELS = {
    "commitment": "Commitments with no lead board",
    "obligation": "Obligations with no owner",
    "action": "Actions with no owner",
}


class WorklistFilterForm(forms.Form):
    """The worklist's filters (``kind``, ``theme``, ``board``, ``party``): the choices offered are
    the only values taken; anything else is an error in the summary and that filter is ignored."""

    kind = forms.ChoiceField(required=False, label="Show", error_messages={"invalid_choice": "Select what to show from the list"})
    theme = forms.ChoiceField(required=False, label="Theme", error_messages={"invalid_choice": "Select a theme from the list"})
    board = forms.ChoiceField(required=False, label="Lead board", error_messages={"invalid_choice": "Select a board from the list"})
    party = forms.ChoiceField(required=False, label="Owed by", error_messages={"invalid_choice": "Select a party from the list"})

    def __init__(self, *args: Any, themes: list[Theme], boards: list[Board], parties: list[Party], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: dict[str, list[tuple[str, str]]] = {
            "kind": [("", "Everything"), *KIND_LABELS.items()],
            "theme": [("", "Any theme"), *((t.slug, t.name) for t in themes)],
            "board": [("", "Any board"), ("none", "No lead board"), *((b.code, f"{b.name} ({b.code})") for b in boards)],
            "party": [("", "Any party"), *((p.slug, p.name) for p in parties)],
        }
        for name, options in choices.items():
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = options


def _filtered(kind: str, qs: QuerySet[Any], filters: dict[str, str]) -> QuerySet[Any]:
    """``qs`` (one kind's unowned items in the user's scope) with the worklist's filters applied."""
    prefix = {"commitment": "", "obligation": "commitment__", "action": "obligation__commitment__"}[kind]
    if filters.get("theme"):
        qs = qs.filter(**{f"{prefix}theme__slug": filters["theme"]})
    if filters.get("board") == "none":
        qs = qs.filter(**{f"{prefix}lead_board__isnull": True})
    elif filters.get("board"):
        qs = qs.filter(**{f"{prefix}lead_board__code__iexact": filters["board"]})
    if filters.get("party"):
        if kind == "commitment":
            qs = qs.filter(pk__in=Obligation.objects.filter(party__slug=filters["party"]).values("commitment_id"))
        else:
            qs = qs.filter(**{("party__slug" if kind == "obligation" else "obligation__party__slug"): filters["party"]})
    return qs


def _scope(user: Any, prefix: str) -> Q:
    return worklist_commitments_q(user, prefix=prefix) or Q()


def worklist_querysets(user: Any, filters: dict[str, str], on: dt.date) -> dict[str, QuerySet[Any]]:
    """Each kind's unowned open items the user's worklist shows, filtered and ordered (the page, the
    CSV and the counts read these)."""
    scope = worklist_commitments_q(user)
    if scope is None:
        return {}
    commitments = (
        Commitment.objects.with_shown_state()
        .filter(scope)
        .filter(unowned_q("commitment"))
        .select_related("theme", "agreement")
        .with_overdue(on)
        .order_by("theme__order", "ref")
    )
    obligations = (
        Obligation.objects.filter(_scope(user, "commitment__"))
        .filter(unowned_q("obligation"))
        .select_related("commitment__theme", "commitment__lead_board", "party")
        .with_overdue(on)
        .order_by("commitment__ref", "party__name", "pk")
    )
    actions = (
        Action.objects.filter(_scope(user, "obligation__commitment__"))
        .filter(unowned_q("action"))
        .select_related("obligation__commitment__lead_board", "obligation__party")
        .with_overdue(on)
        .order_by("due_date", "pk")
    )
    return {
        "commitment": _filtered("commitment", commitments, filters),
        "obligation": _filtered("obligation", obligations, filters),
        "action": _filtered("action", actions, filters),
    }


def _owner_url(kind: str, pk: int) -> str:
    return reverse("commitments:obligation-owner" if kind == "obligation" else "commitments:action-owner", args=[pk])


@require_GET
def worklist(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """``/worklist/``: what nobody answers for, for secretariats and administrators: open
    commitments with no lead board, open obligations and actions with no owner, in the user's
    scope (``commitments.ownership.worklist_commitments_q``), filtered by kind, theme, board and
    party, each row with its "assign" link where the user may assign it; ``?format=csv`` the
    whole filtered list.

    Queries: memberships (1) and Leaders' Committee's secretariat (1, secretariats only), the
    filters' choices (themes, boards, parties: 3), and for each kind shown its count and its page
    (2 each); the number of rows does not change it.
    """
    user: Any = request.user
    if not may_use_worklist(user):
        raise PermissionDenied("The worklist is for the boards' secretariats and administrators.")
    if tidy := tidy_query(request):
        return tidy
    today = london_today()
    themes = list(Theme.objects.order_by("order", "name"))
    boards = list(Board.objects.order_by("name"))
    parties = list(Party.objects.obligated().order_by("name"))
    form = WorklistFilterForm(request.GET or None, themes=themes, boards=boards, parties=parties)
    filters: dict[str, str] = {}
    if form.is_bound:
        form.is_valid()
        filters = {name: value for name, value in form.cleaned_data.items() if value}
    querysets = worklist_querysets(user, filters, today)
    kind = filters.get("kind", "")
    kinds = [kind] if kind else list(KIND_LABELS)

    if request.GET.get("format") == "csv":
        return _csv(querysets, kinds, request, today)

    sections = []
    for name in kinds:
        paginator = Paginator(querysets[name], PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page") if kind else 1)
        rows = list(page.object_list)
        for row in rows:
            row.may_assign = can_assign_lead_board(user, row) if name == "commitment" else can_assign_owner(user, row)
            row.owing = row.obligation if name == "action" else row
        sections.append(
            {
                "kind": name,
                "heading": KIND_LABELS[name],
                "count": paginator.count,
                "rows": rows,
                "page_obj": page if kind else None,
                "more": max(paginator.count - len(rows), 0) if not kind else 0,
            }
        )
    error_entries = [(f"#id_{name}", f"{form.fields[name].label}: {message}") for name, errs in form.errors.items() for message in errs]
    return render(
        request,
        "commitments/worklist.html",
        {
            "form": form,
            "sections": sections,
            "error_entries": error_entries,
            "total": sum(s["count"] for s in sections),
            "kind": kind,
            "query": request.GET.urlencode(),
            "next_url": request.get_full_path(),
        },
    )


def _csv(querysets: dict[str, QuerySet[Any]], kinds: list[str], request: HttpRequest, today: dt.date) -> StreamingHttpResponse:
    """The whole filtered worklist as formula-safe CSV: one query per kind, rows streamed."""
    header = ["kind", "ref", "commitment", "party", "item", "lead_board", "due_date", "status", "overdue", "url"]

    def rows() -> Any:
        for kind in kinds:
            for item in querysets[kind].iterator(chunk_size=500):
                if kind == "commitment":
                    yield [
                        "commitment",
                        item.ref,
                        item.title,
                        "",
                        item.title,
                        "",
                        item.target_date.isoformat() if item.target_date else "",
                        item.shown_status_db,
                        "yes" if item.is_overdue else "no",
                        request.build_absolute_uri(reverse("commitments:detail", args=[item.ref])),
                    ]
                    continue
                obligation = item if kind == "obligation" else item.obligation
                commitment = obligation.commitment
                yield [
                    kind,
                    commitment.ref,
                    commitment.title,
                    obligation.party.name,
                    item.description if kind == "action" else f"{possessive(obligation.party.name)} obligation",
                    commitment.lead_board.code if commitment.lead_board else "",
                    item.due_date.isoformat() if item.due_date else "",
                    item.status,
                    "yes" if item.is_overdue else "no",
                    request.build_absolute_uri(reverse("commitments:detail", args=[commitment.ref])),
                ]

    response = StreamingHttpResponse(("\ufeff" if i == 0 else "") + line for i, line in enumerate(csv_lines(header, rows())))
    response["Content-Type"] = "text/csv; charset=utf-8"
    response["Content-Disposition"] = f'attachment; filename="worklist-{today.isoformat()}.csv"'
    return response


# --- the assignment forms -----------------------------------------------------------------------


def _back(request: HttpRequest, default: str) -> str:
    """Where the form returns to: ``next`` when it is a page of this site (the worklist passes
    itself, filters and page included), else the item's commitment."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) and target.startswith("/"):
        return target
    return default


def _assignment_page(
    request: HttpRequest,
    *,
    item: Any,
    commitment: Commitment,
    form_class: type[Any],
    form_kwargs: dict[str, Any],
    initial: dict[str, Any],
    write: Any,
    field: str,
    heading: str,
    what: str,
    current: str,
    who_may: str,
) -> HttpResponse:
    default_back = f"{reverse('commitments:detail', args=[commitment.ref])}#ownership"
    back_url = _back(request, default_back)
    conflict = None
    if request.method == "POST":
        form, conflict, saved = post_item_write(request, item, form_class, write, fields=("reason", field), form_kwargs=form_kwargs)
        if saved:
            messages.success(request, f"{what} has been assigned: {_current_text(item)}.")
            return redirect(back_url)
        if conflict:
            current = _current_text(item)
    else:
        form = form_class(initial={"version": item.version, **initial}, **form_kwargs)
    return render(
        request,
        "commitments/assignment_form.html",
        {
            "form": form,
            "field": form[field],
            "item": item,
            "commitment": commitment,
            "heading": heading,
            "what": what,
            "current": current,
            "who_may": who_may,
            "back_url": back_url,
            "next": back_url if back_url != default_back else "",
            "conflict": conflict,
        },
    )


def _current_text(item: Any) -> str:
    if isinstance(item, Commitment):
        return f"led by the {item.lead_board.name} ({item.lead_board.code})" if item.lead_board_id and item.lead_board else "no lead board"
    return f"owned by {name_of(item.owner)}" if item.owner_id and item.owner else "no owner"


@require_http_methods(["GET", "POST"])
def commitment_lead_board(request: HttpRequest, ref: str) -> HttpResponse:
    """``/commitments/<ref>/lead-board/``: give the commitment its lead board."""
    commitment = commitment_or_404(ref, Commitment.objects.select_related("lead_board", "theme"))
    if not can_assign_lead_board(request.user, commitment):
        raise PermissionDenied(
            "Only London Councils' Leaders' Committee secretariat or an administrator may change this commitment's lead board."
        )
    choices = [(b.code, f"{b.name} ({b.code})") for b in lead_board_choices(request.user)]
    return _assignment_page(
        request,
        item=commitment,
        commitment=commitment,
        form_class=LeadBoardForm,
        form_kwargs={"choices": choices},
        initial={"board": commitment.lead_board.code if commitment.lead_board else ""},
        write=assign_lead_board,
        field="board",
        heading=f"Lead board of {commitment.ref}",
        what=commitment.ref,
        current=_current_text(commitment),
        who_may=(
            "London Councils' Leaders' Committee secretariat and administrators choose any board; a board's secretariat may take a "
            "commitment no board leads for its own board."
        ),
    )


def _owner_page(request: HttpRequest, item: Obligation | Action, obligation: Obligation, what: str) -> HttpResponse:
    if not can_assign_owner(request.user, item):
        raise PermissionDenied(f"Only {owner_assigner_label(item)} may give this an owner.")
    party = obligation.party
    choices = [(u.get_username(), f"{name_of(u)} ({u.get_username()})") for u in owner_candidates(party.pk)]
    return _assignment_page(
        request,
        item=item,
        commitment=obligation.commitment,
        form_class=OwnerForm,
        form_kwargs={"choices": choices, "party_name": party.name},
        initial={"owner": item.owner.get_username() if item.owner else ""},
        write=assign_owner,
        field="owner",
        heading=f"Owner of {what}",
        what=what[:1].upper() + what[1:],
        current=_current_text(item),
        who_may=f"The owner must be an active officer of {party.name}. {owner_assigner_label(item)} may assign it.",
    )


@require_http_methods(["GET", "POST"])
def obligation_owner(request: HttpRequest, pk: int) -> HttpResponse:
    """``/obligations/<id>/owner/``: give one party's obligation its owner."""
    obligation = get_object_or_404(
        Obligation.objects.select_related("commitment__lead_board", "commitment__theme", "party", "owner"), pk=pk
    )
    what = f"{possessive(obligation.party.name)} obligation under {obligation.commitment.ref}"
    return _owner_page(request, obligation, obligation, what)


@require_http_methods(["GET", "POST"])
def action_owner(request: HttpRequest, pk: int) -> HttpResponse:
    """``/actions/<id>/owner/``: give an action its owner."""
    action = get_object_or_404(
        Action.objects.select_related("obligation__commitment__lead_board", "obligation__commitment__theme", "obligation__party", "owner"),
        pk=pk,
    )
    what = f"action {action.pk} under {action.obligation.commitment.ref} ({action.obligation.party.name})"
    return _owner_page(request, action, action.obligation, what)
