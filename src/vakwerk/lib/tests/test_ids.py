import pytest

from vakwerk.lib.ids import parse_id


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", 12),
        ("", None),
        ("0", None),
        ("²", None),
        ("-3", None),
        ("1" * 19, None),
        ("12a", None),
        ("\uff11\uff12", None),
    ],
)
def test_parse_id_accepts_plain_positive_numbers_only(raw, expected):
    assert parse_id(raw) == expected


def test_odd_digits_in_a_filter_do_not_crash_the_page(member_client, organisation):
    from django.urls import reverse

    from vakwerk.organisations.models import Role

    client, _ = member_client(organisation, Role.HR)
    response = client.get(reverse("people:employees"), {"team": "²", "functieprofiel": "9" * 5000})
    assert response.status_code == 200
