"""`cora serve` as a user runs it: a subprocess on a free port, read line by line; moto's
DynamoDB for the reference handlers."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CORA = [sys.executable, "-m", "cora_constructs.cli.main"]
_LISTENING = re.compile(r"listening on (http://\S+)")


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class ServeProcess:
    """A running `cora serve`; ``lines`` is its output so far (stdout and stderr)."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    url: str = ""

    @classmethod
    def start(
        cls, args: Sequence[str], *, env: Mapping[str, str], cwd: Path, timeout: float = 120
    ) -> ServeProcess:
        process = subprocess.Popen(
            [*CORA, "serve", "--port", "0", *args],
            cwd=cwd,
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        served = cls(process)
        threading.Thread(target=served._read, daemon=True).start()
        served.url = served.wait_for(_LISTENING, timeout).group(1)
        return served

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern: re.Pattern[str] | str, timeout: float = 10, start: int = 0) -> re.Match[str]:
        pattern = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines[start:]:
                found = pattern.search(line)
                if found:
                    return found
            if self.process.poll() is not None and not any(pattern.search(x) for x in self.lines[start:]):
                time.sleep(0.2)
                raise AssertionError(
                    f"cora serve exited ({self.process.returncode}):\n" + "\n".join(self.lines)
                )
            time.sleep(0.05)
        raise AssertionError(f"no line matching {pattern.pattern!r} in:\n" + "\n".join(self.lines))

    def request(
        self, method: str, path: str, *, body: Any = None, headers: Mapping[str, str] | None = None
    ) -> Response:
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers=dict(headers or {})
        )
        if body is not None and not isinstance(body, bytes):
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return Response(
                    response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
                )
        except urllib.error.HTTPError as error:
            return Response(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def cora_token(*args: str, cwd: Path, env: Mapping[str, str]) -> str:
    result = subprocess.run(
        [*CORA, "token", *args], cwd=cwd, env=dict(env), capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def aws_env(endpoint: str, cache: Path) -> dict[str, str]:
    """The environment `cora serve` runs in: moto's endpoint, fake credentials, a private cache
    for the development key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "CORA_DEV_KEY": str(cache / "dev-key.pem"),
        }
    )
    return env


def create_table(endpoint: str, name: str) -> None:
    import boto3

    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def deploy_documents_table(endpoint: str, name: str) -> None:
    """The documents module's stack "deployed" in moto: only its table, under the logical id the
    reference template gives it."""
    import boto3

    template = {
        "Resources": {
            "TableCD117FA1": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "TableName": name,
                    "KeySchema": [
                        {"AttributeName": "pk", "KeyType": "HASH"},
                        {"AttributeName": "sk", "KeyType": "RANGE"},
                    ],
                    "AttributeDefinitions": [
                        {"AttributeName": "pk", "AttributeType": "S"},
                        {"AttributeName": "sk", "AttributeType": "S"},
                    ],
                    "BillingMode": "PAY_PER_REQUEST",
                },
            }
        }
    }
    client = boto3.client(
        "cloudformation",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_stack(StackName="cora-dev-documents", TemplateBody=json.dumps(template))
