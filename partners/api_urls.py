from django.urls import re_path

from config.api_router import Router
from partners import api

router = Router()
router.register("partners", api.PartnerViewSet, basename="partner")
router.register("tiers", api.TierViewSet, basename="tier")
router.register("feedback", api.FeedbackViewSet, basename="feedback")

urlpatterns = [
    re_path(r"^me/?$", api.MeView.as_view(), name="me"),
    *router.urls,
]
