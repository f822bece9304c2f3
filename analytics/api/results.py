"""POST /api/v1/results/: batches of result events from integrations.

Who may send: partner API keys (and signed-in partner members) of the roles that run
campaigns, admins and marketers, for their own partner; staff integration keys for
any partner, naming it in each event; staff users only with
`analytics.add_resultevent` (no staff role holds it: the vendor's CRM syncs with a
staff key). Partner sales reps read results but do not send them.

The body is read as it came and handed to `analytics.ingest` (msgspec), not through
DRF's JSON parser: a 5,000-event batch is decoded once, straight into typed events.
Its size limit is `settings.RESULTS_MAX_BODY_SIZE`, above the API's general one.

Answers:
- 201 `{"created": n, "duplicates": m}` when at least one event was new; 200 with the
  same body when every event was already recorded (a replay: nothing stored).
- 400 in the API's error format (`parse_error`, a `client_error`, for a body that is
  not JSON), one error per problem: `attr` is
  `events.<index>.<field>` (drf-standardized-errors' spelling of nested fields), or
  the batch's own field (`events`, an unknown top-level field) or null for the body
  as a whole; each error also carries `index` (null for the batch) and `field`.
  Nothing of the batch is stored.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import ingest
from analytics.models import RESULT_KINDS
from config.api_input import JSONParser
from partners.models import Membership, PartnerAPIKey
from partners.scoping import PartnerScopedAPIMixin

WRITER_ROLES = frozenset({Membership.Role.ADMIN, Membership.Role.MARKETER})


class ResultsPermission(permissions.BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        if getattr(view, "is_staff_client", False):
            if isinstance(request.auth, PartnerAPIKey):
                return True
            self.message = _("Send results with a staff integration key.")
            return request.user.has_perm("analytics.add_resultevent")
        self.message = _("Only partner admins and marketers (and their keys) send results.")
        return getattr(view, "request_role", None) in WRITER_ROLES


def error_body(errors: list[ingest.EventError]) -> dict[str, Any]:
    """The API's validation error format, with each error's index and field."""
    # A body that is not JSON at all is a parse error, as DRF's parser answers it.
    parse_error = all(error.code == "parse_error" for error in errors)
    return {
        "type": "client_error" if parse_error else "validation_error",
        "errors": [
            {
                "code": error.code,
                "detail": error.message,
                "attr": (
                    f"events.{error.index}.{error.field}"
                    if error.index is not None
                    else (None if error.field == "body" else error.field)
                ),
                "index": error.index,
                "field": error.field,
            }
            for error in errors
        ],
    }


# --- documentation only (the body is decoded by analytics.ingest) ---------------------

_EVENT_DOC = inline_serializer(
    "ResultEventIn",
    {
        "external_id": serializers.CharField(
            max_length=ingest.MAX_EXTERNAL_ID,
            help_text="Your id of the event; unique per source (your partner, or the vendor).",
        ),
        "partner": serializers.CharField(
            required=False,
            help_text="Partner UUID or slug. A partner key may omit it (or name its own); "
            "a staff key must give it.",
        ),
        "launch": serializers.CharField(
            required=False, help_text="Tracking code of one of the partner's launches."
        ),
        "kit": serializers.CharField(
            required=False,
            help_text="Slug of a campaign kit available to the partner (filled from the "
            "launch when a launch is given).",
        ),
        "kind": serializers.ChoiceField(choices=[str(kind) for kind in RESULT_KINDS]),
        "occurred_at": serializers.DateTimeField(
            help_text="ISO 8601 with an offset; at most 5 minutes in the future."
        ),
        "amount": serializers.DecimalField(
            max_digits=14,
            decimal_places=2,
            min_value=0,
            required=False,
            help_text='A decimal string ("1250.00"), never a number; required for '
            "opportunity and won, refused on other kinds.",
        ),
        "currency": serializers.CharField(
            required=False, help_text="ISO 4217 code of the amount (EUR); only with one."
        ),
        "company": serializers.CharField(required=False, max_length=ingest.MAX_COMPANY),
        "email_domain": serializers.CharField(
            required=False,
            help_text="The contact's domain only (example.com); an email address is refused.",
        ),
    },
)
_BATCH_DOC = inline_serializer(
    "ResultBatch",
    {"events": serializers.ListField(child=_EVENT_DOC, min_length=1, max_length=ingest.MAX_EVENTS)},
)
_COUNTS_DOC = inline_serializer(
    "ResultCounts",
    {
        "created": serializers.IntegerField(help_text="Events stored by this request."),
        "duplicates": serializers.IntegerField(
            help_text="Events already recorded with the same values (a replay)."
        ),
    },
)
_ERRORS_DOC = inline_serializer(
    "ResultErrorResponse400",
    {
        "type": serializers.ChoiceField(
            choices=["validation_error", "client_error"],
            help_text="client_error (code parse_error) when the body is not JSON.",
        ),
        "errors": inline_serializer(
            "ResultError",
            {
                "code": serializers.CharField(),
                "detail": serializers.CharField(),
                "attr": serializers.CharField(allow_null=True, help_text="events.<index>.<field>"),
                "index": serializers.IntegerField(allow_null=True),
                "field": serializers.CharField(),
            },
            many=True,
        ),
    },
)


class ResultsView(PartnerScopedAPIMixin, APIView):
    permission_classes = [permissions.IsAuthenticated, ResultsPermission]
    # Named for the schema (application/json); the view reads the raw body itself.
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="results_create",
        summary="Send a batch of results",
        description=(
            "Up to 5,000 result events (leads, MQLs, opportunities, won and lost deals) "
            "in one request. The batch is atomic: one invalid event rejects it, with every "
            "error listed by `index` and `field`, and nothing is stored. Retry-safe: an "
            "event already recorded (same source and `external_id`, same values) is "
            "counted as a duplicate and not stored again; with other values it is an "
            "error (`already_recorded`)."
        ),
        request=_BATCH_DOC,
        responses={201: _COUNTS_DOC, 200: _COUNTS_DOC, 400: _ERRORS_DOC},
        examples=[
            OpenApiExample(
                "A lead and a won deal",
                request_only=True,
                value={
                    "events": [
                        {
                            "external_id": "crm-lead-1001",
                            "launch": "a1B2c3D4e5",
                            "kind": "lead",
                            "occurred_at": "2026-03-01T14:30:00+01:00",
                            "company": "Initech",
                            "email_domain": "initech.example",
                        },
                        {
                            "external_id": "crm-deal-77",
                            "launch": "a1B2c3D4e5",
                            "kind": "won",
                            "occurred_at": "2026-03-20T09:00:00Z",
                            "amount": "12500.00",
                            "currency": "EUR",
                        },
                    ]
                },
            )
        ],
    )
    def post(self, request: Request) -> Response:
        if not (request.content_type or "").startswith("application/json"):
            raise exceptions.UnsupportedMediaType(request.content_type)
        limit = settings.RESULTS_MAX_BODY_SIZE
        stream = request.stream
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            return Response(
                {
                    "type": "client_error",
                    "errors": [
                        {
                            "code": "request_too_large",
                            "detail": f"The request body is larger than the limit of {limit} "
                            "bytes.",
                            "attr": None,
                        }
                    ],
                },
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        caller = ingest.Caller(user=request.user, partner=self.partner)
        try:
            result = ingest.ingest_events(payload=body, caller=caller)
        except ingest.BatchRejected as rejected:
            return Response(error_body(rejected.errors), status=status.HTTP_400_BAD_REQUEST)
        return Response(
            {"created": result.created, "duplicates": result.duplicates},
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )
