"""Every write of money and estates (issue 16), one function per use case, as
:mod:`commitments.services` does for the tracked items.

The browser forms, the API and the spreadsheet import all call these functions, so permissions,
validation and history are the same whichever door a change comes through. Each runs in one
transaction: it checks the writer's roles, locks the record, compares the version the writer saw
(a stale one is a :class:`~commitments.services.VersionConflict` carrying the record as it is
now), validates every field (amounts through :func:`finance.money.parse_pounds`), requires a
reason, writes the new state with ``version + 1``, a :class:`~finance.models.FinanceUpdate` with
each changed field's ``[before, after]`` (amounts in pence) and a change-log entry for the sync
feed. Errors are the commitments app's :class:`~commitments.services.ServiceError` subclasses,
translated at the edges (a form error, a 400/403/409).

Totals that do not add up (committed above allocated, spent above committed, a capital profile
that is not the budget) are allowed but flagged: the result carries the record's ``flags``, and
the history row records how they moved (``changes["flags"]``).

Who may write what (ADR 0028):

- administrators: everything;
- the London Estates Board's secretariat (board ``LEB``): every capital budget and disposal;
- a funding stream's keeper board's secretariat: that stream and its lines;
- officers of a line's ``party`` or a disposal's ``owner``: that record's amounts (and a
  disposal's status), not what it is, whose it is or what the boards decided;
- viewers, and everyone else: nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from boards.models import Board, Membership, Party
from commitments import changes as change_log
from commitments.models import Change, Commitment
from commitments.services import MAX_TEXT, InvalidUpdate, NotAllowed, ServiceError, VersionConflict
from pilots.models import Borough, Pilot, SubRegion

from .models import (
    QUARTERS,
    CapitalBudget,
    CapitalBudgetQuarter,
    Disposal,
    FinanceUpdate,
    FundingLine,
    FundingStream,
)
from .money import MAX_PENCE, AmountError, parse_pounds

ESTATES_BOARD = "LEB"
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_COMMITMENTS = 100

__all__ = [
    "ESTATES_BOARD",
    "InvalidUpdate",
    "NotAllowed",
    "Saved",
    "ServiceError",
    "Unknown",
    "VersionConflict",
    "can_create_line",
    "can_create_stream",
    "can_keep_budgets",
    "can_keep_disposals",
    "can_keep_stream",
    "can_update",
    "check_disposal_update",
    "check_line_update",
    "create_budget",
    "create_disposal",
    "create_line",
    "create_stream",
    "find_keys",
    "officer_fields",
    "roles_of",
    "set_budget_profile",
    "streams_kept_by",
    "update_budget",
    "update_disposal",
    "update_line",
    "update_stream",
]


# --- roles ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FinanceRoles:
    """What a user may do with finance records: read from their memberships once per request."""

    active: bool = False
    admin: bool = False
    boards: frozenset[int] = frozenset()  # boards the user is secretariat of
    estates: bool = False  # secretariat of the London Estates Board
    parties: frozenset[int] = frozenset()  # parties the user is an officer of

    @property
    def writes_anything(self) -> bool:
        return self.active and (self.admin or bool(self.boards) or bool(self.parties))


_ROLES_ATTR = "_finance_roles"


def roles_of(user: Any) -> FinanceRoles:
    """The user's finance roles, in one query, remembered on the user object."""
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return FinanceRoles()
    cached = getattr(user, _ROLES_ATTR, None)
    if cached is not None:
        return cached
    boards: set[int] = set()
    parties: set[int] = set()
    estates = False
    if not user.is_superuser:
        for role, board_id, code, party_id in Membership.objects.filter(user=user).values_list(
            "role", "board_id", "board__code", "party_id"
        ):
            if role == Membership.Role.SECRETARIAT and board_id is not None:
                boards.add(board_id)
                estates = estates or (code or "").upper() == ESTATES_BOARD
            elif role == Membership.Role.OFFICER and party_id is not None:
                parties.add(party_id)
    roles = FinanceRoles(active=True, admin=bool(user.is_superuser), boards=frozenset(boards), estates=estates, parties=frozenset(parties))
    setattr(user, _ROLES_ATTR, roles)
    return roles


def can_keep_stream(user: Any, stream: FundingStream) -> bool:
    """The stream's keeper board's secretariat, or an administrator: the stream and its lines."""
    roles = roles_of(user)
    return roles.active and (roles.admin or (stream.keeper_id is not None and stream.keeper_id in roles.boards))


def can_create_stream(user: Any, keeper: Board | None = None) -> bool:
    """A secretariat for a stream its board keeps; an administrator for any."""
    roles = roles_of(user)
    if not roles.active:
        return False
    if roles.admin:
        return True
    return bool(roles.boards) if keeper is None else keeper.pk in roles.boards


def can_create_line(user: Any, stream: FundingStream) -> bool:
    return can_keep_stream(user, stream)


def can_keep_budgets(user: Any) -> bool:
    roles = roles_of(user)
    return roles.active and (roles.admin or roles.estates)


def can_keep_disposals(user: Any) -> bool:
    roles = roles_of(user)
    return roles.active and (roles.admin or roles.estates)


def _keeps(user: Any, record: Any) -> bool:
    """Whether ``user`` keeps ``record`` (may change every field of it)."""
    if isinstance(record, FundingLine):
        return can_keep_stream(user, record.stream)
    if isinstance(record, FundingStream):
        return can_keep_stream(user, record)
    if isinstance(record, CapitalBudget):
        return can_keep_budgets(user)
    if isinstance(record, Disposal):
        return can_keep_disposals(user)
    return False


def _owning_party(record: Any) -> int | None:
    if isinstance(record, FundingLine):
        return record.party_id
    if isinstance(record, Disposal):
        return record.owner_id
    return None


def can_update(user: Any, record: Any) -> bool:
    """Whether ``user`` may change anything of ``record``: its keepers, or (amounts and status
    only, see :func:`officer_fields`) an officer of its owning party."""
    if _keeps(user, record):
        return True
    party = _owning_party(record)
    return party is not None and party in roles_of(user).parties


def officer_fields(user: Any, record: Any) -> frozenset[str] | None:
    """The input fields ``user`` may change on ``record``: None for all of them (a keeper), the
    amounts (and a disposal's status) for an officer of its owning party, nothing otherwise."""
    if _keeps(user, record):
        return None
    if not can_update(user, record):
        return frozenset()
    return LINE_OFFICER_FIELDS if isinstance(record, FundingLine) else DISPOSAL_OFFICER_FIELDS


def streams_kept_by(user: Any) -> models.QuerySet[FundingStream]:
    """The streams whose lines ``user`` may add and keep."""
    roles = roles_of(user)
    if not roles.active:
        return FundingStream.objects.none()
    if roles.admin:
        return FundingStream.objects.all()
    return FundingStream.objects.filter(keeper_id__in=roles.boards)


# --- reading input ----------------------------------------------------------------------------


class _Errors(dict[str, list[str]]):
    def add(self, name: str, message: str) -> None:
        self.setdefault(name, []).append(message)


def _text(value: Any) -> str:
    """Text as stored: CRLF as LF, control characters other than newline and tab removed, trimmed."""
    text = (value if isinstance(value, str) else "").replace("\r\n", "\n")
    return "".join(ch for ch in text if ch in "\n\t" or ord(ch) >= 32).strip()


def _whole(value: Any) -> int | None:
    """A whole number given as an int or as digits ("2018", " 3 "); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*[0-9]{1,9}\s*", value):
        return int(value)
    return None


@dataclass(frozen=True)
class Spec:
    """One input field of a finance record: its input ``name``, the model attribute it sets,
    how its value is read (``kind``) and whether it may be empty."""

    name: str
    attr: str
    kind: str  # amount, text, longtext, choice, year, quarter, percent, date, fk, m2m
    label: str
    required: bool = False
    max_length: int = MAX_TEXT
    choices: tuple[str, ...] = ()
    model: Any = None
    key: str = "slug"


def _amount(spec: Spec, value: Any, errors: _Errors) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if spec.required:
            errors.add(spec.name, f"Enter {spec.label.lower()} in pounds, for example 1200.50.")
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        errors.add(spec.name, "Enter an amount in pounds as text, for example 1200.50.")
        return None
    if isinstance(value, int):  # pence, from code (the edges give pounds as text)
        pence = value
    else:
        try:
            pence = parse_pounds(value)
        except AmountError as exc:
            errors.add(spec.name, str(exc))
            return None
    if pence < 0:
        errors.add(spec.name, "The amount cannot be negative.")
        return None
    if pence >= MAX_PENCE:
        errors.add(spec.name, "The amount is too large: at most 999999999999.99 pounds.")
        return None
    return pence


def _year(spec: Spec, value: Any, errors: _Errors) -> int | None:
    if value is None or value == "":
        if spec.required:
            errors.add(spec.name, "Enter the financial year, for example 2018 for 2018/19.")
        return None
    number = _whole(value)
    if number is None and isinstance(value, str):
        # "2018/19", as people write a financial year.
        match = re.fullmatch(r"\s*([0-9]{4})\s*[/-]\s*([0-9]{2})\s*", value)
        if match and (int(match.group(1)) + 1) % 100 == int(match.group(2)):
            number = int(match.group(1))
    if number is None or not MIN_YEAR <= number <= MAX_YEAR:
        errors.add(spec.name, f"Enter a financial year from {MIN_YEAR} to {MAX_YEAR}, for example 2018 for 2018/19.")
        return None
    return number


def _quarter(spec: Spec, value: Any, errors: _Errors) -> int | None:
    if value is None or value == "":
        if spec.required:
            errors.add(spec.name, "Enter the quarter, 1 to 4.")
        return None
    text = value.strip().upper().removeprefix("Q") if isinstance(value, str) else value
    number = _whole(text)
    if number is None or not 1 <= number <= 4:
        errors.add(spec.name, "The quarter must be 1, 2, 3 or 4 (Q1 is April to June).")
        return None
    return number


def _percent(spec: Spec, value: Any, errors: _Errors) -> int | None:
    if value is None or value == "":
        return None
    number = _whole(value.strip().removesuffix("%") if isinstance(value, str) else value)
    if number is None or not 0 <= number <= 100:
        errors.add(spec.name, "The share retained must be a whole number from 0 to 100.")
        return None
    return number


def _date(spec: Spec, value: Any, errors: _Errors) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        parsed: dt.date | None = value
    elif isinstance(value, str):
        try:
            parsed = dt.date.fromisoformat(value.strip())
        except ValueError:
            parsed = None
    else:
        parsed = None
    if parsed is None:
        errors.add(spec.name, "Enter a real date, for example 2018-03-31.")
        return None
    if not dt.date(MIN_YEAR, 1, 1) <= parsed <= dt.date(MAX_YEAR, 12, 31):
        errors.add(spec.name, f"The date must be between {MIN_YEAR} and {MAX_YEAR}.")
        return None
    return parsed


class Unknown(str):
    """A key that :func:`find_keys` looked up and found nothing for: :func:`_lookup` answers None
    for it without asking again (and the error names it as given)."""


def _key_text(value: Any) -> str | None:
    """The key a value gives (stripped), or None when it cannot name a record."""
    if not isinstance(value, str) or isinstance(value, Unknown) or not value.strip() or "\x00" in value or len(value) > 200:
        return None
    return value.strip()


def _lookup(model: Any, key: str, value: Any) -> Any:
    """The record of ``model`` whose ``key`` (a code in any case, else exactly) ``value`` gives."""
    if isinstance(value, model):
        return value
    text = _key_text(value)
    if text is None:
        return None
    lookup = f"{key}__iexact" if key == "code" else key
    return model._default_manager.filter(**{lookup: text}).first()


def find_keys(model: Any, key: str, values: Iterable[str]) -> dict[str, Any]:
    """:func:`_lookup` for many values at once, in one query (none when no value can name a record):
    each value to its record, or to :class:`Unknown` when there is none."""
    texts = {value: _key_text(value) for value in values}
    wanted = sorted({text for text in texts.values() if text is not None})
    by_key: dict[str, Any] = {}
    if wanted:
        if key == "code":  # any case, as the database compares them (the codes are unique in any case)
            condition = models.Q()
            for code in wanted:
                condition |= models.Q(code__iexact=code)
            by_key = {record.code.upper(): record for record in model._default_manager.filter(condition)}
        else:
            by_key = {getattr(record, key): record for record in model._default_manager.filter(**{f"{key}__in": wanted})}
    found: dict[str, Any] = {}
    for value, text in texts.items():
        record = None if text is None else by_key.get(text.upper() if key == "code" else text)
        found[value] = Unknown(value) if record is None else record
    return found


def _fk(spec: Spec, value: Any, errors: _Errors) -> Any:
    if value is None or value == "":
        if spec.required:
            errors.add(spec.name, f"Choose {spec.label.lower()}.")
        return None
    found = _lookup(spec.model, spec.key, value)
    if found is None:
        shown = str(value)[:60]
        errors.add(spec.name, f"There is no {spec.label.lower().removeprefix('the ')} “{shown}”: give its {spec.key}.")
    return found


def _m2m(spec: Spec, value: Any, errors: _Errors) -> list[Any] | None:
    items = [] if value is None or value == "" else value
    if isinstance(items, str):
        items = [part for part in re.split(r"[\s,;]+", items) if part]
    if not isinstance(items, list | tuple | models.QuerySet):
        errors.add(spec.name, "Give a list of commitment refs.")
        return None
    items = list(items)
    if len(items) > MAX_COMMITMENTS:
        errors.add(spec.name, f"Give at most {MAX_COMMITMENTS} commitments.")
        return None
    found: dict[int, Any] = {}
    refs = [i for i in items if not isinstance(i, spec.model)]
    bad = [i for i in refs if not isinstance(i, str) or "\x00" in i or len(i) > 12]
    by_ref = {c.ref.upper(): c for c in spec.model._default_manager.filter(ref__in=[r.strip().upper() for r in refs if r not in bad])}
    for item in items:
        obj = item if isinstance(item, spec.model) else (by_ref.get(item.strip().upper()) if item not in bad else None)
        if obj is None:
            errors.add(spec.name, f"There is no commitment “{str(item)[:20]}”.")
        else:
            found[obj.pk] = obj
    return sorted(found.values(), key=lambda c: c.ref)


def _choice(spec: Spec, value: Any, errors: _Errors) -> str | None:
    if value is None or value == "":
        if spec.required:
            errors.add(spec.name, f"Choose {spec.label.lower()}.")
        return None
    if not isinstance(value, str) or value.strip().lower() not in spec.choices:
        errors.add(spec.name, f"Choose {spec.label.lower()} from: {', '.join(spec.choices)}.")
        return None
    return value.strip().lower()


def _plain_text(spec: Spec, value: Any, errors: _Errors) -> str:
    if value is not None and not isinstance(value, str):
        errors.add(spec.name, f"Give {spec.label.lower()} as text.")
        return ""
    text = _text(value)
    if spec.kind == "text":
        text = " ".join(text.split())
    if spec.required and not text:
        errors.add(spec.name, f"Enter {spec.label.lower()}.")
    elif len(text) > spec.max_length:
        errors.add(spec.name, f"{spec.label} must be {spec.max_length} characters or fewer.")
    return text


READERS: dict[str, Callable[[Spec, Any, _Errors], Any]] = {
    "amount": _amount,
    "year": _year,
    "quarter": _quarter,
    "percent": _percent,
    "date": _date,
    "fk": _fk,
    "m2m": _m2m,
    "choice": _choice,
    "text": _plain_text,
    "longtext": _plain_text,
}


def _comm(name: str = "commitments") -> Spec:
    return Spec(name, "commitments", "m2m", "Commitments", model=Commitment, key="ref")


STREAM_SPECS = (
    Spec("slug", "slug", "text", "The slug", required=True, max_length=80),
    Spec("name", "name", "text", "The name", required=True, max_length=200),
    Spec("kind", "kind", "choice", "The kind", required=True, choices=tuple(FundingStream.Kind.values)),
    Spec("description", "description", "longtext", "The description"),
    Spec("allocation", "allocation_pence", "amount", "The allocation"),
    Spec("allocation_source", "allocation_source", "longtext", "The allocation's source"),
    Spec("keeper", "keeper", "fk", "The keeper board", model=Board, key="code"),
    _comm(),
)
LINE_SPECS = (
    Spec("stream", "stream", "fk", "The funding stream", required=True, model=FundingStream),
    Spec("description", "description", "text", "The description", required=True, max_length=300),
    Spec("party", "party", "fk", "The party", model=Party),
    Spec("pilot", "pilot", "fk", "The pilot", model=Pilot),
    Spec("sub_region", "sub_region", "fk", "The sub-region", model=SubRegion),
    Spec("financial_year", "financial_year", "year", "The financial year", required=True),
    Spec("quarter", "quarter", "quarter", "The quarter"),
    Spec("allocated", "allocated_pence", "amount", "The amount allocated", required=True),
    Spec("committed", "committed_pence", "amount", "The amount committed", required=True),
    Spec("spent", "spent_pence", "amount", "The amount spent", required=True),
    _comm(),
)
BUDGET_SPECS = (
    Spec("financial_year", "financial_year", "year", "The financial year", required=True),
    Spec("amount", "amount_pence", "amount", "The budget", required=True),
    Spec("retained_receipts", "retained_receipts_pence", "amount", "The retained receipts"),
    Spec("notes", "notes", "longtext", "The notes"),
    Spec("keeper", "keeper", "fk", "The keeper board", model=Board, key="code"),
)
DISPOSAL_SPECS = (
    Spec("site", "site", "text", "The site", required=True, max_length=200),
    Spec("borough", "borough", "fk", "The borough", required=True, model=Borough),
    Spec("sub_region", "sub_region", "fk", "The sub-region", model=SubRegion),
    Spec("owner", "owner", "fk", "The owner", required=True, model=Party),
    Spec("status", "status", "choice", "The status", choices=tuple(Disposal.Status.values)),
    Spec("expected_receipt", "expected_receipt_pence", "amount", "The expected receipt"),
    Spec("actual_receipt", "actual_receipt_pence", "amount", "The actual receipt"),
    Spec("retained_share_percent", "retained_share_percent", "percent", "The share retained"),
    Spec("recommendation", "recommendation", "longtext", "The recommendation"),
    Spec("recommended_by", "recommended_by", "fk", "The recommending board", model=Board, key="code"),
    Spec("recommended_on", "recommended_on", "date", "The date of the recommendation"),
    Spec("decision", "decision", "longtext", "The decision"),
    Spec("decided_on", "decided_on", "date", "The date of the decision"),
    Spec("completed_on", "completed_on", "date", "The completion date"),
    _comm(),
)
SPECS: dict[type[models.Model], tuple[Spec, ...]] = {
    FundingStream: STREAM_SPECS,
    FundingLine: LINE_SPECS,
    CapitalBudget: BUDGET_SPECS,
    Disposal: DISPOSAL_SPECS,
}
# Fields a record's key or home: given when it is created, never changed (partners key on them).
FIXED = {FundingStream: {"slug"}, FundingLine: {"stream"}, CapitalBudget: {"financial_year"}, Disposal: set()}
# What officers of the owning party may change (amounts, and a disposal's status).
LINE_OFFICER_FIELDS = frozenset({"allocated", "committed", "spent"})
DISPOSAL_OFFICER_FIELDS = frozenset({"status", "expected_receipt", "actual_receipt", "completed_on"})

# A disposal moves forward (any number of steps), back one step, or is withdrawn while open; a
# withdrawn one may be proposed again; a completed one is final (an administrator may reopen it).
_ORDER = [s.value for s in (Disposal.Status.PROPOSED, Disposal.Status.APPROVED, Disposal.Status.ON_MARKET, Disposal.Status.UNDER_OFFER)]
TRANSITIONS: dict[str, set[str]] = {
    status: {*_ORDER[max(i - 1, 0) :], Disposal.Status.COMPLETED, Disposal.Status.WITHDRAWN} - {status} for i, status in enumerate(_ORDER)
}
TRANSITIONS[Disposal.Status.WITHDRAWN] = {Disposal.Status.PROPOSED}
TRANSITIONS[Disposal.Status.COMPLETED] = set()


def _read(model: type[models.Model], record: Any, data: Mapping[str, Any], errors: _Errors) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """The values ``data`` gives, read and checked: (model attribute → value, m2m attribute →
    objects). On a create (``record`` None) every field is read, given or not; on an update only
    the fields given, and only those whose value differs from the record's are kept."""
    if not isinstance(data, Mapping):
        errors.add("__all__", "Give the fields to change.")
        return {}, {}
    specs = SPECS[model]
    known = {spec.name for spec in specs}
    for name in data:
        if name not in known:
            errors.add(str(name)[:60], "Unknown field.")
    values: dict[str, Any] = {}
    m2m: dict[str, list[Any]] = {}
    for spec in specs:
        if record is not None and spec.name not in data:
            continue
        raw = data.get(spec.name)
        value = READERS[spec.kind](spec, raw, errors)
        if spec.name in errors:
            continue
        if spec.kind == "m2m":
            if record is None or {o.pk for o in value or []} != {o.pk for o in getattr(record, spec.attr).all()}:
                m2m[spec.attr] = value or []
            continue
        if spec.kind in ("text", "longtext") and value is None:
            value = ""
        model_field: Any = model._meta.get_field(spec.attr)
        if value is None and not model_field.null:
            if record is None and model_field.has_default():
                continue  # not given: the model's default (0 for an amount)
            if record is not None:
                if not spec.required:
                    errors.add(spec.name, f"Enter {spec.label.lower()}: it cannot be empty.")
                continue
            # Created without it: the use case's own rule fills it in or says what is missing.
        if record is None or _key(getattr(record, spec.attr)) != _key(value):
            if record is not None and spec.name in FIXED[type(record)]:
                errors.add(spec.name, f"{spec.label} cannot be changed once the record exists.")
                continue
            values[spec.attr] = value
    return values, m2m


def _key(value: Any) -> Any:
    """A value as the history records it: a record by its key, a date in ISO form, pence as pence."""
    if isinstance(value, Commitment):
        return value.ref
    if isinstance(value, Board):
        return value.code
    if isinstance(value, models.Model):
        return getattr(value, "slug", None) or value.pk
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _reason(reason: Any, errors: _Errors) -> str:
    text = _text(reason if isinstance(reason, str) else "")
    if not text:
        errors.add("reason", "Give a reason for the change.")
    elif len(text) > MAX_TEXT:
        errors.add("reason", f"The reason must be {MAX_TEXT} characters or fewer.")
    return text


def _spec_name(model: type[models.Model], attr: str) -> str:
    return next((s.name for s in SPECS[model] if s.attr == attr), attr)


# --- the rules that join fields -----------------------------------------------------------------


def _check_disposal(record: Disposal | None, values: dict[str, Any], errors: _Errors, *, admin: bool) -> None:
    """Status transitions, a receipt only on a completed disposal, the sub-region the borough's,
    a recommendation with its board; fills in the sub-region and the completion date."""

    def now(attr: str) -> Any:
        return values[attr] if attr in values else (getattr(record, attr) if record is not None else None)

    status = now("status")
    labels = dict(Disposal.Status.choices)
    if record is not None and "status" in values:
        allowed = TRANSITIONS.get(record.status, set())
        if admin and record.status == Disposal.Status.COMPLETED:
            allowed = {Disposal.Status.UNDER_OFFER}
        if values["status"] not in allowed:
            choices = ", ".join(labels[s].lower() for s in Disposal.Status.values if s in allowed)
            errors.add(
                "status",
                f"A disposal cannot go from {labels[record.status].lower()} to {labels[values['status']].lower()}: "
                + (f"choose {choices}." if choices else "a completed disposal is final."),
            )
    if now("actual_receipt_pence") is not None and status != Disposal.Status.COMPLETED:
        errors.add(
            "actual_receipt",
            "A receipt can only be recorded on a completed disposal: set the status to completed, or give the expected receipt instead.",
        )
    if status == Disposal.Status.COMPLETED and now("completed_on") is None and (record is None or "status" in values):
        values["completed_on"] = timezone.localdate()
    elif record is not None and record.status == Disposal.Status.COMPLETED and status != record.status and "completed_on" not in values:
        values["completed_on"] = None
    elif "completed_on" in values and values["completed_on"] is not None and status != Disposal.Status.COMPLETED:
        errors.add("completed_on", "A completion date can only be given for a completed disposal.")
    borough = now("borough")
    if borough is not None and "borough" not in errors and "sub_region" not in errors:
        home = borough.sub_region
        if values.get("sub_region") is None and home is not None and (record is None or "borough" in values or "sub_region" in values):
            if record is None or record.sub_region_id != home.pk:
                values["sub_region"] = home
            else:
                values.pop("sub_region", None)
        sub_region = now("sub_region")
        if sub_region is None:
            errors.add("sub_region", f"Choose the sub-region: {borough.name} has none recorded.")
        elif home is not None and sub_region.pk != home.pk:
            errors.add("sub_region", f"{borough.name} is in {home.name}, not {sub_region.name}: choose its own sub-region.")
    if _text(now("recommendation") or "") and now("recommended_by") is None and "recommended_by" not in errors:
        errors.add("recommended_by", "Say which board made the recommendation (LEB or a sub-regional board).")


# --- writing ----------------------------------------------------------------------------------


@dataclass
class Saved:
    """What a write did: the record as saved, its history row, and what does not add up."""

    record: Any
    update: FinanceUpdate
    flags: list[str] = field(default_factory=list)


def _flags(record: Any) -> list[str]:
    if isinstance(record, FundingLine):
        return record.flags
    if isinstance(record, CapitalBudget):
        return record.flags()
    return []


def _history(record: Any, *, by: Any, source: str, created: bool, changes: dict[str, Any], reason: str, now: dt.datetime) -> FinanceUpdate:
    target = {FundingStream: "stream", FundingLine: "line", CapitalBudget: "budget", Disposal: "disposal"}[type(record)]
    update = FinanceUpdate.objects.create(
        **{target: record},
        author=by if getattr(by, "is_authenticated", False) else None,
        created_at=now,
        source=source,
        created=created,
        changes=changes,
        reason=reason,
        version=record.version,
    )
    return update


def _create(
    model: type[models.Model],
    *,
    by: Any,
    data: Mapping[str, Any],
    reason: str,
    source: str,
    allowed: Callable[[dict[str, Any]], bool],
    check: Callable[[dict[str, Any], _Errors], None] | None = None,
    extra: dict[str, Any] | None = None,
) -> Saved:
    now = timezone.now()
    with transaction.atomic():
        errors = _Errors()
        values, m2m = _read(model, None, data, errors)
        if not allowed(values):
            raise NotAllowed("You do not have permission to add this.")
        if check is not None:
            check(values, errors)
        why = _reason(reason, errors)
        if errors:
            raise InvalidUpdate("Check the record: some fields need attention.", dict(errors))
        record: Any = model(**values, **(extra or {}))
        record.created_at = now
        record.save()
        for attr, objs in m2m.items():
            getattr(record, attr).set(objs)
        changes = {attr: [None, _key(v)] for attr, v in values.items() if v not in (None, "")}
        changes.update({attr: [[], [o.ref for o in objs]] for attr, objs in m2m.items() if objs})
        flags = _flags(record)
        if flags:
            changes["flags"] = [[], flags]
        update = _history(record, by=by, source=source, created=True, changes=changes, reason=why, now=now)
        change_log.record(record, Change.Op.CREATE)
        return Saved(record, update, flags)


def _lock(record: Any) -> Any:
    return type(record)._default_manager.select_for_update().get(pk=record.pk)


def _check_version(locked: Any, version: Any) -> None:
    if version is None or isinstance(version, bool) or not isinstance(version, int):
        raise InvalidUpdate("Send the version you last saw.", {"version": ["Give the version you last saw, a whole number."]})
    if version != locked.version:
        raise VersionConflict(
            f"Someone else saved this after you opened it (you saw version {version}, it is now {locked.version}).", current=locked
        )


def _prepare_update(
    record: Any,
    *,
    by: Any,
    data: Mapping[str, Any],
    reason: Any,
    check: Callable[[Any, dict[str, Any], _Errors], None] | None,
    also_changes: Callable[[Any], bool] | None = None,
) -> tuple[dict[str, Any], dict[str, list[Any]], str, _Errors]:
    """Read and check an update of ``record`` (already locked and version-checked, or as loaded
    for a preview) without writing: (values, m2m, reason, errors). Refuses (NotAllowed) a field
    the writer may not change."""
    errors = _Errors()
    values, m2m = _read(type(record), record, data, errors)
    permitted = officer_fields(by, record)
    if permitted is not None:
        names = sorted({_spec_name(type(record), attr) for attr in [*values, *m2m]} - permitted)
        if names:
            raise NotAllowed(
                f"As an officer of its owner you may change only {', '.join(sorted(permitted))}; not {', '.join(names)}.",
                {name: ["Only the record's keepers can change this."] for name in names},
            )
    if check is not None:
        check(record, values, errors)
    if not values and not m2m and not errors and not (also_changes is not None and also_changes(record)):
        errors.add("__all__", "Change at least one thing.")
    why = _reason(reason, errors)
    return values, m2m, why, errors


def _update(
    record: Any,
    *,
    by: Any,
    version: Any,
    data: Mapping[str, Any],
    reason: Any,
    source: str,
    check: Callable[[Any, dict[str, Any], _Errors], None] | None = None,
    after: Callable[[Any, dict[str, Any]], None] | None = None,
    also_changes: Callable[[Any], bool] | None = None,
) -> Saved:
    now = timezone.now()
    with transaction.atomic():
        if not can_update(by, record):
            raise NotAllowed("You do not have permission to change this.")
        locked = _lock(record)
        _check_version(locked, version)
        values, m2m, why, errors = _prepare_update(locked, by=by, data=data, reason=reason, check=check, also_changes=also_changes)
        if errors:
            raise InvalidUpdate("Check the change: some fields need attention.", dict(errors))
        flags_before = _flags(locked)
        changes: dict[str, Any] = {}
        for attr, value in values.items():
            changes[attr] = [_key(getattr(locked, attr)), _key(value)]
            setattr(locked, attr, value)
        for attr, objs in m2m.items():
            changes[attr] = [sorted(c.ref for c in getattr(locked, attr).all()), [o.ref for o in objs]]
            getattr(locked, attr).set(objs)
        if after is not None:
            after(locked, changes)
        locked.version += 1
        locked.save()
        flags = _flags(locked)
        if flags != flags_before:
            changes["flags"] = [flags_before, flags]
        update = _history(locked, by=by, source=source, created=False, changes=changes, reason=why, now=now)
        change_log.record(locked)
        record.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
        return Saved(locked, update, flags)


# --- funding streams ----------------------------------------------------------------------------


def create_stream(*, by: Any, data: Mapping[str, Any], reason: str, source: str = FinanceUpdate.Source.WEB) -> Saved:
    """Add a funding stream (slug, name, kind, description, allocation with its source, keeper
    board, the commitments it funds). A secretariat adds streams its own board keeps."""

    def allowed(values: dict[str, Any]) -> bool:
        return can_create_stream(by, values.get("keeper")) and (roles_of(by).admin or values.get("keeper") is not None)

    def check(values: dict[str, Any], errors: _Errors) -> None:
        slug = values.get("slug", "")
        if slug and not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug):
            errors.add("slug", "The slug must be lower-case letters, digits and hyphens, for example transformation-fund.")
        elif slug in ("add", "edit"):
            errors.add("slug", f"“{slug}” is kept for the pages' addresses: choose another slug.")
        elif slug and FundingStream.objects.filter(slug=slug).exists():
            errors.add("slug", f"There is already a funding stream “{slug}”.")

    return _create(FundingStream, by=by, data=data, reason=reason, source=source, allowed=allowed, check=check)


def update_stream(
    stream: FundingStream, *, by: Any, version: Any, data: Mapping[str, Any], reason: Any, source: str = FinanceUpdate.Source.WEB
) -> Saved:
    """Change a funding stream (its keepers, or an administrator). A secretariat may hand a
    stream to another board only as an administrator would: the keeper is theirs to keep."""

    def check(record: Any, values: dict[str, Any], errors: _Errors) -> None:
        if "keeper" in values and not roles_of(by).admin and (values["keeper"] is None or values["keeper"].pk not in roles_of(by).boards):
            errors.add("keeper", "Only an administrator can hand a stream to a board you are not the secretariat of.")

    return _update(stream, by=by, version=version, data=data, reason=reason, source=source, check=check)


# --- funding lines ------------------------------------------------------------------------------


def create_line(*, by: Any, data: Mapping[str, Any], reason: str, source: str = FinanceUpdate.Source.WEB) -> Saved:
    """Add a line to a stream: what is allocated, committed and spent, for whom, when, funding
    which commitments. Flagged (not refused) when it does not add up."""
    stream = _lookup(FundingStream, "slug", data.get("stream")) if isinstance(data, Mapping) else None
    if stream is not None and not can_create_line(by, stream):
        raise NotAllowed(f"Only the secretariat that keeps {stream.name} can add lines to it.")
    if stream is None and not roles_of(by).writes_anything:
        raise NotAllowed("You do not have permission to add funding lines.")
    return _create(
        FundingLine,
        by=by,
        data=data,
        reason=reason,
        source=source,
        allowed=lambda values: values.get("stream") is None or can_create_line(by, values["stream"]),
        extra={"created_by": by if getattr(by, "is_authenticated", False) else None},
    )


def check_line_update(line: FundingLine, *, by: Any, data: Mapping[str, Any], reason: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """What an update of ``line`` would change (model attribute → [before, after]) and its field
    errors, without writing (the spreadsheet import's preview). Raises NotAllowed as the write would."""
    if not can_update(by, line):
        raise NotAllowed("You do not have permission to change this funding line.")
    values, _m2m, _why, errors = _prepare_update(line, by=by, data=data, reason=reason, check=None)
    changes = {attr: [_key(getattr(line, attr)), _key(v)] for attr, v in values.items()}
    return changes, dict(errors)


def update_line(
    line: FundingLine, *, by: Any, version: Any, data: Mapping[str, Any], reason: Any, source: str = FinanceUpdate.Source.WEB
) -> Saved:
    """Change a funding line: its keepers anything but its stream; officers of its party the amounts."""
    return _update(line, by=by, version=version, data=data, reason=reason, source=source)


# --- capital budgets ----------------------------------------------------------------------------


def _read_quarters(raw: Any, errors: _Errors) -> dict[int, dict[str, int]]:
    """A profile as given: {quarter: {"planned": pounds, "spent": pounds}} or a list of
    {"quarter", "planned", "spent"}; the result in pence."""
    items: list[tuple[Any, Any]]
    if isinstance(raw, Mapping):
        items = list(raw.items())
    elif isinstance(raw, list | tuple):
        items = [(row.get("quarter") if isinstance(row, Mapping) else None, row) for row in raw]
    else:
        errors.add("quarters", "Give the quarters as a list of {quarter, planned, spent}.")
        return {}
    out: dict[int, dict[str, int]] = {}
    for index, (number, row) in enumerate(items):
        name = f"quarters.{index}"
        quarter = _quarter(Spec(f"{name}.quarter", "", "quarter", "The quarter", required=True), number, errors)
        if quarter is None:
            continue
        if quarter in out:
            errors.add(f"{name}.quarter", f"Q{quarter} is given twice.")
            continue
        if not isinstance(row, Mapping):
            errors.add(name, "Give planned and spent for the quarter.")
            continue
        unknown = sorted(str(k) for k in row if k not in ("quarter", "planned", "spent"))
        for key in unknown:
            errors.add(f"{name}.{key}", "Unknown field.")
        amounts = {}
        for key in ("planned", "spent"):
            pence = _amount(Spec(f"{name}.{key}", "", "amount", f"The amount {key}", required=True), row.get(key), errors)
            if pence is not None:
                amounts[key] = pence
        if len(amounts) == 2:
            out[quarter] = amounts
    return out


def _apply_quarters(budget: CapitalBudget, profile: dict[int, dict[str, int]], changes: dict[str, Any]) -> None:
    current = {q.quarter: q for q in budget.quarters.all()}
    for number, amounts in sorted(profile.items()):
        row = current.get(number) or CapitalBudgetQuarter(budget=budget, quarter=number)
        for key in ("planned", "spent"):
            before = getattr(row, f"{key}_pence") if number in current else None
            if before != amounts[key]:
                changes[f"q{number}_{key}_pence"] = [before, amounts[key]]
                setattr(row, f"{key}_pence", amounts[key])
        row.save()


def create_budget(*, by: Any, data: Mapping[str, Any], reason: str, source: str = FinanceUpdate.Source.WEB) -> Saved:
    """Set a year's capital budget (the London Estates Board's secretariat), with its quarterly
    profile when given (``quarters``)."""
    data = dict(data) if isinstance(data, Mapping) else {}
    quarters_raw = data.pop("quarters", None)
    if not can_keep_budgets(by):
        raise NotAllowed("Only the London Estates Board's secretariat keeps the capital budget.")
    errors = _Errors()
    profile = _read_quarters(quarters_raw, errors) if quarters_raw is not None else {}

    def check(values: dict[str, Any], errs: _Errors) -> None:
        for name, messages in errors.items():
            for message in messages:
                errs.add(name, message)
        year = values.get("financial_year")
        if year is not None and CapitalBudget.objects.filter(financial_year=year).exists():
            errs.add("financial_year", f"There is already a capital budget for {year}/{(year + 1) % 100:02d}: change that one.")
        if values.get("keeper") is None:
            values["keeper"] = Board.objects.filter(code__iexact=ESTATES_BOARD).first()

    with transaction.atomic():
        saved = _create(CapitalBudget, by=by, data=data, reason=reason, source=source, allowed=lambda _v: True, check=check)
        if profile:
            _apply_quarters(saved.record, profile, saved.update.changes)
            saved.flags = saved.record.flags()
            if saved.flags:
                saved.update.changes["flags"] = [[], saved.flags]
            saved.update.save(update_fields=["changes"])
        return saved


def update_budget(
    budget: CapitalBudget, *, by: Any, version: Any, data: Mapping[str, Any], reason: Any, source: str = FinanceUpdate.Source.WEB
) -> Saved:
    """Change a capital budget: amount, retained receipts, notes, keeper, and (``quarters``) its profile."""
    data = dict(data) if isinstance(data, Mapping) else {}
    quarters_raw = data.pop("quarters", None)
    profile: dict[int, dict[str, int]] = {}

    def check(record: Any, values: dict[str, Any], errors: _Errors) -> None:
        if quarters_raw is not None:
            profile.update(_read_quarters(quarters_raw, errors))

    def profile_changes(record: Any) -> bool:
        current = {q.quarter: (q.planned_pence, q.spent_pence) for q in record.quarters.all()}
        return any(current.get(n) != (a["planned"], a["spent"]) for n, a in profile.items())

    def after(record: Any, changes: dict[str, Any]) -> None:
        if profile:
            _apply_quarters(record, profile, changes)

    return _update(
        budget, by=by, version=version, data=data, reason=reason, source=source, check=check, after=after, also_changes=profile_changes
    )


def set_budget_profile(
    budget: CapitalBudget,
    *,
    by: Any,
    version: Any,
    quarters: Any,
    reason: Any,
    source: str = FinanceUpdate.Source.WEB,
) -> Saved:
    """Set a capital budget's spending profile by quarter: {quarter: {"planned", "spent"}} in
    pounds. Flagged when the profile is not the budget plus its retained receipts."""
    return update_budget(budget, by=by, version=version, data={"quarters": quarters}, reason=reason, source=source)


# --- disposals ----------------------------------------------------------------------------------


def create_disposal(*, by: Any, data: Mapping[str, Any], reason: str, source: str = FinanceUpdate.Source.WEB) -> Saved:
    """Record a disposal of an NHS site (the London Estates Board's secretariat)."""
    if not can_keep_disposals(by):
        raise NotAllowed("Only the London Estates Board's secretariat records disposals.")
    admin = roles_of(by).admin
    return _create(
        Disposal,
        by=by,
        data=data,
        reason=reason,
        source=source,
        allowed=lambda _values: True,
        check=lambda values, errors: _check_disposal(None, values, errors, admin=admin),
    )


def check_disposal_update(
    disposal: Disposal, *, by: Any, data: Mapping[str, Any], reason: Any
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """What an update of ``disposal`` would change and its field errors, without writing."""
    if not can_update(by, disposal):
        raise NotAllowed("You do not have permission to change this disposal.")
    admin = roles_of(by).admin
    values, _m2m, _why, errors = _prepare_update(
        disposal, by=by, data=data, reason=reason, check=lambda r, v, e: _check_disposal(r, v, e, admin=admin)
    )
    changes = {attr: [_key(getattr(disposal, attr)), _key(v)] for attr, v in values.items()}
    return changes, dict(errors)


def update_disposal(
    disposal: Disposal, *, by: Any, version: Any, data: Mapping[str, Any], reason: Any, source: str = FinanceUpdate.Source.WEB
) -> Saved:
    """Change a disposal: the London Estates Board's secretariat anything; officers of its owner
    its status, receipts and completion date. Status moves as :data:`TRANSITIONS` allows; the
    actual receipt only on a completed disposal; the sub-region is the borough's."""
    admin = roles_of(by).admin
    return _update(
        disposal,
        by=by,
        version=version,
        data=data,
        reason=reason,
        source=source,
        check=lambda r, v, e: _check_disposal(r, v, e, admin=admin),
    )


QUARTER_LABELS = dict(QUARTERS)
