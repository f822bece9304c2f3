"""Partner scoping: scoped models refuse to query without a scope, a scope shows only
its partner's rows, and the scoping base classes cannot be bypassed by subclasses."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.views.generic import DetailView, ListView
from django_scopes import ScopeError, scope, scopes_disabled
from rest_framework import generics, viewsets

from partners.models import Membership, PartnerAPIKey, PartnerAuditEntry
from partners.scoping import PartnerScopedAPIMixin, PartnerScopedObjectMixin

pytestmark = pytest.mark.django_db

SCOPED_MODELS = [Membership, PartnerAuditEntry, PartnerAPIKey]


@pytest.fixture
def two_partners(alice, bob, alice_key, bob_key):
    """Both partners with members, audit entries (their creation) and one key each."""
    return alice, bob


@pytest.mark.parametrize("model", SCOPED_MODELS, ids=lambda m: m.__name__)
def test_query_outside_a_scope_raises(model, two_partners):
    with pytest.raises(ScopeError):
        list(model.objects.all())
    with pytest.raises(ScopeError):
        model.objects.filter(pk=1).exists()


@pytest.mark.parametrize("model", SCOPED_MODELS, ids=lambda m: m.__name__)
def test_query_inside_a_scope_returns_only_that_partners_rows(model, two_partners):
    alice, bob = two_partners
    with scopes_disabled():
        everyone = {row.partner_id for row in model.objects.all()}
    assert everyone == {alice.partner.pk, bob.partner.pk}  # both partners have rows
    with scope(partner=alice.partner):
        rows = list(model.objects.all())
        # An explicit filter on the other partner does not escape the scope either.
        assert not model.objects.filter(partner=bob.partner).exists()
    assert rows
    assert {row.partner_id for row in rows} == {alice.partner.pk}


def test_memberships_in_scope_are_alices_three_users(two_partners):
    alice, _bob = two_partners
    with scope(partner=alice.partner):
        users = sorted(
            Membership.objects.filter(user__api_key__isnull=True).values_list(
                "user__username", flat=True
            )
        )
    assert users == ["alice_admin", "alice_marketer", "alice_sales"]


# --- the base classes own get_queryset/get_object ------------------------------------


def test_scoped_api_subclass_that_narrows_is_accepted(two_partners, alice_key):
    """The positive control: narrowing through narrow_queryset is the allowed way."""
    alice, _bob = two_partners

    class KeyNames(PartnerScopedAPIMixin, generics.ListAPIView):
        queryset = PartnerAPIKey.objects  # the manager: .all() here would need a scope

        def narrow_queryset(self, queryset):
            return queryset.filter(revoked=False)

    view = KeyNames()
    view.partner = alice.partner
    with scope(partner=alice.partner):
        names = list(view.get_queryset().values_list("name", flat=True))
    assert names == ["alice sync"]


@pytest.mark.parametrize("method", ["get_queryset", "get_object"])
def test_api_view_overriding_a_protected_method_fails_at_class_creation(method):
    with pytest.raises(TypeError, match=rf"{method}\(\) comes from Sneaky"):
        type(
            "Sneaky",
            (PartnerScopedAPIMixin, generics.ListAPIView),
            {method: lambda self: PartnerAPIKey.objects.all()},
        )


@pytest.mark.parametrize("method", ["get_queryset", "get_object"])
def test_portal_view_overriding_a_protected_method_fails_at_class_creation(method):
    with pytest.raises(TypeError, match=rf"{method}\(\) comes from Sneaky"):
        type(
            "Sneaky",
            (PartnerScopedObjectMixin, ListView),
            {"model": PartnerAPIKey, method: lambda self: PartnerAPIKey.objects.all()},
        )


def test_overriding_in_a_grandchild_fails_too():
    class Base(PartnerScopedAPIMixin, generics.RetrieveAPIView):
        queryset = PartnerAPIKey.objects

    with pytest.raises(TypeError, match=r"get_queryset\(\) comes from Child"):

        class Child(Base):
            def get_queryset(self):
                return super().get_queryset()


def test_wrong_mixin_order_fails_at_class_creation():
    with pytest.raises(TypeError, match=r"get_queryset\(\) comes from GenericAPIView"):

        class ListFirst(generics.ListAPIView, PartnerScopedAPIMixin):
            queryset = PartnerAPIKey.objects

    with pytest.raises(TypeError, match=r"comes from (MultipleObjectMixin|SingleObjectMixin)"):

        class PortalListFirst(DetailView, PartnerScopedObjectMixin):
            model = PartnerAPIKey


def _api_views(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _api_views(entry, route)
        elif isinstance(entry, URLPattern) and route.startswith("api/v"):
            yield route, entry.callback


def test_every_api_v1_view_uses_the_scoped_base_class():
    views = list(_api_views())
    assert len(views) >= 4  # me, partners list and detail, tiers
    for route, callback in views:
        view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        assert view_class is not None, route
        assert issubclass(view_class, PartnerScopedAPIMixin), (
            f"{route}: {view_class.__name__} must derive from PartnerScopedAPIMixin"
        )
        if issubclass(view_class, viewsets.ViewSetMixin):
            assert view_class.__mro__.index(PartnerScopedAPIMixin) == 1, route


class KeyNamesView(PartnerScopedAPIMixin, generics.ListAPIView):
    """A view over a scoped model, as later apps will write them."""

    queryset = PartnerAPIKey.objects
    pagination_class = None
    filter_backends: list = []

    def list(self, request, *args, **kwargs):
        from rest_framework.response import Response

        return Response(sorted(self.get_queryset().values_list("name", flat=True)))


def test_api_base_class_opens_the_keys_partner_scope(two_partners, alice_key, bob_key, staff_key):
    from rest_framework.test import APIRequestFactory

    def names(raw_key):
        request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
        response = KeyNamesView.as_view()(request)
        assert response.status_code == 200
        return response.data

    assert names(alice_key) == ["alice sync"]
    assert names(bob_key) == ["bob sync"]
    assert names(staff_key) == ["alice sync", "bob sync", "crm"]
    # and the scope is closed again after the request
    with pytest.raises(ScopeError):
        list(PartnerAPIKey.objects.all())
