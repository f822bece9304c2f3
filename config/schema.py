from typing import Any

from django_scopes import scopes_disabled
from drf_spectacular.views import SpectacularAPIView


class UnscopedSchemaView(SpectacularAPIView):
    """The OpenAPI schema. Building it touches querysets (filters), which must not
    need a partner scope; the schema describes the API and holds no partner data."""

    def get(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        with scopes_disabled():
            return super().get(request, *args, **kwargs)
