"""Board pages: every governance body, its reporting chain, meetings and the commitments it leads.

``boards`` never imports from ``commitments`` (DESIGN.md §2); the commitments a board leads are
reached through the reverse relations the commitments app declares (``led_commitments``,
``co_led_commitments``), whose manager carries that app's queryset methods.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from .models import Board, Membership
from .services import ApprovalNotAllowed, set_requires_approval


def board_list(request: HttpRequest) -> HttpResponse:
    """``/boards/``: the MoU's boards first, then the other bodies, with what each reports to and
    how many commitments it leads. One query."""
    boards = list(
        Board.objects.select_related("chair", "reports_to")
        .annotate(led_count=Count("led_commitments", distinct=True))
        .order_by("-is_mou_board", "name")
    )
    return render(
        request,
        "boards/board_list.html",
        {"mou_boards": [b for b in boards if b.is_mou_board], "other_boards": [b for b in boards if not b.is_mou_board]},
    )


def _chain(board: Board, by_id: dict[int, Any]) -> list[Any]:
    """The boards above ``board``, nearest first, as :meth:`Board.reporting_chain` walks them
    (cycles cut), but from boards already loaded, so the page's query count does not depend on
    how long the chain is."""
    chain = []
    seen = {board.pk}
    parent_id = board.reports_to_id
    while parent_id is not None and parent_id not in seen and parent_id in by_id:
        parent = by_id[parent_id]
        chain.append(parent)
        seen.add(parent_id)
        parent_id = parent.reports_to_id
    return chain


def board_detail(request: HttpRequest, code: str) -> HttpResponse:
    """``/boards/<code>/`` (any case): the board, its chair, the chain it reports up, the bodies
    that report to or support it, its meetings, and the commitments it leads or co-leads with
    their shown state.

    Queries: the board (1), every board's place in the reporting tree (1), reporting and supporting
    bodies (2), meetings (1), led and co-led commitments (2). Fixed, whatever the number of rows.
    """
    board = get_object_or_404(
        Board.objects.select_related("chair", "owner", "reports_to", "supports", "approval_changed_by"), code__iexact=code
    )
    by_id = {b.pk: b for b in Board.objects.only("id", "code", "name", "reports_to_id", "reports_to_basis")}
    led = list(board.led_commitments.select_related("theme").with_overdue().order_by("theme__order", "ref"))
    co_led = list(board.co_led_commitments.select_related("theme", "lead_board").with_overdue().order_by("ref"))
    return render(
        request,
        "boards/board_detail.html",
        {
            "board": board,
            "chain": _chain(board, by_id),
            "reporting_boards": list(board.reporting_boards.order_by("name")),
            "supported_by": list(board.supported_by.order_by("name")),
            "meetings": list(board.meetings.order_by("-date")),
            "led": led,
            "co_led": co_led,
            "can_switch_approval": _is_secretariat(request.user, board),
        },
    )


def _is_secretariat(user: Any, board: Board) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser) or Membership.objects.filter(user=user, board=board, role=Membership.Role.SECRETARIAT).exists()


@require_POST
def board_approval(request: HttpRequest, code: str) -> HttpResponse:
    """``/boards/<code>/approval/`` (POST, ``requires_approval`` = ``on``/``off``): the board's
    secretariat switches approval before publishing (issue 15)."""
    board = get_object_or_404(Board, code__iexact=code)
    choice = request.POST.get("requires_approval", "")
    if choice not in ("on", "off"):
        messages.error(request, "Choose whether officers' updates need approval.")
        return redirect("boards:detail", code=board.code)
    try:
        set_requires_approval(board, by=request.user, on=choice == "on")
    except ApprovalNotAllowed as exc:
        raise PermissionDenied(str(exc)) from None
    if board.requires_approval:
        messages.success(
            request, f"Officers' updates to items under the {board.name} now need its secretariat's approval before they are published."
        )
    else:
        messages.success(request, f"Officers' updates to items under the {board.name} are now published at once.")
    return redirect("boards:detail", code=board.code)
