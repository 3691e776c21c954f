"""Read the deployed state with boto3: read-only calls, a bounded pool of concurrent requests.

Calls (all ``List*``/``Get*``; the audit never changes the account):

- ``lambda:ListFunctions`` once (existence of every manifest function, and the account's other
  functions for the unmanaged check), or ``lambda:GetFunction`` for a single ``--function``;
- per function in scope, concurrently: ``lambda:ListTags``, ``lambda:GetAlias`` (``live``),
  ``lambda:ListVersionsByFunction``;
- ``lambda:ListTags`` for the account's other functions whose name is not the project's;
- ``ssm:GetParameters`` once (org layer ARN, API id, org authorizer id, and the WebSocket API's);
- ``apigateway:GET`` on the HTTP API, its routes, integrations and authorizers; the same on the
  WebSocket API when a function in scope declares WebSocket route keys.

Every botocore failure that stops the audit (no credentials, endpoint unreachable, access
denied) becomes an :class:`AuditError` with one line, never a traceback.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from cora_constructs.audit.model import (
    LIVE_ALIAS,
    ORG_AUTHORIZER_NAME,
    SSM_HTTP_API_ID,
    SSM_ORG_AUTHORIZER_ID,
    SSM_ORG_LAYER_ARN,
    SSM_WEBSOCKET_API_ID,
    SSM_WEBSOCKET_AUTHORIZER_ID,
    AuditError,
    DeployedApi,
    DeployedFunction,
    DeployedRoute,
    DeployedState,
    ExpectedState,
    OtherFunction,
)

if TYPE_CHECKING:
    from mypy_boto3_apigatewayv2 import ApiGatewayV2Client
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_ssm import SSMClient

DEFAULT_WORKERS = 16
Progress = Callable[[int, int, str], None]
"""Called after each function is read: (done, total, function name)."""
_T = TypeVar("_T")
_INTEGRATION_TARGET = re.compile(r"^integrations/(?P<id>[A-Za-z0-9]+)$")
_NOT_FOUND = frozenset({"ResourceNotFoundException", "NotFoundException", "ParameterNotFound"})


@dataclass(frozen=True, slots=True)
class AwsTarget:
    """Where to audit: region, profile and endpoint (``--endpoint-url`` for emulators)."""

    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    workers: int = DEFAULT_WORKERS


@dataclass(frozen=True, slots=True)
class Clients:
    lambda_: LambdaClient
    ssm: SSMClient
    apigw: ApiGatewayV2Client
    where: str


def make_clients(target: AwsTarget) -> Clients:
    """boto3 clients for the target; AuditError when there is no profile, region or credentials.

    boto3 clients are thread-safe (sessions are not): they are built here, once, and shared by
    the worker threads.
    """
    import boto3
    import botocore.config
    import botocore.exceptions

    try:
        session = boto3.session.Session(region_name=target.region, profile_name=target.profile)
    except botocore.exceptions.BotoCoreError as error:
        raise AuditError(f"cannot start an AWS session: {error}") from None
    region = session.region_name
    if not region:
        raise AuditError("no AWS region: pass --region or set AWS_REGION (or a profile's region)")
    try:
        credentials = session.get_credentials()
    except botocore.exceptions.BotoCoreError as error:
        raise AuditError(f"cannot load AWS credentials: {error}") from None
    if credentials is None:
        raise AuditError(
            "no AWS credentials: configure a profile (--profile / AWS_PROFILE), environment "
            "variables or an OIDC role"
        )
    config = botocore.config.Config(
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=5,
        read_timeout=30,
        max_pool_connections=max(10, target.workers + 2),
    )
    where = target.endpoint_url or f"AWS {region}" + (
        f" (profile {target.profile})" if target.profile else ""
    )
    return Clients(
        lambda_=session.client("lambda", endpoint_url=target.endpoint_url, config=config),
        ssm=session.client("ssm", endpoint_url=target.endpoint_url, config=config),
        apigw=session.client("apigatewayv2", endpoint_url=target.endpoint_url, config=config),
        where=where,
    )


@contextmanager
def _aws_errors(where: str) -> Iterator[None]:
    """Turn any botocore failure into a one-line AuditError."""
    import botocore.exceptions

    try:
        yield
    except botocore.exceptions.ClientError as error:
        info = error.response.get("Error", {})
        message = _one_line(f"{info.get('Code', 'error')}: {info.get('Message', '')}")
        raise AuditError(f"{where}: {error.operation_name} failed: {message}") from None
    except botocore.exceptions.EndpointConnectionError as error:
        raise AuditError(f"cannot reach {where}: {_one_line(str(error))}") from None
    except botocore.exceptions.NoCredentialsError:
        raise AuditError("no AWS credentials: configure a profile, environment variables or a role") from None
    except botocore.exceptions.BotoCoreError as error:
        raise AuditError(f"{where}: {_one_line(str(error))}") from None


def _one_line(text: str, limit: int = 300) -> str:
    """The first meaningful line of an error text (an emulator may answer with an HTML page)."""
    words = " ".join(re.sub(r"<[^>]+>", " ", text).split())
    return words if len(words) <= limit else words[: limit - 1] + "…"


def _not_found(error: Exception) -> bool:
    import botocore.exceptions

    return (
        isinstance(error, botocore.exceptions.ClientError)
        and error.response.get("Error", {}).get("Code") in _NOT_FOUND
    )


def collect(
    expected: ExpectedState,
    clients: Clients,
    *,
    workers: int = DEFAULT_WORKERS,
    progress: Progress | None = None,
) -> DeployedState:
    """The deployed state of everything ``expected`` covers."""
    with _aws_errors(clients.where):
        parameters = _parameters(clients.ssm, expected)
        if expected.check_unmanaged:
            listed = _list_functions(clients.lambda_)
        else:
            listed = _get_functions(clients.lambda_, [fn.function_name for fn in expected.functions])
        in_scope = [fn.function_name for fn in expected.functions if fn.function_name in listed]
        others = (
            [name for name in sorted(listed) if name not in expected.manifest_functions]
            if expected.check_unmanaged
            else []
        )
        tagged_others = [name for name in others if not name.startswith(expected.prefix)]

        total = len(in_scope)
        done = 0
        lock = threading.Lock()

        def read_function(name: str) -> DeployedFunction:
            nonlocal done
            deployed = _read_function(clients.lambda_, listed[name])
            if progress is not None:
                with lock:
                    done += 1
                    progress(done, total, name)
            return deployed

        def read_tags(name: str) -> OtherFunction:
            return OtherFunction(name, _tags(clients.lambda_, str(listed[name]["FunctionArn"])))

        functions = _run_bounded(read_function, in_scope, workers)
        other_tags = dict(zip(tagged_others, _run_bounded(read_tags, tagged_others, workers), strict=True))
        other_functions = tuple(other_tags.get(name, OtherFunction(name, None)) for name in others)
        authorizer_id = parameters.get(SSM_ORG_AUTHORIZER_ID)
        api, lookup = _find_api(clients.apigw, expected, parameters.get(SSM_HTTP_API_ID), authorizer_id)
        authorizer_id = _org_authorizer(api, authorizer_id)
        websocket_api, websocket_lookup, websocket_authorizer_id = None, "", None
        if expected.has_websocket_routes:
            websocket_authorizer_id = parameters.get(SSM_WEBSOCKET_AUTHORIZER_ID)
            websocket_api, websocket_lookup = _find_api(
                clients.apigw,
                expected,
                parameters.get(SSM_WEBSOCKET_API_ID),
                websocket_authorizer_id,
                protocol="WEBSOCKET",
                parameter=SSM_WEBSOCKET_API_ID,
                api_name=expected.websocket_api_name,
            )
            websocket_authorizer_id = _org_authorizer(websocket_api, websocket_authorizer_id)
    return DeployedState(
        functions={fn.name: fn for fn in functions},
        other_functions=other_functions,
        org_layer_arn=parameters.get(SSM_ORG_LAYER_ARN),
        api=api,
        api_lookup=lookup,
        org_authorizer_id=authorizer_id,
        websocket_api=websocket_api,
        websocket_api_lookup=websocket_lookup,
        websocket_authorizer_id=websocket_authorizer_id,
    )


def _org_authorizer(api: DeployedApi | None, authorizer_id: str | None) -> str | None:
    """The org authorizer of ``api``: the one SSM names, else the only one named org-authorizer."""
    if api is not None and (authorizer_id is None or authorizer_id not in api.authorizers):
        # No parameter, or it names an authorizer the API does not have: fall back to the name.
        named = [key for key, name in api.authorizers.items() if name == ORG_AUTHORIZER_NAME]
        return named[0] if len(named) == 1 else None
    return authorizer_id


def _run_bounded(work: Callable[[str], _T], items: list[str], workers: int) -> list[_T]:
    """``work`` on every item with at most ``workers`` threads, results in order; the first
    failure cancels what has not started and is raised."""
    if not items:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(items)))) as pool:
        futures: list[Future[_T]] = [pool.submit(work, item) for item in items]
        finished, _pending = wait(futures, return_when=FIRST_EXCEPTION)
        failed = next((future for future in finished if future.exception() is not None), None)
        if failed is not None:
            for future in futures:
                future.cancel()
            error = failed.exception()
            assert error is not None
            raise error
        return [future.result() for future in futures]


def _parameters(ssm: SSMClient, expected: ExpectedState) -> dict[str, str]:
    names = {
        expected.parameter(what): what
        for what in (
            SSM_ORG_LAYER_ARN,
            SSM_HTTP_API_ID,
            SSM_ORG_AUTHORIZER_ID,
            SSM_WEBSOCKET_API_ID,
            SSM_WEBSOCKET_AUTHORIZER_ID,
        )
    }
    response = ssm.get_parameters(Names=sorted(names))
    return {
        names[item["Name"]]: item["Value"]
        for item in response.get("Parameters", [])
        if item.get("Name") in names
    }


def _list_functions(client: LambdaClient) -> dict[str, Mapping[str, Any]]:
    found: dict[str, Mapping[str, Any]] = {}
    for page in client.get_paginator("list_functions").paginate():
        for item in page.get("Functions", []):
            found[item["FunctionName"]] = item
    return found


def _get_functions(client: LambdaClient, names: list[str]) -> dict[str, Mapping[str, Any]]:
    found: dict[str, Mapping[str, Any]] = {}
    for name in names:
        try:
            configuration = client.get_function(FunctionName=name)["Configuration"]
        except Exception as error:
            if _not_found(error):
                continue
            raise
        found[name] = configuration
    return found


def _tags(client: LambdaClient, arn: str) -> dict[str, str]:
    try:
        return dict(client.list_tags(Resource=arn).get("Tags", {}))
    except Exception as error:
        if _not_found(error):  # deleted since it was listed
            return {}
        raise


def _read_function(client: LambdaClient, configuration: Mapping[str, Any]) -> DeployedFunction:
    name = str(configuration["FunctionName"])
    arn = str(configuration["FunctionArn"])
    tags = _tags(client, arn.removesuffix(":$LATEST"))
    try:
        alias_version: str | None = client.get_alias(FunctionName=name, Name=LIVE_ALIAS)["FunctionVersion"]
    except Exception as error:
        if not _not_found(error):
            raise
        alias_version = None
    code_by_version: dict[str, str] = {}
    for page in client.get_paginator("list_versions_by_function").paginate(FunctionName=name):
        for version in page.get("Versions", []):
            code_by_version[version["Version"]] = version.get("CodeSha256", "")
    published = [int(version) for version in code_by_version if version.isdigit()]
    return DeployedFunction(
        name=name,
        arn=arn,
        runtime=configuration.get("Runtime"),
        layer_arns=tuple(str(layer["Arn"]) for layer in configuration.get("Layers", []) or []),
        code_sha256=str(configuration.get("CodeSha256", "")),
        tags=tags,
        live_version=alias_version,
        live_code_sha256=code_by_version.get(alias_version) if alias_version else None,
        newest_version=str(max(published)) if published else None,
    )


def _find_api(
    client: ApiGatewayV2Client,
    expected: ExpectedState,
    api_id: str | None,
    authorizer_id: str | None,
    *,
    protocol: str = "HTTP",
    parameter: str = SSM_HTTP_API_ID,
    api_name: str | None = None,
) -> tuple[DeployedApi | None, str]:
    name_wanted = api_name or expected.api_name
    by_parameter = f"SSM parameter {expected.parameter(parameter)}"
    by_name = f"an API named {name_wanted}"
    found: tuple[str, str, str] | None = None
    if api_id is not None:
        try:
            api = client.get_api(ApiId=api_id)
            found = (api["ApiId"], api.get("Name", ""), f"{by_parameter} ({api_id})")
        except Exception as error:
            if not _not_found(error):
                raise
    if found is None:
        for page in client.get_paginator("get_apis").paginate():
            for item in page.get("Items", []):
                if item.get("Name") == name_wanted and item.get("ProtocolType") == protocol:
                    found = (item["ApiId"], item["Name"], by_name)
                    break
            if found is not None:
                break
    lookup = (
        f"{by_parameter} (value {api_id}: no such API) or {by_name}"
        if api_id
        else f"{by_parameter} or {by_name}"
    )
    if found is None:
        return None, lookup
    identifier, name, found_by = found
    integrations: dict[str, str] = {}
    for integrations_page in client.get_paginator("get_integrations").paginate(ApiId=identifier):
        for integration in integrations_page.get("Items", []):
            integrations[integration.get("IntegrationId", "")] = integration.get("IntegrationUri", "")
    routes: list[DeployedRoute] = []
    for routes_page in client.get_paginator("get_routes").paginate(ApiId=identifier):
        for route_item in routes_page.get("Items", []):
            target = _INTEGRATION_TARGET.match(route_item.get("Target", ""))
            routes.append(
                DeployedRoute(
                    route_id=route_item.get("RouteId", ""),
                    route_key=route_item["RouteKey"],
                    authorization_type=route_item.get("AuthorizationType", "NONE"),
                    authorizer_id=route_item.get("AuthorizerId"),
                    integration_uri=integrations.get(target.group("id")) if target else None,
                )
            )
    # GetAuthorizer per id the routes use (and the one SSM names), not GetAuthorizers: an API has
    # few authorizers, and not every emulator implements the listing.
    wanted = {route.authorizer_id for route in routes if route.authorizer_id}
    if authorizer_id:
        wanted.add(authorizer_id)
    authorizers: dict[str, str] = {}
    for wanted_id in sorted(wanted):
        try:
            authorizers[wanted_id] = client.get_authorizer(ApiId=identifier, AuthorizerId=wanted_id).get(
                "Name", ""
            )
        except Exception as error:
            if not _not_found(error):
                raise
    return DeployedApi(identifier, name, found_by, tuple(routes), authorizers), lookup
