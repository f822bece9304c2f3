"""Routes of the MDF API, mounted at /api/v1/mdf/ by config.api_router."""

from django.urls import re_path

from config.api_router import Router
from mdf import api

router = Router()
router.register("requests", api.FundRequestViewSet, basename="mdf-request")
router.register("claims", api.ClaimViewSet, basename="mdf-claim")
router.register("activity-types", api.ActivityTypeViewSet, basename="mdf-activity-type")

urlpatterns = [
    re_path(r"^balances/?$", api.BalanceView.as_view(), name="mdf-balances"),
    *router.urls,
]
