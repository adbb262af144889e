"""The shared field parsers: a time must be a unix time a datetime can hold."""

import pytest

from sprec.data.interactions_csv import unix_time
from sprec.data.parsing import TIME_RANGE, timestamp
from sprec.errors import DataError


def test_timestamps_out_of_any_calendar_name_the_file_and_row():
    assert timestamp("1000", "f.csv", 2) == 1000 and timestamp(str(TIME_RANGE[1]), "f.csv", 2) == TIME_RANGE[1]
    for bad in ("1e40", "-1e20", str(TIME_RANGE[1] + 1)):
        with pytest.raises(DataError, match=r"f.csv, row 2: timestamp .* is not a unix time"):
            timestamp(bad, "f.csv", 2)
    with pytest.raises(DataError, match=r"log.csv, row 7: time '1e40' is not a unix time"):
        unix_time("1e40", "log.csv", 7)
    assert unix_time("1970-01-02", "log.csv", 7) == 86400
