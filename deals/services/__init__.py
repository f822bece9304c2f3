"""The writes of deals/, one module per use case (docs/deals.md):

- `registration`: deal registration, conflicts, decisions, extensions, expiry, close;
- `leads`: lead distribution, routing rules, the weighted round robin, the SLA.

Callers write `from deals.services import deal_register`.
"""

from deals.services.leads import *  # noqa: F403
from deals.services.leads import __all__ as _leads
from deals.services.registration import *  # noqa: F403
from deals.services.registration import __all__ as _registration

__all__ = [*_registration, *_leads]
