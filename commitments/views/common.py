"""What the officer pages share: sorting, pagination, the filter form's errors, which rows the
user may write, and tidying a list's query string."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect

from boards.accounts import roles_of
from boards.models import Board

from ..models import Action, Obligation, Status
from ..services import InvalidUpdate, NotAllowed, VersionConflict

PAGE_SIZE = 50

STATUS_OPTIONS = [(value, label) for value, label in Status.choices]
RAG_OPTIONS = [("red", "Red"), ("amber", "Amber"), ("green", "Green"), ("none", "Not assessed")]
OVERDUE_OPTIONS = [("", "Any"), ("true", "Overdue"), ("false", "Not overdue")]
RATINGS_DISAGREE_OPTIONS = [("", "Any"), ("true", "Ratings differ"), ("false", "Ratings agree or no assurance rating")]


# --- helpers ----------------------------------------------------------------------------------


@dataclass
class SortColumn:
    """A sortable column heading: its label, the ``sort`` value its link sets, and ``aria-sort``."""

    label: str
    key: str
    link_value: str
    aria_sort: str


def sorting(request: HttpRequest, sorts: dict[str, tuple[str, list[Any]]], default: str) -> tuple[list[Any], list[SortColumn], str | None]:
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


def paginate(request: HttpRequest, qs: QuerySet[Any]) -> tuple[Page[Any], list[Any]]:
    """The requested page (a bad or out-of-range ``page`` gives the nearest real one) and the
    page numbers to offer. Two queries: the count and the page."""
    paginator = Paginator(qs, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return page, list(paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1))


def filter_errors(form: Any, extra: Sequence[str] = ()) -> list[tuple[str, str]]:
    """Error summary entries for an invalid filter form, each naming its filter."""
    entries = []
    for name, errs in form.errors.items():
        label = form.fields[name].label if name in form.fields else "Filter"
        for message in errs:
            entries.append((f"#id_{name}", f"{label}: {message}"))
    entries.extend(("#sort", message) for message in extra)
    return entries


def writable_obligation_ids(user: Any, obligations: Sequence[Obligation]) -> set[int]:
    """Which of these obligations the user may update: one query, the same rule as the services."""
    ids = [o.pk for o in obligations]
    if not ids:
        return set()
    return set(Obligation.objects.writable_by(user).filter(pk__in=ids).values_list("pk", flat=True))


def writable_action_ids(user: Any, actions: Sequence[Action]) -> set[int]:
    """Which of these actions the user may update: one query, the same rule as the services."""
    ids = [a.pk for a in actions]
    if not ids:
        return set()
    return set(Action.objects.writable_by(user).filter(pk__in=ids).values_list("pk", flat=True))


def may_write_anything(user: Any) -> bool:
    """Officers, secretariat members and administrators may write; viewers may not. (The roles
    are read once per request and shared with the header's navigation.)"""
    return bool(user.is_superuser) or roles_of(user).has_work


def tidy_query(request: HttpRequest) -> HttpResponse | None:
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


def params_without(request: HttpRequest, *names: str) -> bool:
    """Whether any filter parameter is set (other than sorting and paging)."""
    return any(v for k, v in request.GET.lists() if k not in ("sort", "page", *names) and any(v))


def filtered_list(request: HttpRequest, filterset: Any, *, default_sort: str) -> dict[str, Any]:
    """What every filtered list page shows, whatever it lists: the filter form and its errors, the
    sortable columns (from the FilterSet's ``ordering`` filter), the page of rows and its links, and
    the choices every list offers. Each page adds its own choices."""
    terms, columns, sort_error = sorting(request, filterset.filters["ordering"].page_sorts(), default_sort)
    qs = filterset.qs if filterset.is_bound else filterset.queryset.all()
    page, page_range = paginate(request, qs.order_by(*terms))
    errors = filter_errors(filterset.form, [sort_error] if sort_error else []) if filterset.is_bound else []
    return {
        "filterset": filterset,
        "form": filterset.form,
        "page_obj": page,
        "page_range": page_range,
        "columns": columns,
        "error_entries": errors,
        "filtered": params_without(request),
        "board_options": [("", "Any board"), *((b.code, f"{b.name} ({b.code})") for b in Board.objects.order_by("name"))],
        "status_options": STATUS_OPTIONS,
        "rag_options": RAG_OPTIONS,
        "overdue_options": OVERDUE_OPTIONS,
        "ratings_disagree_options": RATINGS_DISAGREE_OPTIONS,
    }


def post_item_write(
    request: HttpRequest,
    item: Any,
    form_class: type[Any],
    write: Any,
    *,
    fields: Sequence[str],
    form_kwargs: dict[str, Any] | None = None,
    refusal: str | None = None,
) -> tuple[Any, dict[str, int] | None, bool]:
    """The posted form of a write of one fact about ``item`` (its assurance rating, lead board or
    owner) through the service ``write`` (given the version seen and the form's ``fields``):
    (form, conflict, saved). A refusal is a 403 (``refusal``, else the service's message); a field
    error goes back on the form; when someone saved the item after the page was opened, ``item`` is
    read again and the form shown again at its version, with ``conflict`` {seen, current}."""
    form_kwargs = form_kwargs or {}
    form = form_class(request.POST, **form_kwargs)
    if form.is_valid():
        try:
            write(item, by=request.user, version=form.cleaned_data["version"], **{name: form.cleaned_data[name] for name in fields})
        except NotAllowed as exc:
            raise PermissionDenied(refusal or exc.message) from None
        except VersionConflict as exc:
            data = request.POST.copy()
            data["version"] = str(exc.current.version)
            item.refresh_from_db()
            conflict = {"seen": form.cleaned_data["version"], "current": exc.current.version}
            form = form_class(data, **form_kwargs)
            form.is_valid()
            return form, conflict, False
        except InvalidUpdate as exc:
            form.add_service_errors(exc.errors or {"__all__": [exc.message]})
        else:
            return form, None, True
    return form, None, False
