"""Routes of the deals API, mounted at /api/v1/ by config.api_router."""

from config.api_router import Router
from deals import api

router = Router()
router.register("deals", api.DealViewSet, basename="deal")
router.register("leads", api.LeadViewSet, basename="lead")
router.register("protected-accounts", api.ProtectedAccountViewSet, basename="protected-account")

urlpatterns = router.urls
