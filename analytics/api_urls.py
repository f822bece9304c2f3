from django.urls import re_path

from analytics.api import metrics
from config.api_router import Router

router = Router()

urlpatterns = [
    *router.urls,
    re_path(r"^metrics/?$", metrics.MetricsView.as_view(), name="metrics"),
]
