from assets import api
from config.api_router import Router

router = Router()
router.register("assets", api.AssetViewSet, basename="asset")

urlpatterns = router.urls
