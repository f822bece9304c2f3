"""`makemessages` that knows which of our folders hold no user-facing text.

`python manage.py makemessages -a` (or `make messages`) and the suite's catalogue check
(tests/test_translations.py) extract from the same files because both run this command.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import makemessages

# Tests, benchmarks, scripts, docs and vendored static files say nothing to a user; the
# virtual environment holds other projects' catalogues.
NOT_USER_FACING = [
    ".venv",
    "venv",
    "tests",
    "bench",
    "scripts",
    "docs",
    "static",
    "staticfiles",
    "var",
    "media",
    "test-artifacts",
    "locale",
]


class Command(makemessages.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        options["ignore_patterns"] = [*options.get("ignore_patterns", []), *NOT_USER_FACING]
        # File names without line numbers: a string moved within its file changes no
        # catalogue. A string nobody uses any more leaves the catalogues.
        options["add_location"] = options.get("add_location") or "file"
        options["no_obsolete"] = True
        super().handle(*args, **options)
