from django.urls import re_path

from analytics.api import metrics, results
from config.api_router import Router

router = Router()

urlpatterns = [
    re_path(r"^results/?$", results.ResultsView.as_view(), name="results"),
    re_path(r"^metrics/?$", metrics.MetricsView.as_view(), name="metrics"),
    *router.urls,
]
