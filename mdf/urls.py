"""Portal routes of market development funds (mounted at /portal/funds/ as `funds`).

The decision emails link to requests/<uuid>/ and claims/<uuid>/: keep those shapes.
"""

from django.urls import path

from mdf.views import claims, overview, requests, statement

app_name = "funds"

urlpatterns = [
    path("", overview.OverviewView.as_view(), name="overview"),
    path("requests/", requests.RequestListView.as_view(), name="request_list"),
    path("requests/new/", requests.RequestCreateView.as_view(), name="request_create"),
    path("requests/<uuid:uuid>/", requests.RequestDetailView.as_view(), name="request_detail"),
    path(
        "requests/<uuid:uuid>/submit/", requests.RequestSubmitView.as_view(), name="request_submit"
    ),
    path("requests/<uuid:uuid>/edit/", requests.RequestEditView.as_view(), name="request_edit"),
    path(
        "requests/<uuid:uuid>/cancel/", requests.RequestCancelView.as_view(), name="request_cancel"
    ),
    path("requests/<uuid:uuid>/close/", requests.RequestCloseView.as_view(), name="request_close"),
    path("requests/<uuid:uuid>/claim/", claims.ClaimCreateView.as_view(), name="claim_create"),
    path("claims/", claims.ClaimListView.as_view(), name="claim_list"),
    path("claims/<uuid:uuid>/", claims.ClaimDetailView.as_view(), name="claim_detail"),
    path(
        "claims/<uuid:uuid>/proof/",
        claims.ClaimProofUploadView.as_view(),
        name="claim_proof_upload",
    ),
    path("claims/<uuid:uuid>/edit/", claims.ClaimEditView.as_view(), name="claim_edit"),
    path("claims/<uuid:uuid>/submit/", claims.ClaimSubmitView.as_view(), name="claim_submit"),
    path("proof/<uuid:uuid>/", claims.ProofDownloadView.as_view(), name="proof_download"),
    path("proof/<uuid:uuid>/remove/", claims.ProofRemoveView.as_view(), name="proof_remove"),
    path("statement/", statement.StatementView.as_view(), name="statement"),
    path("statement.csv", statement.StatementCSVView.as_view(), name="statement_csv"),
]
