"""The officer pages (issue 3). URL names are relied on by other pages (dashboard drill-downs,
e-mails): keep them stable."""

from django.urls import path

from . import views
from .views import assurance as assurance_views
from .views import dependencies as dependency_views
from .views import ownership as ownership_views

app_name = "commitments"

urlpatterns = [
    path("my-work/", views.my_work, name="my-work"),
    path("commitments/", views.commitment_list, name="list"),
    path("commitments/<str:ref>/", views.commitment_detail, name="detail"),
    path("commitments/<str:ref>/update/", views.commitment_update, name="update"),
    path("commitments/<str:ref>/assurance/", assurance_views.commitment_assurance, name="assurance"),
    path("commitments/<str:ref>/lead-board/", ownership_views.commitment_lead_board, name="lead-board"),
    path("commitments/<str:ref>/dependencies/add/", dependency_views.dependency_add, name="dependency-add"),
    path("commitments/<str:ref>/dependencies/<int:pk>/remove/", dependency_views.dependency_remove, name="dependency-remove"),
    path("obligations/", views.obligation_list, name="obligations"),
    path("obligations/<int:pk>/update/", views.obligation_update, name="obligation-update"),
    path("obligations/<int:pk>/assurance/", assurance_views.obligation_assurance, name="obligation-assurance"),
    path("obligations/<int:pk>/owner/", ownership_views.obligation_owner, name="obligation-owner"),
    path("obligations/<int:pk>/actions/add/", views.action_add, name="action-add"),
    path("actions/", views.action_list, name="actions"),
    path("actions/<int:pk>/update/", views.action_update, name="action-update"),
    path("actions/<int:pk>/owner/", ownership_views.action_owner, name="action-owner"),
    path("worklist/", ownership_views.worklist, name="worklist"),
    path("approvals/", views.pending_list, name="pending-list"),
    path("approvals/<int:pk>/", views.pending_detail, name="pending-detail"),
    path("approvals/<int:pk>/withdraw/", views.pending_withdraw, name="pending-withdraw"),
    path("import/", views.import_upload, name="import"),
    path("import/confirm/", views.import_confirm, name="import-confirm"),
    path("import/template.csv", views.import_template, name="import-template"),
]
