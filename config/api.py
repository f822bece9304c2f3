"""The API's shared pieces: pagination, the strict serializer base, the v1 router."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class StrictFieldsMixin:
    """Reject fields the serializer does not know, instead of silently ignoring them.

    A client that misspells a field should hear about it, not lose the value.
    """

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "keys"):
            known = {name for name, field in self.fields.items() if not field.read_only}  # type: ignore[attr-defined]
            read_only = {name for name, field in self.fields.items() if field.read_only}  # type: ignore[attr-defined]
            errors = {}
            for name in data:
                if name in read_only:
                    errors[name] = ["This field is read-only."]
                elif name not in known:
                    errors[name] = ["Unknown field."]
            if errors:
                raise serializers.ValidationError(errors, code="unknown_field")
        return super().to_internal_value(data)  # type: ignore[misc]


def as_api_validation_error(exc: DjangoValidationError) -> serializers.ValidationError:
    """Turn a service's Django ValidationError into DRF's, keeping the field names."""
    if hasattr(exc, "error_dict"):
        return serializers.ValidationError(
            {
                field: [message for error in errors for message in error.messages]
                for field, errors in exc.error_dict.items()
            }
        )
    return serializers.ValidationError({"non_field_errors": exc.messages})
