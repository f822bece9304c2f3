from rest_framework.routers import SimpleRouter

from assets import api

router = SimpleRouter(trailing_slash=True)
router.register("assets", api.AssetViewSet, basename="asset")

urlpatterns = router.urls
