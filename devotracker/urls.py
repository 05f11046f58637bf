"""Root URLs. Each app owns its own URL module; the API lives under /api/v1/ (DESIGN.md §6)."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from reporting import urls as reporting_urls

from . import views

admin.site.site_header = "DevoTracker administration"
admin.site.site_title = "DevoTracker administration"

urlpatterns = [
    path("", views.home, name="home"),
    path("accessibility/", views.accessibility_statement, name="accessibility"),
    path("privacy/", views.privacy_notice, name="privacy"),
    path("cookies/", views.cookies, name="cookies"),
    path("health/", views.health, name="health"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("devotracker.api.urls")),
    path("accounts/", include("boards.account_urls")),
    path("", include("boards.urls")),
    path("", include("pilots.urls")),
    path("dashboard/", include(reporting_urls.dashboard_patterns)),
    path("meetings/", include(reporting_urls.meeting_patterns)),
    path("periods/", include(reporting_urls.period_patterns)),
    path("open-data/", include(reporting_urls.open_data_patterns)),
    path("public/", include(reporting_urls.public_patterns)),
    path("notifications/", include("commitments.notifications.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("finance/", include("finance.urls")),
    path("", include("commitments.urls")),
]

handler403 = "devotracker.views.forbidden"
handler404 = "devotracker.views.not_found"
handler500 = "devotracker.views.server_error"

if settings.DEBUG:  # pragma: no cover - media files are served by the web server in production
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
