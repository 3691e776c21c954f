"""The YAML writer: whatever it renders, YAML reads back as the same value."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from manifest_gen.yamltext import Block, Commented, YamlNode, render_yaml, scalar


def _load(document: dict[str, YamlNode]) -> object:
    return yaml.safe_load(render_yaml(document, header="header"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("main", "main"),
        ("packages/module-x/backend/lambdas/x_api/**", "packages/module-x/backend/lambdas/x_api/**"),
        ("${{ inputs.function_name }}", "${{ inputs.function_name }}"),
        ("./.github/workflows/lambda-deploy-reusable.yml", "./.github/workflows/lambda-deploy-reusable.yml"),
        ("3.11", "'3.11'"),
        ("20", "'20'"),
        ("on", "'on'"),
        ("yes", "'yes'"),
        ("null", "'null'"),
        ("~", "'~'"),
        (".5", "'.5'"),
        ("", "''"),
        ("**/x", "'**/x'"),
        ("a: b", "'a: b'"),
        ("a #b", "'a #b'"),
        ("it's", "it's"),
        ("'quoted'", "'''quoted'''"),
        ("trailing ", "'trailing '"),
        ("-x", "'-x'"),
        ("@x", "'@x'"),
        (True, "true"),
        (False, "false"),
        (60, "60"),
        (Commented("actions/checkout@abc", "v4.2.2"), "actions/checkout@abc # v4.2.2"),
    ],
)
def test_scalars(value: str | int | bool | Commented, expected: str) -> None:
    assert scalar(value) == expected


def test_a_multi_line_string_needs_a_block() -> None:
    with pytest.raises(ValueError, match="use Block"):
        scalar("a\nb")


def test_document_layout() -> None:
    document: dict[str, YamlNode] = {
        "name": "x",
        "on": {"push": {"branches": ["main"]}, "workflow_dispatch": None},
        "permissions": {},
        "empty": [],
        "jobs": {
            "a": {
                "steps": [
                    {"name": "one", "run": Block("echo 1\n\necho 2\n")},
                    {"uses": Commented("o/r@sha", "v1"), "with": {"k": False}},
                ]
            }
        },
    }
    assert render_yaml(document, header="Generated. Do not edit.") == (
        "# Generated. Do not edit.\n"
        "name: x\n"
        "on:\n"
        "  push:\n"
        "    branches:\n"
        "      - main\n"
        "  workflow_dispatch:\n"
        "permissions: {}\n"
        "empty: []\n"
        "jobs:\n"
        "  a:\n"
        "    steps:\n"
        "      - name: one\n"
        "        run: |\n"
        "          echo 1\n"
        "\n"
        "          echo 2\n"
        "      - uses: o/r@sha # v1\n"
        "        with:\n"
        "          k: false\n"
    )


@pytest.mark.parametrize(
    "document",
    [
        {"bad key": "x"},
        {"k": Block(" indented first line\n")},
        {"k": Block("trailing blank \n")},
        {"k": [["nested"]]},
        {"k": [None]},
    ],
)
def test_unrenderable_input_is_refused(document: dict[str, YamlNode]) -> None:
    with pytest.raises(ValueError):
        render_yaml(document, header="h")


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), max_size=40)


@settings(max_examples=400, deadline=None)
@given(_TEXT)
def test_any_one_line_string_round_trips(value: str) -> None:
    if not value.isprintable():
        with pytest.raises(ValueError):
            scalar(value)
        return
    assert _load({"key": value}) == {"key": value}
    assert _load({"key": [value]}) == {"key": [value]}


_LINE = st.text(st.characters(codec="ascii", min_codepoint=33, max_codepoint=126), min_size=1, max_size=20)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(_LINE, st.just("")), min_size=1, max_size=6).filter(lambda lines: lines[0] != ""))
def test_blocks_round_trip(lines: list[str]) -> None:
    text = "\n".join(lines).rstrip("\n") + "\n"
    assert _load({"run": Block(text), "after": "x"}) == {"run": text, "after": "x"}


def test_nested_structures_round_trip() -> None:
    document: dict[str, YamlNode] = {
        "jobs": {
            "deploy": {
                "with": {"python-version": "3.11", "persist-credentials": False, "n": 3},
                "steps": [{"name": "a", "env": {"X": "${{ inputs.x }}"}}, "plain", Block("echo\n")],
            }
        }
    }
    assert _load(document) == {
        "jobs": {
            "deploy": {
                "with": {"python-version": "3.11", "persist-credentials": False, "n": 3},
                "steps": [{"name": "a", "env": {"X": "${{ inputs.x }}"}}, "plain", "echo\n"],
            }
        }
    }
