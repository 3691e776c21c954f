"""The worker of one function: imports its handler as Lambda does and answers invocations.

Run as a script by `cora serve` (``python3.11 -I -S bootstrap.py``), never imported, with the
standard library only: the path it builds holds exactly what ships (the function's folder, its
layers, the runtime's own boto3), nothing of the serving environment.

Protocol: the parent writes one JSON line per invocation on stdin
(``{"event", "request_id", "deadline_ms", "invoked_function_arn"}``) and reads one JSON line
back on the original stdout: ``{"payload": "<the JSON output>"}`` or ``{"error": {...}}``, with
``maxrss_kb``. The first line the worker writes says whether the handler imported
(``{"ready": true}``) or how it failed. The handler's own stdout goes to stderr, which the
parent prints in its log, as Lambda sends both streams to CloudWatch.
"""

from __future__ import annotations

import decimal
import importlib
import json
import os
import resource
import sys
import time
import traceback
from typing import Any

PATH_ENV = "CORA_SERVE_PATH"
HANDLER_ENV = "_HANDLER"


class LambdaContext:
    """The context object of the Python runtime (the attributes handlers use)."""

    def __init__(self, request_id: str, deadline_ms: int, invoked_function_arn: str) -> None:
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_function_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _decimal(value: object) -> object:
    # The Python runtime's marshaller writes Decimal (what DynamoDB returns) as a number.
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _error(exc: BaseException, error_type: str | None = None) -> dict[str, Any]:
    stack = traceback.format_exception(type(exc), exc, exc.__traceback__)
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "stackTrace": [line.rstrip("\n") for line in stack[1:]],
    }


def _peak_rss_kb() -> int:
    """The process's peak resident memory since it started this program, in KiB.

    Linux's VmHWM belongs to the new address space; ``ru_maxrss`` would also count what the
    parent had resident when it forked us."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # macOS counts bytes


def _log_error(record: dict[str, Any]) -> None:
    # Lambda's format for an unhandled exception: "[ERROR] Type: message" then the traceback.
    sys.stderr.write(f"[ERROR] {record['errorType']}: {record['errorMessage']}\n")
    sys.stderr.write("Traceback (most recent call last):\n")
    for line in record["stackTrace"]:
        sys.stderr.write(line + "\n")
    sys.stderr.flush()


def main() -> int:
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)  # the handler's print() goes where Lambda's would: the log
    sys.stdout = os.fdopen(1, "w", encoding="utf-8", buffering=1)
    sys.path[:0] = [p for p in os.environ.pop(PATH_ENV, "").split(os.pathsep) if p]
    module_name, _, function_name = os.environ.get(HANDLER_ENV, "").rpartition(".")
    handler: Any = None
    started = time.perf_counter()
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
    except Exception as exc:
        kind = "Runtime.ImportModuleError" if isinstance(exc, ImportError) else None
        if isinstance(exc, AttributeError):
            kind = "Runtime.HandlerNotFound"
        record = _error(exc, kind)
        _log_error(record)
        protocol.write(json.dumps({"ready": False, "error": record}) + "\n")
        return 1
    init_ms = (time.perf_counter() - started) * 1000
    protocol.write(json.dumps({"ready": True, "init_ms": round(init_ms, 1)}) + "\n")
    for line in sys.stdin:
        message = json.loads(line)
        context = LambdaContext(
            message["request_id"], message["deadline_ms"], message["invoked_function_arn"]
        )
        os.environ["_X_AMZN_TRACE_ID"] = message.get("trace_id", "")
        reply: dict[str, Any]
        try:
            result = handler(message["event"], context)
            try:
                reply = {"payload": json.dumps(result, default=_decimal)}
            except (TypeError, ValueError) as exc:
                record = _error(exc, "Runtime.MarshalError")
                _log_error(record)
                reply = {"error": record}
        except Exception as exc:
            record = _error(exc)
            _log_error(record)
            reply = {"error": record}
        sys.stdout.flush()
        reply["maxrss_kb"] = _peak_rss_kb()
        protocol.write(json.dumps(reply) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
