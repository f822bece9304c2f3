"""selectors/leads (docs/deals.md)."""

__all__: list[str] = []
