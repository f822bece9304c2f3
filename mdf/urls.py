"""Portal routes of market development funds (mounted at /portal/funds/ as `funds`).

The decision emails link to requests/<uuid>/ and claims/<uuid>/: keep those shapes.
"""

from django.urls import path

from mdf import views

app_name = "funds"

urlpatterns = [
    path("", views.OverviewView.as_view(), name="overview"),
    path("requests/", views.RequestListView.as_view(), name="request_list"),
    path("requests/new/", views.RequestCreateView.as_view(), name="request_create"),
    path("requests/<uuid:uuid>/", views.RequestDetailView.as_view(), name="request_detail"),
    path("requests/<uuid:uuid>/submit/", views.RequestSubmitView.as_view(), name="request_submit"),
    path("requests/<uuid:uuid>/edit/", views.RequestEditView.as_view(), name="request_edit"),
    path("requests/<uuid:uuid>/cancel/", views.RequestCancelView.as_view(), name="request_cancel"),
    path("requests/<uuid:uuid>/close/", views.RequestCloseView.as_view(), name="request_close"),
    path("requests/<uuid:uuid>/claim/", views.ClaimCreateView.as_view(), name="claim_create"),
    path("claims/", views.ClaimListView.as_view(), name="claim_list"),
    path("claims/<uuid:uuid>/", views.ClaimDetailView.as_view(), name="claim_detail"),
    path(
        "claims/<uuid:uuid>/proof/", views.ClaimProofUploadView.as_view(), name="claim_proof_upload"
    ),
    path("claims/<uuid:uuid>/edit/", views.ClaimEditView.as_view(), name="claim_edit"),
    path("claims/<uuid:uuid>/submit/", views.ClaimSubmitView.as_view(), name="claim_submit"),
    path("proof/<uuid:uuid>/", views.ProofDownloadView.as_view(), name="proof_download"),
    path("proof/<uuid:uuid>/remove/", views.ProofRemoveView.as_view(), name="proof_remove"),
    path("statement/", views.StatementView.as_view(), name="statement"),
    path("statement.csv", views.StatementCSVView.as_view(), name="statement_csv"),
]
