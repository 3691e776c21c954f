"""Worker processes: each function runs in processes of its own, as Lambda runs it.

A :class:`FunctionPool` keeps warm workers of one function (one invocation at a time each, a
new one started when all are busy, as Lambda scales out) and answers :meth:`FunctionPool.invoke`
with an :class:`Invocation`: the function's JSON output, its error, a timeout (the worker is
killed, as Lambda stops a timed-out sandbox) or a crash. A worker's sys.path is exactly what
ships (:func:`worker_path`); its environment is the function's (:func:`lambda_environment`).
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import importlib.util
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cora_constructs.serve.plan import LambdaFunction

BOOTSTRAP = Path(__file__).resolve().parent / "bootstrap.py"
RUNTIME_PYTHON = "python3.11"
MAX_WORKERS_PER_FUNCTION = 4
_LINE_LIMIT = 16 * 1024 * 1024  # Lambda's payloads are at most 6 MB
PASSED_THROUGH = (
    "HOME",
    "PATH",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CA_BUNDLE",
    "SSL_CERT_FILE",
)
"""What a worker inherits from `cora serve`'s environment: on Lambda the execution role gives
credentials; locally they are yours (or moto's), and ``AWS_ENDPOINT_URL*`` reaches a local AWS."""

Log = Callable[[str], None]


def runtime_interpreter(runtime: str = RUNTIME_PYTHON) -> tuple[str, str | None]:
    """``(python, warning)`` for a function of Lambda runtime ``runtime`` (``python3.11``):
    this interpreter when it is that version, else ``python3.11`` on PATH, else this one with a
    warning (the code will not run on the interpreter Lambda uses)."""
    wanted = runtime if runtime.startswith("python3.") else RUNTIME_PYTHON
    current = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    if current == wanted:
        return sys.executable, None
    found = shutil.which(wanted)
    if found:
        return found, None
    return sys.executable, (
        f"{wanted} is not on PATH: functions of runtime {wanted} run on {current} "
        f"({sys.executable}); install {wanted} to catch version differences locally"
    )


def runtime_packages_dir(cache_dir: Path, packages: Sequence[str]) -> Path | None:
    """A folder of links to this environment's copies of what Lambda's Python runtime provides
    (boto3, botocore and their dependencies), so workers import those and nothing else."""
    links: dict[str, Path] = {}
    for name in packages:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        origin = Path(spec.origin)
        links[name] = origin.parent if spec.submodule_search_locations else origin
    if not links:
        return None
    import hashlib

    digest = hashlib.sha256(json.dumps(sorted((k, str(v)) for k, v in links.items())).encode()).hexdigest()
    folder = cache_dir / f"runtime-{digest[:16]}"
    if folder.is_dir():
        return folder
    staging = cache_dir / f".runtime-{digest[:16]}.{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for target in links.values():
        (staging / target.name).symlink_to(target)
    try:
        staging.rename(folder)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)  # another `cora serve` made it first
    return folder


def worker_path(function: LambdaFunction, runtime_dir: Path | None) -> list[str]:
    """The function's sys.path on Lambda: its folder, then its layers (``/opt/python`` and
    ``/opt/python/lib/python3.11/site-packages``), then the runtime's packages.

    Lambda extracts the layers into one ``/opt`` in ``Layers`` order, a later layer's file
    replacing an earlier one's: the later layer comes first here, to win the same way.
    """
    path = [str(function.code_dir)]
    for layer in reversed(function.layer_dirs):
        site = layer / "python" / "lib" / "python3.11" / "site-packages"
        if site.is_dir():
            path.append(str(site))
        path.append(str(layer / "python"))
    if runtime_dir is not None:
        path.append(str(runtime_dir))
    return path


def lambda_environment(
    function: LambdaFunction,
    *,
    region: str,
    overrides: Mapping[str, str],
    parent: Mapping[str, str],
) -> dict[str, str]:
    """The worker's environment: Lambda's reserved variables, the function's own (template
    values, then ``overrides``), and the credentials/endpoint variables of ``parent``."""
    env = {key: parent[key] for key in PASSED_THROUGH if key in parent}
    env.update({key: value for key, value in parent.items() if key.startswith("AWS_ENDPOINT_URL")})
    env.update(
        {
            "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.function_name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": time.strftime("%Y/%m/%d/[$LATEST]") + "local",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.runtime or RUNTIME_PYTHON}",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "LAMBDA_TASK_ROOT": str(function.code_dir),
            "LAMBDA_RUNTIME_DIR": str(BOOTSTRAP.parent),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "PYTHONUNBUFFERED": "1",
            "_HANDLER": function.handler,
        }
    )
    env.update(function.environment)
    env.update(overrides)
    return env


@dataclass(frozen=True, slots=True)
class Invocation:
    """How one invocation ended: ``ok`` (with ``payload``), ``error``, ``timeout`` or ``crash``."""

    outcome: str
    payload: str | None = None
    error: Mapping[str, Any] | None = None
    duration_ms: float = 0.0
    cold_start_ms: float | None = None


class WorkerCrashedError(Exception):
    pass


class Worker:
    """One process running one function's handler."""

    def __init__(
        self, process: asyncio.subprocess.Process, generation: int, relay: asyncio.Task[None]
    ) -> None:
        self.process = process
        self.generation = generation
        self.relay = relay
        self.init_error: Mapping[str, Any] | None = None
        self.init_ms = 0.0

    @property
    def alive(self) -> bool:
        return self.process.returncode is None

    async def request(self, message: Mapping[str, Any], timeout: float) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        await self.process.stdin.drain()
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        if not line:
            raise WorkerCrashedError
        reply: dict[str, Any] = json.loads(line)
        return reply

    async def stop(self) -> None:
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
        if self.process.stdin is not None:
            self.process.stdin.close()
        with contextlib.suppress(Exception):
            await self.process.wait()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.relay, 1)


class FunctionPool:
    """The warm workers of one function."""

    def __init__(
        self,
        function: LambdaFunction,
        *,
        python: str,
        path: Sequence[str],
        environment: Mapping[str, str],
        log: Log,
        label: str,
        pycache_dir: Path | None = None,
        max_workers: int = MAX_WORKERS_PER_FUNCTION,
    ) -> None:
        self.function = function
        self.python = python
        self.path = list(path)
        self.environment = dict(environment)
        self.log = log
        self.label = label
        self.max_workers = max_workers
        self.pycache_dir = pycache_dir
        self.idle: list[Worker] = []
        self.count = 0
        self.generation = 0
        self.available = asyncio.Condition()
        self.stopping: set[asyncio.Task[None]] = set()

    def _stop_later(self, worker: Worker) -> None:
        task = asyncio.create_task(worker.stop())
        self.stopping.add(task)
        task.add_done_callback(self.stopping.discard)

    async def _spawn(self) -> Worker:
        env = {**self.environment, "CORA_SERVE_PATH": os.pathsep.join(self.path)}
        started = time.perf_counter()
        # Bytecode goes to a cache of ours: never into the project's folders or the assembly
        # (Lambda's code folder is read-only too).
        pycache = ("-X", f"pycache_prefix={self.pycache_dir}") if self.pycache_dir else ()
        process = await asyncio.create_subprocess_exec(
            self.python,
            "-I",
            "-S",
            *pycache,
            str(BOOTSTRAP),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            cwd=str(self.function.code_dir),
            limit=_LINE_LIMIT,
        )
        relay = asyncio.create_task(self._relay(process))
        worker = Worker(process, self.generation, relay)
        assert process.stdout is not None
        line = await process.stdout.readline()
        worker.init_ms = (time.perf_counter() - started) * 1000
        hello: dict[str, Any] = json.loads(line) if line else {"ready": False}
        if not hello.get("ready"):
            error = hello.get("error")
            worker.init_error = (
                error
                if isinstance(error, dict)
                else {
                    "errorType": "Runtime.ExitError",
                    "errorMessage": "the worker exited before its handler was imported "
                    f"(exit code {process.returncode})",
                }
            )
        return worker

    async def _relay(self, process: asyncio.subprocess.Process) -> None:
        assert process.stderr is not None
        while True:
            line = await process.stderr.readline()
            if not line:
                return
            self.log(f"[{self.label}] {line.decode('utf-8', 'replace').rstrip()}")

    async def _acquire(self) -> tuple[Worker, bool]:
        async with self.available:
            while True:
                while self.idle:
                    worker = self.idle.pop()
                    if worker.alive and worker.generation == self.generation:
                        return worker, False
                    self.count -= 1
                    self._stop_later(worker)
                if self.count < self.max_workers:
                    self.count += 1
                    break
                await self.available.wait()
        try:
            return await self._spawn(), True
        except BaseException:
            async with self.available:
                self.count -= 1
                self.available.notify()
            raise

    async def _release(self, worker: Worker, keep: bool) -> None:
        async with self.available:
            if keep and worker.alive and worker.generation == self.generation:
                self.idle.append(worker)
            else:
                self.count -= 1
                self._stop_later(worker)
            self.available.notify()

    async def warm(self) -> None:
        """Start one worker ahead of the first request (its import errors are logged then)."""
        worker, _ = await self._acquire()
        await self._release(worker, worker.init_error is None)

    async def invoke(self, event: Mapping[str, Any], *, request_id: str, timeout_s: float) -> Invocation:
        try:
            worker, cold = await self._acquire()
        except OSError as error:
            self.log(f"[{self.label}] cannot start {self.python}: {error.strerror or error}")
            return Invocation("crash", error={"errorType": "Runtime.StartError", "errorMessage": str(error)})
        started = time.perf_counter()
        keep = False
        try:
            if worker.init_error is not None:
                # Lambda answers the invocation with the init error; the next one inits again.
                return Invocation("error", error=worker.init_error, cold_start_ms=worker.init_ms)
            message = {
                "event": event,
                "request_id": request_id,
                "deadline_ms": int(time.time() * 1000 + timeout_s * 1000),
                "invoked_function_arn": function_arn(self.function),
                "trace_id": f"Root=1-{int(time.time()):08x}-{request_id.replace('-', '')[:24]}",
            }
            try:
                reply = await worker.request(message, timeout_s)
            except TimeoutError:
                return Invocation("timeout", duration_ms=(time.perf_counter() - started) * 1000)
            except (WorkerCrashedError, ConnectionError, ValueError):
                await worker.stop()
                return Invocation(
                    "crash",
                    error={
                        "errorType": "Runtime.ExitError",
                        "errorMessage": f"the worker exited with code {worker.process.returncode}",
                    },
                    duration_ms=(time.perf_counter() - started) * 1000,
                )
            duration = (time.perf_counter() - started) * 1000
            used_mb = int(reply.get("maxrss_kb", 0)) / 1024
            if used_mb > self.function.memory_mb:
                return Invocation(
                    "error",
                    error={
                        "errorType": "Runtime.OutOfMemory",
                        "errorMessage": f"the worker used {used_mb:.0f} MB "
                        f"of its {self.function.memory_mb} MB",
                    },
                    duration_ms=duration,
                )
            keep = True
            cold_ms = worker.init_ms if cold else None
            if "error" in reply:
                return Invocation("error", error=reply["error"], duration_ms=duration, cold_start_ms=cold_ms)
            return Invocation(
                "ok", payload=str(reply["payload"]), duration_ms=duration, cold_start_ms=cold_ms
            )
        finally:
            await self._release(worker, keep)

    def forget_bytecode(self, sources: Iterable[Path]) -> None:
        """Remove the workers' cached bytecode of ``sources`` (edited files), so the next worker
        compiles them again: see :func:`cached_bytecode`."""
        if self.pycache_dir is None:
            return
        for source in sources:
            for cached in cached_bytecode(self.pycache_dir, source):
                with contextlib.suppress(OSError):
                    cached.unlink()

    async def restart(self) -> None:
        """Retire every worker: the next invocation starts a fresh one (new code)."""
        async with self.available:
            self.generation += 1
            retired, self.idle = self.idle, []
            self.count -= len(retired)
            self.available.notify_all()
        for worker in retired:
            await worker.stop()

    async def close(self) -> None:
        await self.restart()
        await asyncio.gather(*self.stopping, return_exceptions=True)


def cached_bytecode(pycache_dir: Path, source: Path) -> list[Path]:
    """The bytecode files of module ``source`` in a ``pycache_prefix`` cache (any interpreter,
    any optimisation level), under the path as given and as resolved.

    Python trusts a cached ``.pyc`` while its source has the size and the whole second of
    modification time the ``.pyc`` recorded, so an edit that keeps the file's size within the
    second it was compiled (a formatter rewriting quotes on save, a quick second save) would
    run the code from before it; dropping the file's bytecode on each edit makes the worker
    compile what is there."""
    if source.suffix != ".py":
        return []
    found: list[Path] = []
    for path in dict.fromkeys((source.absolute(), source.resolve())):
        folder = pycache_dir / path.parent.relative_to(path.anchor)
        found += sorted(folder.glob(f"{glob.escape(path.stem)}.*.pyc"))
    return found


def function_arn(function: LambdaFunction, region: str = "us-east-1", account: str = "123456789012") -> str:
    return f"arn:aws:lambda:{region}:{account}:function:{function.function_name}"
