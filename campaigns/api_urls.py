from campaigns import api
from config.api_router import Router

router = Router()
router.register("kits", api.KitViewSet, basename="kit")
router.register("launches", api.LaunchViewSet, basename="launch")
router.register("reviews", api.ReviewViewSet, basename="review")

urlpatterns = router.urls
