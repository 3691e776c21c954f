"""--env and --env-file: global or scoped to a function or module, clear errors with the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from cora_constructs.assembly.errors import ToolError
from cora_constructs.serve.server import EnvOverride, function_overrides, parse_env_assignment, parse_env_file
from tests.serve.test_workers import function


def test_assignments() -> None:
    assert parse_env_assignment("TABLE_NAME=t") == EnvOverride("TABLE_NAME", "t")
    assert parse_env_assignment("tracker:TABLE_NAME=t") == EnvOverride("TABLE_NAME", "t", "tracker")
    assert parse_env_assignment("export URL='http://a=b'") == EnvOverride("URL", "http://a=b")
    assert parse_env_assignment("EMPTY=") == EnvOverride("EMPTY", "")
    for bad in ("NOVALUE", "=x", "1A=x", "A-B=x"):
        with pytest.raises(ToolError, match="KEY=VALUE"):
            parse_env_assignment(bad)


def test_env_file_lines_and_errors(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text('# local\n\nA=1\nexport B="two words"\nm:C=3\n')
    assert parse_env_file(env) == [
        EnvOverride("A", "1"),
        EnvOverride("B", "two words"),
        EnvOverride("C", "3", "m"),
    ]
    env.write_text("A=1\noops\n")
    with pytest.raises(ToolError, match=r"\.env:2: 'oops' is not KEY=VALUE"):
        parse_env_file(env)
    with pytest.raises(ToolError, match="cannot read it"):
        parse_env_file(tmp_path / "missing.env")


def test_scoped_overrides_win_and_apply_by_function_or_module() -> None:
    overrides = [
        EnvOverride("T", "scoped", "m"),
        EnvOverride("T", "global"),
        EnvOverride("U", "other", "another-module"),
        EnvOverride("V", "by-name", "fn"),
    ]
    assert function_overrides(function(), overrides) == {"T": "scoped", "V": "by-name"}
