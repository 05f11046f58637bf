"""The officer pages (issue 3): my work, lists, the commitment page, the update forms and the
spreadsheet import.

Views stay thin: a FilterSet or form parses, a queryset method from :mod:`commitments.querysets`
reads (a fixed number of queries per page, however many rows), and a service from
:mod:`commitments.services` writes. Permission is checked here before a form is shown (GET answers
403 to someone who may not write) and again by the service when it writes.
"""

from __future__ import annotations

import csv
import datetime as dt
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from boards.accounts import roles_of
from boards.models import Board, Membership, Party
from devotracker.spreadsheets import csv_safe
from pilots.models import Pilot

from . import imports
from .filtersets import ActionFilterSet, CommitmentFilterSet, ObligationFilterSet
from .forms import ActionUpdateForm, AddActionForm, CommitmentUpdateForm, ImportConfirmForm, ImportUploadForm, UpdateForm
from .models import Action, Agreement, Commitment, Obligation, Rag, Status, StatusUpdate, Theme, TrackedState, london_today
from .services import InvalidUpdate, NotAllowed, VersionConflict, add_action, can_write, record_update
from .templatetags.tracker import possessive

PAGE_SIZE = 50
IMPORT_SESSION_KEY = "commitments.import"

STATUS_OPTIONS = [(value, label) for value, label in Status.choices]
RAG_OPTIONS = [("red", "Red"), ("amber", "Amber"), ("green", "Green"), ("none", "Not assessed")]
OVERDUE_OPTIONS = [("", "Any"), ("true", "Overdue"), ("false", "Not overdue")]


# --- helpers ----------------------------------------------------------------------------------


@dataclass
class SortColumn:
    """A sortable column heading: its label, the ``sort`` value its link sets, and ``aria-sort``."""

    label: str
    key: str
    link_value: str
    aria_sort: str


def _sorting(request: HttpRequest, sorts: dict[str, tuple[str, list[Any]]], default: str) -> tuple[list[Any], list[SortColumn], str | None]:
    """Parse ``?sort=``: the ORDER BY terms, the column headings, and an error for a bad value."""
    raw = request.GET.get("sort", "") or default
    descending = raw.startswith("-")
    key = raw.lstrip("-")
    error = None
    if key not in sorts:
        error = "Sort by one of the column headings"
        descending, key = default.startswith("-"), default.lstrip("-")
    terms = []
    for term in sorts[key][1]:
        expr = F(term) if isinstance(term, str) else term
        # Empty dates sort last whichever way the column is sorted.
        terms.append(expr.desc(nulls_last=True) if descending else expr.asc(nulls_last=True))
    columns = []
    for name, (label, _) in sorts.items():
        if name == key:
            columns.append(SortColumn(label, name, name if descending else f"-{name}", "descending" if descending else "ascending"))
        else:
            columns.append(SortColumn(label, name, name, "none"))
    return terms, columns, error


def _paginate(request: HttpRequest, qs: QuerySet[Any]) -> tuple[Page[Any], list[Any]]:
    """The requested page (a bad or out-of-range ``page`` gives the nearest real one) and the
    page numbers to offer. Two queries: the count and the page."""
    paginator = Paginator(qs, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return page, list(paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1))


def _filter_errors(form: Any, extra: Sequence[str] = ()) -> list[tuple[str, str]]:
    """Error summary entries for an invalid filter form, each naming its filter."""
    entries = []
    for name, errs in form.errors.items():
        label = form.fields[name].label if name in form.fields else "Filter"
        for message in errs:
            entries.append((f"#id_{name}", f"{label}: {message}"))
    entries.extend(("#sort", message) for message in extra)
    return entries


def _writable_obligation_ids(user: Any, obligations: Sequence[Obligation]) -> set[int]:
    """Which of these obligations the user may update: one query, the same rule as the services."""
    ids = [o.pk for o in obligations]
    if not ids:
        return set()
    return set(Obligation.objects.writable_by(user).filter(pk__in=ids).values_list("pk", flat=True))


def _writable_action_ids(user: Any, actions: Sequence[Action]) -> set[int]:
    """Which of these actions the user may update: one query, the same rule as the services."""
    ids = [a.pk for a in actions]
    if not ids:
        return set()
    return set(Action.objects.writable_by(user).filter(pk__in=ids).values_list("pk", flat=True))


def _may_write_anything(user: Any) -> bool:
    """Officers, secretariat members and administrators may write; viewers may not. (The roles
    are read once per request and shared with the header's navigation.)"""
    return bool(user.is_superuser) or roles_of(user).has_work


def _tidy_query(request: HttpRequest) -> HttpResponse | None:
    """A GET form submits every box, filled or not (``?q=&party=&due_after=``): redirect to the
    same view without the empty ones, so the shared URL says only what is filtered (and "Any
    party", posted as an empty value, is never mistaken for a party)."""
    if not any(v.strip() == "" for _, values in request.GET.lists() for v in values):
        return None
    tidy = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        kept = [v for v in values if v.strip() != ""]
        if kept:
            tidy.setlist(key, kept)
    query = tidy.urlencode()
    return redirect(f"{request.path}?{query}" if query else request.path)


def _params_without(request: HttpRequest, *names: str) -> bool:
    """Whether any filter parameter is set (other than sorting and paging)."""
    return any(v for k, v in request.GET.lists() if k not in ("sort", "page", *names) and any(v))


# --- my work ----------------------------------------------------------------------------------


def my_work(request: HttpRequest) -> HttpResponse:
    """``/my-work/``: the open obligations and actions the user's parties owe (or the user owns),
    overdue first, then by due date; for secretariat members also those under the commitments
    their boards lead, and those commitments. Counts at the top.

    Queries: memberships (1), officer parties (1), obligations (1), actions (1), led commitments
    (1, secretariat only), write permissions (2); the number of rows does not change it.
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
            "writable_obligations": _writable_obligation_ids(user, obligations),
            "writable_actions": _writable_action_ids(user, actions),
            "may_import": bool(user.is_superuser) or bool(memberships),
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
    if tidy := _tidy_query(request):
        return tidy
    today = london_today()
    filterset = CommitmentFilterSet(request.GET or None, queryset=Commitment.objects.for_list(today), request=request)
    terms, columns, sort_error = _sorting(request, filterset.filters["ordering"].page_sorts(), "ref")
    qs = filterset.qs if filterset.is_bound else filterset.queryset.all()
    page, page_range = _paginate(request, qs.order_by(*terms))
    errors = _filter_errors(filterset.form, [sort_error] if sort_error else []) if filterset.is_bound else []
    return render(
        request,
        "commitments/commitment_list.html",
        {
            "filterset": filterset,
            "form": filterset.form,
            "page_obj": page,
            "page_range": page_range,
            "columns": columns,
            "error_entries": errors,
            "filtered": _params_without(request),
            "board_options": [("", "Any board"), *((b.code, f"{b.name} ({b.code})") for b in Board.objects.order_by("name"))],
            "agreement_options": [("", "Any agreement"), *((a.slug, a.short_name) for a in Agreement.objects.order_by("date", "slug"))],
            "party_options": [("", "Any party"), *((p.slug, p.name) for p in Party.objects.order_by("name"))],
            "pilot_options": [(p.slug, p.name) for p in Pilot.objects.order_by("name")],
            "theme_options": [(t.slug, t.name) for t in Theme.objects.order_by("order", "name")],
            "status_options": STATUS_OPTIONS,
            "rag_options": RAG_OPTIONS,
            "overdue_options": OVERDUE_OPTIONS,
            "kind_options": list(Commitment.Kind.choices),
        },
    )


def _tracked_list(  # the shared body of the obligation and action lists
    request: HttpRequest,
    *,
    filterset_class: type[Any],
    queryset: QuerySet[Any],
    template: str,
    writable: Callable[[Any, Sequence[Any]], set[int]],
) -> HttpResponse:
    if tidy := _tidy_query(request):
        return tidy
    filterset = filterset_class(request.GET or None, queryset=queryset, request=request)
    terms, columns, sort_error = _sorting(request, filterset.filters["ordering"].page_sorts(), "due")
    qs = filterset.qs if filterset.is_bound else filterset.queryset.all()
    page, page_range = _paginate(request, qs.order_by(*terms))
    errors = _filter_errors(filterset.form, [sort_error] if sort_error else []) if filterset.is_bound else []
    return render(
        request,
        template,
        {
            "filterset": filterset,
            "form": filterset.form,
            "page_obj": page,
            "page_range": page_range,
            "columns": columns,
            "error_entries": errors,
            "filtered": _params_without(request),
            "writable": writable(request.user, list(page.object_list)),
            "board_options": [("", "Any board"), *((b.code, f"{b.name} ({b.code})") for b in Board.objects.order_by("name"))],
            "party_options": [("", "Any party"), *((p.slug, p.name) for p in Party.objects.obligated().order_by("name"))],
            "theme_options": [("", "Any theme"), *((t.slug, t.name) for t in Theme.objects.order_by("order", "name"))],
            "status_options": STATUS_OPTIONS,
            "rag_options": RAG_OPTIONS,
            "overdue_options": OVERDUE_OPTIONS,
        },
    )


def obligation_list(request: HttpRequest) -> HttpResponse:
    """``/obligations/``: every party's obligations, filtered by ObligationFilterSet (commitment,
    party, theme, board, owner, status, rag, overdue, due_before, due_after), sortable, paginated.
    Queries: choices (3), count, page, write permissions (3)."""
    return _tracked_list(
        request,
        filterset_class=ObligationFilterSet,
        queryset=Obligation.objects.for_list(london_today()),
        template="commitments/obligation_list.html",
        writable=_writable_obligation_ids,
    )


def action_list(request: HttpRequest) -> HttpResponse:
    """``/actions/``: every action, filtered by ActionFilterSet (the overdue drill-downs land here)."""
    return _tracked_list(
        request,
        filterset_class=ActionFilterSet,
        queryset=Action.objects.for_list(london_today()),
        template="commitments/action_list.html",
        writable=_writable_action_ids,
    )


# --- the commitment page ----------------------------------------------------------------------


def _commitment_or_404(ref: str, qs: QuerySet[Any] | None = None) -> Commitment:
    """The commitment with this ref in any case (partners key on refs; people type them)."""
    return get_object_or_404(qs if qs is not None else Commitment.objects.all(), ref__iexact=ref)


def commitment_detail(request: HttpRequest, ref: str) -> HttpResponse:
    """``/commitments/<ref>/``: the text and its sources, who leads it, every party's obligation
    with its actions, and the full timeline of updates.

    Queries: the commitment with theme, lead board, agreement and parent (1), its prefetched
    relations (``CommitmentQuerySet.for_detail``: 15), who may write what (memberships 2,
    commitment 1, obligations 1). Fixed, whatever the number of obligations, actions or updates.
    """
    today = london_today()
    commitment = _commitment_or_404(ref, Commitment.objects.for_detail(today))
    obligations = list(commitment.obligations.all())
    user = request.user
    # An action may be written exactly when its obligation may (same party, same lead board), so
    # one permission query covers both.
    writable = _writable_obligation_ids(user, obligations)
    can_assess = Commitment.objects.writable_by(user).filter(pk=commitment.pk).exists()
    return render(
        request,
        "commitments/commitment_detail.html",
        {
            "commitment": commitment,
            "obligations": obligations,
            "writable_obligations": writable,
            "can_assess": can_assess,
            "timeline": list(commitment.updates.all()),
            "pilot_links": list(commitment.pilot_links.all()),
            "links_out": list(commitment.links_out.all()),
            "links_in": list(commitment.links_in.all()),
        },
    )


# --- update forms -----------------------------------------------------------------------------


def _due(target: TrackedState) -> dt.date | None:
    """The date an item is due: a commitment's target date, an obligation's or action's due date."""
    return target.target_date if isinstance(target, Commitment) else target.due_date  # type: ignore[attr-defined]


def _history_since(target: TrackedState, version: int) -> list[StatusUpdate]:
    """The updates saved to this target after the version a writer saw, oldest first."""
    if isinstance(target, Commitment):
        qs = StatusUpdate.objects.filter(commitment_id=target.pk, target_type=StatusUpdate.TargetType.COMMITMENT)
    elif isinstance(target, Obligation):
        qs = StatusUpdate.objects.filter(obligation_id=target.pk, target_type=StatusUpdate.TargetType.OBLIGATION)
    else:
        qs = StatusUpdate.objects.filter(action_id=target.pk)
    return list(qs.filter(version__gt=version).select_related("author").order_by("created_at", "id"))


def _label(choices: type[Status] | type[Rag], value: Any, empty: str) -> str:
    """A vocabulary value's label for people, or ``empty`` for an empty or unknown value."""
    return str(choices(value).label) if value in choices.values and value else empty


def _conflict(form: UpdateForm, post: QueryDict, current: TrackedState) -> tuple[dict[str, Any], QueryDict]:
    """What to tell a writer whose version is stale, and the form data to re-render with: their
    input as they typed it, with the version (and the values "seen") moved to the current ones
    so that submitting again is a deliberate choice made knowing what changed."""
    data = post.copy()
    seen_version = form.cleaned_data["version"]
    due = _due(current)
    rows = [
        ("Status", _label(Status, post.get("seen_status"), ""), _label(Status, current.status, "")),
        ("RAG rating", _label(Rag, post.get("seen_rag"), "Not assessed"), _label(Rag, current.rag, "Not assessed")),
        ("Progress", f"{post.get('seen_progress', '')}%", f"{current.progress}%"),
        ("Due date", _pretty_iso(post.get("seen_due_date", "")), due.strftime("%-d %B %Y") if due else "None"),
    ]
    context = {
        "seen_version": seen_version,
        "current_version": current.version,
        "rows": [(label, saw, now, saw != now) for label, saw, now in rows],
        "history": _history_since(current, seen_version),
    }
    for key, value in UpdateForm.initial_for(current, due).items():
        if key == "version" or key.startswith("seen_"):
            data[key] = str(value)
    return context, data


def _pretty_iso(text: str) -> str:
    """An ISO date carried in a hidden field, written for people; "None" when there was none."""
    try:
        return dt.date.fromisoformat(text).strftime("%-d %B %Y")
    except ValueError:
        return "None"


def _update_page(
    request: HttpRequest,
    *,
    target: TrackedState,
    commitment: Commitment,
    form_class: type[UpdateForm],
    heading: str,
    caption: str,
    back_url: str,
    success_message: str,
) -> HttpResponse:
    """The shared body of the three update forms: check permission, then show, validate and save
    through :func:`record_update`, translating its errors (403, field errors, version conflict)."""
    if not can_write(request.user, target):
        raise PermissionDenied("You may not update this.")
    conflict = None
    if request.method == "POST":
        form = form_class(request.POST, target=target)
        if form.is_valid():
            try:
                record_update(target, by=request.user, version=form.cleaned_data["version"], data=form.to_update_input())
            except NotAllowed:
                raise PermissionDenied("You may not update this.") from None
            except VersionConflict as exc:
                conflict, data = _conflict(form, request.POST, exc.current)
                form = form_class(data, target=exc.current)
            except InvalidUpdate as exc:
                form.add_service_errors(exc.errors)
            else:
                messages.success(request, success_message)
                return redirect(f"{back_url}#timeline")
    else:
        form = form_class(initial=form_class.initial_for(target, _due(target)), target=target)
    return render(
        request,
        "commitments/update_form.html",
        {
            "form": form,
            "target": target,
            "commitment": commitment,
            "heading": heading,
            "caption": caption,
            "back_url": back_url,
            "conflict": conflict,
            "due": _due(target),
            # A commitment's target date may be known to the month or year only (DESIGN.md §3).
            "due_precision": (target.target_date_precision or "day") if isinstance(target, Commitment) else "day",
        },
        status=409 if conflict else 200,
    )


@require_http_methods(["GET", "POST"])
def commitment_update(request: HttpRequest, ref: str) -> HttpResponse:
    """``/commitments/<ref>/update/``: the lead board's secretariat records its assessment."""
    commitment = _commitment_or_404(ref, Commitment.objects.select_related("lead_board", "theme"))
    return _update_page(
        request,
        target=commitment,
        commitment=commitment,
        form_class=CommitmentUpdateForm,
        heading=f"Assess {commitment.ref}",
        caption=commitment.title,
        back_url=reverse("commitments:detail", args=[commitment.ref]),
        success_message=f"Your assessment of {commitment.ref} has been saved.",
    )


@require_http_methods(["GET", "POST"])
def obligation_update(request: HttpRequest, pk: int) -> HttpResponse:
    """``/obligations/<id>/update/``: an officer (or the lead board's secretariat) updates one
    party's obligation."""
    obligation = get_object_or_404(Obligation.objects.select_related("commitment", "party"), pk=pk)
    return _update_page(
        request,
        target=obligation,
        commitment=obligation.commitment,
        form_class=UpdateForm,
        heading=f"Update {possessive(obligation.party.name)} obligation",
        caption=f"{obligation.commitment.ref} {obligation.commitment.title}",
        back_url=reverse("commitments:detail", args=[obligation.commitment.ref]),
        success_message=f"Your update to {possessive(obligation.party.name)} obligation under {obligation.commitment.ref} has been saved.",
    )


@require_http_methods(["GET", "POST"])
def action_update(request: HttpRequest, pk: int) -> HttpResponse:
    """``/actions/<id>/update/``: update an action (choosing the status Complete completes it)."""
    action = get_object_or_404(Action.objects.select_related("obligation__commitment", "obligation__party"), pk=pk)
    return _update_page(
        request,
        target=action,
        commitment=action.obligation.commitment,
        form_class=ActionUpdateForm,
        heading="Update an action",
        caption=f"{action.obligation.commitment.ref} · {action.obligation.party.name}: {action.description}",
        back_url=reverse("commitments:detail", args=[action.obligation.commitment.ref]),
        success_message="Your update to the action has been saved.",
    )


@require_http_methods(["GET", "POST"])
def action_add(request: HttpRequest, pk: int) -> HttpResponse:
    """``/obligations/<id>/actions/add/``: add a dated action under an obligation via
    :func:`add_action`."""
    obligation = get_object_or_404(Obligation.objects.select_related("commitment", "party"), pk=pk)
    if not can_write(request.user, obligation):
        raise PermissionDenied("You may not add actions to this obligation.")
    back_url = reverse("commitments:detail", args=[obligation.commitment.ref])
    if request.method == "POST":
        form = AddActionForm(request.POST, obligation=obligation)
        if form.is_valid():
            try:
                add_action(
                    obligation,
                    by=request.user,
                    description=form.cleaned_data["description"],
                    due_date=form.cleaned_data["due_date"],
                    owner=form.cleaned_data["owner"],
                )
            except NotAllowed:
                raise PermissionDenied("You may not add actions to this obligation.") from None
            except InvalidUpdate as exc:
                form.add_service_errors(exc.errors)
            else:
                messages.success(request, f"The action has been added to {possessive(obligation.party.name)} obligation.")
                return redirect(f"{back_url}#obligation-{obligation.pk}")
    else:
        form = AddActionForm(obligation=obligation)
    return render(request, "commitments/action_add.html", {"form": form, "obligation": obligation, "back_url": back_url})


# --- spreadsheet import -----------------------------------------------------------------------


def _import_context(**extra: Any) -> dict[str, Any]:
    """What the import pages show about the format (columns, limits, vocabularies)."""
    return {
        "columns": imports.COLUMNS,
        "reference_columns": imports.REFERENCE_COLUMNS,
        "max_kb": settings.IMPORT_MAX_BYTES // 1024,
        "max_rows": imports.MAX_ROWS,
        "statuses": Status.values,
        **extra,
    }


def _require_importer(request: HttpRequest) -> None:
    """Raise 403 for users who may not write anything (viewers): they have nothing to import."""
    if not _may_write_anything(request.user):
        raise PermissionDenied("Only officers and board secretariats can import updates.")


def _preview(
    request: HttpRequest, results: list[imports.RowResult], *, filename: str, token: str | None, status: int = 200
) -> HttpResponse:
    """The preview of an upload: each row's changes or problems, an error summary naming every
    bad row and column, and the confirm button only when there is something valid to save."""
    bad = [r for r in results if not r.ok]
    entries = [(f"#row-{r.number}", f"Row {r.number}, {col}: {msg}") for r in bad for col, msg in r.error_list()]
    return render(
        request,
        "commitments/import_preview.html",
        _import_context(
            results=results,
            filename=filename,
            token=token,
            bad_rows=bad,
            error_entries=entries,
            to_save=sum(1 for r in results if r.ok and not r.unchanged),
            unchanged=sum(1 for r in results if r.unchanged),
            # Nothing to confirm when every row matches what is recorded.
            confirm_form=ImportConfirmForm(initial={"token": token}) if token and any(r.ok and not r.unchanged for r in results) else None,
        ),
        status=status,
    )


@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    """``/import/``: step 1, upload a CSV or .xlsx of action updates and see what it would do.

    A file that is valid throughout is kept in the session (its rows only, a few KB) under a fresh
    token until it is confirmed; a file with any bad row is only previewed, with every error.
    """
    _require_importer(request)
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                rows = imports.read_sheet(upload)
            except imports.ImportFileError as exc:
                form.add_error("file", exc.message)
            else:
                results = imports.validate_rows(rows, request.user)
                token = None
                if all(r.ok for r in results):
                    token = secrets.token_urlsafe(16)
                    request.session[IMPORT_SESSION_KEY] = {
                        "token": token,
                        "filename": upload.name,
                        "rows": [r.as_json() for r in rows],
                    }
                else:
                    request.session.pop(IMPORT_SESSION_KEY, None)
                return _preview(request, results, filename=upload.name, token=token)
    else:
        form = ImportUploadForm()
    return render(request, "commitments/import_upload.html", _import_context(form=form))


@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    """``/import/confirm/``: step 2, save every previewed row or none (re-validated now)."""
    _require_importer(request)
    form = ImportConfirmForm(request.POST)
    stash = request.session.get(IMPORT_SESSION_KEY)
    if not form.is_valid() or not stash or not secrets.compare_digest(str(stash.get("token", "")), form.cleaned_data["token"]):
        messages.error(request, "That upload has expired or was already saved. Upload the file again.")
        return redirect("commitments:import")
    rows = [imports.SheetRow.from_json(r) for r in stash["rows"]]
    try:
        results = imports.apply_rows(rows, request.user)
    except imports.ImportInvalid as exc:
        request.session.pop(IMPORT_SESSION_KEY, None)
        return _preview(request, exc.results, filename=stash.get("filename", ""), token=None, status=409)
    request.session.pop(IMPORT_SESSION_KEY, None)
    saved = sum(1 for r in results if not r.unchanged)
    messages.success(request, f"{saved} action update{'s' if saved != 1 else ''} saved from {stash.get('filename', 'the spreadsheet')}.")
    return redirect("commitments:my-work")


def import_template(request: HttpRequest) -> HttpResponse:
    """``/import/template.csv``: the user's open actions with their current values, ready to fill in."""
    _require_importer(request)
    header, rows = imports.template_rows(request.user)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="devotracker-action-updates.csv"'
    response.write("\ufeff")  # so Excel opens it as UTF-8
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_safe(cell) for cell in row])
    return response


__all__ = [
    "action_add",
    "action_list",
    "action_update",
    "commitment_detail",
    "commitment_list",
    "commitment_update",
    "import_confirm",
    "import_template",
    "import_upload",
    "my_work",
    "obligation_list",
    "obligation_update",
]
