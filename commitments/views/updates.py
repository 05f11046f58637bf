"""The update forms (issue 3): a commitment's assessed state, an obligation, an action, and adding
an action. Permission is checked before a form is shown and again by the service that writes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from ..forms import ActionUpdateForm, AddActionForm, CommitmentUpdateForm, UpdateForm
from ..models import Action, Commitment, Obligation, PendingUpdate, Rag, Status, StatusUpdate, TrackedState
from ..services import (
    InvalidUpdate,
    NotAllowed,
    PendingExists,
    VersionConflict,
    add_action,
    approval_board,
    can_write,
    pending_update_for,
    record_update,
)
from ..templatetags.tracker import possessive
from .lists import commitment_or_404

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


def _returned_to_resubmit(request: HttpRequest, target: TrackedState) -> PendingUpdate | None:
    """The returned update named by ``?resubmit=<id>``, when it is this item's and the user's to
    see; None otherwise (a bad or foreign id is ignored: the form simply starts from the item)."""
    raw = request.GET.get("resubmit", "")
    if not raw.isdigit() or len(raw) > 12:
        return None
    field_name = {Commitment: "commitment_id", Obligation: "obligation_id", Action: "action_id"}[type(target)]
    return (
        PendingUpdate.objects.visible_to(request.user)
        .filter(pk=int(raw), state=PendingUpdate.State.RETURNED, target_type=type(target).__name__.lower(), **{field_name: target.pk})
        .first()
    )


def _resubmit_initial(returned: PendingUpdate) -> dict[str, Any]:
    initial: dict[str, Any] = {"reason": returned.reason, "note": returned.note, "evidence": "\n".join(returned.evidence or [])}
    if returned.status:
        initial["status"] = returned.status
    if returned.changes_rag:
        initial["rag"] = returned.rag
    if returned.progress is not None:
        initial["progress"] = returned.progress
    if returned.due_date is not None:
        initial["revised_due_date"] = returned.due_date
    return initial


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
                result = record_update(
                    target,
                    by=request.user,
                    version=form.cleaned_data["version"],
                    data=form.to_update_input(),
                    replace_pending=form.cleaned_data.get("replace_pending", False),
                )
            except NotAllowed:
                raise PermissionDenied("You may not update this.") from None
            except VersionConflict as exc:
                conflict, data = _conflict(form, request.POST, exc.current)
                form = form_class(data, target=exc.current)
            except PendingExists as exc:
                form.add_error("replace_pending", exc.message)
            except InvalidUpdate as exc:
                form.add_service_errors(exc.errors)
            else:
                if isinstance(result, PendingUpdate):
                    messages.success(
                        request,
                        f"Your update has been submitted for approval by the {result.board.name} secretariat. "
                        "It will be published when they approve it.",
                    )
                    return redirect("commitments:pending-detail", pk=result.pk)
                messages.success(request, success_message)
                return redirect(f"{back_url}#timeline")
    else:
        initial = form_class.initial_for(target, _due(target))
        returned = _returned_to_resubmit(request, target)
        if returned is not None:  # "Submit again" from a returned update: start from what was asked
            initial.update(_resubmit_initial(returned))
        form = form_class(initial=initial, target=target)
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
            "pending": pending_update_for(target),
            "approval_board": approval_board(request.user, target),
            "due": _due(target),
            # A commitment's target date may be known to the month or year only (DESIGN.md §3).
            "due_precision": (target.target_date_precision or "day") if isinstance(target, Commitment) else "day",
        },
        status=409 if conflict else 200,
    )


@require_http_methods(["GET", "POST"])
def commitment_update(request: HttpRequest, ref: str) -> HttpResponse:
    """``/commitments/<ref>/update/``: the lead board's secretariat records its assessment."""
    commitment = commitment_or_404(ref, Commitment.objects.select_related("lead_board", "theme"))
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
