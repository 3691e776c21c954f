"""Read the production Lambdas from a synthesized CDK cloud assembly (plain JSON, no aws_cdk).

The assembly's ``manifest.json`` lists ``aws:cloudformation:stack`` artifacts (each naming its
template file) and possibly nested ``cdk:cloud-assembly`` artifacts (CDK stages). A production
Lambda is an ``AWS::Lambda::Function`` whose template Metadata carries ``cora:app``; its other
``cora:*`` keys and its literal ``FunctionName`` must then all be present and well formed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

from cora_constructs.assembly.errors import CloudAssemblyError
from cora_constructs.assembly.model import WEBSOCKET, ProductionLambda, Route
from cora_runtime.routes import split_route_key

STACK_ARTIFACT = "aws:cloudformation:stack"
NESTED_ASSEMBLY_ARTIFACT = "cdk:cloud-assembly"
LAMBDA_FUNCTION = "AWS::Lambda::Function"
APPS = ("stack", "infra")

_FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_PATH_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")
_HANDLER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")
_METHOD = re.compile(r"^[A-Z]+$")
_Fail: TypeAlias = Callable[[str], None]
_REQUIRED_ROUTE_KEYS = ("method", "path", "auth")


@dataclass(frozen=True, slots=True)
class StackArtifact:
    """One stack of the assembly: its names and the absolute path of its template."""

    stack_name: str
    stack_id: str
    template_file: Path


def read_cloud_assembly(cdk_out: Path) -> tuple[ProductionLambda, ...]:
    """Every production Lambda of the assembly in ``cdk_out``, sorted by function name.

    Raises CloudAssemblyError listing every problem found (missing files, bad JSON, metadata
    that breaks the contract, duplicate function names).
    """
    problems: list[str] = []
    lambdas: list[ProductionLambda] = []
    for stack in _collect_stacks(cdk_out, problems):
        template = _load_json(stack.template_file, f"template of stack {stack.stack_name}", problems)
        if template is None:
            continue
        found, template_problems = lambdas_from_template(
            template, stack_name=stack.stack_name, stack_id=stack.stack_id
        )
        lambdas.extend(found)
        problems.extend(template_problems)
    problems.extend(duplicate_function_names(lambdas))
    if problems:
        raise CloudAssemblyError(problems)
    return tuple(sorted(lambdas, key=lambda fn: fn.function_name))


def _collect_stacks(cdk_out: Path, problems: list[str]) -> list[StackArtifact]:
    manifest_file = cdk_out / "manifest.json"
    if not manifest_file.is_file():
        raise CloudAssemblyError(
            f"no cloud assembly in {cdk_out}: {manifest_file.name} is missing "
            "(run `cdk synth`, or pass --cdk-out DIR)"
        )
    stacks: list[StackArtifact] = []
    pending = [cdk_out]
    seen: set[Path] = set()
    while pending:
        directory = pending.pop(0)
        resolved = directory.resolve()
        if resolved in seen:
            continue
        seen.add(resolved)
        manifest = _load_json(directory / "manifest.json", "cloud assembly manifest", problems)
        if manifest is None:
            continue
        found, nested, manifest_problems = stack_artifacts(manifest, directory)
        stacks.extend(found)
        pending.extend(nested)
        problems.extend(manifest_problems)
    return stacks


def _load_json(path: Path, what: str, problems: list[str]) -> Mapping[str, object] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(f"{what} {path} does not exist")
        return None
    except (OSError, UnicodeDecodeError) as error:
        problems.append(f"{what} {path} cannot be read: {error}")
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        problems.append(f"{what} {path} is not valid JSON: {error.msg} at line {error.lineno}")
        return None
    if not isinstance(data, dict):
        problems.append(f"{what} {path} is not a JSON object")
        return None
    return data


def stack_artifacts(
    manifest: Mapping[str, object], directory: Path
) -> tuple[list[StackArtifact], list[Path], list[str]]:
    """The stacks and nested assembly directories one ``manifest.json`` declares, plus problems."""
    artifacts = manifest.get("artifacts", {})
    if not isinstance(artifacts, dict):
        return [], [], [f"{directory / 'manifest.json'}: 'artifacts' is not an object"]
    stacks: list[StackArtifact] = []
    nested: list[Path] = []
    problems: list[str] = []
    for artifact_id in sorted(artifacts):
        artifact = artifacts[artifact_id]
        if not isinstance(artifact, dict):
            continue
        kind = artifact.get("type")
        properties = artifact.get("properties")
        if not isinstance(properties, dict):
            properties = {}
        where = f"{directory / 'manifest.json'}: artifact {artifact_id!r}"
        if kind == STACK_ARTIFACT:
            template_file = properties.get("templateFile")
            if not isinstance(template_file, str) or not template_file:
                problems.append(f"{where} has no properties.templateFile")
                continue
            display_name = artifact.get("displayName")
            stack_id = display_name if isinstance(display_name, str) and display_name else artifact_id
            stack_name = properties.get("stackName")
            if not isinstance(stack_name, str) or not stack_name:
                stack_name = artifact_id
            stacks.append(StackArtifact(stack_name, stack_id, directory / template_file))
        elif kind == NESTED_ASSEMBLY_ARTIFACT:
            directory_name = properties.get("directoryName")
            if not isinstance(directory_name, str) or not directory_name:
                problems.append(f"{where} has no properties.directoryName")
                continue
            nested.append(directory / directory_name)
    return stacks, nested, problems


def lambdas_from_template(
    template: Mapping[str, object], *, stack_name: str, stack_id: str
) -> tuple[list[ProductionLambda], list[str]]:
    """The production Lambdas of one stack template, and every contract problem found in it."""
    resources = template.get("Resources", {})
    if not isinstance(resources, dict):
        return [], [f"stack {stack_name}: template 'Resources' is not an object"]
    lambdas: list[ProductionLambda] = []
    problems: list[str] = []
    for logical_id in sorted(resources):
        resource = resources[logical_id]
        if not isinstance(resource, dict) or resource.get("Type") != LAMBDA_FUNCTION:
            continue
        metadata = resource.get("Metadata")
        if not isinstance(metadata, dict) or "cora:app" not in metadata:
            continue  # not a StandardLambda: a CDK provider function or a hand-written one
        properties = resource.get("Properties")
        parsed = _production_lambda(
            logical_id,
            metadata,
            properties if isinstance(properties, dict) else {},
            stack_name=stack_name,
            stack_id=stack_id,
            problems=problems,
        )
        if parsed is not None:
            lambdas.append(parsed)
    return lambdas, problems


def duplicate_function_names(lambdas: list[ProductionLambda]) -> list[str]:
    """One problem per function name used by more than one production Lambda."""
    by_name: dict[str, list[str]] = {}
    for fn in lambdas:
        by_name.setdefault(fn.function_name, []).append(fn.construct_path)
    return [
        f"function name {name} is used by {len(paths)} Lambdas: {', '.join(sorted(paths))}"
        for name, paths in sorted(by_name.items())
        if len(paths) > 1
    ]


def _production_lambda(
    logical_id: str,
    metadata: Mapping[str, object],
    properties: Mapping[str, object],
    *,
    stack_name: str,
    stack_id: str,
    problems: list[str],
) -> ProductionLambda | None:
    cdk_path = metadata.get("aws:cdk:path")
    where = f"stack {stack_name}, {cdk_path if isinstance(cdk_path, str) and cdk_path else logical_id}"
    before = len(problems)

    def fail(message: str) -> None:
        problems.append(f"{where}: {message}")

    def text(key: str, pattern: re.Pattern[str] | None = None) -> str:
        if key not in metadata:
            fail(f"metadata key {key!r} is missing")
            return ""
        value = metadata[key]
        if not isinstance(value, str) or not value:
            fail(f"metadata key {key!r} must be a non-empty string, got {value!r}")
            return ""
        if pattern is not None and not pattern.match(value):
            fail(f"metadata key {key!r} has an invalid value {value!r}")
            return ""
        return value

    construct_path = text("aws:cdk:path")
    app = text("cora:app")
    if app and app not in APPS:
        fail(f"metadata key 'cora:app' must be one of {', '.join(APPS)}, got {app!r}")
    module = text("cora:module", _NAME)
    lambda_name = text("cora:lambda", _NAME)
    handler = text("cora:handler", _HANDLER)
    lambda_dir = text("cora:source")
    if lambda_dir and not _is_project_path(lambda_dir):
        fail(f"metadata key 'cora:source' must be a relative POSIX folder path, got {lambda_dir!r}")
    layers = _layers(metadata, fail)
    routes = _routes(metadata, fail)
    dependency_files = _dependency_files(metadata, fail)
    package = metadata.get("cora:package")
    if package is not None and (not isinstance(package, str) or not package):
        fail(f"metadata key 'cora:package' must be a non-empty string, got {package!r}")

    function_name = properties.get("FunctionName")
    if function_name is None:
        fail("property FunctionName is missing (StandardLambda always sets a literal name)")
    elif not isinstance(function_name, str):
        fail(f"property FunctionName is not a literal string (got {json.dumps(function_name)})")
    elif not _FUNCTION_NAME.match(function_name):
        fail(f"property FunctionName {function_name!r} is not a valid Lambda function name")

    if len(problems) > before or not isinstance(function_name, str):
        return None
    return ProductionLambda(
        function_name=function_name,
        app=app,
        stack=stack_name,
        stack_id=stack_id,
        module=module,
        lambda_name=lambda_name,
        construct_path=construct_path,
        lambda_dir=lambda_dir,
        handler=handler,
        layers=layers,
        routes=routes,
        dependency_files=dependency_files,
        source_package=package if isinstance(package, str) else None,
    )


def _dependency_files(metadata: Mapping[str, object], fail: _Fail) -> tuple[str, ...]:
    value = metadata.get("cora:dependencyFiles", [])
    if not isinstance(value, list) or not all(isinstance(v, str) and _is_project_path(v) for v in value):
        fail(f"metadata key 'cora:dependencyFiles' must be a list of project files, got {value!r}")
        return ()
    return tuple(str(v) for v in value)


def _is_project_path(value: str) -> bool:
    return all(_PATH_SEGMENT.match(segment) for segment in value.split("/"))


def _layers(metadata: Mapping[str, object], fail: _Fail) -> tuple[str, ...]:
    if "cora:layers" not in metadata:
        fail("metadata key 'cora:layers' is missing")
        return ()
    value = metadata["cora:layers"]
    if not isinstance(value, list):
        fail(f"metadata key 'cora:layers' must be a list of folders, got {value!r}")
        return ()
    layers: list[str] = []
    for item in value:
        if not isinstance(item, str) or not _is_project_path(item):
            fail(f"metadata key 'cora:layers' holds {item!r}, not a relative POSIX folder path")
        elif item not in layers:
            layers.append(item)
    return tuple(layers)


def _routes(metadata: Mapping[str, object], fail: _Fail) -> tuple[Route, ...]:
    if "cora:routes" not in metadata:
        fail("metadata key 'cora:routes' is missing")
        return ()
    value = metadata["cora:routes"]
    if not isinstance(value, list):
        fail(f"metadata key 'cora:routes' must be a list, got {value!r}")
        return ()
    routes: dict[tuple[str, str], Route] = {}
    for index, item in enumerate(value):
        label = f"cora:routes[{index}]"
        if not isinstance(item, dict):
            fail(f"{label} must be an object, got {item!r}")
            continue
        missing = [key for key in _REQUIRED_ROUTE_KEYS if key not in item]
        if missing:
            fail(f"{label} is missing key(s) {', '.join(repr(key) for key in missing)}")
            continue
        method, path, auth = item["method"], item["path"], item["auth"]
        # jsii drops None values when it writes metadata: an absent optional key means null.
        description = item.get("description", "")
        reason, category = item.get("public_reason"), item.get("category")
        if not isinstance(method, str) or not _METHOD.match(method):
            fail(f"{label}.method must be an upper-case HTTP method, got {method!r}")
        elif method == WEBSOCKET and (not isinstance(path, str) or split_route_key(path) != (method, path)):
            fail(f"{label}.path must be a WebSocket route key ($connect, chat), got {path!r}")
        elif method != WEBSOCKET and (not isinstance(path, str) or not path.startswith("/")):
            fail(f"{label}.path must be a string starting with '/', got {path!r}")
        elif not isinstance(auth, str) or not auth:
            fail(f"{label}.auth must be a non-empty string, got {auth!r}")
        elif not isinstance(description, str):
            fail(f"{label}.description must be a string, got {description!r}")
        elif reason is not None and not isinstance(reason, str):
            fail(f"{label}.public_reason must be a string or null, got {reason!r}")
        elif category is not None and not isinstance(category, str):
            fail(f"{label}.category must be a string or null, got {category!r}")
        elif (method, path) in routes:
            fail(f"{label}: route {method} {path} is listed twice")
        else:
            routes[(method, path)] = Route(method, path, auth, reason, description, category)
    return tuple(routes[key] for key in sorted(routes, key=lambda key: (key[1], key[0])))


SYNTHESIZED_APPS = "cora:synthesized-apps"


def synthesized_apps(cdk_out: Path) -> frozenset[str] | None:
    """The apps the synth that wrote ``cdk_out`` built (``-c app=stack`` builds one), or None
    when the app does not record them.

    The library's apps mark one stack with construct metadata ``cora:synthesized-apps``; CDK
    writes it into the stack's metadata (inline, or the artifact's ``additionalMetadataFile``),
    never into a template. The first stack that carries it answers.
    """
    problems: list[str] = []
    manifest = _load_json(cdk_out / "manifest.json", "cloud assembly manifest", problems)
    artifacts = manifest.get("artifacts") if manifest else None
    if not isinstance(artifacts, dict):
        return None
    for artifact_id in sorted(artifacts):
        artifact = artifacts[artifact_id]
        if not isinstance(artifact, dict) or artifact.get("type") != STACK_ARTIFACT:
            continue
        metadata: object = artifact.get("metadata")
        extra = artifact.get("additionalMetadataFile")
        if not isinstance(metadata, dict) and isinstance(extra, str):
            metadata = _load_json(cdk_out / extra, f"metadata of stack {artifact_id}", problems)
        if not isinstance(metadata, Mapping):
            continue
        for entries in metadata.values():
            for entry in entries if isinstance(entries, list) else ():
                data = entry.get("data") if isinstance(entry, dict) else None
                if entry.get("type") == SYNTHESIZED_APPS and isinstance(data, list):
                    return frozenset(str(app) for app in data)
    return None


def read_stack_templates(cdk_out: Path) -> tuple[tuple[StackArtifact, Mapping[str, object]], ...]:
    """Every stack of the assembly in ``cdk_out`` with its parsed template (for readers that need
    template properties beyond ``cora:*`` metadata, such as `cora audit`'s asset keys).

    Raises CloudAssemblyError listing every problem found (missing or unreadable files).
    """
    problems: list[str] = []
    stacks: list[tuple[StackArtifact, Mapping[str, object]]] = []
    for stack in _collect_stacks(cdk_out, problems):
        template = _load_json(stack.template_file, f"template of stack {stack.stack_name}", problems)
        if template is not None:
            stacks.append((stack, template))
    if problems:
        raise CloudAssemblyError(problems)
    return tuple(stacks)
