"""Board pages (issue 3 §3). Boards are keyed by code, matched in any case (DESIGN.md §6)."""

from django.urls import path

from . import views

app_name = "boards"

urlpatterns = [
    path("boards/", views.board_list, name="list"),
    path("boards/<str:code>/", views.board_detail, name="detail"),
    path("boards/<str:code>/approval/", views.board_approval, name="approval"),
]
