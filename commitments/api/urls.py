"""``/api/v1/`` (DESIGN.md §6): the collections, the sync feed, the OpenAPI schema and its docs.

Every unknown path under the prefix answers in the API's error shape (``api_not_found``), which is
also why it must stay the last pattern.
"""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from . import views
from .docs import ApiDocsView

app_name = "api"

router = SimpleRouter()
router.register("agreements", views.AgreementViewSet, basename="agreement")
router.register("themes", views.ThemeViewSet, basename="theme")
router.register("commitments", views.CommitmentViewSet, basename="commitment")
router.register("obligations", views.ObligationViewSet, basename="obligation")
router.register("actions", views.ActionViewSet, basename="action")
router.register("status-updates", views.StatusUpdateViewSet, basename="statusupdate")
router.register("parties", views.PartyViewSet, basename="party")
router.register("boards", views.BoardViewSet, basename="board")
router.register("pilots", views.PilotViewSet, basename="pilot")
router.register("boroughs", views.BoroughViewSet, basename="borough")
router.register("meetings", views.MeetingViewSet, basename="meeting")
router.register("reports", views.ReportViewSet, basename="report")

urlpatterns = [
    path("", views.ApiRootView.as_view(), name="root"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI from the sidecar (offline), its initialiser a separate script (no inline script
    # under the site's Content-Security-Policy), with accessibility fixes: see docs.py.
    path("docs/", ApiDocsView.as_view(), name="docs"),
    path("changes/", views.ChangeFeedView.as_view(), name="changes"),
    path("changes/head/", views.ChangeFeedHeadView.as_view(), name="changes-head"),
    *router.urls,
    # [\s\S], not ".": a path with a newline in it is an unknown address too, not the site's HTML 404.
    re_path(r"^(?P<unmatched>[\s\S]*)$", views.api_not_found, name="not-found"),
]
