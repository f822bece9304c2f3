"""The API's shared pieces: pagination, the strict serializer base, error bodies.

Every error the API answers has one shape (drf-standardized-errors):
`{"type": "client_error" | "validation_error" | "server_error",
  "errors": [{"code": ..., "detail": ..., "attr": <field name or null>}]}`.
DRF raises most of them; the few that happen before or outside a DRF view (an
unknown URL, an oversized body, a crash in middleware) are built by `error_response`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt, requires_csrf_token
from drf_standardized_errors.handler import ExceptionHandler as StandardizedExceptionHandler
from rest_framework import serializers
from rest_framework.exceptions import APIException
from rest_framework.pagination import PageNumberPagination
from rest_framework.settings import api_settings

API_PREFIX = "/api/"


class StandardPagination(PageNumberPagination):
    """`?page=` and `?page_size=` (at most 500). A page_size that is not a positive
    whole number is a 400 naming it, rather than silently ignored (DRF's default)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request: Any) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw not in (None, ""):
            if raw.isascii() and raw.isdigit() and int(raw) > 0:
                return min(int(raw), self.max_page_size)
            raise serializers.ValidationError(
                {
                    self.page_size_query_param: [
                        serializers.ErrorDetail(
                            f"Give a whole number from 1 to {self.max_page_size}.",
                            code="invalid",
                        )
                    ]
                }
            )
        return self.page_size

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] in (self.page_query_param, self.page_size_query_param):
                parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Results per page: {self.page_size} unless given, "
                    f"at most {self.max_page_size}."
                )
        return parameters


class StrictFieldsMixin:
    """Reject fields the serializer does not know, instead of silently ignoring them.

    A client that misspells a field should hear about it, not lose the value. Each
    unknown (or read-only) field is one error with code `unknown_field` (`read_only`)
    whose detail names the field and lists the fields that can be sent. They are
    errors of the body as a whole (`attr` is `non_field_errors`): the field is not
    one of ours, so it has no `attr` the schema could name. The schema says
    `additionalProperties: false` (config.openapi.StrictFieldsScheme).
    """

    default_error_messages = {
        "unknown_field": "Unknown field “{name}”. The fields you can send are: {allowed}.",
        "read_only": "The field “{name}” is read-only.",
    }

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "keys"):
            fields = self.fields.items()  # type: ignore[attr-defined]
            writable = sorted(name for name, field in fields if not field.read_only)
            read_only = {name for name, field in fields if field.read_only}
            messages = self.error_messages  # type: ignore[attr-defined]
            errors = []
            for name in data:
                code = "read_only" if name in read_only else "unknown_field"
                if name in writable:
                    continue
                text = messages[code].format(name=name, allowed=", ".join(writable))
                errors.append(serializers.ErrorDetail(text, code=code))
            if errors:
                raise serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: errors})
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


class RequestTooLarge(APIException):
    status_code = 413
    default_code = "request_too_large"
    default_detail = "The request body is too large."


class ExceptionHandler(StandardizedExceptionHandler):
    """drf-standardized-errors' handler, plus Django's own "too large" refusals.

    Django raises RequestDataTooBig (and TooManyFieldsSent/TooManyFilesSent) while a
    parser reads a multipart body; unconverted they would be a logged 500.
    """

    def convert_known_exceptions(self, exc: Exception) -> Exception:
        if isinstance(exc, RequestDataTooBig):
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            return RequestTooLarge(
                f"The request's form fields are larger than the limit of {limit} bytes."
            )
        if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
            return RequestTooLarge("The request has too many fields or files.")
        return super().convert_known_exceptions(exc)


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def error_response(
    status: int, code: str, detail: str, *, error_type: str = "client_error"
) -> JsonResponse:
    """An error in the API's one format, for answers made outside DRF's views."""
    return JsonResponse(
        {"type": error_type, "errors": [{"code": code, "detail": detail, "attr": None}]},
        status=status,
    )


@csrf_exempt
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Every path under /api/ that no route takes (config.urls mounts it last): the
    API's JSON 404 for any method, whether DEBUG is on or not (with DEBUG, Django
    would answer its HTML debug page instead of calling `handler404`)."""
    return error_response(404, "not_found", "Not found.")


# Django's error handlers (config.urls): the API answers in its JSON format, every
# other path in the portal's look (partners.views).


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_request(request):
        return error_response(404, "not_found", "Not found.")
    from partners.views import page_not_found as portal_page_not_found

    return portal_page_not_found(request, exception)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    if is_api_request(request):
        return error_response(500, "error", "A server error occurred.", error_type="server_error")
    from partners.views import server_error as portal_server_error

    return portal_server_error(request)
