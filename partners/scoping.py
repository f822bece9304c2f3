"""The one partner-scoping mechanism for portal views and API views.

The partner is resolved once per request (middleware for the portal, the API base
class for API keys) and querysets come only from base classes that own
`get_queryset`/`get_object`: subclasses narrow through `narrow_queryset` but
cannot replace them (PostHog's `protected_methods`). Another partner's object is
simply absent from the queryset, so it answers 404 like one that does not exist.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any, ClassVar

import django_filters
from django.contrib.auth.mixins import AccessMixin
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django_scopes import scope, scopes_disabled
from rest_framework import exceptions
from rest_framework.request import Request

from partners.models import Membership, Partner, PartnerAPIKey
from partners.selectors import agreement_state, membership_for_user, partner_named
from partners.services import INACTIVE_STATUSES


class ProtectedQuerysetMeta:
    """Refuse classes whose scoped accessors are not the base class's own.

    For each protected method, the first class in the MRO that defines it must be
    a scoping base (`_owns_scoped_accessors`): a subclass overriding it, or a mixin
    order that puts a generic view's `get_queryset` first, fails at import time.
    """

    protected_methods: ClassVar[tuple[str, ...]] = ("get_queryset", "get_object")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in cls.protected_methods:
            owner = next(klass for klass in cls.__mro__ if name in vars(klass))
            if not vars(owner).get("_owns_scoped_accessors", False):
                raise TypeError(
                    f"{cls.__name__}.{name}() comes from {owner.__name__}, not a partner "
                    "scoping base; narrow the queryset in narrow_queryset() instead, so "
                    "the partner scope cannot be bypassed."
                )


# --- Portal ------------------------------------------------------------------


class PortalAccessMixin(AccessMixin):
    """Portal pages: a logged-in member of an active partner.

    Anonymous users go to the login page; staff get a page explaining that the
    portal is for partners; members of a suspended or terminated partner get a
    page saying their access is paused; `allowed_roles` restricts by role with 403.
    """

    allowed_roles: ClassVar[frozenset[str] | None] = None
    request: HttpRequest

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if request.user.is_staff:
            return render(request, "portal/staff_notice.html", status=200)
        membership: Membership | None = getattr(request, "membership", None)
        if membership is None:
            return render(request, "portal/no_partner.html", status=403)
        if membership.partner.status in INACTIVE_STATUSES:
            return render(
                request, "portal/partner_inactive.html", {"partner": membership.partner}, status=403
            )
        gate = self.agreement_gate(request, membership)
        if gate is not None:
            return gate
        if self.allowed_roles is not None and membership.role not in self.allowed_roles:
            return render(request, "403.html", status=403)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    # The agreement page itself, and pages a user needs whatever the agreement (their
    # password), set this to False.
    agreement_required: ClassVar[bool] = True

    def agreement_gate(self, request: HttpRequest, membership: Membership) -> HttpResponse | None:
        """The program agreement, in this one place: while the partner has never accepted
        any version, its admins are sent to accept it and its other users see a page
        saying their admin must accept first; after a new version is published, every
        page shows a banner (`request.agreement_state`) until an admin accepts it."""
        state = agreement_state(partner=membership.partner)
        request.agreement_state = state  # type: ignore[attr-defined]
        if state != "never" or not self.agreement_required:
            return None
        if membership.role == Membership.Role.ADMIN:
            return redirect(f"{reverse('portal:agreement')}?{urlencode({'next': request.path})}")
        return render(
            request,
            "portal/agreement_pending.html",
            {"partner": membership.partner},
            status=403,
        )


class PartnerScopedObjectMixin(ProtectedQuerysetMeta):
    """For portal list/detail views of partner-owned models.

    Set `model` and `lookup_field`; narrow with `narrow_queryset`. The object is
    looked up by a public identifier (UUID or slug) among the partner's own rows.
    """

    _owns_scoped_accessors = True
    model: ClassVar[type[Model]]
    lookup_field: ClassVar[str] = "uuid"
    lookup_url_kwarg: ClassVar[str] = "uuid"
    partner_field: ClassVar[str] = "partner"
    request: HttpRequest
    kwargs: dict[str, Any]

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset

    def get_queryset(self) -> QuerySet:
        partner: Partner = self.request.partner  # type: ignore[attr-defined]
        base = self.model._default_manager.filter(**{self.partner_field: partner})
        return self.narrow_queryset(base)

    def get_object(self, queryset: QuerySet | None = None) -> Model:
        value = self.kwargs.get(self.lookup_url_kwarg)
        try:
            return self.get_queryset().get(**{self.lookup_field: value})
        except (self.model.DoesNotExist, DjangoValidationError, ValueError, TypeError) as exc:
            # Missing, malformed and another partner's: the same 404.
            raise Http404 from exc


# --- API ---------------------------------------------------------------------


class PartnerScopedAPIMixin(ProtectedQuerysetMeta):
    """Base for every API view: resolves the caller's partner and opens its scope.

    - partner API key, or a session user who is a partner member: `self.partner` is
      that partner, `self.request_role` the key's or member's role, and the
      django-scopes scope is open on it;
    - staff integration key or staff session user: `self.partner` is None and scopes
      are visibly disabled (staff act across partners);
    - anyone else: 403.
    Querysets of partner-owned models are always filtered by `self.partner`
    (`partner_field`); subclasses narrow them in `narrow_queryset`.
    For a scoped model set `queryset = Model.objects` (the manager): a class-level
    `Model.objects.all()` raises ScopeError at import, outside any scope.
    """

    _owns_scoped_accessors = True
    partner_field: ClassVar[str | None] = "partner"
    partner: Partner | None = None
    is_staff_client: bool = False
    # The partner role of the caller (a partner key's or a member's); None for staff.
    request_role: str | None = None
    queryset: QuerySet
    request: Request
    kwargs: dict[str, Any]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # The scope opened during authentication is closed when the response is done.
        self._scope_stack = ExitStack()
        with self._scope_stack:
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def perform_authentication(self, request: Request) -> None:
        super().perform_authentication(request)  # type: ignore[misc]
        user = request.user
        if not user or not user.is_authenticated:
            return  # the permission check answers 401
        api_key = request.auth if isinstance(request.auth, PartnerAPIKey) else None
        if api_key is not None:
            self.partner = api_key.partner
            self.is_staff_client = api_key.is_staff_key
            if self.partner is not None:
                # The key's own user carries its role (partners.services.api_key_create).
                membership = getattr(user, "membership", None)
                if membership is None or membership.partner_id != self.partner.pk:
                    raise exceptions.PermissionDenied(
                        "This API key has no partner role; create a new key."
                    )
                self.request_role = membership.role
        elif user.is_staff:
            self.is_staff_client = True
        else:
            membership = getattr(request._request, "membership", None) or membership_for_user(
                user=user
            )
            if membership is None:
                raise exceptions.PermissionDenied("This user does not belong to a partner.")
            if membership.partner.status in INACTIVE_STATUSES:
                raise exceptions.PermissionDenied("This partner account is not active.")
            self.partner = membership.partner
            self.request_role = membership.role
        if self.partner is not None:
            self._scope_stack.enter_context(scope(partner=self.partner))
        else:
            self._scope_stack.enter_context(scopes_disabled())

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset

    def get_queryset(self) -> QuerySet:
        queryset = self.queryset.all()
        if self.partner is not None and self.partner_field is not None:
            # "pk" is the Partner model itself (a partner is its own scope).
            value = self.partner.pk if self.partner_field == "pk" else self.partner
            queryset = queryset.filter(**{self.partner_field: value})
        return self.narrow_queryset(queryset)

    def get_object(self) -> Model:
        queryset = self.filter_queryset(self.get_queryset())  # type: ignore[attr-defined]
        lookup_url_kwarg = self.lookup_url_kwarg or self.lookup_field  # type: ignore[attr-defined]
        try:
            obj = queryset.get(**{self.lookup_field: self.kwargs[lookup_url_kwarg]})  # type: ignore[attr-defined]
        except (
            queryset.model.DoesNotExist,
            # A malformed identifier (e.g. not a UUID): Django raises ValidationError.
            DjangoValidationError,
            ValueError,
            TypeError,
        ) as exc:
            # Missing, malformed and another partner's: the same 404.
            raise exceptions.NotFound() from exc
        self.check_object_permissions(self.request, obj)  # type: ignore[attr-defined]
        return obj


class PartnerRefFilter(django_filters.CharFilter):
    """`?partner=` on an API list: a partner by slug or UUID, read as every API reads a
    partner's name (`partners.selectors.partner_named`, for the view's caller). A name
    the caller may not name, another partner's or one that does not exist, lists
    nothing, alike (the list of a partner's caller holds only its own rows anyway)."""

    def filter(self, queryset: QuerySet, value: Any) -> QuerySet:
        name = (value or "").strip()
        if not name:
            return queryset
        partner = partner_named(name=name, own=self._caller_partner())
        if partner is None:
            return queryset.none()
        return queryset.filter(**{self.field_name: partner})

    def _caller_partner(self) -> Partner | None:
        request = getattr(self.parent, "request", None)
        view = (getattr(request, "parser_context", None) or {}).get("view")
        return getattr(view, "partner", None)
