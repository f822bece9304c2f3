"""Portal routes of performance (mounted at /portal/performance/, namespace `performance`)."""

from django.urls import path

from analytics.views import dashboard

app_name = "performance"

urlpatterns = [
    path("", dashboard.DashboardView.as_view(), name="dashboard"),
]
