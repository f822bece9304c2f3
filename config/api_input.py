"""How the API reads what clients send: JSON bodies and `?search=`.

Named in `REST_FRAMEWORK` (DEFAULT_PARSER_CLASSES, DEFAULT_FILTER_BACKENDS), which DRF
imports while `rest_framework.views` is still loading: this module must not import
DRF's views (config.api does, through drf-standardized-errors).
"""

from __future__ import annotations

from typing import Any

from rest_framework import filters, parsers, serializers
from rest_framework.exceptions import ParseError

# No body of ours nests deeper than a few levels; a deeper one is refused before any
# code walks it (Python's json module and anything recursive fail near 1,000 levels).
MAX_JSON_DEPTH = 32


def json_depth(value: Any) -> int:
    """How deeply lists and objects nest in a parsed JSON value (a scalar is 0),
    walked without recursion so that the walk itself cannot overflow."""
    deepest = 0
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return deepest


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing bodies nested deeper than MAX_JSON_DEPTH with a 400
    (parse_error) instead of a RecursionError (a 500) in the parser or later."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        too_deep = ParseError(
            f"JSON parse error - the body nests deeper than {MAX_JSON_DEPTH} levels."
        )
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise too_deep from exc
        if json_depth(data) > MAX_JSON_DEPTH:
            raise too_deep
        return data


class SearchFilter(filters.SearchFilter):
    """DRF's `?search=`, with its errors named after the parameter (`attr: "search"`,
    as the schema documents them) and only on views that have `search_fields`:
    elsewhere the parameter is neither documented nor read."""

    def get_search_terms(self, request: Any) -> list[str]:
        try:
            return super().get_search_terms(request)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({self.search_param: exc.detail}) from exc

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        if not self.get_search_fields(view, request):
            return queryset
        return super().filter_queryset(request, queryset, view)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        fields = getattr(view, "search_fields", None)
        if not fields:
            return []
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["description"] = (
                "Words to find (each must appear in one of: "
                + ", ".join(field.lstrip("^=@$").replace("__", " ") for field in fields)
                + "); quote a phrase to find it whole."
            )
        return parameters
