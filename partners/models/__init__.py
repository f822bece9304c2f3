"""The tables of partners/, one module per use case, all imported here (Django finds
them here; callers write `from partners.models import Partner`):

- `core`: partners, tiers, regions, languages (and each user's chosen one),
  memberships, the audit trail, API keys, idempotency records;
- `recruitment`: applications and invitations;
- `onboarding`: program agreements and the onboarding checklist;
- `enablement`: enablement tracks, quizzes, certifications and tier compliance;
- `sso`: identity providers, their email domains, the record of SSO sign-ins.
"""

from partners.models.core import (
    IdempotencyRecord,
    Language,
    LanguageChoice,
    Membership,
    Partner,
    PartnerAPIKey,
    PartnerAuditEntry,
    Region,
    Specialisation,
    Tier,
    partner_logo_path,
)
from partners.models.enablement import (
    Certification,
    EnablementTrack,
    QuizAttempt,
    QuizChoice,
    QuizQuestion,
    TierAssessment,
    TierRequirement,
    TrackAsset,
)
from partners.models.feedback import (
    NPS_MAX,
    NPS_MIN,
    NPS_QUESTION,
    RATING_MAX,
    RATING_MIN,
    ContentRating,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    SurveyRound,
    SurveySend,
)
from partners.models.onboarding import (
    AgreementAcceptance,
    OnboardingCompletion,
    OnboardingStep,
    ProgramAgreement,
)
from partners.models.recruitment import (
    Invitation,
    PartnerApplication,
)
from partners.models.sso import IdentityProvider, IdentityProviderDomain, SignInRecord

__all__ = [
    "AgreementAcceptance",
    "Certification",
    "ContentRating",
    "EnablementTrack",
    "IdempotencyRecord",
    "IdentityProvider",
    "IdentityProviderDomain",
    "Invitation",
    "Language",
    "LanguageChoice",
    "Membership",
    "NPS_MAX",
    "NPS_MIN",
    "NPS_QUESTION",
    "OnboardingCompletion",
    "OnboardingStep",
    "Partner",
    "PartnerAPIKey",
    "PartnerApplication",
    "PartnerAuditEntry",
    "ProgramAgreement",
    "QuizAttempt",
    "QuizChoice",
    "QuizQuestion",
    "RATING_MAX",
    "RATING_MIN",
    "Region",
    "SignInRecord",
    "Specialisation",
    "Survey",
    "SurveyAnswer",
    "SurveyQuestion",
    "SurveyResponse",
    "SurveyRound",
    "SurveySend",
    "Tier",
    "TierAssessment",
    "TierRequirement",
    "TrackAsset",
    "partner_logo_path",
]
