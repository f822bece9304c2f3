"""Portal routes of performance (mounted at /portal/performance/, namespace `performance`)."""

from django.urls import path

from analytics import views

app_name = "performance"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
]
