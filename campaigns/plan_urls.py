"""Portal routes of joint marketing plans and their business reviews (mounted at
/portal/plans/, namespace `plans`)."""

from django.urls import path

from campaigns.views import plans as views
from campaigns.views import reviews as review_views

app_name = "plans"

urlpatterns = [
    path("", views.PlanListView.as_view(), name="list"),
    path("new/", views.PlanCreateView.as_view(), name="create"),
    path("<uuid:uuid>/", views.PlanDetailView.as_view(), name="detail"),
    path("<uuid:uuid>/edit/", views.PlanEditView.as_view(), name="edit"),
    path("<uuid:uuid>/submit/", views.PlanSubmitView.as_view(), name="submit"),
    path("<uuid:uuid>/targets/new/", views.TargetFormView.as_view(), name="target_add"),
    path(
        "<uuid:uuid>/targets/<int:target>/edit/",
        views.TargetFormView.as_view(),
        name="target_edit",
    ),
    path(
        "<uuid:uuid>/targets/<int:target>/remove/",
        views.TargetRemoveView.as_view(),
        name="target_remove",
    ),
    path(
        "<uuid:uuid>/targets/<int:target>/actual/",
        views.CustomActualView.as_view(),
        name="target_actual",
    ),
    path("<uuid:uuid>/activities/new/", views.ActivityFormView.as_view(), name="activity_add"),
    path(
        "<uuid:uuid>/activities/<uuid:activity>/edit/",
        views.ActivityFormView.as_view(),
        name="activity_edit",
    ),
    path(
        "<uuid:uuid>/activities/<uuid:activity>/remove/",
        views.ActivityRemoveView.as_view(),
        name="activity_remove",
    ),
    path(
        "<uuid:uuid>/activities/<uuid:activity>/status/",
        views.ActivityStatusView.as_view(),
        name="activity_status",
    ),
    path("<uuid:uuid>/comments/", views.CommentView.as_view(), name="comment"),
    path("<uuid:uuid>/revisions/<int:number>/", views.RevisionView.as_view(), name="revision"),
    path("<uuid:uuid>/compare/", views.CompareView.as_view(), name="compare"),
    path("<uuid:uuid>/export.pdf", views.ExportPDFView.as_view(), name="export_pdf"),
    path("<uuid:uuid>/export.csv", views.ExportCSVView.as_view(), name="export_csv"),
    # Business reviews and their action items.
    path("reviews/", review_views.ReviewListView.as_view(), name="reviews"),
    path("reviews/<uuid:uuid>/", review_views.ReviewDetailView.as_view(), name="review_detail"),
    path("action-items/", review_views.ActionItemListView.as_view(), name="action_items"),
    path(
        "action-items/<uuid:uuid>/status/",
        review_views.ActionItemStatusView.as_view(),
        name="action_item_status",
    ),
]
