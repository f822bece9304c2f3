"""Portal routes of the content library (mounted at /portal/library/, namespace `library`)."""

from django.urls import path

from assets import views

app_name = "library"

urlpatterns = [
    path("", views.LibraryView.as_view(), name="list"),
    path("file/<str:token>/", views.signed_file, name="file"),
    path("<uuid:uuid>/", views.AssetDetailView.as_view(), name="detail"),
    path("<uuid:uuid>/thumbnail/", views.ThumbnailView.as_view(), name="thumbnail"),
    path(
        "<uuid:uuid>/files/<uuid:version>/download/",
        views.DownloadView.as_view(),
        name="download",
    ),
    path(
        "<uuid:uuid>/files/<uuid:version>/preview/",
        views.PreviewView.as_view(),
        name="preview",
    ),
    path(
        "<uuid:uuid>/files/<uuid:version>/cobranded/",
        views.CobrandRequestView.as_view(),
        name="cobrand",
    ),
    path(
        "<uuid:uuid>/files/<uuid:version>/cobranded/status/",
        views.CobrandStatusView.as_view(),
        name="cobrand_status",
    ),
    path(
        "<uuid:uuid>/files/<uuid:version>/cobranded/download/",
        views.CobrandDownloadView.as_view(),
        name="cobrand_download",
    ),
]
