from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from partners.models import Language, Region
from tests.assets.factories import brand


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()  # the library caches each partner's tag list
    yield
    cache.clear()


@pytest.fixture
def regions(db) -> dict[str, Region]:
    return {
        code: Region.objects.get_or_create(code=code, defaults={"name": code.upper()})[0]
        for code in ("na", "emea", "apac")
    }


@pytest.fixture
def languages(db) -> dict[str, Language]:
    return {
        code: Language.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in (
            ("en", "English"),
            ("de", "German"),
            ("fr", "French"),
            ("ja", "Japanese"),
        )
    }


@pytest.fixture
def branded_alice(alice):
    """Alice's company with a complete co-branding profile ("Alice Networks")."""
    return brand(alice)


@pytest.fixture
def no_scope():
    with scopes_disabled():
        yield
