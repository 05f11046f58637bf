"""``/api/v1/`` (DESIGN.md §6): the collections, the sync feed, the OpenAPI schema and its docs.

Every unknown path under the prefix answers in the API's error shape (``api_not_found``), which is
also why it must stay the last pattern.
"""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from . import views

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
    # The split view serves its initialiser as a separate script, so the page needs no inline
    # script under the site's Content-Security-Policy; the assets come from the sidecar (offline).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("changes/", views.ChangeFeedView.as_view(), name="changes"),
    path("changes/head/", views.ChangeFeedHeadView.as_view(), name="changes-head"),
    *router.urls,
    re_path(r"^(?P<unmatched>.*)$", views.api_not_found, name="not-found"),
]
