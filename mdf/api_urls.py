"""Routes of the MDF API, mounted at /api/v1/mdf/ by config.api_router."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from mdf import api

router = SimpleRouter(trailing_slash=True)
router.register("requests", api.FundRequestViewSet, basename="mdf-request")
router.register("claims", api.ClaimViewSet, basename="mdf-claim")
router.register("activity-types", api.ActivityTypeViewSet, basename="mdf-activity-type")

urlpatterns = [
    path("balances/", api.BalanceView.as_view(), name="mdf-balances"),
    *router.urls,
]
