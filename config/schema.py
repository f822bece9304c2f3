"""The OpenAPI schema: its view and the drf-spectacular extensions our API needs.

The extensions here are registered when this module is imported; `config.urls`
imports it, and the schema generator walks the URLconf before it maps any view.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django_scopes import scopes_disabled
from drf_standardized_errors.openapi_serializers import ClientErrorEnum
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerExtension
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SCHEMA_KWARGS, SpectacularAPIView
from rest_framework import serializers


class UnscopedSchemaView(SpectacularAPIView):
    """The OpenAPI schema. Building it touches querysets (filters), which must not
    need a partner scope; the schema describes the API and holds no partner data."""

    # Overriding get() drops the parent's decorator; keep the schema view out of the schema.
    @extend_schema(**SCHEMA_KWARGS)
    def get(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        with scopes_disabled():
            return super().get(request, *args, **kwargs)


class APIKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """`Authorization: Api-Key <prefix>.<secret>` (partners.authentication)."""

    target_class = "partners.authentication.APIKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <prefix>.<secret>`",
        }


class StrictFieldsScheme(OpenApiSerializerExtension):
    """Request bodies of `config.api.StrictFieldsMixin` serializers refuse unknown
    fields (400 naming the field), so the schema says `additionalProperties: false`."""

    target_class = "config.api.StrictFieldsMixin"
    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request":
            schema["additionalProperties"] = False
        return schema


# --- Error bodies that DRF does not raise itself -------------------------------------


class ErrorCode413Enum(models.TextChoices):
    REQUEST_TOO_LARGE = "request_too_large"


class Error413Serializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=ErrorCode413Enum.choices)
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class ErrorResponse413Serializer(serializers.Serializer):
    """Answered by partners.middleware.RequestSizeLimitMiddleware before the view runs."""

    type = serializers.ChoiceField(choices=ClientErrorEnum.choices)
    errors = Error413Serializer(many=True)
