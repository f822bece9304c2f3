"""Tracks with assets and a quiz, and their study, for the enablement tests (and the
authz matrix rows)."""

from __future__ import annotations

from typing import Any

from assets.services import download_record
from partners.models import EnablementTrack, QuizChoice, QuizQuestion, TrackAsset
from tests.assets.factories import make_asset

# (question, [(answer, correct), ...])
QUIZ = [
    ("Which backups survive ransomware?", [("Immutable copies", True), ("Shared drives", False)]),
    ("How often should restores be tested?", [("Never", False), ("Every quarter", True)]),
    ("Who owns the recovery plan?", [("Nobody", False), ("A named person", True)]),
    ("What does RPO measure?", [("Data you can lose", True), ("Disk speed", False)]),
]


def make_track(
    slug: str = "backup-basics",
    *,
    assets: int = 2,
    quiz: list[tuple[str, list[tuple[str, bool]]]] | None = None,
    pass_mark: int = 75,
    validity_months: int | None = 12,
    **fields: Any,
) -> EnablementTrack:
    """A track of `assets` published assets (everyone's audience) and a quiz."""
    track = EnablementTrack.objects.create(
        title=fields.pop("title", slug.replace("-", " ").title()),
        slug=slug,
        pass_mark=pass_mark,
        validity_months=validity_months,
        **fields,
    )
    for position in range(1, assets + 1):
        asset = make_asset(title=f"{track.title} part {position}")
        TrackAsset.objects.create(track=track, asset=asset, position=position)
    for position, (text, choices) in enumerate(QUIZ if quiz is None else quiz, start=1):
        question = QuizQuestion.objects.create(track=track, text=text, position=position)
        for order, (answer, correct) in enumerate(choices, start=1):
            QuizChoice.objects.create(
                question=question, text=answer, correct=correct, position=order
            )
    return track


def study(track: EnablementTrack, partner: Any, user: Any) -> None:
    """The user downloads every asset of the track."""
    for item in track.items.select_related("asset"):
        version = item.asset.versions.filter(is_current=True).first()
        download_record(partner=partner, version=version, user=user)


def answers(track: EnablementTrack, *, wrong: int = 0) -> dict[str, str]:
    """{question id: choice id} for the track's quiz, the first `wrong` answered wrongly."""
    result = {}
    for index, question in enumerate(track.questions.prefetch_related("choices")):
        choices = list(question.choices.all())
        pick = next(c for c in choices if c.correct is (index >= wrong))
        result[str(question.pk)] = str(pick.pk)
    return result
