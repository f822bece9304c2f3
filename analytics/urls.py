"""Portal routes of performance (mounted at /portal/performance/, namespace `performance`)."""

from django.urls import path

from analytics.views import dashboard, results_upload

app_name = "performance"

urlpatterns = [
    path("", dashboard.DashboardView.as_view(), name="dashboard"),
    path("upload/", results_upload.ResultsUploadView.as_view(), name="results_upload"),
]
