"""``/api/v1/`` (DESIGN.md §6): the router that mounts each app's collections, each app's own
addresses (the sync feed), the root, the OpenAPI schema and its docs.

Each app's ``api/urls.py`` declares ``routes`` (collection, viewset, route basename) and may add
``urlpatterns``. The root's list of collections and the sync feed's links come from the router's
registry, so a collection is named once, where its app registers it. This is the one module of
``devotracker.api`` that imports the domain apps (import-linter allows exactly this).

Every unknown path under the prefix answers in the API's error shape (``api_not_found``), which is
also why it must stay the last pattern.
"""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from boards.api import urls as boards_urls
from commitments.api import urls as commitments_urls
from commitments.api.views import ChangeFeedHeadView, ChangeFeedView
from finance.api import urls as finance_urls
from pilots.api import urls as pilots_urls
from reporting.api import urls as reporting_urls
from webhooks.api import urls as webhooks_urls

from .docs import ApiDocsView
from .views import ApiRootView, api_not_found

app_name = "api"

# The order of the root's list: the commitments' collections, then the boards', the pilots', the
# finance app's, the reporting app's and the webhooks'.
APPS = (commitments_urls, boards_urls, pilots_urls, finance_urls, reporting_urls, webhooks_urls)

router = SimpleRouter()
for app in APPS:
    for prefix, viewset, basename in app.routes:
        router.register(prefix, viewset, basename=basename)

# collection -> (route basename, URL keyword of its detail route); collections under another
# resource (a period's frozen rows: a prefix with a URL keyword in it) are not listed at the root.
ROUTES = {
    prefix: (basename, getattr(viewset, "lookup_url_kwarg", None) or getattr(viewset, "lookup_field", "pk"))
    for prefix, viewset, basename in router.registry
    if "(?P<" not in prefix
}

urlpatterns = [
    path("", ApiRootView.as_view(collections=[(prefix, basename) for prefix, (basename, _key) in ROUTES.items()]), name="root"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI from the sidecar (offline), its initialiser a separate script (no inline script
    # under the site's Content-Security-Policy), with accessibility fixes: see docs.py.
    path("docs/", ApiDocsView.as_view(), name="docs"),
    path("changes/", ChangeFeedView.as_view(routes=ROUTES), name="changes"),
    path("changes/head/", ChangeFeedHeadView.as_view(), name="changes-head"),
    *router.urls,
    # [\s\S], not ".": a path with a newline in it is an unknown address too, not the site's HTML 404.
    re_path(r"^(?P<unmatched>[\s\S]*)$", api_not_found, name="not-found"),
]
