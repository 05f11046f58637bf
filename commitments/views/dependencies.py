"""Adding and removing dependencies (issue 15): the lead board's secretariat of a commitment says
what it, or one of its actions, waits on. The form page answers 403 to anyone else (the service
checks again); bad input re-shows the form with a GOV.UK error summary and changes nothing."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from .. import dependencies as deps
from ..forms import AddDependencyForm
from ..models import Action, Commitment, Dependency
from ..services import InvalidUpdate, NotAllowed

NOT_ALLOWED = "Only the secretariat of the board that leads this commitment can change what it waits on."


def _choices(commitment: Commitment, actions: list[Action]) -> list[tuple[str, str]]:
    return [
        ("commitment", f"{commitment.ref} itself"),
        *((f"action-{a.pk}", f"Action {a.pk} ({a.obligation.party.name}): {a.description[:70]}") for a in actions),
    ]


@require_http_methods(["GET", "POST"])
def dependency_add(request: HttpRequest, ref: str) -> HttpResponse:
    """``/commitments/<ref>/dependencies/add/``: the commitment, or one of its actions, waits on
    another commitment or action (:func:`commitments.dependencies.add_dependency`)."""
    commitment = get_object_or_404(Commitment, ref__iexact=ref)
    if not deps.can_manage(request.user, commitment):
        raise PermissionDenied(NOT_ALLOWED)
    actions = list(Action.objects.filter(obligation__commitment=commitment).select_related("obligation__party").order_by("due_date", "id"))
    choices = _choices(commitment, actions)
    back_url = reverse("commitments:detail", args=[commitment.ref])
    if request.method == "POST":
        form = AddDependencyForm(request.POST, choices=choices)
        if form.is_valid():
            waiting_key = form.cleaned_data["waiting"]
            waiting: Commitment | Action = (
                commitment if waiting_key == "commitment" else next(a for a in actions if f"action-{a.pk}" == waiting_key)
            )
            try:
                prerequisite = deps.find_item(
                    commitment=form.cleaned_data["prerequisite_commitment"], action=form.cleaned_data["prerequisite_action"] or None
                )
                deps.add_dependency(waiting, prerequisite, by=request.user)
            except NotAllowed:
                raise PermissionDenied(NOT_ALLOWED) from None
            except InvalidUpdate as exc:
                form.add_service_errors(exc.errors)
            else:
                messages.success(request, f"{deps.label(waiting)} now waits on {deps.label(prerequisite)}.")
                return redirect(f"{back_url}#dependencies")
    else:
        form = AddDependencyForm(choices=choices, initial={"waiting": request.GET.get("waiting", "commitment")})
    return render(request, "commitments/dependency_add.html", {"form": form, "commitment": commitment, "back_url": back_url})


@require_POST
def dependency_remove(request: HttpRequest, ref: str, pk: int) -> HttpResponse:
    """``POST /commitments/<ref>/dependencies/<id>/remove/`` (a button on the commitment page)."""
    commitment = get_object_or_404(Commitment, ref__iexact=ref)
    dependency = get_object_or_404(Dependency, pk=pk)
    back_url = reverse("commitments:detail", args=[commitment.ref]) + "#dependencies"
    try:
        deps.remove_dependency(dependency, by=request.user)
    except NotAllowed:
        raise PermissionDenied(NOT_ALLOWED) from None
    except InvalidUpdate as exc:
        for problems in exc.errors.values():
            for problem in problems:
                messages.error(request, problem)
    else:
        messages.success(request, f"{dependency.dependent_label} no longer waits on {dependency.prerequisite_label}.")
    return redirect(back_url)
