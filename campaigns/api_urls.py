from config.api_router import Router

router = Router()

urlpatterns = router.urls
