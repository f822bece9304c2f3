"""Portal routes of campaigns (mounted at /portal/campaigns/, namespace `campaigns`)."""

from django.urls import path

from campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("", views.KitListView.as_view(), name="list"),
]
