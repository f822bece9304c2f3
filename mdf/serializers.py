"""Serializers of the MDF API: they parse and render; the rules live in mdf.services.

Amounts are decimal strings in JSON (`COERCE_DECIMAL_TO_STRING`), never floats.
Foreign ids in input are UUIDs (slugs for shared catalogues) looked up in the
caller's partner scope, so another partner's object "does not exist"; the partner a
caller names is a slug or UUID, read as every API reads it (`PartnerRefField`).
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings

from assets.validation import display_name
from campaigns.models import Launch
from campaigns.serializers import PartnerRefField
from config.api import StrictFieldsMixin
from mdf.models import ZERO, ActivityType, Allocation, Claim, ClaimProof, FundRequest, ProofKind
from mdf.selectors import Balance
from mdf.services.proof import PROOF_FIELD_PREFIX
from partners.models import Partner

CENT = Decimal("0.01")
MAX_COUNT = 2_147_483_647  # PositiveIntegerField on PostgreSQL
PROOF_PREFIX = PROOF_FIELD_PREFIX  # the field of a proof kind's files, as the services name it
_SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]{1,50}$")


# --- input fields -------------------------------------------------------------------


class MoneyField(serializers.DecimalField):
    """An amount in input: a decimal string (or whole number) with at most two
    decimals, within 14 digits. Floats are refused: they cannot hold cents exactly."""

    default_error_messages = {
        "float": _(
            "Send amounts as decimal strings such as “1250.00”, not as JSON numbers "
            "with a fraction."
        ),
    }

    def __init__(self, *, min_value: Decimal = CENT, **kwargs: Any) -> None:
        kwargs.setdefault(
            "error_messages",
            {
                "min_value": _("The amount must be greater than zero.")
                if min_value > 0
                else _("The amount cannot be negative.")
            },
        )
        super().__init__(max_digits=14, decimal_places=2, min_value=min_value, **kwargs)

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, float):
            self.fail("float")
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class _LookupField(serializers.RelatedField):
    """A reference by public identifier, looked up in `queryset` (a manager, so the
    request's partner scope applies). Missing and not-yours read the same."""

    lookup = "uuid"
    default_error_messages = {
        "required": _("This field is required."),
        "null": _("This field may not be null."),
        "invalid": _("Enter a valid identifier."),
        "does_not_exist": _("{name} “{value}” does not exist."),
    }

    def __init__(self, *, name: str, **kwargs: Any) -> None:
        self.object_name = name
        super().__init__(**kwargs)

    def parse(self, data: Any) -> Any:
        if not isinstance(data, str) or "\x00" in data or not data.strip():
            self.fail("invalid")
        return data.strip()

    def to_internal_value(self, data: Any) -> Any:
        value = self.parse(data)
        try:
            return self.get_queryset().get(**{self.lookup: value})
        except ObjectDoesNotExist:
            self.fail("does_not_exist", name=self.object_name, value=value)

    def to_representation(self, value: Any) -> str:
        return str(getattr(value, self.lookup))


@extend_schema_field(OpenApiTypes.UUID)
class UUIDLookupField(_LookupField):
    default_error_messages = {"invalid": _("Enter a valid UUID.")}

    def parse(self, data: Any) -> Any:
        text = super().parse(data)
        try:
            return uuid.UUID(text)
        except ValueError:
            self.fail("invalid")


@extend_schema_field(OpenApiTypes.STR)
class SlugLookupField(_LookupField):
    lookup = "slug"
    default_error_messages = {"invalid": _("Enter a valid slug.")}

    def parse(self, data: Any) -> Any:
        text = super().parse(data)
        if not _SLUG_RE.match(text):
            self.fail("invalid")
        return text


@extend_schema_field(OpenApiTypes.STR)
class LaunchCodeField(_LookupField):
    """A campaign launch by its tracking code (looked up in the caller's scope)."""

    lookup = "code"
    default_error_messages = {"invalid": _("Enter a launch's tracking code.")}

    def parse(self, data: Any) -> Any:
        text = super().parse(data)
        if len(text) > 16 or not text.isalnum():
            self.fail("invalid")
        return text


def launch_field(**kwargs: Any) -> LaunchCodeField:
    return LaunchCodeField(
        name="Launch",
        queryset=Launch.objects,
        required=False,
        allow_null=True,
        help_text="The tracking code of the campaign launch this request funds (the "
        "partner's own); null for none.",
        **kwargs,
    )


def _staff_must_name_partner(serializer: serializers.Serializer, attrs: dict) -> Partner:
    view = serializer.context["view"]
    own: Partner | None = view.partner
    partner = attrs.get("partner") or own
    if partner is None:
        raise serializers.ValidationError(
            {
                "partner": [
                    serializers.ErrorDetail(
                        _("Staff act for a partner: name it (its slug or UUID)."),
                        code="required",
                    )
                ]
            }
        )
    return partner


def _does_not_exist(field: str, name: str, value: Any) -> serializers.ValidationError:
    message = _LookupField.default_error_messages["does_not_exist"]
    return serializers.ValidationError(
        {
            field: [
                serializers.ErrorDetail(
                    str(message).format(name=name, value=value), code="does_not_exist"
                )
            ]
        }
    )


# --- requests -----------------------------------------------------------------------


class PoolSummarySerializer(serializers.Serializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    name = serializers.CharField(read_only=True)
    currency = serializers.CharField(read_only=True)
    request_deadline = serializers.DateField(read_only=True)
    claim_deadline = serializers.DateField(read_only=True)
    reimbursement_percentage = serializers.DecimalField(
        max_digits=5, decimal_places=2, read_only=True
    )


class FundRequestSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    partner = serializers.UUIDField(source="partner.uuid", read_only=True)
    allocation = serializers.UUIDField(source="allocation.uuid", read_only=True)
    pool = PoolSummarySerializer(source="allocation.pool", read_only=True)
    activity_type = serializers.CharField(source="activity_type.slug", read_only=True)
    required_proof = serializers.SerializerMethodField(
        help_text="Proof kinds (slugs) a claim on this request must include."
    )
    open_commitment = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    launch = serializers.SlugRelatedField(
        slug_field="code",
        read_only=True,
        allow_null=True,
        help_text="The tracking code of the campaign launch this request funds.",
    )

    class Meta:
        model = FundRequest
        fields = [
            "id",
            "partner",
            "allocation",
            "pool",
            "activity_type",
            "required_proof",
            "title",
            "description",
            "activity_start",
            "activity_end",
            "requested_amount",
            "expected_leads",
            "expected_pipeline",
            "launch",
            "status",
            "approved_amount",
            "commitment",
            "open_commitment",
            "manager_note",
            "finance_note",
            "on_behalf",
            "submitted_at",
            "decided_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_required_proof(self, obj: FundRequest) -> list[str]:
        return [kind.slug for kind in obj.activity_type.proof_kinds.all()]


class FundRequestCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    """A draft fund request. Staff name the partner; the allocation must be its own."""

    partner = PartnerRefField(
        required=False,
        help_text="Slug or UUID: required for staff, optional (own) for partners.",
    )
    allocation = UUIDLookupField(name="Allocation", queryset=Allocation.objects)
    activity_type = SlugLookupField(name="Activity type", queryset=ActivityType.objects)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=10_000)
    activity_start = serializers.DateField()
    activity_end = serializers.DateField()
    requested_amount = MoneyField(help_text="Activity cost, e.g. “1250.00”.")
    expected_leads = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, default=0)
    expected_pipeline = MoneyField(min_value=ZERO, default=ZERO)
    launch = launch_field()

    def validate(self, attrs: dict) -> dict:
        partner = _staff_must_name_partner(self, attrs)
        allocation: Allocation = attrs["allocation"]
        if allocation.partner_id != partner.pk:
            raise _does_not_exist("allocation", "Allocation", allocation.uuid)
        launch: Launch | None = attrs.get("launch")
        if launch is not None and launch.partner_id != partner.pk:
            raise _does_not_exist("launch", "Launch", launch.code)
        attrs["partner"] = partner
        return attrs


class FundRequestUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    """A change of a draft request: any of these fields (PATCH); the rest stays. The
    partner and the allocation never change (unknown fields are refused)."""

    activity_type = SlugLookupField(
        name="Activity type", queryset=ActivityType.objects, required=False
    )
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(max_length=10_000, required=False)
    activity_start = serializers.DateField(required=False)
    activity_end = serializers.DateField(required=False)
    requested_amount = MoneyField(required=False, help_text="Activity cost, e.g. “1250.00”.")
    expected_leads = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, required=False)
    expected_pipeline = MoneyField(min_value=ZERO, required=False)
    launch = launch_field()


# --- activity types -----------------------------------------------------------------


class ProofKindSerializer(serializers.ModelSerializer):
    field = serializers.SerializerMethodField(
        help_text="The multipart field a file of this kind is sent in (proof_<slug>)."
    )

    class Meta:
        model = ProofKind
        fields = ["slug", "name", "help_text", "field"]
        read_only_fields = fields

    def get_field(self, obj: ProofKind) -> str:
        return PROOF_PREFIX + obj.slug


class ActivityTypeSerializer(serializers.ModelSerializer):
    proof_kinds = ProofKindSerializer(
        many=True, read_only=True, help_text="The proof a claim of this type must include."
    )

    class Meta:
        model = ActivityType
        fields = ["slug", "name", "description", "active", "proof_kinds"]
        read_only_fields = fields


# --- claims -------------------------------------------------------------------------


class DisplayNameField(serializers.CharField):
    """An uploaded file's name as people see it, also for rows stored before the
    validator cleaned names (`assets.validation.display_name`)."""

    def to_representation(self, value: str) -> str:
        return display_name(value)


class ProofSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    proof_kind = serializers.CharField(source="proof_kind.slug", read_only=True)
    original_name = DisplayNameField(read_only=True)

    class Meta:
        model = ClaimProof
        fields = ["id", "proof_kind", "original_name", "content_type", "size", "uploaded_at"]
        read_only_fields = fields


class ClaimSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    partner = serializers.UUIDField(source="partner.uuid", read_only=True)
    request = serializers.UUIDField(source="request.uuid", read_only=True)
    pool = PoolSummarySerializer(source="request.allocation.pool", read_only=True)
    proofs = ProofSerializer(many=True, read_only=True)
    missing_proof = serializers.SerializerMethodField(
        help_text="Proof kinds (slugs) still to add before the claim can be submitted."
    )

    class Meta:
        model = Claim
        fields = [
            "id",
            "partner",
            "request",
            "pool",
            "amount",
            "approved_amount",
            "reimbursement",
            "actual_leads",
            "actual_pipeline",
            "results_note",
            "status",
            "proofs",
            "missing_proof",
            "times_returned",
            "decision_note",
            "on_behalf",
            "submitted_at",
            "decided_at",
            "paid_at",
            "payment_reference",
            "created_at",
        ]
        read_only_fields = fields

    def get_missing_proof(self, obj: Claim) -> list[str]:
        # From prefetched rows (the viewset prefetches both), so lists stay flat.
        present = {proof.proof_kind_id for proof in obj.proofs.all()}
        return [
            kind.slug
            for kind in obj.request.activity_type.proof_kinds.all()
            if kind.pk not in present
        ]


class ClaimCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    """A claim on an approved request (JSON: without files)."""

    partner = PartnerRefField(
        required=False,
        help_text="Slug or UUID: required for staff, optional (own) for partners.",
    )
    request = UUIDLookupField(name="Fund request", queryset=FundRequest.objects)
    amount = MoneyField(help_text="Activity cost claimed, e.g. “980.00”.")
    actual_leads = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, default=0)
    actual_pipeline = MoneyField(min_value=ZERO, default=ZERO)
    results_note = serializers.CharField(max_length=10_000, allow_blank=True, default="")
    submit = serializers.BooleanField(
        default=False, help_text="Submit the claim for decision in the same call."
    )

    def validate(self, attrs: dict) -> dict:
        partner = _staff_must_name_partner(self, attrs)
        fund_request: FundRequest = attrs["request"]
        if fund_request.partner_id != partner.pk:
            raise _does_not_exist("request", "Fund request", fund_request.uuid)
        attrs["partner"] = partner
        return attrs


class ClaimUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    """A change of a draft or returned claim: any of these fields (PATCH)."""

    amount = MoneyField(required=False, help_text="Activity cost claimed, e.g. “980.00”.")
    actual_leads = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, required=False)
    actual_pipeline = MoneyField(min_value=ZERO, required=False)
    results_note = serializers.CharField(max_length=10_000, allow_blank=True, required=False)


def split_proof_fields(data: Any) -> tuple[list, Any, dict[str, list]]:
    """The `proof_<slug>` file fields of a multipart body: (proofs, the other fields,
    errors). `proofs` is a list of (field name, ProofKind, [files])."""
    names = [name for name in data if isinstance(name, str) and name.startswith(PROOF_PREFIX)]
    slugs = {name[len(PROOF_PREFIX) :] for name in names}
    kinds = {
        kind.slug: kind
        for kind in ProofKind.objects.filter(slug__in=[s for s in slugs if _SLUG_RE.match(s)])
    }
    errors: dict[str, list] = {}
    proofs = []
    for name in names:
        kind = kinds.get(name[len(PROOF_PREFIX) :])
        if kind is None:
            errors.setdefault(api_settings.NON_FIELD_ERRORS_KEY, []).append(
                serializers.ErrorDetail(
                    f"Unknown proof field “{name}”. The proof fields are: {_proof_fields()}.",
                    code="unknown_field",
                )
            )
            continue
        values = data.getlist(name) if hasattr(data, "getlist") else [data[name]]
        if not values or not all(isinstance(value, UploadedFile) for value in values):
            errors[name] = [
                serializers.ErrorDetail(
                    _("Send a file (multipart/form-data) in this field."), code="invalid"
                )
            ]
            continue
        proofs.append((name, kind, values))
    if isinstance(data, QueryDict):
        rest: Any = QueryDict(mutable=True)
        for key in data:
            if key not in names:
                rest.setlist(key, data.getlist(key))
    else:
        rest = {key: value for key, value in data.items() if key not in names}
    return proofs, rest, errors


def _proof_fields() -> str:
    return ", ".join(
        PROOF_PREFIX + slug
        for slug in ProofKind.objects.order_by("slug").values_list("slug", flat=True)
    )


class ClaimCreateWithFilesSerializer(ClaimCreateSerializer):
    """A claim with its proof of performance, as multipart/form-data: besides the
    fields, one file field per proof kind, named `proof_<slug>` (e.g. `proof_invoice`).

    `validated_data["proofs"]` is a list of (field name, ProofKind, [files]).
    """

    def to_internal_value(self, data: Any) -> dict:
        if not hasattr(data, "keys"):
            return super().to_internal_value(data)  # "Expected a dictionary…"
        proofs, rest, errors = split_proof_fields(data)
        try:
            validated = super().to_internal_value(rest)
        except serializers.ValidationError as exc:
            detail = exc.detail if isinstance(exc.detail, dict) else {}
            for key, value in detail.items():
                errors.setdefault(key, []).extend(value if isinstance(value, list) else [value])
            validated = {}
        if errors:
            raise serializers.ValidationError(errors)
        validated["proofs"] = proofs
        return validated


class ClaimProofUploadSerializer(serializers.Serializer):
    """Proof files for an existing claim, as multipart/form-data: one or more file
    fields named `proof_<slug>`, as when a claim is created; nothing else.

    `validated_data["proofs"]` is a list of (field name, ProofKind, [files]).
    """

    def to_internal_value(self, data: Any) -> dict:
        if not hasattr(data, "keys"):
            raise serializers.ValidationError(
                {
                    api_settings.NON_FIELD_ERRORS_KEY: [
                        serializers.ErrorDetail(
                            _("Send multipart/form-data with proof_<slug> file fields."),
                            code="invalid",
                        )
                    ]
                }
            )
        proofs, rest, errors = split_proof_fields(data)
        for key in rest:
            errors.setdefault(api_settings.NON_FIELD_ERRORS_KEY, []).append(
                serializers.ErrorDetail(
                    f"Unknown field “{key}”. Send files in the proof fields: {_proof_fields()}.",
                    code="unknown_field",
                )
            )
        if not proofs and not errors:
            errors[api_settings.NON_FIELD_ERRORS_KEY] = [
                serializers.ErrorDetail(
                    f"Send at least one file, in a proof field: {_proof_fields()}.",
                    code="required",
                )
            ]
        if errors:
            raise serializers.ValidationError(errors)
        return {"proofs": proofs}


class ClaimFilesScheme(OpenApiSerializerExtension):
    """The multipart body of a claim takes one file per proof kind, `proof_<slug>`; the
    slugs are data (staff add proof kinds), so the schema allows binary extra fields."""

    target_class = ClaimCreateWithFilesSerializer
    priority = 1  # before config.openapi.StrictFieldsScheme (additionalProperties: false)

    def map_serializer(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request":
            schema["additionalProperties"] = {
                "type": "string",
                "format": "binary",
                "description": "A proof file, in a field named proof_<proof kind slug>.",
            }
        return schema


class ClaimProofFilesScheme(ClaimFilesScheme):
    """Proof added to a claim: only `proof_<slug>` binary fields."""

    target_class = ClaimProofUploadSerializer


# --- balances -----------------------------------------------------------------------


def _money(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=None, decimal_places=2, read_only=True, **kwargs)


class AllocationBalanceSerializer(serializers.Serializer):
    """One allocation's buckets (mdf.models.Allocation; available as defined there)."""

    id = serializers.UUIDField(source="uuid", read_only=True)
    partner = serializers.UUIDField(source="partner.uuid", read_only=True)
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    pool = PoolSummarySerializer(read_only=True)
    currency = serializers.CharField(source="pool.currency", read_only=True)
    allocated = _money()
    committed = _money()
    spent = _money()
    paid = _money(help_text="Part of spent.")
    expired = _money()
    carried_over = _money()
    available = _money(help_text="allocated − committed − spent − expired − carried_over")


class BalanceTotalSerializer(serializers.Serializer):
    """The sums per currency (mdf.selectors.Balance: the one definition)."""

    currency = serializers.CharField(read_only=True)
    allocated = _money()
    committed = _money()
    spent = _money()
    paid = _money()
    expired = _money()
    carried_over = _money()
    available = _money()


class BalancesSerializer(serializers.Serializer):
    allocations = AllocationBalanceSerializer(many=True, read_only=True)
    totals = BalanceTotalSerializer(many=True, read_only=True)


def balance_totals(allocations: list[Allocation]) -> list[Balance]:
    """Totals per currency, summed with mdf.selectors.Balance."""
    totals: dict[str, Balance] = {}
    for allocation in allocations:
        currency = allocation.pool.currency
        totals.setdefault(currency, Balance(currency)).add(allocation)
    return [totals[currency] for currency in sorted(totals)]


# --- errors the generated schema cannot name ------------------------------------------


class FieldErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    attr = serializers.CharField(
        allow_null=True,
        help_text=(
            "The field: one of the body's fields, a proof field (proof_<slug>), "
            "Idempotency-Key, or non_field_errors; null for a body that cannot be parsed."
        ),
    )


class ClaimCreateErrorResponse400Serializer(serializers.Serializer):
    """400 of a claim creation: like every validation error, but proof fields are
    named after proof kinds, which are data, so `attr` is any field name."""

    type = serializers.ChoiceField(
        choices=[("validation_error", "validation_error"), ("client_error", "client_error")]
    )
    errors = FieldErrorSerializer(many=True)
