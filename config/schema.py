"""The OpenAPI schema view (served at /api/schema/); generation is in config.openapi."""

from drf_spectacular.views import SpectacularAPIView


class UnscopedSchemaView(SpectacularAPIView):
    """The OpenAPI schema. It holds no partner data and needs no partner scope: the
    generator (config.openapi.SchemaGenerator) disables scopes while it inspects the
    views' querysets and filters, here and in `manage.py spectacular`."""
