from django.urls import path
from rest_framework.routers import SimpleRouter

from partners import api

router = SimpleRouter(trailing_slash=True)
router.register("partners", api.PartnerViewSet, basename="partner")
router.register("tiers", api.TierViewSet, basename="tier")

urlpatterns = [
    path("me", api.MeView.as_view(), name="me"),
    *router.urls,
]
