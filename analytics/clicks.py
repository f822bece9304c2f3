"""Clicks on tracking links and library downloads entering the event stream."""


def purge_visitor_salts() -> int:
    raise NotImplementedError
