"""CSV downloads of staff and portal pages: one way to write a cell and a response.

A cell a spreadsheet would run as a formula (text starting with =, +, -, @, a tab or
a carriage return) is defused with a leading apostrophe; numbers, and text that is a
plain number we wrote ("-100.0"), stay as they are, machine-readable.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from numbers import Number
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone, translation

NUMBER = re.compile(r"-?\d+(\.\d+)?")


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, Number) or NUMBER.fullmatch(text):
        return text
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def csv_response(
    filename: str, header: list[str], rows: Iterable[list[Any]]
) -> StreamingHttpResponse:
    """Stream the rows as `<filename>-<timestamp>.csv`."""

    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())
    # The rows are made while the response streams, after the view (and the reader's
    # language, partners.middleware.UserLanguageMiddleware) has returned: they are made
    # in the language of the request that asked for them.
    language = translation.get_language()

    def lines() -> Iterator[str]:
        with translation.override(language):
            yield writer.writerow(header)
            for row in rows:
                yield writer.writerow([csv_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.csv"'
    # A download of one partner's or the programme's figures: never kept by a shared
    # cache, never sniffed into something a browser would run.
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
