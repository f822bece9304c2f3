"""Portal routes of campaigns (mounted at /portal/campaigns/, namespace `campaigns`)."""

from django.urls import path

from campaigns.views import kits as views

app_name = "campaigns"

urlpatterns = [
    path("", views.KitListView.as_view(), name="list"),
    path("launches/", views.LaunchListView.as_view(), name="launch_list"),
    path("launches/<str:code>/", views.LaunchDetailView.as_view(), name="launch_detail"),
    path("launches/<str:code>/status/", views.LaunchStatusView.as_view(), name="launch_status"),
    path("kits/<slug:slug>/", views.KitDetailView.as_view(), name="kit_detail"),
    path("kits/<slug:slug>/launch/", views.LaunchCreateView.as_view(), name="launch_create"),
]
