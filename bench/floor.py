"""The floor for the benchmarked API lists (issue 7): the same page as DevoTracker's, byte for byte
in shape (the same fields, nesting and links), produced by hand-written SQL through psycopg2 and
``json.dumps``, with no framework at all.

Each page costs what it must: its total count and its rows (for commitments: the page's ids, then
its rows, co-lead boards, pilots and obligations, one query each). Nothing is cached. The same
functions run in-process (:func:`render`) and as a bare WSGI application (:data:`application`)
served by the same gunicorn set-up as DevoTracker, so both are measured through the same HTTP
stack. There is no authentication, middleware or content negotiation: that is what makes it a
floor.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, quote, urlencode
from zoneinfo import ZoneInfo

import psycopg2
import psycopg2.extensions

# The product's one overdue rule (due before today, and open: neither complete nor not pursued), so
# the floor answers the same question and its SQL matches the same partial indexes.
from commitments.lifecycle import is_overdue, open_sql

LONDON = ZoneInfo("Europe/London")
UTC = dt.UTC
# Django's reverse() quotes paths with these characters left as they are.
PATH_SAFE = "!$&'()*+,;=/~:@"


def _dt(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _d(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _user(username: str | None, first: str | None, last: str | None) -> dict[str, str] | None:
    if username is None:
        return None
    full = f"{first} {last}".strip()
    return {"username": username, "name": full or username}


class Links:
    """Absolute links as the API writes them, for one host."""

    def __init__(self, base: str) -> None:
        self.base = base + "/api/v1/"

    def detail(self, collection: str, key: Any) -> str:
        return f"{self.base}{collection}/{quote(str(key), safe=PATH_SAFE)}/"

    def history(self, param: str, key: Any) -> str:
        return f"{self.base}status-updates/?{urlencode({param: str(key)})}"

    def page(self, collection: str, params: dict[str, str], number: int) -> str:
        query = {**params, "page": str(number)}
        return f"{self.base}{collection}/?{urlencode(sorted(query.items()))}"


def _envelope(links: Links, collection: str, params: dict[str, str], page: int, size: int, count: int, results: list[Any]) -> bytes:
    pages = max(1, -(-count // size))
    previous: str | None = None
    if page > 1:
        # DRF drops the page parameter for the first page.
        previous = (
            links.page(collection, params, page - 1) if page > 2 else f"{links.base}{collection}/?{urlencode(sorted(params.items()))}"
        )
    body = {
        "count": count,
        "next": links.page(collection, params, page + 1) if page < pages else None,
        "previous": previous,
        "results": results,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


# A commitment shows its assessed state once assessed, else its roll-up.
SHOWN_STATUS = "CASE WHEN {a}.assessed_at IS NOT NULL THEN {a}.status ELSE {a}.rollup_status END"
SHOWN_RAG = "CASE WHEN {a}.assessed_at IS NOT NULL THEN {a}.rag ELSE {a}.rollup_rag END"


def _shown_open(alias: str) -> str:
    return open_sql(alias).replace(f"{alias}.status", SHOWN_STATUS.format(a=alias))


# At risk (issue 15): open, and waiting on a prerequisite that is overdue, not pursued or rated red
# (a commitment's rating used: its assurance rating, else its shown RAG). The ids of the waiting
# ``dependent`` items, as one uncorrelated subquery.
AT_RISK_SQL = """
SELECT d.{dependent}_id FROM commitments_dependency d
WHERE d.{dependent}_id IS NOT NULL AND (
    EXISTS (SELECT 1 FROM commitments_commitment pc WHERE pc.id = d.prerequisite_commitment_id AND (
        (pc.target_date < %(today)s AND {pc_open}) OR {pc_status} = 'not_pursued'
        OR COALESCE(NULLIF(pc.assurance_rag, ''), {pc_rag}) = 'red'))
    OR EXISTS (SELECT 1 FROM commitments_action pa WHERE pa.id = d.prerequisite_action_id AND (
        (pa.due_date < %(today)s AND {pa_open}) OR pa.status = 'not_pursued' OR pa.rag = 'red'))
)
"""


def _at_risk(dependent: str) -> str:
    return AT_RISK_SQL.format(
        dependent=dependent,
        pc_open=_shown_open("pc"),
        pc_status=SHOWN_STATUS.format(a="pc"),
        pc_rag=SHOWN_RAG.format(a="pc"),
        pa_open=open_sql("pa"),
    )


def _dependencies(cur: Any, links: Links, dependent: str, ids: list[int]) -> tuple[dict[int, list[Any]], dict[int, list[Any]]]:
    """What each of ``ids`` (commitments or actions) waits on and holds up: one query each. Each
    dependency names the other end: a commitment by ref, an action by id."""
    found: list[dict[int, list[Any]]] = []
    for mine, theirs in ((dependent, "prerequisite_"), (f"prerequisite_{dependent}", "")):
        by_item: dict[int, list[Any]] = defaultdict(list)
        cur.execute(
            f"SELECT d.{mine}_id, d.id, c.ref, d.{theirs}action_id FROM commitments_dependency d "
            f"LEFT JOIN commitments_commitment c ON c.id = d.{theirs}commitment_id WHERE d.{mine}_id = ANY(%s) ORDER BY d.id",
            [ids],
        )
        for key, did, ref, action in cur.fetchall():
            by_item[key].append({"url": links.detail("dependencies", did), "id": did, "commitment": ref, "action": action})
        found.append(by_item)
    return found[0], found[1]


COMMITMENT_SQL = """
SELECT c.id, c.ref, c.key, c.title, c.summary, c.kind, c.framing, a.slug, a.short_name, t.slug, t.name, c.subtheme,
       b.code, b.name, c.lead_board_basis, p.ref, p.title, c.target_date, c.target_date_precision, c.timing, c.amount,
       c.conditions, c.status, c.rag, c.progress, c.version, c.overdue_since, c.updated_at, c.created_at, c.assessed_at,
       u.username, u.first_name, u.last_name, c.rollup_status, c.rollup_rag, c.rollup_progress,
       c.assurance_rag, ab.username, c.assurance_at, c.assurance_reason,
       c.id IN ({at_risk}) AND {shown_open} AS at_risk
FROM commitments_commitment c
JOIN commitments_theme t ON t.id = c.theme_id
JOIN commitments_agreement a ON a.id = c.agreement_id
LEFT JOIN boards_board b ON b.id = c.lead_board_id
LEFT JOIN commitments_commitment p ON p.id = c.parent_id
LEFT JOIN auth_user u ON u.id = c.assessed_by_id
LEFT JOIN auth_user ab ON ab.id = c.assurance_by_id
WHERE c.id = ANY(%(ids)s)
""".format(at_risk=_at_risk("commitment"), shown_open=_shown_open("c"))

# The page's ids in (theme order, ref, id) order without sorting every commitment: each theme's
# first rows come from the (theme, ref) index, and only those are sorted. Exact: a row on the
# page is among the first ``top`` of its own theme.
PAGE_IDS_SQL = """
SELECT x.id FROM commitments_theme t
CROSS JOIN LATERAL (
    SELECT c.id, c.ref FROM commitments_commitment c WHERE c.theme_id = t.id ORDER BY c.ref, c.id LIMIT %(top)s
) x
ORDER BY t."order", x.ref, x.id
LIMIT %(size)s OFFSET %(offset)s
"""


def commitments(cur: Any, links: Links, params: dict[str, str], page: int, size: int) -> bytes:
    """``/api/v1/commitments/?page_size=N`` (no filters): count, page, co-leads, pilots, obligations."""
    today = dt.datetime.now(LONDON).date()
    cur.execute("SELECT count(*) FROM commitments_commitment")
    count = cur.fetchone()[0]
    cur.execute(PAGE_IDS_SQL, {"top": page * size, "size": size, "offset": (page - 1) * size})
    ids = [r[0] for r in cur.fetchall()]
    cur.execute(COMMITMENT_SQL, {"ids": ids, "today": today})
    by_id = {r[0]: r for r in cur.fetchall()}
    rows = [by_id[i] for i in ids]
    co_leads: dict[int, list[dict[str, Any]]] = defaultdict(list)
    pilots: dict[int, list[dict[str, Any]]] = defaultdict(list)
    obligations: dict[int, list[dict[str, Any]]] = defaultdict(list)
    waiting: dict[int, list[Any]] = defaultdict(list)
    holding: dict[int, list[Any]] = defaultdict(list)
    if ids:
        cur.execute(
            "SELECT x.commitment_id, b.code, b.name FROM commitments_commitment_co_lead_boards x "
            "JOIN boards_board b ON b.id = x.board_id WHERE x.commitment_id = ANY(%s) ORDER BY b.is_mou_board DESC, b.name",
            [ids],
        )
        for cid, code, name in cur.fetchall():
            co_leads[cid].append({"url": links.detail("boards", code), "code": code, "name": name})
        cur.execute(
            "SELECT cp.commitment_id, p.slug, p.name, cp.basis FROM commitments_commitmentpilot cp "
            "JOIN pilots_pilot p ON p.id = cp.pilot_id WHERE cp.commitment_id = ANY(%s) ORDER BY p.name",
            [ids],
        )
        for cid, slug, name, basis in cur.fetchall():
            pilots[cid].append({"url": links.detail("pilots", slug), "slug": slug, "name": name, "basis": basis})
        waiting, holding = _dependencies(cur, links, "commitment", ids)
        cur.execute(
            "SELECT o.commitment_id, o.id, pa.slug, pa.name, u.username, u.first_name, u.last_name, o.status, o.rag, "
            "o.progress, o.version, o.due_date, o.overdue_since, o.updated_at FROM commitments_obligation o "
            "JOIN boards_party pa ON pa.id = o.party_id LEFT JOIN auth_user u ON u.id = o.owner_id "
            "WHERE o.commitment_id = ANY(%s) ORDER BY pa.name, o.id",
            [ids],
        )
        for cid, oid, pslug, pname, un, fn, ln, status, rag, progress, version, due, since, updated in cur.fetchall():
            obligations[cid].append(
                {
                    "url": links.detail("obligations", oid),
                    "id": oid,
                    "party": {"url": links.detail("parties", pslug), "slug": pslug, "name": pname},
                    "owner": _user(un, fn, ln),
                    "status": status,
                    "rag": rag,
                    "progress": progress,
                    "version": version,
                    "due_date": _d(due),
                    "overdue": is_overdue(due, status, today),
                    "overdue_since": _d(since),
                    "updated_at": _dt(updated),
                }
            )
    results = []
    for r in rows:
        (cid, ref, key, title, summary, kind, framing, a_slug, a_name, t_slug, t_name, subtheme, b_code, b_name, basis,
         p_ref, p_title, target, precision, timing, amount, conditions, status, rag, progress, version, since, updated,
         created, assessed_at, un, fn, ln, r_status, r_rag, r_progress, a_rag, a_by, a_at, a_reason, at_risk) = r  # fmt: skip
        assessed = assessed_at is not None
        shown = (status, rag, progress) if assessed else (r_status, r_rag, r_progress)
        results.append(
            {
                "url": links.detail("commitments", ref),
                "ref": ref,
                "key": key,
                "title": title,
                "summary": summary,
                "kind": kind,
                "framing": framing,
                "agreement": {"url": links.detail("agreements", a_slug), "slug": a_slug, "short_name": a_name},
                "theme": {"url": links.detail("themes", t_slug), "slug": t_slug, "name": t_name},
                "subtheme": subtheme,
                "lead_board": {"url": links.detail("boards", b_code), "code": b_code, "name": b_name} if b_code is not None else None,
                "lead_board_basis": basis,
                "co_lead_boards": co_leads[cid],
                "pilots": pilots[cid],
                "parent": {"url": links.detail("commitments", p_ref), "ref": p_ref, "title": p_title} if p_ref is not None else None,
                "target_date": _d(target),
                "target_date_precision": precision,
                "due_date": _d(target),
                "timing": timing,
                "amount": amount,
                "conditions": conditions,
                "status": shown[0],
                "rag": shown[1],
                "progress": shown[2],
                "version": version,
                "overdue": is_overdue(target, shown[0], today),
                "overdue_since": _d(since),
                "updated_at": _dt(updated),
                "created_at": _dt(created),
                "assessment": {
                    "status": status,
                    "rag": rag,
                    "progress": progress,
                    "assessed_at": _dt(assessed_at),
                    "assessed_by": _user(un, fn, ln),
                }
                if assessed
                else None,
                "rollup": {"status": r_status, "rag": r_rag, "progress": r_progress},
                "assessment_differs": assessed and (status, rag) != (r_status, r_rag),
                "self_assessed_rag": shown[1],
                "assurance_rag": a_rag,
                "assurance": {"rag": a_rag, "by": a_by, "at": _dt(a_at), "reason": a_reason},
                "rating_used": a_rag or shown[1],
                "rating_source": "assurance" if a_rag else "self",
                "ratings_disagree": a_rag != "" and a_rag != shown[1],
                "at_risk": at_risk,
                "waiting_on": waiting[cid],
                "holding_up": holding[cid],
                "previous": None,
                "obligations": obligations[cid],
                "updates_url": links.history("commitment", ref),
            }
        )
    return _envelope(links, "commitments", params, page, size, count, results)


ACTION_SQL = """
SELECT x.id, o.id, pa.slug, pa.name, c.ref, c.title, x.description, u.username, u.first_name, u.last_name, x.status, x.rag,
       x.progress, x.version, x.due_date, x.overdue_since, x.updated_at, x.original_due_date, x.completed_date, x.created_at,
       x.is_demo, x.id IN ({at_risk}) AND {open_x} AS at_risk
FROM commitments_action x
JOIN commitments_obligation o ON o.id = x.obligation_id
JOIN boards_party pa ON pa.id = o.party_id
JOIN commitments_commitment c ON c.id = o.commitment_id
LEFT JOIN auth_user u ON u.id = x.owner_id
WHERE x.due_date < %(today)s AND {open_x}
ORDER BY x.due_date, x.id
LIMIT %(size)s OFFSET %(offset)s
""".format(at_risk=_at_risk("action"), open_x=open_sql("x"))


def overdue_actions(cur: Any, links: Links, params: dict[str, str], page: int, size: int) -> bytes:
    """``/api/v1/actions/?overdue=true&page_size=N``: the count and the page, one query each."""
    today = dt.datetime.now(LONDON).date()
    cur.execute(f"SELECT count(*) FROM commitments_action x WHERE x.due_date < %s AND {open_sql('x')}", [today])
    count = cur.fetchone()[0]
    cur.execute(ACTION_SQL, {"today": today, "size": size, "offset": (page - 1) * size})
    rows = cur.fetchall()
    waiting, holding = _dependencies(cur, links, "action", [r[0] for r in rows]) if rows else ({}, {})
    results = []
    for (aid, oid, pslug, pname, ref, title, description, un, fn, ln, status, rag, progress, version, due, since, updated,
         original, completed, created, is_demo, at_risk) in rows:  # fmt: skip
        results.append(
            {
                "url": links.detail("actions", aid),
                "id": aid,
                "obligation": {
                    "url": links.detail("obligations", oid),
                    "id": oid,
                    "party": {"url": links.detail("parties", pslug), "slug": pslug, "name": pname},
                },
                "commitment": {"url": links.detail("commitments", ref), "ref": ref, "title": title},
                "description": description,
                "owner": _user(un, fn, ln),
                "status": status,
                "rag": rag,
                "progress": progress,
                "version": version,
                "due_date": _d(due),
                "overdue": True,
                "overdue_since": _d(since),
                "updated_at": _dt(updated),
                "original_due_date": _d(original),
                "completed_date": _d(completed),
                "created_at": _dt(created),
                "is_demo": is_demo,
                "at_risk": at_risk,
                "waiting_on": waiting.get(aid, []),
                "holding_up": holding.get(aid, []),
                "updates_url": links.history("action", aid),
            }
        )
    return _envelope(links, "actions", params, page, size, count, results)


PAGES: dict[str, tuple[str, Callable[..., bytes]]] = {"commitments": ("commitments", commitments), "actions": ("actions", overdue_actions)}


def connect(database_url: str | None = None) -> Any:
    """A psycopg2 connection in autocommit mode, as DevoTracker's (Django's) is between requests."""
    conn = psycopg2.connect(database_url or os.environ["DATABASE_URL"])
    conn.set_session(autocommit=True)
    conn.set_client_encoding("UTF8")
    with conn.cursor() as cur:
        cur.execute("SET TIME ZONE 'UTC'")  # as Django sets it: datetimes come back in UTC
    return conn


def render(conn: Any, collection: str, query: dict[str, str], host: str = "http://127.0.0.1") -> bytes:
    """The page of ``collection`` (``commitments`` or ``actions``) for the query parameters."""
    _name, fn = PAGES[collection]
    size = min(int(query.get("page_size", "50")), 500)
    page = int(query.get("page", "1"))
    params = {k: v for k, v in query.items() if k != "page"}
    with conn.cursor() as cur:
        return fn(cur, Links(host), params, page, size)


_local = threading.local()


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """WSGI: ``/floor/commitments/?page_size=100`` and ``/floor/actions/?overdue=true&page_size=500``."""
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = connect()
    parts = [p for p in environ.get("PATH_INFO", "").split("/") if p]
    if len(parts) != 2 or parts[0] != "floor" or parts[1] not in PAGES:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    host = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '127.0.0.1')}"
    body = render(conn, parts[1], query, host)
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
