from datetime import datetime, timezone

import pytest

from sdmx_server.sdmx.time_periods import matches_frequency, parse_period


def d(y, m, day):
    return datetime(y, m, day, tzinfo=timezone.utc)


@pytest.mark.parametrize("text,start,end,freq", [
    ("2024", d(2024, 1, 1), d(2025, 1, 1), "A"),
    ("2024-A1", d(2024, 1, 1), d(2025, 1, 1), "A"),
    ("2024-S2", d(2024, 7, 1), d(2025, 1, 1), "S"),
    ("2024-Q4", d(2024, 10, 1), d(2025, 1, 1), "Q"),
    ("2024-M12", d(2024, 12, 1), d(2025, 1, 1), "M"),
    ("2024-02", d(2024, 2, 1), d(2024, 3, 1), "M"),
    ("2025-W01", d(2024, 12, 30), d(2025, 1, 6), "W"),
    ("2024-D366", d(2024, 12, 31), d(2025, 1, 1), "D"),
    ("2024-02-29", d(2024, 2, 29), d(2024, 3, 1), "D"),
    ("2024-01-01/P6M", d(2024, 1, 1), d(2024, 7, 1), ""),
])
def test_periods_cover_their_interval(text, start, end, freq):
    p = parse_period(text)
    assert (p.start, p.end, p.frequency) == (start, end, freq)


@pytest.mark.parametrize("text", ["2024-13", "2024-Q5", "2023-D366", "2023-02-29", "24", "2024-S3", "Q1-2024", ""])
def test_bad_periods_say_why(text):
    with pytest.raises(ValueError) as e:
        parse_period(text)
    assert repr(text) in str(e.value)


def test_frequency_must_fit_the_form():
    assert matches_frequency(parse_period("2024-Q1"), "Q")
    assert not matches_frequency(parse_period("2024-Q1"), "A")
    assert not matches_frequency(parse_period("2024"), "M")
    assert matches_frequency(parse_period("2024-S1"), "S")
