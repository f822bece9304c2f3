from campaigns import api
from config.api_router import Router

router = Router()
router.register("kits", api.KitViewSet, basename="kit")
router.register("launches", api.LaunchViewSet, basename="launch")
router.register("reviews", api.ReviewViewSet, basename="review")
router.register("plans", api.PlanViewSet, basename="plan")
router.register("plan-periods", api.PlanPeriodViewSet, basename="plan-period")

urlpatterns = router.urls
