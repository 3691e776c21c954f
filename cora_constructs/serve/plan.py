"""What `cora serve` serves, read from a cloud assembly's templates (plain JSON, no aws_cdk).

Every ``AWS::ApiGatewayV2::Route`` of an HTTP API is followed to the function its integration
invokes and to its authorizer; every function to its code, its layers, its environment, its
memory and timeout. The two apps meet only through SSM parameters at deploy time (the stack
app reads the org layer's and the authorizer's ARNs from SSM), so a reference is resolved the
same way generically: a template parameter ``AWS::SSM::Parameter::Value<String>`` (or a
``{{resolve:ssm:NAME}}`` string) names a parameter that another stack of the same assembly
publishes with an ``AWS::SSM::Parameter`` resource; its ``Value`` is followed in that stack.

A layer's contents are its asset folder in the assembly (``aws:asset:path`` metadata): what
the synth bundled, so what ships. Nothing here starts a process or reads a file besides the
templates the caller passes in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cora_constructs.serve.matching import RouteKeyError, RoutePattern, parse_route_key

FUNCTION = "AWS::Lambda::Function"
ALIAS = "AWS::Lambda::Alias"
VERSION = "AWS::Lambda::Version"
LAYER = "AWS::Lambda::LayerVersion"
SSM_PARAMETER = "AWS::SSM::Parameter"
API = "AWS::ApiGatewayV2::Api"
ROUTE = "AWS::ApiGatewayV2::Route"
INTEGRATION = "AWS::ApiGatewayV2::Integration"
AUTHORIZER = "AWS::ApiGatewayV2::Authorizer"
STAGE = "AWS::ApiGatewayV2::Stage"
SSM_PARAMETER_TYPE = "AWS::SSM::Parameter::Value<String>"
DEFAULT_MEMORY_MB = 128
DEFAULT_TIMEOUT_S = 3
DEFAULT_INTEGRATION_TIMEOUT_MS = 30_000
_RESOLVE_SSM = re.compile(r"\{\{resolve:ssm:([^:}]+)(?::\d+)?\}\}")


@dataclass(frozen=True, slots=True)
class StackTemplate:
    """One stack of the assembly: its name, its parsed template and the folder of its assets."""

    name: str
    template: Mapping[str, Any]
    assembly_dir: Path

    @property
    def resources(self) -> Mapping[str, Any]:
        resources = self.template.get("Resources")
        return resources if isinstance(resources, Mapping) else {}

    @property
    def parameters(self) -> Mapping[str, Any]:
        parameters = self.template.get("Parameters")
        return parameters if isinstance(parameters, Mapping) else {}


@dataclass(frozen=True, slots=True)
class ResourceRef:
    stack: StackTemplate
    logical_id: str

    @property
    def resource(self) -> Mapping[str, Any]:
        value = self.stack.resources.get(self.logical_id)
        return value if isinstance(value, Mapping) else {}

    @property
    def type(self) -> str:
        return str(self.resource.get("Type", ""))

    @property
    def properties(self) -> Mapping[str, Any]:
        value = self.resource.get("Properties")
        return value if isinstance(value, Mapping) else {}

    @property
    def metadata(self) -> Mapping[str, Any]:
        value = self.resource.get("Metadata")
        return value if isinstance(value, Mapping) else {}

    def describe(self) -> str:
        return f"{self.logical_id} ({self.type or 'unknown type'}) of stack {self.stack.name}"


@dataclass(frozen=True, slots=True)
class Unresolved:
    """An environment variable whose value exists only after deploy."""

    name: str
    reason: str
    ssm_parameter: str | None = None
    """The SSM parameter it reads at deploy time, when no stack of the assembly publishes it."""
    resource: tuple[str, str] | None = None
    """``(stack, logical id)`` of the resource whose ``Ref`` (physical id) it is."""


@dataclass(frozen=True, slots=True)
class LambdaFunction:
    """One function as Lambda runs it."""

    function_name: str
    stack: str
    logical_id: str
    handler: str
    code_dir: Path
    """The folder holding the handler: the project's source folder, else the synthesized asset."""
    layer_dirs: tuple[Path, ...]
    """Each layer's asset folder (holding ``python/``), in the function's ``Layers`` order."""
    environment: Mapping[str, str]
    unresolved: tuple[Unresolved, ...]
    memory_mb: int
    timeout_s: int
    runtime: str
    module: str | None = None
    problems: tuple[str, ...] = ()
    """Why the function cannot run as deployed (a layer not in this assembly, ...)."""


@dataclass(frozen=True, slots=True)
class AuthorizerConfig:
    """A Lambda REQUEST authorizer of the HTTP API."""

    name: str
    function: LambdaFunction | None
    identity_sources: tuple[str, ...]
    simple_responses: bool
    payload_format_version: str
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class ServedRoute:
    """One route: its pattern, the function it invokes, and how it is authorized."""

    pattern: RoutePattern
    function: LambdaFunction | None
    authorization: str
    """``NONE``, ``CUSTOM``, ``AWS_IAM`` or ``JWT``."""
    authorizer: AuthorizerConfig | None
    integration_timeout_ms: int
    payload_format_version: str
    stack: str
    problem: str | None = None

    @property
    def route_key(self) -> str:
        return self.pattern.route_key


@dataclass(frozen=True, slots=True)
class WebSocketRoute:
    """One route key of a WebSocket API (``$connect``, ``$disconnect``, ``$default`` or an
    ``action`` value), the function it invokes, and how ``$connect`` is authorized."""

    route_key: str
    function: LambdaFunction | None
    authorization: str
    """``NONE``, ``CUSTOM`` or ``AWS_IAM`` (API Gateway authorizes ``$connect`` only)."""
    authorizer: AuthorizerConfig | None
    integration_timeout_ms: int
    stage: str
    """The API's stage name (the path of its ``wss://`` URL and of its management endpoint)."""
    api: str
    """``stack/logical id`` of the ``AWS::ApiGatewayV2::Api``."""
    problem: str | None = None


@dataclass(frozen=True)
class ServePlan:
    routes: tuple[ServedRoute, ...]
    functions: Mapping[str, LambdaFunction]
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())
    websocket_routes: tuple[WebSocketRoute, ...] = ()
    """The routes of the assembly's WebSocket API (the first one, when there are several)."""

    @property
    def websocket_functions(self) -> tuple[LambdaFunction, ...]:
        found = {r.function.function_name: r.function for r in self.websocket_routes if r.function}
        return tuple(found.values())

    @property
    def websocket_stage(self) -> str | None:
        return self.websocket_routes[0].stage if self.websocket_routes else None

    @property
    def authorizer_functions(self) -> tuple[LambdaFunction, ...]:
        found: dict[str, LambdaFunction] = {}
        configs = [r.authorizer for r in self.routes] + [r.authorizer for r in self.websocket_routes]
        for config in configs:
            if config and config.function:
                found[config.function.function_name] = config.function
        return tuple(found.values())


class _Resolver:
    """Follows Ref / GetAtt / SSM parameters across the stacks of one assembly."""

    def __init__(self, stacks: Sequence[StackTemplate]) -> None:
        self.stacks = stacks
        self.published: dict[str, tuple[StackTemplate, object]] = {}
        for stack in stacks:
            for resource in stack.resources.values():
                if not isinstance(resource, Mapping) or resource.get("Type") != SSM_PARAMETER:
                    continue
                properties = resource.get("Properties") or {}
                name = properties.get("Name")
                if isinstance(name, str):
                    self.published[name] = (stack, properties.get("Value"))

    def ssm_name(self, stack: StackTemplate, value: object) -> str | None:
        """The SSM parameter a value reads at deploy time, if it reads one."""
        if isinstance(value, str):
            found = _RESOLVE_SSM.search(value)
            return found.group(1) if found else None
        if isinstance(value, Mapping) and isinstance(value.get("Ref"), str):
            parameter = stack.parameters.get(value["Ref"])
            if isinstance(parameter, Mapping) and parameter.get("Type") == SSM_PARAMETER_TYPE:
                default = parameter.get("Default")
                return default if isinstance(default, str) else None
        return None

    def resolve(self, stack: StackTemplate, value: object, depth: int = 0) -> ResourceRef | str | None:
        """A resource (for Ref / GetAtt), a literal string, or None when it only exists after deploy."""
        if depth > 8:
            return None
        ssm = self.ssm_name(stack, value)
        if ssm is not None:
            published = self.published.get(ssm)
            return None if published is None else self.resolve(published[0], published[1], depth + 1)
        if isinstance(value, str):
            return value
        if not isinstance(value, Mapping):
            return None
        if isinstance(value.get("Ref"), str) and value["Ref"] in stack.resources:
            return ResourceRef(stack, value["Ref"])
        attribute = value.get("Fn::GetAtt")
        if isinstance(attribute, list) and attribute and attribute[0] in stack.resources:
            return ResourceRef(stack, str(attribute[0]))
        join = value.get("Fn::Join")
        if isinstance(join, list) and len(join) == 2 and isinstance(join[1], list):
            # An invocation URI (arn:...:functions/<ARN>/invocations): the one resource it names.
            for part in join[1]:
                if isinstance(part, Mapping) and not str(part.get("Ref", "")).startswith("AWS::"):
                    found = self.resolve(stack, part, depth + 1)
                    if isinstance(found, ResourceRef):
                        return found
        return None

    def deployed_source(self, stack: StackTemplate, value: object, depth: int = 0) -> Unresolved:
        """Where a deployed value comes from: an SSM parameter no stack here publishes, or the
        physical id of a resource (``Ref``); an empty Unresolved when neither."""
        ssm = self.ssm_name(stack, value)
        if ssm is not None:
            published = self.published.get(ssm)
            if published is None:
                return Unresolved("", "", ssm_parameter=ssm)
            return (
                self.deployed_source(published[0], published[1], depth + 1)
                if depth < 8
                else Unresolved("", "")
            )
        if (
            isinstance(value, Mapping)
            and isinstance(value.get("Ref"), str)
            and value["Ref"] in stack.resources
        ):
            return Unresolved("", "", resource=(stack.name, value["Ref"]))
        return Unresolved("", "")

    def function(self, stack: StackTemplate, value: object) -> ResourceRef | None:
        """The ``AWS::Lambda::Function`` behind a reference to it, its alias or its version."""
        found = self.resolve(stack, value)
        for _ in range(4):
            if not isinstance(found, ResourceRef):
                return None
            if found.type == FUNCTION:
                return found
            if found.type in (ALIAS, VERSION):
                found = self.resolve(found.stack, found.properties.get("FunctionName"))
            else:
                return None
        return None


def _positive_int(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else default


def describe_value(value: object) -> str:
    """A short human description of a CloudFormation expression (for unresolved variables)."""
    if isinstance(value, Mapping) and len(value) == 1:
        ((kind, argument),) = value.items()
        if kind == "Ref":
            return f"Ref {argument}"
        if kind == "Fn::GetAtt" and isinstance(argument, list):
            return "GetAtt " + ".".join(str(a) for a in argument)
        return str(kind)
    return type(value).__name__


class _Planner:
    def __init__(self, stacks: Sequence[StackTemplate], project_root: Path | None) -> None:
        self.resolver = _Resolver(stacks)
        self.stacks = stacks
        self.project_root = project_root
        self.functions: dict[tuple[str, str], LambdaFunction] = {}

    def lambda_function(self, ref: ResourceRef) -> LambdaFunction:
        key = (ref.stack.name, ref.logical_id)
        if key not in self.functions:
            self.functions[key] = self._build_function(ref)
        return self.functions[key]

    def _code_dir(self, ref: ResourceRef) -> Path | None:
        metadata = ref.metadata
        source = metadata.get("cora:source")
        if (
            self.project_root is not None
            and isinstance(source, str)
            and not metadata.get("cora:package")
            and (self.project_root / source).is_dir()
        ):
            return self.project_root / source
        asset = metadata.get("aws:asset:path")
        if isinstance(asset, str) and metadata.get("aws:asset:property") == "Code":
            return ref.stack.assembly_dir / asset
        return None

    def _build_function(self, ref: ResourceRef) -> LambdaFunction:
        properties = ref.properties
        problems: list[str] = []
        name = properties.get("FunctionName")
        function_name = name if isinstance(name, str) else f"{ref.stack.name}-{ref.logical_id}"
        code_dir = self._code_dir(ref)
        if code_dir is None:
            problems.append(
                f"{ref.describe()} has no code asset in the assembly (inline or S3 code cannot run locally)"
            )
        layer_dirs: list[Path] = []
        layers = properties.get("Layers") or []
        for index, layer in enumerate(layers if isinstance(layers, list) else []):
            found = self.resolver.resolve(ref.stack, layer)
            asset = found.metadata.get("aws:asset:path") if isinstance(found, ResourceRef) else None
            if isinstance(found, ResourceRef) and found.type == LAYER and isinstance(asset, str):
                layer_dirs.append(found.stack.assembly_dir / asset)
                continue
            ssm = self.resolver.ssm_name(ref.stack, layer)
            where = f"its SSM parameter {ssm}" if ssm else describe_value(layer)
            problems.append(
                f"layer {index + 1} of {function_name} ({where}) is not built in this cloud assembly: "
                "synthesize both apps into one cdk.out (`cdk synth` without -c app=...), so the "
                "layer that publishes it is there"
            )
        environment: dict[str, str] = {}
        unresolved: list[Unresolved] = []
        variables = (properties.get("Environment") or {}).get("Variables") or {}
        for key, value in variables.items() if isinstance(variables, Mapping) else ():
            resolved = self.resolver.resolve(ref.stack, value)
            if isinstance(resolved, str):
                environment[str(key)] = resolved
            elif isinstance(value, int | float | bool):
                environment[str(key)] = str(value).lower() if isinstance(value, bool) else str(value)
            else:
                what = resolved.describe() if isinstance(resolved, ResourceRef) else describe_value(value)
                source = self.resolver.deployed_source(ref.stack, value)
                if source.ssm_parameter:
                    what = f"SSM parameter {source.ssm_parameter}"
                unresolved.append(Unresolved(str(key), what, source.ssm_parameter, source.resource))
        module = ref.metadata.get("cora:module")
        return LambdaFunction(
            function_name=function_name,
            stack=ref.stack.name,
            logical_id=ref.logical_id,
            handler=str(properties.get("Handler") or "lambda_function.lambda_handler"),
            code_dir=code_dir or ref.stack.assembly_dir,
            layer_dirs=tuple(layer_dirs),
            environment=environment,
            unresolved=tuple(unresolved),
            memory_mb=_positive_int(properties.get("MemorySize"), DEFAULT_MEMORY_MB),
            timeout_s=_positive_int(properties.get("Timeout"), DEFAULT_TIMEOUT_S),
            runtime=str(properties.get("Runtime") or ""),
            module=module if isinstance(module, str) else None,
            problems=tuple(problems),
        )

    def authorizer(self, stack: StackTemplate, value: object) -> AuthorizerConfig | None:
        found = self.resolver.resolve(stack, value)
        if not isinstance(found, ResourceRef) or found.type != AUTHORIZER:
            return None
        properties = found.properties
        name = str(properties.get("Name") or found.logical_id)
        kind = str(properties.get("AuthorizerType") or "")
        sources = properties.get("IdentitySource") or []
        identity = tuple(str(s) for s in sources) if isinstance(sources, list) else ()
        version = str(properties.get("AuthorizerPayloadFormatVersion") or "2.0")
        simple = properties.get("EnableSimpleResponses") is True
        if kind != "REQUEST":
            return AuthorizerConfig(
                name, None, identity, simple, version, f"{kind} authorizers are not run locally"
            )
        function = self.resolver.function(found.stack, properties.get("AuthorizerUri"))
        if function is None:
            return AuthorizerConfig(
                name,
                None,
                identity,
                simple,
                version,
                f"authorizer {name}'s function is not in this cloud assembly: synthesize both apps",
            )
        return AuthorizerConfig(name, self.lambda_function(function), identity, simple, version)


def _api(resolver: _Resolver, stack: StackTemplate, api_id: object) -> ResourceRef | None:
    found = resolver.resolve(stack, api_id)
    return found if isinstance(found, ResourceRef) and found.type == API else None


def _protocol(api: ResourceRef | None) -> str:
    # An API of another stack read through SSM, or imported: HTTP unless it says not.
    return "HTTP" if api is None else str(api.properties.get("ProtocolType", "HTTP")).upper()


def _stage_name(resolver: _Resolver, api: ResourceRef) -> str:
    """The name of the API's stage (``$default`` when the assembly declares none)."""
    for logical_id in sorted(api.stack.resources):
        stage = ResourceRef(api.stack, logical_id)
        if stage.type != STAGE:
            continue
        found = resolver.resolve(api.stack, stage.properties.get("ApiId"))
        name = stage.properties.get("StageName")
        if isinstance(found, ResourceRef) and found.logical_id == api.logical_id and isinstance(name, str):
            return name
    return "$default"


def build_plan(stacks: Sequence[StackTemplate], project_root: Path | None = None) -> ServePlan:
    """Every HTTP API route of ``stacks`` with its function and authorizer, and the route keys
    of its WebSocket API."""
    planner = _Planner(stacks, project_root)
    routes: list[ServedRoute] = []
    problems: list[str] = []
    warnings: list[str] = []
    seen: dict[str, str] = {}
    websocket: list[WebSocketRoute] = []
    websocket_api: ResourceRef | None = None
    for stack in stacks:
        for logical_id in sorted(stack.resources):
            ref = ResourceRef(stack, logical_id)
            if ref.type != ROUTE:
                continue
            properties = ref.properties
            api = _api(planner.resolver, stack, properties.get("ApiId"))
            protocol = _protocol(api)
            if protocol == "WEBSOCKET" and api is not None:
                if websocket_api is None:
                    websocket_api = api
                if (api.stack.name, api.logical_id) != (websocket_api.stack.name, websocket_api.logical_id):
                    warnings.append(
                        f"{ref.describe()} belongs to a second WebSocket API ({api.describe()}); "
                        f"only {websocket_api.describe()} is served"
                    )
                    continue
                found = _websocket_route(planner, ref, api, seen, warnings)
                if found is not None:
                    websocket.append(found)
                continue
            if protocol != "HTTP":
                continue
            key = properties.get("RouteKey")
            try:
                pattern = parse_route_key(str(key))
            except RouteKeyError as error:
                problems.append(f"{ref.describe()}: {error}")
                continue
            if pattern.route_key in seen:
                warnings.append(
                    f"route {pattern.route_key} is defined twice ({seen[pattern.route_key]} and "
                    f"{ref.describe()}); the first is served"
                )
                continue
            seen[pattern.route_key] = ref.describe()
            routes.append(_route(planner, ref, pattern))
    functions = {fn.function_name: fn for fn in planner.functions.values()}
    return ServePlan(tuple(routes), functions, tuple(problems), tuple(warnings), tuple(websocket))


def _websocket_route(
    planner: _Planner, ref: ResourceRef, api: ResourceRef, seen: dict[str, str], warnings: list[str]
) -> WebSocketRoute | None:
    properties = ref.properties
    key = str(properties.get("RouteKey") or "")
    seen_key = f"websocket {key}"
    if seen_key in seen:
        warnings.append(
            f"WebSocket route key {key} is defined twice ({seen[seen_key]} and {ref.describe()}); "
            "the first is served"
        )
        return None
    seen[seen_key] = ref.describe()
    authorization = str(properties.get("AuthorizationType") or "NONE").upper()
    integration = _integration_of(planner, ref)
    function: LambdaFunction | None = None
    problem: str | None = None
    timeout_ms = DEFAULT_INTEGRATION_TIMEOUT_MS
    if integration is None:
        problem = f"WebSocket route {key} ({ref.describe()}) has no integration this tool can follow"
    else:
        iprops = integration.properties
        timeout_ms = _positive_int(iprops.get("TimeoutInMillis"), DEFAULT_INTEGRATION_TIMEOUT_MS)
        target_function = planner.resolver.function(integration.stack, iprops.get("IntegrationUri"))
        if iprops.get("IntegrationType") != "AWS_PROXY" or target_function is None:
            problem = f"WebSocket route {key} does not invoke a Lambda function of this assembly"
        else:
            function = planner.lambda_function(target_function)
    authorizer = None
    if authorization == "CUSTOM":
        authorizer = planner.authorizer(ref.stack, properties.get("AuthorizerId"))
        if authorizer is None:
            authorizer = AuthorizerConfig(
                "?", None, (), False, "1.0", f"WebSocket route {key}'s authorizer cannot be found"
            )
    return WebSocketRoute(
        route_key=key,
        function=function,
        authorization=authorization,
        authorizer=authorizer,
        integration_timeout_ms=timeout_ms,
        stage=_stage_name(planner.resolver, api),
        api=f"{api.stack.name}/{api.logical_id}",
        problem=problem,
    )


def _integration_of(planner: _Planner, ref: ResourceRef) -> ResourceRef | None:
    """The ``AWS::ApiGatewayV2::Integration`` a route's ``Target`` (``integrations/<id>``) names."""
    target = ref.properties.get("Target")
    join = target.get("Fn::Join") if isinstance(target, Mapping) else None
    integration: ResourceRef | None = None
    if isinstance(join, list) and len(join) == 2 and isinstance(join[1], list):
        for part in join[1]:
            found = planner.resolver.resolve(ref.stack, part) if isinstance(part, Mapping) else None
            if isinstance(found, ResourceRef) and found.type == INTEGRATION:
                integration = found
    return integration


def _route(planner: _Planner, ref: ResourceRef, pattern: RoutePattern) -> ServedRoute:
    properties = ref.properties
    stack = ref.stack
    authorization = str(properties.get("AuthorizationType") or "NONE").upper()
    integration = _integration_of(planner, ref)
    function: LambdaFunction | None = None
    problem: str | None = None
    timeout_ms = DEFAULT_INTEGRATION_TIMEOUT_MS
    version = "2.0"
    if integration is None:
        problem = f"route {pattern.route_key} ({ref.describe()}) has no integration this tool can follow"
    else:
        iprops = integration.properties
        timeout_ms = _positive_int(iprops.get("TimeoutInMillis"), DEFAULT_INTEGRATION_TIMEOUT_MS)
        version = str(iprops.get("PayloadFormatVersion") or "2.0")
        target_function = planner.resolver.function(integration.stack, iprops.get("IntegrationUri"))
        if iprops.get("IntegrationType") != "AWS_PROXY" or target_function is None:
            problem = f"route {pattern.route_key} does not invoke a Lambda function of this assembly"
        else:
            function = planner.lambda_function(target_function)
        if version != "2.0" and problem is None:
            problem = f"route {pattern.route_key} uses payload format {version}; `cora serve` sends 2.0 only"
    authorizer = None
    if authorization == "CUSTOM":
        authorizer = planner.authorizer(stack, properties.get("AuthorizerId"))
        if authorizer is None:
            authorizer = AuthorizerConfig(
                "?", None, (), True, "2.0", f"route {pattern.route_key}'s authorizer cannot be found"
            )
    return ServedRoute(
        pattern=pattern,
        function=function,
        authorization=authorization,
        authorizer=authorizer,
        integration_timeout_ms=timeout_ms,
        payload_format_version=version,
        stack=stack.name,
        problem=problem,
    )


def read_plan(cdk_out: Path, project_root: Path | None = None) -> ServePlan:
    """The plan of the assembly in ``cdk_out`` (raises CloudAssemblyError when it is unreadable)."""
    from cora_constructs.assembly.reader import read_stack_templates

    stacks = [
        StackTemplate(artifact.stack_name, template, artifact.template_file.parent)
        for artifact, template in read_stack_templates(cdk_out)
    ]
    return build_plan(stacks, project_root)
