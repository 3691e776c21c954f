"""A function folder's own problems, all at once: links out, bad handlers, committed binaries."""

from __future__ import annotations

from pathlib import Path

import pytest

from cora_constructs.dependencies.binaries import find_escaping_links, iter_files
from cora_constructs.functions.source_check import check_function_source, handler_problems

ELF_X86_64 = b"\x7fELF\x02\x01\x01" + b"\0" * 11 + b"\x3e\x00" + b"\0" * 44
GOOD = "def lambda_handler(event, context):\n    return {}\n"


def function(root: Path, handler: str | bytes | None = GOOD) -> Path:
    folder = root / "lambdas" / "orders-api"
    folder.mkdir(parents=True)
    if isinstance(handler, str):
        (folder / "lambda_function.py").write_text(handler, encoding="utf-8")
    elif isinstance(handler, bytes):
        (folder / "lambda_function.py").write_bytes(handler)
    return folder


def messages(folder: Path) -> list[tuple[str, str]]:
    return [(v.code, v.message) for v in check_function_source(folder, "stack/Fn")]


def test_a_good_folder_with_requirements_and_an_inside_link_passes(tmp_path: Path) -> None:
    folder = function(tmp_path)
    (folder / "requirements.txt").write_text("requests==2.32.3\nhttpx\n")
    (folder / "data").mkdir()
    (folder / "data" / "table.json").write_text("{}")
    (folder / "table.json").symlink_to(Path("data") / "table.json")
    assert check_function_source(folder, "stack/Fn") == []


@pytest.mark.parametrize(
    "source",
    [
        GOOD,
        "import router\nlambda_handler = router.handler()\n",
        "lambda_handler: object = None\n",
        "from app.main import handle as lambda_handler\n",
        "try:\n    from fast import lambda_handler\nexcept ImportError:\n"
        "    def lambda_handler(e, c):\n        return 1\n",
        "class lambda_handler:\n    def __init__(self, e, c):\n        pass\n",
        "# -*- coding: latin-1 -*-\n'''caf\xe9'''\ndef lambda_handler(e, c):\n    return 1\n",
    ],
)
def test_entry_points_lambda_accepts(tmp_path: Path, source: str) -> None:
    handler = tmp_path / "lambda_function.py"
    handler.write_bytes(source.encode("latin-1" if "latin-1" in source else "utf-8"))
    assert handler_problems(handler, "stack/Fn") == []


def test_an_escaping_link_is_named_with_its_target_and_not_followed(tmp_path: Path) -> None:
    folder = function(tmp_path)
    (tmp_path / "secret.txt").write_text("token")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "lib.so").write_bytes(ELF_X86_64)
    (folder / "etc_link").symlink_to("/etc")
    (folder / "up").symlink_to(Path("..") / ".." / "secret.txt")
    (folder / "pkg").mkdir()
    (folder / "pkg" / "vendored").symlink_to(tmp_path / "outside")
    problems = messages(folder)
    assert [code for code, _ in problems] == ["CORA-L11"] * 3  # the .so behind the link is never read
    assert problems[0][1] == (
        f"{folder / 'etc_link'} is a symbolic link to '/etc', which is outside the function folder "
        f"{folder} (or absolute, so it would not exist in Lambda): anything a link reaches would "
        "ship in the package, secrets included, so such links are refused and never followed. Copy "
        f"what the function needs into {folder}, or use a relative link to a file inside it."
    )
    assert f"{folder / 'pkg' / 'vendored'} is a symbolic link to '{tmp_path / 'outside'}'" in problems[1][1]
    assert f"{folder / 'up'} is a symbolic link to '../../secret.txt'" in problems[2][1]


def test_find_escaping_links_judges_chains_absolute_targets_and_loops(tmp_path: Path) -> None:
    root = tmp_path / "fn"
    root.mkdir()
    (root / "inside.txt").write_text("x")
    (root / "ok").symlink_to("inside.txt")
    (root / "hop").symlink_to("ok")
    (root / "abs_inside").symlink_to(root / "inside.txt")
    (root / "to_out").symlink_to("../out")
    (root / "chain").symlink_to("to_out")
    (root / "loop").symlink_to("loop")
    (root / "dangling").symlink_to("missing-inside")
    assert find_escaping_links(root) == [
        (root / "abs_inside", str(root / "inside.txt")),
        (root / "chain", "to_out"),
        (root / "loop", "loop"),
        (root / "to_out", "../out"),
    ]
    assert iter_files(root) == [root / "inside.txt"]


def test_a_root_reached_through_a_link_is_judged_by_its_real_place(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "a.txt").write_text("x")
    (real / "b").symlink_to("a.txt")
    (tmp_path / "alias").symlink_to(real)
    assert find_escaping_links(tmp_path / "alias") == []


def test_a_non_utf8_handler_is_a_violation_not_a_decode_error(tmp_path: Path) -> None:
    folder = function(tmp_path, b"def lambda_handler(e, c):\n    return 'caf\xe9'\n")
    assert messages(folder) == [
        (
            "CORA-L8",
            f"{folder / 'lambda_function.py'} is not utf-8 text (byte 0xe9 on line 2); Python reads "
            "source files as UTF-8: save the file as UTF-8.",
        )
    ]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "",
            "{h} is empty: Lambda calls lambda_function.lambda_handler, so define "
            "`def lambda_handler(event, context):` in it.",
        ),
        (
            "# just a comment\n\n",
            "{h} is empty: Lambda calls lambda_function.lambda_handler, so "
            "define `def lambda_handler(event, context):` in it.",
        ),
        (
            "def handler(event, context):\n    return {}\n",
            "{h} has no module-level lambda_handler (it defines handler): Lambda calls "
            "lambda_function.lambda_handler, which would fail on the first invocation. Define "
            "`def lambda_handler(event, context):` or add `lambda_handler = handler`.",
        ),
        (
            "import json\nX = 1\n",
            "{h} has no module-level lambda_handler: Lambda calls lambda_function.lambda_handler, "
            "which would fail on the first invocation. Define `def lambda_handler(event, context):`.",
        ),
        (
            "def main():\n    def lambda_handler(e, c):\n        return 1\n\ndef other():\n    pass\n",
            "{h} has no module-level lambda_handler (it defines main, other): Lambda calls "
            "lambda_function.lambda_handler, which would fail on the first invocation. Define "
            "`def lambda_handler(event, context):`.",
        ),
        (
            "import asyncio\n\nasync def lambda_handler(e, c):\n    return 1\n",
            "{h}:3 defines `async def lambda_handler`: Lambda's python3.11 runtime calls the handler "
            "without awaiting it, so every invocation returns an un-awaited coroutine. Make it a "
            "plain `def` (call asyncio.run(...) inside it).",
        ),
        (
            "def lambda_handler(e, c:\n    return 1\n",
            "{h}:1 does not parse ('(' was never closed): fix the syntax error; Lambda would fail to "
            "import it on every invocation.",
        ),
    ],
)
def test_handlers_lambda_cannot_call_are_l8(tmp_path: Path, source: str, expected: str) -> None:
    folder = function(tmp_path, source)
    assert messages(folder) == [("CORA-L8", expected.format(h=folder / "lambda_function.py"))]


def test_python_3_12_grammar_is_refused_whatever_runs_the_app(tmp_path: Path) -> None:
    """The CDK app may run on Python 3.12 or 3.13; the Lambda runs python3.11."""
    source = "type Event = dict[str, object]\n\n\ndef lambda_handler(e: Event, c: object) -> None: ...\n"
    folder = function(tmp_path, source)
    ((code, message),) = messages(folder)
    assert code == "CORA-L8"
    assert message.startswith(f"{folder / 'lambda_function.py'}:1 does not parse (")


def test_every_problem_of_a_folder_is_reported_together(tmp_path: Path) -> None:
    folder = function(tmp_path, "def handler(e, c):\n    return 1\n")
    (folder / "native.so").write_bytes(ELF_X86_64)
    (folder / "etc_link").symlink_to("/etc")
    (folder / "requirements.txt").write_text("requests\n")
    assert [code for code, _ in messages(folder)] == ["CORA-L8", "CORA-L11", "CORA-L6"]
    assert (
        "native.so is a compiled binary (ELF x86-64); compiled dependencies never ship"
        in (messages(folder)[2][1])
    )
    assert (
        "list the package in the function's requirements.txt instead: it is built for Lambda's "
        "Linux (pip --platform manylinux2014_x86_64) into the function's dependency layer"
        in (messages(folder)[2][1])
    )


def test_missing_folder_missing_handler_and_a_linked_handler(tmp_path: Path) -> None:
    assert messages(tmp_path / "nope") == [
        (
            "CORA-L8",
            f"source folder {tmp_path / 'nope'} does not exist: pass the folder that holds "
            "lambda_function.py.",
        )
    ]
    folder = function(tmp_path, None)
    assert messages(folder) == [
        (
            "CORA-L8",
            f"{folder} has no lambda_function.py: every Lambda's handler is "
            "lambda_function.lambda_handler (create lambda_function.py with a lambda_handler function).",
        )
    ]
    (folder / "lambda_function.py").symlink_to("/etc/hostname")
    codes_and_starts = [(c, m[:60]) for c, m in messages(folder)]
    assert codes_and_starts[0] == (
        "CORA-L8",
        f"{folder} has no lambda_function.py (only a symbolic link"[:60],
    )
    assert codes_and_starts[1][0] == "CORA-L11"
