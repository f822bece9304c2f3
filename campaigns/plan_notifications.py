"""Plan emails: each decision on a plan (submitted, approved, changes requested,
closed) and each comment, to the other side.

Who hears what: a submission goes to the plan's reviewer (else the partner's channel
manager; with neither, the Marketing admins); approvals, change requests and closing go
to the partner's admins and marketers; a comment goes to the side that did not write
it. Each function re-reads its row by id (the tasks pass ids, after commit), so a task
retried later sends what is true now, and a row gone since sends nothing.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django_scopes import scopes_disabled

from campaigns.models import Plan, PlanComment, PlanEvent
from partners import roles
from partners.mail import send_to_readers
from partners.models import Membership
from partners.selectors import partner_emails

Action = PlanEvent.Action
# The template of each event that is emailed, and to whom.
PARTNER_DECISIONS = (Action.APPROVED, Action.CHANGES_REQUESTED, Action.CLOSED)


def partner_recipients(partner_id: int) -> list[str]:
    # The people who write the plan.
    return partner_emails(
        partner_id=partner_id, roles=[Membership.Role.ADMIN, Membership.Role.MARKETER]
    )


def reviewer_recipients(plan: Plan) -> list[str]:
    """The plan's reviewer, else the partner's channel manager, else the Marketing
    admins (someone must hear of a plan waiting)."""
    User = get_user_model()
    reviewer = plan.reviewer or plan.partner.channel_manager
    if reviewer is not None and reviewer.is_active and reviewer.email:
        return [reviewer.email]
    return list(
        User.objects.filter(groups__name=roles.MARKETING_ADMIN, is_active=True, is_staff=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("email", flat=True)
    )


def _send(template: str, context: dict, recipients: list[str]) -> int:
    return send_to_readers(f"campaigns/email/{template}", context, recipients)


def plan_event_email(event_id: int) -> int:
    """Email the decision an event records; returns the number of recipients."""
    with scopes_disabled():  # a task: the row says whose plan it is
        event = (
            PlanEvent.objects.select_related(
                "plan__partner__channel_manager", "plan__reviewer", "plan__period", "actor"
            )
            .filter(pk=event_id)
            .first()
        )
        if event is None:
            return 0
        plan = event.plan
        context = {"event": event, "plan": plan}
        if event.action == Action.SUBMITTED:
            return _send("plan_submitted", context, reviewer_recipients(plan))
        if event.action in PARTNER_DECISIONS:
            return _send("plan_decision", context, partner_recipients(plan.partner_id))
    return 0


def plan_comment_email(comment_id: int) -> int:
    """Email a comment to the other side; returns the number of recipients."""
    with scopes_disabled():
        comment = (
            PlanComment.objects.select_related(
                "plan__partner__channel_manager",
                "plan__reviewer",
                "plan__period",
                "author",
                "activity",
            )
            .filter(pk=comment_id)
            .first()
        )
        if comment is None:
            return 0
        plan = comment.plan
        if comment.author.is_staff:
            recipients = partner_recipients(plan.partner_id)
        else:
            recipients = reviewer_recipients(plan)
        recipients = [email for email in recipients if email != comment.author.email]
        return _send("plan_comment", {"comment": comment, "plan": plan}, recipients)
