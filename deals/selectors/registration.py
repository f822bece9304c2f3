"""selectors/registration (docs/deals.md)."""

__all__: list[str] = []
