"""`cora serve` on the reference app's WebSocket API, as a browser uses it: a real WebSocket
client, the real org authorizer on $connect, the notifications module's handler on moto's
DynamoDB, and its post_to_connection reaching the client through the local management endpoint."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from websockets.asyncio import client as websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from cora_constructs.cli.serve_command import project_settings
from tests.conftest import ROOT, Synthesized
from tests.moto_server import running_moto_server
from tests.serve.support import ServeProcess, aws_env, cora_token, create_table

pytestmark = pytest.mark.bundling  # the served assembly bundles the org layer (pip on a cold cache)


TABLE = "connections-table"
STEP_S = 20  # bound of every wait: a cold worker imports boto3 once


@dataclass
class Served:
    serve: ServeProcess
    token: str
    ws_url: str
    management_url: str
    moto: str

    def table(self) -> Any:
        import boto3

        return boto3.resource(
            "dynamodb",
            endpoint_url=self.moto,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        ).Table(TABLE)

    def management(self) -> Any:
        """The client the runtime makes from WEBSOCKET_API_URL (with this process's settings)."""
        import boto3

        return boto3.client(
            "apigatewaymanagementapi",
            endpoint_url=self.management_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def items(self, pk: str) -> list[dict[str, Any]]:
        from boto3.dynamodb.conditions import Key

        return list(self.table().query(KeyConditionExpression=Key("pk").eq(pk))["Items"])


@pytest.fixture(scope="module")
def served(served_reference: Synthesized, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with running_moto_server() as endpoint:
        create_table(endpoint, TABLE)
        env = aws_env(endpoint, tmp_path_factory.mktemp("cache"))
        serve = ServeProcess.start(
            [
                "--cdk-out",
                str(served_reference.outdir),
                "--project-root",
                str(ROOT),
                "--env",
                f"notifications:TABLE_NAME={TABLE}",
            ],
            env=env,
            cwd=ROOT,
        )
        try:
            ws_url = serve.wait_for(r"WebSocket API on (ws://\S+)").group(1)
            management = serve.wait_for(r"\(WEBSOCKET_API_URL\): (http://\S+)").group(1)
            token = cora_token("--sub", "alice", cwd=ROOT, env=env)
            yield Served(serve, token, ws_url, management, endpoint)
        finally:
            serve.stop()


def run(coroutine: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coroutine, 90))


async def receive_json(client: Any) -> Any:
    return json.loads(await asyncio.wait_for(client.recv(), STEP_S))


def connect(url: str, **kwargs: Any) -> Any:
    return websockets.connect(url, open_timeout=STEP_S, close_timeout=5, **kwargs)


def test_the_start_prints_the_websocket_url_and_its_route_keys(served: Served) -> None:
    lines = "\n".join(served.serve.lines)
    assert re.search(r"^ws://127\.0\.0\.1:\d+/dev$", served.ws_url)
    assert served.ws_url.split("/dev")[0].replace("ws://", "http://") == served.serve.url
    for key in ("$connect", "$disconnect", "watch", "notify"):
        assert re.search(rf"WS {re.escape(key)} +cora-dev-notifications-task-notifications", lines), lines
    assert "WEBSOCKET_API_URL (" not in lines  # not listed as unresolved: it points here


def test_a_handshake_without_a_token_is_refused_with_403(served: Served) -> None:
    async def attempt() -> int:
        try:
            async with connect(served.ws_url):
                return 101
        except InvalidStatus as refused:
            return int(refused.response.status_code)

    assert run(attempt()) == 403
    served.serve.wait_for(r"^WS CONNECT /dev 403$")


def test_a_handshake_with_a_bad_token_or_another_path_is_refused(served: Served) -> None:
    async def status(url: str) -> int:
        try:
            async with connect(url):
                return 101
        except InvalidStatus as refused:
            return int(refused.response.status_code)

    assert run(status(served.ws_url + "?token=not-a-jwt")) == 403
    assert run(status(served.ws_url.replace("/dev", "/prod") + f"?token={served.token}")) == 404


def test_watch_and_notify_through_the_query_token_and_the_session_cookie(served: Served) -> None:
    cookie = project_settings(ROOT)["cookie"]

    async def scenario() -> tuple[Any, list[str]]:
        async with (
            connect(f"{served.ws_url}?token={served.token}") as watcher,
            connect(served.ws_url, additional_headers={"Cookie": f"{cookie}={served.token}"}) as notifier,
        ):
            line = len(served.serve.lines)
            await watcher.send(json.dumps({"action": "watch", "task_ids": ["t1"]}))
            await asyncio.to_thread(served.serve.wait_for, r" watch cora-dev-\S+ ok ", STEP_S, line)
            await notifier.send(json.dumps({"action": "notify", "task_id": "t1", "change": "status"}))
            heard = await receive_json(watcher)
            await notifier.send(json.dumps({"action": "shout"}))
            forbidden = await receive_json(notifier)
            connections = [item["user"] for item in served.items(f"CONN#{forbidden['connectionId']}")]
            return (heard, forbidden), connections

    (heard, forbidden), users = run(scenario())
    assert heard == {"type": "task.changed", "task_id": "t1", "change": "status", "by": "alice"}
    assert forbidden["message"] == "Forbidden" and set(forbidden) == {"message", "connectionId", "requestId"}
    assert users == ["alice"]  # $connect ran with the authorizer's context and stored the caller


def test_closing_runs_disconnect_and_a_gone_connection_is_false(served: Served) -> None:
    from cora_runtime.websocket import post_to_connection

    management = served.management()

    async def scenario() -> tuple[str, bool, str]:
        async with connect(f"{served.ws_url}?token={served.token}") as client:
            await client.send(json.dumps({"action": "watch", "task_ids": ["t2"]}))
            ids = await asyncio.to_thread(_wait_for_watch, served, "t2")
            # The runtime's own helper, as a handler calls it, against the local endpoint.
            sent = await asyncio.to_thread(post_to_connection, ids, {"hello": 1}, client=management)
            heard = await asyncio.wait_for(client.recv(), STEP_S)
            info = await asyncio.to_thread(management.get_connection, ConnectionId=ids)
            assert info["Identity"]["SourceIp"] == "127.0.0.1" and info["ConnectedAt"].year >= 2024
        return ids, sent, str(heard)

    connection_id, sent, heard = run(scenario())
    assert sent is True and json.loads(heard) == {"hello": 1}
    served.serve.wait_for(rf"^WS {re.escape(connection_id)} \$disconnect \S+ ok$", STEP_S)
    assert served.items(f"CONN#{connection_id}") == []  # $disconnect forgot it and its watches
    assert post_to_connection(connection_id, "late", client=management) is False


def test_the_management_endpoint_closes_a_connection(served: Served) -> None:
    management = served.management()

    async def scenario() -> int | None:
        async with connect(f"{served.ws_url}?token={served.token}") as client:
            await client.send(json.dumps({"action": "watch", "task_ids": ["t4"]}))
            connection_id = await asyncio.to_thread(_wait_for_watch, served, "t4")
            await asyncio.to_thread(management.delete_connection, ConnectionId=connection_id)
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(client.recv(), STEP_S)
            return client.close_code

    assert run(scenario()) == 1000
    served.serve.wait_for(r"^DELETE @connections 204$")
    served.serve.wait_for(r"\$disconnect \S+ ok$")


def test_notify_drops_a_watcher_whose_connection_is_gone(served: Served) -> None:
    # A watch left behind by a connection that vanished without a $disconnect we saw.
    served.table().put_item(Item={"pk": "TASK#t3", "sk": "CONN#GoneGoneGone0="})

    async def scenario() -> Any:
        async with connect(f"{served.ws_url}?token={served.token}") as client:
            await client.send(json.dumps({"action": "notify", "task_id": "t3", "change": "title"}))
            # notify's answer is not sent (no route response); its effect is in the table.
            for _ in range(STEP_S * 10):
                if not served.items("TASK#t3"):
                    return "dropped"
                await asyncio.sleep(0.1)
            return "kept"

    assert run(scenario()) == "dropped"  # post_to_connection answered False (410 Gone)
    served.serve.wait_for(r"^POST @connections 410$")


def _wait_for_watch(served: Served, task_id: str) -> str:
    import time

    deadline = time.monotonic() + STEP_S
    while time.monotonic() < deadline:
        items = served.items(f"TASK#{task_id}")
        if items:
            return str(items[0]["sk"]).removeprefix("CONN#")
        time.sleep(0.1)
    raise AssertionError(f"no watch of {task_id} in the table:\n" + "\n".join(served.serve.lines))
