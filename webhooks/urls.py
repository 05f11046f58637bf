"""The webhooks pages, mounted at /webhooks/ (administrators)."""

from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("", views.subscription_list, name="list"),
    path("new/", views.subscription_add, name="add"),
    path("<int:pk>/", views.subscription_detail, name="detail"),
    path("<int:pk>/test/", views.send_test, name="test"),
    path("<int:pk>/rotate/", views.rotate_secret, name="rotate"),
    path("<int:pk>/state/", views.set_state, name="state"),
    path("<int:pk>/events/<str:msg_id>/redeliver/", views.redeliver, name="redeliver"),
]
