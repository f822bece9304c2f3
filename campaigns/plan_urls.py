"""Portal routes of joint marketing plans and their business reviews (mounted at
/portal/plans/, namespace `plans`)."""

from django.urls import path  # noqa: F401 - the plan and review routes are added here

app_name = "plans"

urlpatterns: list = []

# --- business reviews (campaigns.views.reviews) ---
from campaigns.views import reviews as review_views  # noqa: E402

urlpatterns += [
    path("reviews/", review_views.ReviewListView.as_view(), name="reviews"),
    path("reviews/<uuid:uuid>/", review_views.ReviewDetailView.as_view(), name="review_detail"),
    path("action-items/", review_views.ActionItemListView.as_view(), name="action_items"),
    path(
        "action-items/<uuid:uuid>/status/",
        review_views.ActionItemStatusView.as_view(),
        name="action_item_status",
    ),
]
