"""The comparisons of `cora audit`: expected state against deployed state, no AWS call.

Each problem becomes a :class:`Finding` naming the check, what is wrong, where, and the fix from
the seed's Lambda standards and Common Fixes (Lambda not updating, 502 Gateway Error,
authorization failures). Each function and route also gets a row with a status per check.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Protocol

from cora_constructs.assembly.model import WEBSOCKET, Route
from cora_constructs.audit.model import (
    CODE_HASH_TAG,
    CORA_TAG_PREFIX,
    LIVE_ALIAS,
    ORG_AUTHORIZER_NAME,
    SSM_ORG_LAYER_ARN,
    SSM_WEBSOCKET_AUTHORIZER_ID,
    AuditReport,
    Check,
    DeployedApi,
    DeployedFunction,
    DeployedRoute,
    DeployedState,
    ExpectedFunction,
    ExpectedState,
    Finding,
    FunctionRow,
    RouteRow,
    Status,
)
from cora_constructs.dependencies.layer_ref import DEPENDENCY_LAYER_MARK

PUBLIC_AUTH = "public"
ORG_AUTH = "org"
IAM_AUTH = "iam"
CONNECT = "$connect"
_LAMBDA_ARN = re.compile(
    r"arn:[\w-]+:lambda:[\w-]+:\d+:function:(?P<name>[A-Za-z0-9_-]+)(?::(?P<qualifier>[\w$-]+))?"
)


def _redeploy(fn: ExpectedFunction) -> str:
    command = f"cdk deploy -c app={fn.app} {fn.stack} --exclusively"
    return f"run its deploy workflow ({fn.workflow_file}) or `{command}`"


def audit(expected: ExpectedState, deployed: DeployedState, notes: tuple[str, ...] = ()) -> AuditReport:
    """Every check on every function and route in scope."""
    findings: list[Finding] = infra_findings(expected, deployed)
    rows = [_function_row(fn, deployed, expected, findings) for fn in expected.functions]
    if expected.check_unmanaged:
        rows.extend(_unmanaged(expected, deployed, findings))
    routes = _routes(expected, deployed, findings)
    return AuditReport(tuple(rows), tuple(routes), tuple(findings), notes)


# ---------------------------------------------------------------------------------------------
# Functions
# ---------------------------------------------------------------------------------------------


def _function_row(
    fn: ExpectedFunction, deployed: DeployedState, expected: ExpectedState, findings: list[Finding]
) -> FunctionRow:
    row = FunctionRow(fn.function_name, fn.app)
    where = f"{fn.function_name} (stack {fn.stack}, {fn.lambda_dir})"

    def report(check: Check, status: Status, message: str, fix: str) -> None:
        row.checks[check] = status
        findings.append(Finding(check, status, fn.function_name, where, message, fix))

    actual = deployed.functions.get(fn.function_name)
    if actual is None:
        report(
            Check.EXISTS,
            Status.MISSING,
            "the function is in the workflow manifest but not deployed in this account and region",
            f"deploy it: {_redeploy(fn)}",
        )
        for check in (Check.RUNTIME, Check.ORG_LAYER, Check.LAYERS, Check.CODE, Check.ALIAS):
            row.checks[check] = Status.NOT_CHECKED
        return row
    row.checks[Check.EXISTS] = Status.OK
    _check_runtime(fn, actual, expected.expected_runtime, report, row)
    _check_layers(fn, actual, deployed.org_layer_arn, expected, report, row)
    _check_code(fn, actual, report, row)
    _check_alias(fn, actual, report, row)
    return row


class _Report(Protocol):
    def __call__(self, check: Check, status: Status, message: str, fix: str) -> None: ...


def _check_runtime(
    fn: ExpectedFunction, actual: DeployedFunction, runtime: str, report: _Report, row: FunctionRow
) -> None:
    if actual.runtime == runtime:
        row.checks[Check.RUNTIME] = Status.OK
        return
    report(
        Check.RUNTIME,
        Status.DRIFT,
        f"runtime is {actual.runtime or 'none (container image?)'}; the standard is {runtime} "
        "(Lambda standard 2: the org common layer is built for it)",
        f"redeploy from the app, which always sets {runtime}: {_redeploy(fn)}; if it was changed by "
        "hand or by an escape hatch (add_property_override), remove that change first",
    )


def layer_version(arn: str) -> tuple[str, int] | None:
    """``arn:aws:lambda:r:a:layer:name:7`` -> (``arn:aws:lambda:r:a:layer:name``, 7)."""
    base, _, version = arn.rpartition(":")
    if not base or not version.isdigit() or ":layer:" not in base:
        return None
    return base, int(version)


def _check_layers(
    fn: ExpectedFunction,
    actual: DeployedFunction,
    org_layer_arn: str | None,
    expected: ExpectedState,
    report: _Report,
    row: FunctionRow,
) -> None:
    parameter = expected.parameter(SSM_ORG_LAYER_ARN)
    org = layer_version(org_layer_arn) if org_layer_arn else None
    if org is None:
        # The missing or malformed parameter is reported once, as an infra finding.
        row.checks[Check.ORG_LAYER] = Status.NOT_CHECKED
    else:
        base, version = org
        positions = [
            (index, found[1])
            for index, arn in enumerate(actual.layer_arns)
            if (found := layer_version(arn)) is not None and found[0] == base
        ]
        if not positions:
            report(
                Check.ORG_LAYER,
                Status.DRIFT,
                f"the org common layer ({base}) is not attached (Lambda standard 3); attached: "
                f"{', '.join(actual.layer_arns) or 'no layer'}",
                f"redeploy from the app, which always attaches the org layer first: {_redeploy(fn)}",
            )
        elif positions[0][0] != 0:
            report(
                Check.ORG_LAYER,
                Status.DRIFT,
                f"the org common layer is attached at position {positions[0][0] + 1}, not first",
                f"redeploy from the app, which attaches the org layer first: {_redeploy(fn)}",
            )
        elif positions[0][1] < version:
            report(
                Check.ORG_LAYER,
                Status.DRIFT,
                f"layer not rolled out: the function uses org layer version {positions[0][1]}, "
                f"{parameter} names version {version}",
                f"redeploy the function's stack so it resolves {parameter} again: {_redeploy(fn)}",
            )
        elif positions[0][1] > version:
            report(
                Check.ORG_LAYER,
                Status.DRIFT,
                f"the function uses org layer version {positions[0][1]}, newer than the version "
                f"{version} that {parameter} names (was the parameter rolled back?)",
                f"deploy the infra app (`cdk deploy -c app=infra`) and then {_redeploy(fn)}",
            )
        else:
            row.checks[Check.ORG_LAYER] = Status.OK
    if len(actual.layer_arns) != fn.layer_count:
        module_layers = [folder for folder in fn.layers[1:]]
        dependencies = (
            f", then the dependency layer built from {fn.dependency_layer}" if fn.dependency_layer else ""
        )
        report(
            Check.LAYERS,
            Status.DRIFT,
            f"{len(actual.layer_arns)} layer(s) attached; the app attaches {fn.layer_count} "
            f"(the org layer, then {', '.join(module_layers) or 'no module layer'}{dependencies})",
            f"redeploy from the app: {_redeploy(fn)}; never attach or detach layers by hand",
        )
    elif fn.dependency_layer and not _is_dependency_layer(actual.layer_arns[-1] if actual.layer_arns else ""):
        report(
            Check.LAYERS,
            Status.DRIFT,
            f"the last layer attached is {actual.layer_arns[-1] if actual.layer_arns else 'none'}, not the "
            f"dependency layer built from {fn.dependency_layer} (the org layer first, the module layers, "
            "then the dependency layer)",
            f"redeploy from the app: {_redeploy(fn)}; never attach or detach layers by hand",
        )
    else:
        row.checks[Check.LAYERS] = Status.OK


def _is_dependency_layer(arn: str) -> bool:
    """Whether a layer version ARN names a function dependency layer (``{stack}-deps-{hash}``)."""
    found = layer_version(arn)
    return found is not None and DEPENDENCY_LAYER_MARK in found[0].rsplit(":", 1)[-1]


def _check_code(fn: ExpectedFunction, actual: DeployedFunction, report: _Report, row: FunctionRow) -> None:
    if fn.code_hash is None:
        row.checks[Check.CODE] = Status.NOT_CHECKED
        return
    deployed = actual.tags.get(CODE_HASH_TAG)
    if deployed is None:
        report(
            Check.CODE,
            Status.DRIFT,
            f"no {CODE_HASH_TAG} tag: the deployed code cannot be matched to an asset (deployed "
            "outside the app, or by a cora-constructs version that did not tag functions)",
            f"redeploy from the app so the function carries its asset hash: {_redeploy(fn)}",
        )
    elif deployed != fn.code_hash:
        report(
            Check.CODE,
            Status.DRIFT,
            f"Lambda not updating: the deployed code is asset {deployed[:12]}…, the current cdk.out "
            f"would deploy asset {fn.code_hash[:12]}… (Lambda standards 1 and 5: the code hash drives "
            "every update)",
            f"deploy the current code: {_redeploy(fn)}; if a deploy ran and the function still did "
            "not update, check the stack's CloudFormation events and that nothing ignores changes "
            "to the code",
        )
    else:
        row.checks[Check.CODE] = Status.OK


def _check_alias(fn: ExpectedFunction, actual: DeployedFunction, report: _Report, row: FunctionRow) -> None:
    if actual.live_version is None:
        report(
            Check.ALIAS,
            Status.DRIFT,
            f"no {LIVE_ALIAS!r} alias: integrations invoke the alias, so nothing serves this function "
            "(Lambda standard 4, create-before-destroy)",
            f"redeploy from the app, which publishes a version behind {LIVE_ALIAS!r}: {_redeploy(fn)}",
        )
    elif actual.newest_version is not None and actual.live_version != actual.newest_version:
        report(
            Check.ALIAS,
            Status.DRIFT,
            f"{LIVE_ALIAS!r} points at version {actual.live_version}, the newest published version is "
            f"{actual.newest_version}: the new version was published but not rolled out",
            f"redeploy from the app: {_redeploy(fn)} (a deliberate rollback is `aws lambda update-alias`; "
            "record it, and roll forward with a fix)",
        )
    elif actual.live_code_sha256 is not None and actual.live_code_sha256 != actual.code_sha256:
        report(
            Check.ALIAS,
            Status.DRIFT,
            f"$LATEST holds code that no published version has: {LIVE_ALIAS!r} (version "
            f"{actual.live_version}) still serves the old code (updated by hand?)",
            f"deploy through the app, which publishes a version per change: {_redeploy(fn)}",
        )
    else:
        row.checks[Check.ALIAS] = Status.OK


def _unmanaged(
    expected: ExpectedState, deployed: DeployedState, findings: list[Finding]
) -> list[FunctionRow]:
    rows = []
    for other in deployed.other_functions:
        tags = sorted(key for key in (other.tags or {}) if key.startswith(CORA_TAG_PREFIX))
        if other.name.startswith(expected.prefix):
            why = f"its name starts with the project's prefix {expected.prefix}"
        elif tags:
            why = f"it carries cora tags ({', '.join(tags)})"
        else:
            continue
        row = FunctionRow(other.name, "-", {Check.EXISTS: Status.UNMANAGED})
        rows.append(row)
        findings.append(
            Finding(
                Check.EXISTS,
                Status.UNMANAGED,
                other.name,
                other.name,
                f"deployed but not in the workflow manifest, although {why}: no workflow deploys it "
                "and no standard is checked on it",
                "add it to the app (a StandardLambda under packages/module-*/backend/lambdas/, then "
                "`cora manifest generate`), or delete it from the account if it is a leftover",
            )
        )
    return rows


# ---------------------------------------------------------------------------------------------
# Routes
# ---------------------------------------------------------------------------------------------


def _routes(expected: ExpectedState, deployed: DeployedState, findings: list[Finding]) -> list[RouteRow]:
    return _http_routes(expected, deployed, findings) + _websocket_routes(expected, deployed, findings)


def _http_routes(expected: ExpectedState, deployed: DeployedState, findings: list[Finding]) -> list[RouteRow]:
    declared = [(fn, route) for fn in expected.functions for route in fn.routes if route.protocol == "http"]
    api = deployed.api
    if api is None:
        if declared or expected.check_undocumented_routes:
            findings.append(
                Finding(
                    Check.INFRA,
                    Status.MISSING,
                    expected.api_name,
                    f"HTTP API ({deployed.api_lookup})",
                    "the HTTP API is not deployed: no route can be checked",
                    "deploy the stack app's API stack (`cdk deploy -c app=stack`), which creates the "
                    "API and writes its id to SSM",
                )
            )
        return [
            _route_row(
                fn,
                route,
                dict.fromkeys((Check.ROUTE, Check.AUTHORIZER, Check.INTEGRATION), Status.NOT_CHECKED),
            )
            for fn, route in declared
        ]
    if deployed.org_authorizer_id is None and any(route.auth == ORG_AUTH for _fn, route in declared):
        findings.append(
            Finding(
                Check.INFRA,
                Status.MISSING,
                ORG_AUTHORIZER_NAME,
                f"HTTP API {api.name} ({api.api_id})",
                f"the org authorizer is not found (no SSM parameter "
                f"{expected.parameter('org-authorizer-id')} naming an authorizer of the API, and no "
                f"authorizer named {ORG_AUTHORIZER_NAME}): org routes cannot be authorized",
                "deploy the stack app's API stack (`cdk deploy -c app=stack`)",
            )
        )
    by_key: dict[tuple[str, str], DeployedRoute] = {(route.method, route.path): route for route in api.routes}
    explained: set[str] = set()
    rows = []
    for fn, route in declared:
        row = _route_row(fn, route, {})
        rows.append(row)
        _check_route(fn, route, api, by_key, deployed, expected, row, findings, explained)
    if expected.check_undocumented_routes:
        for actual in sorted(api.routes, key=lambda item: (item.path, item.method)):
            if actual.route_id in explained or (actual.method, actual.path) in expected.manifest_routes:
                continue
            rows.append(
                RouteRow(
                    actual.method or actual.route_key,
                    actual.path if actual.method else "",
                    "-",
                    "-",
                    {Check.ROUTE: Status.UNDOCUMENTED},
                )
            )
            findings.append(
                Finding(
                    Check.ROUTE,
                    Status.UNDOCUMENTED,
                    actual.route_key,
                    f"HTTP API {api.name} ({api.api_id}), route {actual.route_id}",
                    "the API has a route that no handler docstring declares (Missing route docstrings: "
                    "the API tracer cannot match it, and no standard covers it)",
                    "declare it in its handler's docstring (`Routes:` block) and redeploy, or delete it; "
                    "routes come only from docstrings, never from the console",
                )
            )
    return rows


def _websocket_routes(
    expected: ExpectedState, deployed: DeployedState, findings: list[Finding]
) -> list[RouteRow]:
    """The WebSocket route keys: each in the WebSocket API, integrated with its function's live
    alias, ``$connect`` behind the org authorizer (or public / IAM as its docstring says)."""
    declared = [
        (fn, route) for fn in expected.functions for route in fn.routes if route.protocol == "websocket"
    ]
    if not declared:
        return []
    api = deployed.websocket_api
    if api is None:
        findings.append(
            Finding(
                Check.INFRA,
                Status.MISSING,
                expected.websocket_api_name,
                f"WebSocket API ({deployed.websocket_api_lookup})",
                "the WebSocket API is not deployed: no route key can be checked",
                "deploy the stack app's API stack (`cdk deploy -c app=stack`), which creates the "
                "WebSocket API when a module declares route keys and writes its id to SSM",
            )
        )
        not_checked = dict.fromkeys((Check.ROUTE, Check.AUTHORIZER, Check.INTEGRATION), Status.NOT_CHECKED)
        return [_route_row(fn, route, dict(not_checked)) for fn, route in declared]
    org_connect = any(route.path == CONNECT and route.auth == ORG_AUTH for _fn, route in declared)
    if deployed.websocket_authorizer_id is None and org_connect:
        findings.append(
            Finding(
                Check.INFRA,
                Status.MISSING,
                ORG_AUTHORIZER_NAME,
                f"WebSocket API {api.name} ({api.api_id})",
                f"the org authorizer is not found (no SSM parameter "
                f"{expected.parameter(SSM_WEBSOCKET_AUTHORIZER_ID)} naming an authorizer of the API, "
                f"and no authorizer named {ORG_AUTHORIZER_NAME}): $connect cannot be authorized",
                "deploy the stack app's API stack (`cdk deploy -c app=stack`)",
            )
        )
    by_key = {route.route_key: route for route in api.routes}
    as_connect = replace(deployed, org_authorizer_id=deployed.websocket_authorizer_id)
    rows = []
    for fn, route in declared:
        row = _route_row(fn, route, {})
        rows.append(row)
        report = _reporter(
            route.path,
            f"WebSocket API {api.name} ({api.api_id}), route key {route.path} of {fn.function_name} "
            f"({fn.lambda_dir})",
            row,
            findings,
        )
        actual = by_key.get(route.path)
        if actual is None:
            row.checks[Check.AUTHORIZER] = row.checks[Check.INTEGRATION] = Status.NOT_CHECKED
            report(
                Check.ROUTE,
                Status.MISSING,
                "the docstring declares this route key but the WebSocket API does not have it",
                f"{_redeploy(fn)}; route keys are created from the handler's docstring",
            )
            continue
        row.checks[Check.ROUTE] = Status.OK
        if route.path == CONNECT:
            _check_authorizer(fn, route, actual, api, as_connect, report, row)
        else:  # API Gateway authorizes a WebSocket connection on $connect only
            row.checks[Check.AUTHORIZER] = Status.NOT_CHECKED
        _check_integration(fn, actual, report, row)
    if expected.check_undocumented_routes:
        for actual in sorted(api.routes, key=lambda item: item.route_key):
            if (WEBSOCKET, actual.route_key) in expected.manifest_routes:
                continue
            rows.append(RouteRow(WEBSOCKET, actual.route_key, "-", "-", {Check.ROUTE: Status.UNDOCUMENTED}))
            findings.append(
                Finding(
                    Check.ROUTE,
                    Status.UNDOCUMENTED,
                    actual.route_key,
                    f"WebSocket API {api.name} ({api.api_id}), route {actual.route_id}",
                    "the WebSocket API has a route key that no handler docstring declares",
                    "declare it in its handler's docstring (`Routes - WebSocket:` block) and redeploy, "
                    "or delete it; route keys come only from docstrings, never from the console",
                )
            )
    return rows


def _reporter(subject: str, where: str, row: RouteRow, findings: list[Finding]) -> _Report:
    def report(check: Check, status: Status, message: str, fix: str) -> None:
        row.checks[check] = status
        findings.append(Finding(check, status, subject, where, message, fix))

    return report


def _route_row(fn: ExpectedFunction, route: Route, checks: dict[Check, Status]) -> RouteRow:
    return RouteRow(route.method, route.path, fn.function_name, route.auth, checks)


def _check_route(
    fn: ExpectedFunction,
    route: Route,
    api: DeployedApi,
    by_key: dict[tuple[str, str], DeployedRoute],
    deployed: DeployedState,
    expected: ExpectedState,
    row: RouteRow,
    findings: list[Finding],
    explained: set[str],
) -> None:
    key = f"{route.method} {route.path}"
    where = f"HTTP API {api.name} ({api.api_id}), route {key} of {fn.function_name} ({fn.lambda_dir})"

    def report(check: Check, status: Status, message: str, fix: str) -> None:
        row.checks[check] = status
        findings.append(Finding(check, status, key, where, message, fix))

    actual = by_key.get((route.method, route.path))
    if actual is None:
        row.checks[Check.AUTHORIZER] = row.checks[Check.INTEGRATION] = Status.NOT_CHECKED
        wrong = [
            other
            for other in api.routes
            if other.path == route.path
            and (other.method, other.path) not in expected.manifest_routes
            and other.route_id not in explained
        ]
        if wrong:
            explained.update(other.route_id for other in wrong)
            methods = ", ".join(sorted(other.route_key for other in wrong))
            report(
                Check.ROUTE,
                Status.DRIFT,
                f"wrong HTTP method: the docstring declares {key}, the API has {methods} "
                "(the seed's 502 Gateway Error: the route docstring does not match the API route)",
                f"make the docstring of {fn.lambda_dir} and the API agree: fix the docstring if the "
                f"method changed, then {_redeploy(fn)}; never edit API routes by hand",
            )
        else:
            report(
                Check.ROUTE,
                Status.MISSING,
                "the docstring declares this route but the API does not have it",
                f"{_redeploy(fn)}; routes are created from the handler's docstring",
            )
        return
    row.checks[Check.ROUTE] = Status.OK
    _check_authorizer(fn, route, actual, api, deployed, report, row)
    _check_integration(fn, actual, report, row)


def _check_authorizer(
    fn: ExpectedFunction,
    route: Route,
    actual: DeployedRoute,
    api: DeployedApi,
    deployed: DeployedState,
    report: _Report,
    row: RouteRow,
) -> None:
    kind = actual.authorization_type.upper()
    attached = api.authorizers.get(actual.authorizer_id or "", actual.authorizer_id or "")
    fix = (
        f"redeploy the module stack: {_redeploy(fn)}; every route gets the org authorizer unless its "
        "docstring line ends with [public: reason] or names another one ([auth: iam])"
    )
    if route.auth == PUBLIC_AUTH:
        if kind != "NONE":
            report(
                Check.AUTHORIZER,
                Status.DRIFT,
                f"the docstring marks the route public ({route.public_reason or 'no reason'}), but the "
                f"API requires {kind} authorization ({attached or 'IAM'}): callers get 401/403",
                fix,
            )
            return
    elif route.auth == ORG_AUTH:
        if kind == "NONE":
            report(
                Check.AUTHORIZER,
                Status.DRIFT,
                "missing authorizer attachment: the route has no authorization, anyone can call it "
                "(the seed's Authorization failure: unauthorized access)",
                fix,
            )
            return
        if deployed.org_authorizer_id is None:
            row.checks[Check.AUTHORIZER] = Status.NOT_CHECKED
            return
        if kind != "CUSTOM" or actual.authorizer_id != deployed.org_authorizer_id:
            report(
                Check.AUTHORIZER,
                Status.DRIFT,
                f"the route is authorized by {kind} {attached or ''}".rstrip()
                + f", not by the org authorizer ({ORG_AUTHORIZER_NAME}, {deployed.org_authorizer_id})",
                fix,
            )
            return
    elif route.auth == IAM_AUTH:
        if kind != "AWS_IAM":
            report(
                Check.AUTHORIZER,
                Status.DRIFT,
                f"the docstring asks for [auth: iam], the API has {kind} authorization"
                + (" (anyone can call it)" if kind == "NONE" else ""),
                fix,
            )
            return
    elif kind == "NONE":
        report(
            Check.AUTHORIZER,
            Status.DRIFT,
            f"the docstring asks for [auth: {route.auth}], the route has no authorization (unauthorized "
            "access)",
            fix,
        )
        return
    row.checks[Check.AUTHORIZER] = Status.OK


def _check_integration(fn: ExpectedFunction, actual: DeployedRoute, report: _Report, row: RouteRow) -> None:
    fix = f"redeploy the module stack: {_redeploy(fn)}; integrations always invoke the {LIVE_ALIAS!r} alias"
    if actual.integration_uri is None:
        report(Check.INTEGRATION, Status.DRIFT, "the route has no Lambda integration: it cannot answer", fix)
        return
    match = _LAMBDA_ARN.search(actual.integration_uri)
    if match is None or match.group("name") != fn.function_name:
        report(
            Check.INTEGRATION,
            Status.DRIFT,
            f"the route invokes {actual.integration_uri}, not {fn.function_name}",
            fix,
        )
    elif match.group("qualifier") != LIVE_ALIAS:
        qualifier = match.group("qualifier")
        report(
            Check.INTEGRATION,
            Status.DRIFT,
            f"the route invokes {'version ' + qualifier if qualifier else '$LATEST'}, not the "
            f"{LIVE_ALIAS!r} alias: a deploy would serve untested code mid-update (create-before-destroy)",
            fix,
        )
    else:
        row.checks[Check.INTEGRATION] = Status.OK


def infra_findings(expected: ExpectedState, deployed: DeployedState) -> list[Finding]:
    """Problems with what the infra app publishes (its SSM parameter for the org layer)."""
    if not any(fn.function_name in deployed.functions for fn in expected.functions):
        return []
    parameter = expected.parameter(SSM_ORG_LAYER_ARN)
    value = deployed.org_layer_arn
    if value is not None and layer_version(value) is not None:
        return []
    message = (
        f"SSM parameter {parameter} is missing: the org layer version cannot be checked"
        if value is None
        else f"SSM parameter {parameter} holds {value!r}, not a layer version ARN"
    )
    return [
        Finding(
            Check.INFRA,
            Status.MISSING,
            parameter,
            f"SSM parameter {parameter}",
            message,
            "deploy the infra app (`cdk deploy -c app=infra`), which publishes the org layer and its ARN",
        )
    ]
