"""Who may do what through the API, before any data is read (DESIGN.md §6, §10).

Reading needs an authenticated user (a token or a session). Writing needs, first, a token with the
``write`` scope (a session has no scope: its user's roles decide) and then a target the user's roles
allow, which :func:`commitments.services.can_write` decides inside the write itself.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from devotracker.api.tokens import token_model


class TokenScopeAllowsWrite(BasePermission):
    """Refuse unsafe methods to a read-only token, whatever its user's roles."""

    message = "This token is read-only: ask an administrator for a token with the write scope."

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        token = request.auth
        ApiToken = token_model()
        return not (isinstance(token, ApiToken) and token.scope != ApiToken.Scope.WRITE)
