"""Hand-written representations of the two busiest list pages (issue 7).

DRF builds a representation field by field: for a page of 100 commitments with their 500
obligations that is ~25,000 field objects visited and ~2,000 ``reverse()`` calls, and it took
~80 % of the time of ``/api/v1/commitments/?page_size=100`` (docs/benchmarks.md). The functions
here write exactly the same dictionaries (same keys, same order, same values, so the same bytes
and the same ETag) from the same prefetched objects, with each kind of link reversed once per
request and then completed by string concatenation.

The serializers in :mod:`commitments.api.serializers` stay the definition of the representation
(and of the OpenAPI schema); they call these functions only when the result is certain to be the
same: a request is known (absolute links) and no URL format suffix is in play.
``tests/api/test_fastpath.py`` checks field for field that both ways give the same result.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import quote, quote_plus

from rest_framework.reverse import reverse

# What Django's reverse() leaves unquoted in a path (django.urls.resolvers: RFC 3986 sub-delims
# plus "/~:@"), so a key quoted here reads exactly as reverse() would write it.
_PATH_SAFE = "!$&'()*+,;=/~:@"
# Digits match every key pattern of the API's routes (slugs, refs, codes and integer ids), and
# this string cannot occur in a host name or path by chance.
_SENTINEL = "9081726354637281"
_CONTEXT_KEY = "_fast_links"
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_.~-]*")


def prefetched(obj: Any, name: str) -> Any:
    """The rows ``prefetch_related(name)`` fetched for ``obj``, read from Django's prefetch cache
    without building a related manager per object (which cost more than the rows themselves)."""
    cache = getattr(obj, "_prefetched_objects_cache", None)
    if cache is not None and name in cache:
        return cache[name]
    return getattr(obj, name).all()


class Links:
    """The API's absolute links for one request, each kind reversed once.

    ``detail("commitment-detail", "ref", "EST-03")`` gives what a ``HyperlinkedIdentityField``
    gives; ``history("commitment", "EST-03")`` what ``_list_link("statusupdate-list", …)`` gives.
    """

    def __init__(self, request: Any) -> None:
        self.request = request
        self._detail: dict[str, tuple[str, str]] = {}
        self._history: str | None = None

    def detail(self, view_name: str, kwarg: str, value: Any) -> str:
        parts = self._detail.get(view_name)
        if parts is None:
            url = reverse(f"api:{view_name}", kwargs={kwarg: _SENTINEL}, request=self.request)
            prefix, found, suffix = url.partition(_SENTINEL)
            if not found or _SENTINEL in suffix:  # pragma: no cover - a route that cannot take the sentinel
                raise ValueError(f"cannot build links for {view_name}")
            parts = self._detail[view_name] = (prefix, suffix)
        text = str(value)
        # Ids, slugs and refs need no quoting; anything else is quoted as reverse() quotes it.
        if not _PLAIN_KEY.fullmatch(text):
            text = quote(text, safe=_PATH_SAFE)
        return f"{parts[0]}{text}{parts[1]}"

    def history(self, param: str, value: Any) -> str:
        if self._history is None:
            self._history = reverse("api:statusupdate-list", request=self.request)
        return f"{self._history}?{quote_plus(param)}={quote_plus(str(value))}"


def links_for(context: dict[str, Any]) -> Links | None:
    """The :class:`Links` of a serializer context, or None when the generic path must be taken
    (no request: relative links; a ``.json``-style format suffix: links carry it too)."""
    request = context.get("request")
    if request is None or context.get("format"):
        return None
    links = context.get(_CONTEXT_KEY)
    if links is None or links.request is not request:
        links = context[_CONTEXT_KEY] = Links(request)
    return links


def utc(value: dt.datetime | None) -> str | None:
    """As ``UTCDateTimeField``: ISO 8601 in UTC with ``Z``."""
    if value is None:
        return None
    if value.tzinfo is None:  # pragma: no cover - every stored datetime is aware (USE_TZ)
        from devotracker.api.serializers import UTCDateTimeField

        return UTCDateTimeField().to_representation(value)
    text = value.astimezone(dt.UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def day(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def user(obj: Any) -> dict[str, str] | None:
    """As ``UserBriefSerializer``."""
    if obj is None:
        return None
    return {"username": obj.username, "name": obj.get_full_name() or obj.username}


def party(obj: Any, links: Links) -> dict[str, Any]:
    return {"url": links.detail("party-detail", "slug", obj.slug), "slug": obj.slug, "name": obj.name}


def board(obj: Any, links: Links) -> dict[str, Any] | None:
    if obj is None:
        return None
    return {"url": links.detail("board-detail", "code", obj.code), "code": obj.code, "name": obj.name}


def commitment_brief(obj: Any, links: Links) -> dict[str, Any] | None:
    if obj is None:
        return None
    return {"url": links.detail("commitment-detail", "ref", obj.ref), "ref": obj.ref, "title": obj.title}


def obligation_summary(obj: Any, links: Links) -> dict[str, Any]:
    """As ``ObligationSummarySerializer`` (an obligation listed under its commitment)."""
    return {
        "url": links.detail("obligation-detail", "pk", obj.pk),
        "id": obj.pk,
        "party": party(obj.party, links),
        "owner": user(obj.owner),
        "status": obj.status,
        "rag": obj.rag,
        "progress": int(obj.progress),
        "version": int(obj.version),
        "due_date": day(obj.due_date),
        "overdue": bool(obj.is_overdue),
        "overdue_since": day(obj.overdue_since),
        "updated_at": utc(obj.updated_at),
    }


def commitment(obj: Any, links: Links) -> dict[str, Any]:
    """As ``CommitmentSerializer`` (a row of ``/api/v1/commitments/``)."""
    agreement, theme = obj.agreement, obj.theme
    assessed = obj.assessed_at is not None
    return {
        "url": links.detail("commitment-detail", "ref", obj.ref),
        "ref": obj.ref,
        "key": obj.key,
        "title": obj.title,
        "summary": obj.summary,
        "kind": obj.kind,
        "framing": obj.framing,
        "agreement": {
            "url": links.detail("agreement-detail", "slug", agreement.slug),
            "slug": agreement.slug,
            "short_name": agreement.short_name,
        },
        "theme": {"url": links.detail("theme-detail", "slug", theme.slug), "slug": theme.slug, "name": theme.name},
        "subtheme": obj.subtheme,
        "lead_board": board(obj.lead_board, links),
        "lead_board_basis": obj.lead_board_basis,
        "co_lead_boards": [board(b, links) for b in prefetched(obj, "co_lead_boards")],
        "pilots": [
            {
                "url": links.detail("pilot-detail", "slug", link.pilot.slug),
                "slug": link.pilot.slug,
                "name": link.pilot.name,
                "basis": link.basis,
            }
            for link in prefetched(obj, "pilot_links")
        ],
        "parent": commitment_brief(obj.parent, links),
        "target_date": day(obj.target_date),
        "target_date_precision": obj.target_date_precision,
        "due_date": day(obj.target_date),
        "timing": obj.timing,
        "amount": obj.amount,
        "conditions": obj.conditions,
        "status": obj.shown_status,
        "rag": obj.shown_rag,
        "progress": int(obj.shown_progress),
        "version": int(obj.version),
        "overdue": bool(obj.is_overdue),
        "overdue_since": day(obj.overdue_since),
        "updated_at": utc(obj.updated_at),
        "created_at": utc(obj.created_at),
        "assessment": {
            "status": obj.status,
            "rag": obj.rag,
            "progress": int(obj.progress),
            "assessed_at": utc(obj.assessed_at),
            "assessed_by": user(obj.assessed_by),
        }
        if assessed
        else None,
        "rollup": {"status": obj.rollup_status, "rag": obj.rollup_rag, "progress": int(obj.rollup_progress)},
        "assessment_differs": bool(obj.assessment_differs),
        "obligations": [obligation_summary(o, links) for o in prefetched(obj, "obligations")],
        "updates_url": links.history("commitment", obj.ref),
    }


def action(obj: Any, links: Links) -> dict[str, Any]:
    """As ``ActionSerializer`` (a row of ``/api/v1/actions/``)."""
    obligation = obj.obligation
    return {
        "url": links.detail("action-detail", "pk", obj.pk),
        "id": obj.pk,
        "obligation": {
            "url": links.detail("obligation-detail", "pk", obligation.pk),
            "id": obligation.pk,
            "party": party(obligation.party, links),
        },
        "commitment": commitment_brief(obligation.commitment, links),
        "description": obj.description,
        "owner": user(obj.owner),
        "status": obj.status,
        "rag": obj.rag,
        "progress": int(obj.progress),
        "version": int(obj.version),
        "due_date": day(obj.due_date),
        "overdue": bool(obj.is_overdue),
        "overdue_since": day(obj.overdue_since),
        "updated_at": utc(obj.updated_at),
        "original_due_date": day(obj.original_due_date),
        "completed_date": day(obj.completed_date),
        "created_at": utc(obj.created_at),
        "is_demo": bool(obj.is_demo),
        "updates_url": links.history("action", obj.pk),
    }


# --- a whole page from plain rows ---------------------------------------------------------------


class Representation(dict[str, Any]):
    """A representation already built (by :func:`commitment_page`); serializers pass it through."""


_COMMITMENT_COLUMNS = (
    "id", "ref", "key", "title", "summary", "kind", "framing", "agreement__slug", "agreement__short_name", "theme__slug",
    "theme__name", "subtheme", "lead_board__code", "lead_board__name", "lead_board_basis", "parent__ref", "parent__title",
    "target_date", "target_date_precision", "timing", "amount", "conditions", "status", "rag", "progress", "version",
    "is_overdue", "overdue_since", "updated_at", "created_at", "assessed_at", "assessed_by__username",
    "assessed_by__first_name", "assessed_by__last_name", "rollup_status", "rollup_rag", "rollup_progress",
)  # fmt: skip
_OBLIGATION_COLUMNS = (
    "commitment_id", "id", "party__slug", "party__name", "owner__username", "owner__first_name", "owner__last_name",
    "status", "rag", "progress", "version", "due_date", "is_overdue", "overdue_since", "updated_at",
)  # fmt: skip


def _user_of(username: str | None, first: str | None, last: str | None) -> dict[str, str] | None:
    """As ``UserBriefSerializer`` (``get_full_name() or username``) from three columns."""
    if username is None:
        return None
    return {"username": username, "name": f"{first} {last}".strip() or username}


def commitment_page(queryset: Any, ids: list[int], links: Links) -> list[Representation]:
    """The rows ``ids`` of ``queryset`` (filtered and annotated as the list is) as the list's
    representations, in that order: the same dictionaries as :func:`commitment`, built from plain
    rows of four queries (the commitments with their joined references, co-lead boards, pilots
    and obligations) instead of ~2,000 model instances and Django's prefetch machinery."""
    from ..models import Commitment, CommitmentPilot, Obligation

    if not ids:
        return []
    # The ids come from the filtered list already: the rows need no filter but their ids, and a
    # bare query compiles in a fraction of the time of the list's (issue 7).
    # "overdue" on today's London date, as the API's querysets reckon it (for_api(on=None)).
    rows = {row["id"]: row for row in Commitment.objects.with_overdue().filter(pk__in=ids).order_by().values(*_COMMITMENT_COLUMNS)}
    co_leads: dict[int, list[Any]] = {}
    through = Commitment.co_lead_boards.through
    # The order of Board's Meta.ordering, as the prefetch would give.
    for cid, code, name in (
        through.objects.filter(commitment_id__in=ids)
        .order_by("-board__is_mou_board", "board__name")
        .values_list("commitment_id", "board__code", "board__name")
    ):
        co_leads.setdefault(cid, []).append({"url": links.detail("board-detail", "code", code), "code": code, "name": name})
    pilots: dict[int, list[Any]] = {}
    for cid, slug, name, basis in (
        CommitmentPilot.objects.filter(commitment_id__in=ids)
        .order_by("pilot__name")
        .values_list("commitment_id", "pilot__slug", "pilot__name", "basis")
    ):
        pilots.setdefault(cid, []).append({"url": links.detail("pilot-detail", "slug", slug), "slug": slug, "name": name, "basis": basis})
    obligations: dict[int, list[Any]] = {}
    for o in Obligation.objects.filter(commitment_id__in=ids).with_overdue().order_by("party__name", "id").values(*_OBLIGATION_COLUMNS):
        obligations.setdefault(o["commitment_id"], []).append(
            {
                "url": links.detail("obligation-detail", "pk", o["id"]),
                "id": o["id"],
                "party": {
                    "url": links.detail("party-detail", "slug", o["party__slug"]),
                    "slug": o["party__slug"],
                    "name": o["party__name"],
                },
                "owner": _user_of(o["owner__username"], o["owner__first_name"], o["owner__last_name"]),
                "status": o["status"],
                "rag": o["rag"],
                "progress": o["progress"],
                "version": o["version"],
                "due_date": day(o["due_date"]),
                "overdue": bool(o["is_overdue"]),
                "overdue_since": day(o["overdue_since"]),
                "updated_at": utc(o["updated_at"]),
            }
        )
    page: list[Representation] = []
    for cid in ids:
        r = rows.get(cid)
        if r is None:
            continue
        assessed = r["assessed_at"] is not None
        shown = (r["status"], r["rag"], r["progress"]) if assessed else (r["rollup_status"], r["rollup_rag"], r["rollup_progress"])
        lead_code, parent_ref = r["lead_board__code"], r["parent__ref"]
        page.append(
            Representation(
                url=links.detail("commitment-detail", "ref", r["ref"]),
                ref=r["ref"],
                key=r["key"],
                title=r["title"],
                summary=r["summary"],
                kind=r["kind"],
                framing=r["framing"],
                agreement={
                    "url": links.detail("agreement-detail", "slug", r["agreement__slug"]),
                    "slug": r["agreement__slug"],
                    "short_name": r["agreement__short_name"],
                },
                theme={"url": links.detail("theme-detail", "slug", r["theme__slug"]), "slug": r["theme__slug"], "name": r["theme__name"]},
                subtheme=r["subtheme"],
                lead_board={"url": links.detail("board-detail", "code", lead_code), "code": lead_code, "name": r["lead_board__name"]}
                if lead_code is not None
                else None,
                lead_board_basis=r["lead_board_basis"],
                co_lead_boards=co_leads.get(cid, []),
                pilots=pilots.get(cid, []),
                parent={"url": links.detail("commitment-detail", "ref", parent_ref), "ref": parent_ref, "title": r["parent__title"]}
                if parent_ref is not None
                else None,
                target_date=day(r["target_date"]),
                target_date_precision=r["target_date_precision"],
                due_date=day(r["target_date"]),
                timing=r["timing"],
                amount=r["amount"],
                conditions=r["conditions"],
                status=shown[0],
                rag=shown[1],
                progress=shown[2],
                version=r["version"],
                overdue=bool(r["is_overdue"]),
                overdue_since=day(r["overdue_since"]),
                updated_at=utc(r["updated_at"]),
                created_at=utc(r["created_at"]),
                assessment={
                    "status": r["status"],
                    "rag": r["rag"],
                    "progress": r["progress"],
                    "assessed_at": utc(r["assessed_at"]),
                    "assessed_by": _user_of(r["assessed_by__username"], r["assessed_by__first_name"], r["assessed_by__last_name"]),
                }
                if assessed
                else None,
                rollup={"status": r["rollup_status"], "rag": r["rollup_rag"], "progress": r["rollup_progress"]},
                assessment_differs=assessed and (r["status"], r["rag"]) != (r["rollup_status"], r["rollup_rag"]),
                obligations=obligations.get(cid, []),
                updates_url=links.history("commitment", r["ref"]),
            )
        )
    return page


_ACTION_COLUMNS = (
    "id", "obligation_id", "obligation__party__slug", "obligation__party__name", "obligation__commitment__ref",
    "obligation__commitment__title", "description", "owner__username", "owner__first_name", "owner__last_name", "status",
    "rag", "progress", "version", "due_date", "is_overdue", "overdue_since", "updated_at", "original_due_date",
    "completed_date", "created_at", "is_demo",
)  # fmt: skip


def action_page(queryset: Any, bottom: int, top: int, links: Links) -> list[Representation]:
    """Rows ``bottom``..``top`` of the filtered, ordered action list as its representations (the
    same dictionaries as :func:`action`), from one query of plain rows instead of ~4 model
    instances per action."""
    page: list[Representation] = []
    for r in queryset.prefetch_related(None).values(*_ACTION_COLUMNS)[bottom:top]:
        ref = r["obligation__commitment__ref"]
        page.append(
            Representation(
                url=links.detail("action-detail", "pk", r["id"]),
                id=r["id"],
                obligation={
                    "url": links.detail("obligation-detail", "pk", r["obligation_id"]),
                    "id": r["obligation_id"],
                    "party": {
                        "url": links.detail("party-detail", "slug", r["obligation__party__slug"]),
                        "slug": r["obligation__party__slug"],
                        "name": r["obligation__party__name"],
                    },
                },
                commitment={"url": links.detail("commitment-detail", "ref", ref), "ref": ref, "title": r["obligation__commitment__title"]},
                description=r["description"],
                owner=_user_of(r["owner__username"], r["owner__first_name"], r["owner__last_name"]),
                status=r["status"],
                rag=r["rag"],
                progress=r["progress"],
                version=r["version"],
                due_date=day(r["due_date"]),
                overdue=bool(r["is_overdue"]),
                overdue_since=day(r["overdue_since"]),
                updated_at=utc(r["updated_at"]),
                original_due_date=day(r["original_due_date"]),
                completed_date=day(r["completed_date"]),
                created_at=utc(r["created_at"]),
                is_demo=bool(r["is_demo"]),
                updates_url=links.history("action", r["id"]),
            )
        )
    return page
