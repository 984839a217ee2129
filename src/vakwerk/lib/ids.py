"""Reading ids from user input (query strings, form keys) without surprises."""

# Longer inputs are not ids: int() of a huge number string is slow or refused by Python.
MAX_ID_DIGITS = 18
MAX_DATABASE_ID = 2**63 - 1  # a BigAutoField's largest value


def parse_id(value: str) -> int | None:
    """``value`` as a positive database id, or None. Only ASCII digits count: ``str.isdigit``
    also accepts characters such as "²" that ``int`` refuses."""
    if value.isascii() and value.isdecimal() and 0 < len(value) <= MAX_ID_DIGITS:
        return int(value) or None
    return None
