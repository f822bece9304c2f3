"""The reads of deals/, one module per use case (docs/deals.md):

- `registration`: what a partner may see of its deals; staff queues and conflicts;
- `leads`: offers a partner may see; leads with staff.

Callers write `from deals.selectors import deals_for_partner`.
"""

from deals.selectors.leads import *  # noqa: F403
from deals.selectors.leads import __all__ as _leads
from deals.selectors.registration import *  # noqa: F403
from deals.selectors.registration import __all__ as _registration

__all__ = [*_registration, *_leads]
