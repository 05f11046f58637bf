"""DevoTracker's URLs plus the obvious implementation's, for the benchmark only."""

from django.urls import include, path

from devotracker.urls import handler403, handler404, handler500
from devotracker.urls import urlpatterns as devotracker_urlpatterns

from . import obvious

urlpatterns = [path("api/obvious/", include(obvious.urlpatterns)), *devotracker_urlpatterns]

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]
