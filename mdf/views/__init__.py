"""Portal pages of market development funds (/portal/funds/), one module per use case:
`overview`, `requests`, `claims` (with their proof files), `statement`; `common` holds
what every page shares.

Thin entry points: they read through `mdf.selectors` (balances and the claim window are
defined there, once), write through `mdf.services`, and look objects up by UUID among
the partner's own rows (`PartnerScopedObjectMixin`), so another partner's request,
claim or proof answers 404. Partner admins and marketers act; sales reps read.
"""
