"""The portal's results upload (/portal/performance/upload/): a CSV with the API's
columns, the same validation, errors by row and column, nothing stored on error."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled

from analytics.models import ResultEvent
from tests.analytics.results_fixtures import AN_HOUR_AGO, make_kit, make_launch

pytestmark = pytest.mark.django_db
URL = "/portal/performance/upload/"


def csv_file(text: str, name: str = "results.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def upload(client, text: str, name: str = "results.csv"):
    return client.post(URL, {"file": csv_file(text, name)})


def stored() -> list[ResultEvent]:
    with scopes_disabled():
        return list(ResultEvent.objects.order_by("external_id"))


@pytest.fixture
def marketer(client, alice):
    client.force_login(alice.marketer)
    return client


def good_csv(code: str = "") -> str:
    return (
        "external_id,kind,occurred_at,launch,amount,currency,company,email_domain\n"
        f"lead-1,lead,{AN_HOUR_AGO},{code},,,Initech,Initech.example\n"
        f'deal-1,won,{AN_HOUR_AGO},{code},"12,500.00",EUR,"Initech, Inc.",initech.example\n'
    )


def test_the_route_and_its_page(marketer):
    assert reverse("performance:results_upload") == URL
    response = marketer.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Upload results" in page and "email_domain" in page and "example=1" in page


def test_a_good_file_is_stored_with_the_partner_source_and_says_how_many(alice, marketer):
    launch = make_launch(alice.partner, make_kit("promo"), alice.admin)

    response = upload(marketer, good_csv(launch.code))

    assert response.status_code == 302 and response.url == URL
    page = marketer.get(URL).content.decode()
    assert "2 new results saved; 0 were already recorded." in page
    lead, deal = stored()[1], stored()[0]
    assert (lead.external_id, lead.launch_id, lead.email_domain) == (
        "lead-1",
        launch.pk,
        "initech.example",
    )
    assert (deal.amount, deal.currency, deal.company) == (12500, "EUR", "Initech, Inc.")
    assert deal.source == f"partner:{alice.partner.uuid}"  # as alice's API keys write


def test_the_same_file_again_counts_duplicates(marketer):
    upload(marketer, good_csv())
    upload(marketer, good_csv())
    page = marketer.get(URL).content.decode()
    assert "0 new results saved; 2 were already recorded." in page
    assert len(stored()) == 2


def test_a_file_uploaded_then_sent_by_the_api_is_not_counted_twice(alice, marketer, alice_key):
    import json

    from tests.conftest import key_client

    upload(marketer, good_csv())
    events = [
        {"external_id": "lead-1", "kind": "lead", "occurred_at": AN_HOUR_AGO,
         "company": "Initech", "email_domain": "initech.example"},
    ]  # fmt: skip
    response = key_client(alice_key).post(
        "/api/v1/results/", json.dumps({"events": events}), content_type="application/json"
    )
    assert response.json() == {"created": 0, "duplicates": 1}


def test_bad_rows_are_listed_by_row_and_column_and_nothing_is_stored(marketer):
    text = (
        "external_id,kind,occurred_at,amount,currency,email_domain\n"
        f"ok-1,lead,{AN_HOUR_AGO},,,\n"
        "\n"  # a blank row: skipped, but it keeps its number
        f"bad-1,won,{AN_HOUR_AGO},-5.00,EUR,\n"
        f"bad-2,lead,2026-03-01T10:00:00,,,jane@initech.example\n"
    )

    response = upload(marketer, text)

    assert response.status_code == 400
    problems = [(p["row"], p["column"]) for p in response.context["problems"]]
    assert problems == [(4, "amount"), (5, "occurred_at"), (5, "email_domain")]
    page = response.content.decode()
    assert "Nothing was saved: 3 problems" in page
    assert "only the domain" in page
    assert stored() == []


@pytest.mark.parametrize(
    ("content", "name", "text"),
    [
        (b"%PDF-1.4 not a csv", "results.csv", "not an allowed type"),
        (b"", "results.csv", "empty"),
        (b"\xff\xfe\x00e\x00x", "results.csv", "not an allowed type"),
        (b"external_id,kind,occurred_at\n", "results.csv", "no results"),
        (b"external_id,kind,when\nx,lead,now\n", "results.csv", "unknown column “when”"),
        (b"external_id,kind,company\nx,lead,Initech\n", "r.csv", "lacks the column(s) occurred_at"),
        (b"external_id,kind,kind,occurred_at\nx,lead,lead,now\n", "results.csv", "appears twice"),
        (b"external_id,kind,occurred_at\nx,lead,now,extra\n", "r.csv", "Row 2 has more cells"),
        (b"external_id,kind,occurred_at\n\"x,lead,now\n", "r.csv", "not a readable CSV"),
    ],
)  # fmt: skip
def test_a_file_that_is_not_a_results_csv_is_refused_with_a_reason(marketer, content, name, text):
    response = marketer.post(URL, {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 400
    assert text in " ".join(response.context["form"].errors["file"])
    assert stored() == []


def test_semicolon_separated_files_from_spreadsheets_are_read(marketer):
    text = f"external_id;kind;occurred_at;company\nlead-9;lead;{AN_HOUR_AGO};Initech\n"
    assert upload(marketer, "\ufeff" + text).status_code == 302
    assert [e.company for e in stored()] == ["Initech"]


def test_more_rows_than_a_batch_holds_are_refused(marketer):
    rows = "".join(f"e{i},lead,{AN_HOUR_AGO}\n" for i in range(5001))
    response = upload(marketer, "external_id,kind,occurred_at\n" + rows)
    assert response.status_code == 400
    assert "at most 5,000" in response.content.decode()
    assert stored() == []


def test_another_partners_launch_code_reads_as_unknown(bob, marketer):
    bob_launch = make_launch(bob.partner, make_kit("bob-kit", partners=[bob.partner]), bob.admin)
    text = f"external_id,kind,occurred_at,launch\nx,lead,{AN_HOUR_AGO},{bob_launch.code}\n"
    response = upload(marketer, text)
    assert [(p["row"], p["column"]) for p in response.context["problems"]] == [(2, "launch")]
    assert "No launch of this partner" in response.content.decode()


def test_the_example_file_is_a_valid_upload(alice, marketer):
    launch = make_launch(alice.partner, make_kit("promo"), alice.admin)
    example = marketer.get(URL, {"example": "1"})
    assert example["Content-Type"].startswith("text/csv")
    assert "attachment" in example["Content-Disposition"]
    text = example.content.decode()
    assert launch.code in text
    assert upload(marketer, text).status_code == 302
    assert len(stored()) == 3


def test_sales_reps_may_not_upload(client, alice):
    client.force_login(alice.sales)
    assert client.get(URL).status_code == 403
    assert upload(client, good_csv()).status_code == 403
    assert stored() == []
