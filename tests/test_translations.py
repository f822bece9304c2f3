"""The shipped catalogues against the code: every marked string translated in every
shipped language, nothing stale or fuzzy, placeholders kept (issue 22's check, so later
features cannot ship untranslated).

The check runs our `makemessages` (partners/management/commands/makemessages.py, the
command `make messages` runs) on a copy of the working tree and compares what it makes
with what ships: a string marked since the catalogues were last updated comes out
untranslated (or as a fuzzy guess), a string no longer used goes away.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils.translation import to_locale

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = [to_locale(code) for code, _name in settings.LANGUAGES if code != "en"]
HOW_TO_FIX = (
    "run `make messages`, translate the new entries in every locale/*/LC_MESSAGES/django.po "
    "(docs/i18n.md), and drop fuzzy flags once the translation is right"
)
# What the copy needs to run makemessages: the code and templates, not the environment.
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "var", "media", "staticfiles", "test-artifacts", "__pycache__", "*.mo",
    ".pytest_cache", ".ruff_cache", ".mypy_cache", ".hypothesis", "node_modules",
)  # fmt: skip


def read_catalogue(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, abort_invalid=True)


def key(message) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    return (message.context or "", str(message.id))


def translated(message) -> bool:  # type: ignore[no-untyped-def]
    forms = message.string if isinstance(message.string, tuple | list) else [message.string]
    return all(form.strip() for form in forms)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The catalogues as makemessages makes them from the working tree today."""
    if not shutil.which("xgettext") or not shutil.which("msgmerge"):
        if os.environ.get("CI"):
            pytest.fail("gettext (xgettext, msgmerge) is missing; .ci/run installs it")
        pytest.skip("gettext is not installed here (apt-get install gettext)")
    copy = tmp_path_factory.mktemp("tree") / "partnerhub"
    shutil.copytree(ROOT, copy, ignore=NOT_COPIED, symlinks=True)
    env = {**os.environ, "VAR_DIR": str(copy / "var"), "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("DATABASE_URL", None)  # makemessages needs no database
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--all", "--verbosity", "0"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return copy / "locale"


@pytest.mark.parametrize("language", SHIPPED)
def test_every_marked_string_is_translated_and_nothing_is_stale(language: str, extracted: Path):
    shipped = read_catalogue(ROOT / "locale" / language / "LC_MESSAGES" / "django.po")
    fresh = read_catalogue(extracted / language / "LC_MESSAGES" / "django.po")
    shipped_keys = {key(m) for m in shipped if m.id}
    fresh_keys = {key(m) for m in fresh if m.id}

    # makemessages merged the code's strings into a copy of the shipped catalogue: a new
    # string is there untranslated (or as a fuzzy guess), an unused one is gone.
    untranslated = sorted(str(m.id) for m in fresh if m.id and (not translated(m) or m.fuzzy))
    stale = sorted(str(k[1]) for k in shipped_keys - fresh_keys)
    fuzzy = sorted(str(m.id) for m in shipped if m.id and m.fuzzy)
    obsolete = sorted(str(m.id) for m in shipped.obsolete.values())

    problems = []
    if untranslated:
        problems.append(f"{len(untranslated)} marked string(s) not translated: {untranslated[:20]}")
    if stale:
        problems.append(f"{len(stale)} stale entr(y/ies) no code uses any more: {stale[:20]}")
    if fuzzy:
        problems.append(f"{len(fuzzy)} fuzzy entr(y/ies): {fuzzy[:20]}")
    if obsolete:
        problems.append(f"{len(obsolete)} obsolete (#~) entr(y/ies): {obsolete[:20]}")
    assert not problems, f"locale/{language}: " + "; ".join(problems) + f". To fix: {HOW_TO_FIX}."


@pytest.mark.parametrize("language", SHIPPED)
def test_translations_keep_the_placeholders_and_the_plural_forms(language: str):
    catalogue = read_catalogue(ROOT / "locale" / language / "LC_MESSAGES" / "django.po")
    assert catalogue.num_plurals == 2, catalogue.plural_forms
    # Babel's checkers: python-format placeholders match, plural entries have every form.
    errors = [
        f"{message.id!r}: {'; '.join(map(str, found))}" for message, found in catalogue.check()
    ]
    assert not errors, f"locale/{language}: " + "\n".join(errors[:20])
