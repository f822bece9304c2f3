"""Portal routes of joint marketing plans and their business reviews (mounted at
/portal/plans/, namespace `plans`)."""

from django.urls import path  # noqa: F401 - the plan and review routes are added here

app_name = "plans"

urlpatterns: list = []
