"""The report files' own writers give exactly the bytes of ``json.dumps(indent=2)`` and of
``csv.writer``, whatever the texts hold."""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cora_constructs.compliance.report import CSV_COLUMNS, _csv_lines, _csv_special_characters, indented_json

# Texts that hit every branch: quotes, commas, both line ends, control and non-ASCII characters.
texts = st.text(alphabet=st.sampled_from('ab ,"\n\r\t\\/\x00\x1fé€😀') | st.characters(), max_size=12)
plain = st.recursive(
    st.none() | st.booleans() | st.integers() | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=30,
)


@given(plain)
def test_indented_json_is_json_dumps_indent_2(value: object) -> None:
    assert indented_json(value) == json.dumps(value, indent=2)


def test_indented_json_leaves_other_values_to_json_dumps() -> None:
    for value in ({"a": 1.5, "b": [float("inf")]}, {1: "x", None: [True]}, ("t", ["u"]), {"e": {}, "f": []}):
        assert indented_json(value) == json.dumps(value, indent=2)


def _assert_written_as_csv_writer_writes(rows: list[list[str]]) -> None:
    special = _csv_special_characters()
    assert special is not None  # this Python's csv writer quotes as _csv_lines does
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    assert _csv_lines(rows, special) == out.getvalue()


@given(st.lists(st.lists(texts, min_size=2, max_size=5), max_size=6))
def test_csv_lines_are_csv_writer_lines(rows: list[list[str]]) -> None:
    _assert_written_as_csv_writer_writes(rows)


def test_the_header_and_repeated_fields() -> None:
    rows = [list(CSV_COLUMNS), ["a,b", 'say "x"', "a,b", "plain", "", "line\nend", "a,b", "", ""]]
    _assert_written_as_csv_writer_writes(rows)


def test_a_field_that_is_no_string_is_left_to_the_csv_module() -> None:
    special = _csv_special_characters()
    assert special is not None
    assert _csv_lines([["a", "b"], ["c", None]], special) is None


def test_a_cycle_is_json_dumps_own_error() -> None:
    cycle: list[object] = []
    cycle.append(cycle)
    with pytest.raises(ValueError, match="Circular reference"):
        indented_json({"a": cycle})
