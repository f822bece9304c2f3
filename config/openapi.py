"""How the OpenAPI schema is generated: our AutoSchema and drf-spectacular extensions.

`REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]` points here, so DRF imports this module
before any view class exists and the extensions below are always registered.
It must not import `drf_spectacular.views` (that module needs the schema class).
"""

from __future__ import annotations

import re
from typing import Any

from django.db import models
from django_scopes import scopes_disabled
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.generators import SchemaGenerator as BaseSchemaGenerator
from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema
from drf_standardized_errors.openapi_serializers import ClientErrorEnum
from rest_framework import serializers

from config.api import StandardPagination
from config.api_input import SearchFilter

# The schemes of Django's URLValidator (and so of DRF's URLField).
URL_PATTERN = r"^(?:[hH][tT][tT][pP][sS]?|[fF][tT][pP][sS]?)://"


class SchemaGenerator(BaseSchemaGenerator):
    """Generation inspects views, querysets and filtersets without a request's partner;
    it describes the API and reads no partner data, so partner scopes are disabled here,
    once, for the schema view and `manage.py spectacular` alike."""

    def get_schema(self, request: Any = None, public: bool = False) -> dict[str, Any]:
        with scopes_disabled():
            return super().get_schema(request=request, public=public)


class AutoSchema(StandardizedErrorsAutoSchema):
    """drf-standardized-errors' schema, plus the validation errors of our pagination
    and of `?search=` (config.api.SearchFilter), which are not django-filter fields."""

    def _get_extra_validation_errors(self) -> dict[str, set[str]]:
        errors = super()._get_extra_validation_errors()
        paginator = self._get_paginator()
        if isinstance(paginator, StandardPagination) and self._is_list_view():
            errors.setdefault(paginator.page_size_query_param, set()).add("invalid")
        if self._is_list_view() and getattr(self.view, "search_fields", None):
            for backend in self.get_filter_backends():
                if issubclass(backend, SearchFilter):
                    errors.setdefault(backend.search_param, set()).update(
                        {"null_characters_not_allowed", "surrogate_characters_not_allowed"}
                    )
        return errors


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


class URLFieldScheme(OpenApiSerializerFieldExtension):
    """A URL field takes what Django's URLValidator takes, which is narrower than
    JSON Schema's `uri` (e.g. `mailto:x`): say which schemes with a pattern."""

    target_class = "rest_framework.fields.URLField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        # With allow_blank the URL is the first of oneOf [url, empty string].
        url_schema = schema["oneOf"][0] if "oneOf" in schema else schema
        url_schema.setdefault("pattern", URL_PATTERN)
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


# The placeholders drf-standardized-errors writes into a list or dict item's `attr`
# ("products.INDEX", "values.KEY") and what an answer has in their place.
_ATTR_PLACEHOLDERS = {"INDEX": r"\d+", "KEY": r"[\s\S]+"}


def item_error_attr_patterns(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Post-processing hook: an error about a list or dict item names it in `attr` as
    "products.2", which the enum drf-standardized-errors documents ("products.INDEX")
    does not hold, so a client validating answers against the schema refused them.
    The attr of such an error component becomes an anchored pattern ("^products\\.\\d+$"),
    the fix proposed upstream (drf-standardized-errors issue 76, pull request 120)."""
    for component in result.get("components", {}).get("schemas", {}).values():
        attr = component.get("properties", {}).get("attr")
        names = attr.get("enum", []) if isinstance(attr, dict) else []
        if not any(part in _ATTR_PLACEHOLDERS for name in names for part in name.split(".")):
            continue
        patterns = [
            r"\.".join(_ATTR_PLACEHOLDERS.get(part, re.escape(part)) for part in name.split("."))
            for name in names
        ]
        component["properties"]["attr"] = {
            "type": "string",
            "pattern": "^(?:" + "|".join(patterns) + ")$",
            "description": attr.get("description", ""),
        }
    return result
