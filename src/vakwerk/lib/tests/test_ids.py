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
