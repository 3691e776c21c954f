"""What a worker gets: its interpreter, its sys.path (what ships), its environment."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cora_constructs.serve import workers
from cora_constructs.serve.plan import LambdaFunction, Unresolved


def function(layers: tuple[Path, ...] = ()) -> LambdaFunction:
    return LambdaFunction(
        "fn", "s", "Fn", "lambda_function.lambda_handler", Path("/code"), layers,
        {"MODULE_NAME": "m", "A": "template"}, (Unresolved("TABLE_NAME", "Ref Table"),), 512, 10,
        "python3.11", module="m",
    )  # fmt: skip


def test_the_path_is_the_code_then_the_layers_last_first_then_the_runtime(tmp_path: Path) -> None:
    org, deps = tmp_path / "org", tmp_path / "deps"
    (deps / "python" / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    (org / "python").mkdir(parents=True)
    path = workers.worker_path(function((org, deps)), tmp_path / "runtime")
    assert path == [
        "/code",
        str(deps / "python" / "lib" / "python3.11" / "site-packages"),
        str(deps / "python"),
        str(org / "python"),
        str(tmp_path / "runtime"),
    ]


def test_the_runtime_folder_links_only_what_lambdas_runtime_provides(tmp_path: Path) -> None:
    folder = workers.runtime_packages_dir(tmp_path, ["boto3", "botocore", "not_installed_anywhere"])
    assert folder is not None
    assert sorted(p.name for p in folder.iterdir()) == ["boto3", "botocore"]
    assert (folder / "boto3" / "__init__.py").is_file()
    assert workers.runtime_packages_dir(tmp_path, ["boto3", "botocore"]) == folder  # reused


def test_the_environment_is_lambdas_plus_the_functions_plus_credentials() -> None:
    parent = {
        "HOME": "/home/u",
        "AWS_ACCESS_KEY_ID": "k",
        "AWS_ENDPOINT_URL_DYNAMODB": "http://x",
        "SECRET": "no",
    }
    env = workers.lambda_environment(function(), region="eu-west-1", overrides={"A": "cli"}, parent=parent)
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "fn" and env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "512"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert env["_HANDLER"] == "lambda_function.lambda_handler" and env["LAMBDA_TASK_ROOT"] == "/code"
    assert (env["MODULE_NAME"], env["A"]) == ("m", "cli")
    assert env["AWS_ACCESS_KEY_ID"] == "k" and env["AWS_ENDPOINT_URL_DYNAMODB"] == "http://x"
    assert "SECRET" not in env and "TABLE_NAME" not in env


def test_the_interpreter_is_the_functions_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    current = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    assert workers.runtime_interpreter(current) == (sys.executable, None)
    monkeypatch.setattr(workers.shutil, "which", lambda name: None)
    python, warning = workers.runtime_interpreter("python3.99")
    assert python == sys.executable and warning is not None and "python3.99 is not on PATH" in warning
    monkeypatch.setattr(workers.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert workers.runtime_interpreter("python3.99") == ("/usr/bin/python3.99", None)


def pool_for(
    tmp_path: Path, source: str, *, timeout_s: int = 5, memory_mb: int = 256
) -> workers.FunctionPool:
    code = tmp_path / "code"
    code.mkdir(exist_ok=True)
    (code / "lambda_function.py").write_text(source, encoding="utf-8")
    fn = LambdaFunction(
        "fn",
        "s",
        "Fn",
        "lambda_function.lambda_handler",
        code,
        (),
        {},
        (),
        memory_mb,
        timeout_s,
        "python3.11",
    )
    env = workers.lambda_environment(fn, region="us-east-1", overrides={}, parent={"PATH": "/usr/bin:/bin"})
    return workers.FunctionPool(
        fn, python=sys.executable, path=workers.worker_path(fn, None), environment=env, log=print, label="fn"
    )


async def invoke_all(pool: workers.FunctionPool, *timeouts: float) -> list[workers.Invocation]:
    try:
        return [await pool.invoke({"n": i}, request_id=f"r{i}", timeout_s=t) for i, t in enumerate(timeouts)]
    finally:
        await pool.close()


def test_a_worker_keeps_its_state_between_invocations_like_a_warm_sandbox(tmp_path: Path) -> None:
    import asyncio

    pool = pool_for(
        tmp_path,
        "calls = []\ndef lambda_handler(event, context):\n    calls.append(1)\n    return len(calls)\n",
    )
    first, second = asyncio.run(invoke_all(pool, 5, 5))
    assert (first.outcome, first.payload, second.payload) == ("ok", "1", "2")
    assert first.cold_start_ms is not None and second.cold_start_ms is None


def test_a_timed_out_worker_is_stopped_and_the_next_invocation_starts_afresh(tmp_path: Path) -> None:
    import asyncio

    source = (
        "import time\ncalls = []\n"
        "def lambda_handler(event, context):\n"
        "    calls.append(1)\n"
        "    if event['n'] == 0:\n        time.sleep(30)\n"
        "    return len(calls)\n"
    )
    slow, fresh = asyncio.run(invoke_all(pool_for(tmp_path, source), 0.5, 5))
    assert slow.outcome == "timeout" and 400 < slow.duration_ms < 5000
    assert (fresh.outcome, fresh.payload) == ("ok", "1")  # a new sandbox: module state reset


def test_a_crash_and_a_memory_overrun_end_the_worker(tmp_path: Path) -> None:
    import asyncio

    crash = "import os\ndef lambda_handler(event, context):\n    os._exit(3)\n"
    (result,) = asyncio.run(invoke_all(pool_for(tmp_path, crash), 5))
    # (the exit code is asyncio's child watcher's to report: on a loaded machine it may not know it)
    assert result.outcome == "crash" and "the worker exited with code" in str(result.error)
    hog = "def lambda_handler(event, context):\n    global data\n    data = b'x' * (200 << 20)\n"
    (result,) = asyncio.run(invoke_all(pool_for(tmp_path, hog, memory_mb=128), 5))
    assert result.outcome == "error" and result.error is not None
    assert result.error["errorType"] == "Runtime.OutOfMemory"


def test_results_are_marshalled_as_lambdas_runtime_does(tmp_path: Path) -> None:
    import asyncio

    source = (
        "from decimal import Decimal\n"
        "def lambda_handler(event, context):\n"
        "    if event['n'] == 0:\n        return {'count': Decimal('3'), 'ratio': Decimal('0.5')}\n"
        "    return {'bad': object()}\n"
    )
    good, bad = asyncio.run(invoke_all(pool_for(tmp_path, source), 5, 5))
    assert good.payload == '{"count": 3, "ratio": 0.5}'
    assert (
        bad.outcome == "error" and bad.error is not None and bad.error["errorType"] == "Runtime.MarshalError"
    )


def test_an_edit_within_the_second_of_the_cached_bytecode_reaches_the_next_worker(tmp_path: Path) -> None:
    import asyncio
    import os

    pool = pool_for(tmp_path, "VERSION = 1\ndef lambda_handler(event, context):\n    return VERSION\n")
    pool.pycache_dir = tmp_path / "pycache"
    source = pool.function.code_dir / "lambda_function.py"
    compiled = source.stat()

    def edit(version: int) -> None:
        # The same size and the same modification time as the compiled source: what Python's
        # bytecode check sees of an edit made within the second it was compiled.
        source.write_text(f"VERSION = {version}\ndef lambda_handler(event, context):\n    return VERSION\n")
        os.utime(source, ns=(compiled.st_atime_ns, compiled.st_mtime_ns))

    async def scenario() -> list[str | None]:
        try:
            payloads = [(await pool.invoke({}, request_id="r1", timeout_s=5)).payload]
            assert workers.cached_bytecode(pool.pycache_dir, source)  # compiled into our cache
            edit(2)
            await pool.restart()
            payloads.append((await pool.invoke({}, request_id="r2", timeout_s=5)).payload)
            edit(3)
            pool.forget_bytecode([source])
            await pool.restart()
            payloads.append((await pool.invoke({}, request_id="r3", timeout_s=5)).payload)
            return payloads
        finally:
            await pool.close()

    # Restarted alone, the worker runs the stale bytecode; with the edit's bytecode dropped, the edit.
    assert asyncio.run(scenario()) == ["1", "1", "3"]
    assert pool.pycache_dir is not None and workers.cached_bytecode(pool.pycache_dir, source)


def test_cached_bytecode_is_found_for_python_sources_only(tmp_path: Path) -> None:
    source = tmp_path / "code" / "a[1].py"
    folder = tmp_path / "cache" / source.parent.relative_to(source.anchor)
    folder.mkdir(parents=True)
    for name in ("a[1].cpython-311.pyc", "a[1].cpython-313.opt-1.pyc", "a[1]x.cpython-311.pyc", "b.pyc"):
        (folder / name).touch()
    found = workers.cached_bytecode(tmp_path / "cache", source)
    assert [path.name for path in found] == ["a[1].cpython-311.pyc", "a[1].cpython-313.opt-1.pyc"]
    assert workers.cached_bytecode(tmp_path / "cache", source.with_suffix(".json")) == []
