"""The expected state of an audit: the workflow manifest's functions and routes, completed with
what the current cloud assembly (cdk.out) would deploy: each function's code asset hash and the
number of layers its template attaches. Plain JSON; no ``aws_cdk`` import.

Why the code check compares asset hashes and not ``CodeSha256``: the deployed ``CodeSha256`` is
the SHA-256 of the zip that cdk-assets uploaded, and that zip does not exist in cdk.out (which
holds the asset *folder* ``asset.<hash>/``); it is written at publish time by cdk-assets
(``lib/private/archive.ts``, ``zipDirectory``). Reading that source: it sorts the file list and
resets every entry's date to 1980-01-01, so the same folder zips the same way *on one machine*,
but each entry keeps ``mode: stat.mode`` (permission bits differ between checkouts and umasks)
and the bytes are deflated by the Node.js zlib in use (its output may change with the Node or
zlib version). Recomputing ``CodeSha256`` would mean re-implementing archiver's zip writer and
matching the deployer's Node and file modes: not reliable. The asset hash, on the other hand, is
the key of the template's ``Code.S3Key`` (``<hash>.zip``), computed by CDK from the folder's
content at synth; StandardLambda tags each function with it (``cora:code-hash``), so the tag
names exactly the asset the function was last deployed from, and comparing it with the current
template's key is exact.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cora_constructs import defaults
from cora_constructs.assembly.model import EXPECTED_RUNTIME, Route
from cora_constructs.assembly.reader import LAMBDA_FUNCTION, read_stack_templates
from cora_constructs.audit.model import ExpectedFunction, ExpectedState, ManifestError

CONTEXT_PROJECT = defaults.CONTEXT_PROJECT
CONTEXT_ENVIRONMENT = defaults.CONTEXT_ENVIRONMENT
DEFAULT_PROJECT = defaults.DEFAULT_PROJECT
DEFAULT_ENVIRONMENT = defaults.DEFAULT_ENVIRONMENT
ALL_APPS = "all"


@dataclass(frozen=True, slots=True)
class ProjectSettings:
    project: str
    environment: str
    ssm_prefix: str | None = None


@dataclass(frozen=True, slots=True)
class ManifestFunction:
    function_name: str
    app: str
    stack: str
    lambda_dir: str
    workflow_file: str
    layers: tuple[str, ...]
    routes: tuple[Route, ...]


@dataclass(frozen=True, slots=True)
class TemplateFunction:
    """What a stack template would deploy for one function."""

    function_name: str
    code_hash: str | None
    layer_count: int
    dependency_layer: str | None = None
    """The function's requirements.txt its dependency layer is built from (metadata
    ``cora:dependencyLayer``), None when it has none."""


def read_project_settings(project_root: Path | None) -> ProjectSettings:
    """Project and environment from cdk.json's context (defaults: cora, dev)."""
    context: object = None
    if project_root is not None:
        try:
            settings = json.loads((project_root / "cdk.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            settings = None
        if isinstance(settings, dict):
            context = settings.get("context")
    if not isinstance(context, dict):
        context = {}
    project = context.get(CONTEXT_PROJECT)
    environment = context.get(CONTEXT_ENVIRONMENT)
    prefix = context.get(defaults.CONTEXT_SSM_PREFIX)
    return ProjectSettings(
        project=project if isinstance(project, str) and project else DEFAULT_PROJECT,
        environment=environment if isinstance(environment, str) and environment else DEFAULT_ENVIRONMENT,
        ssm_prefix=prefix if isinstance(prefix, str) and prefix else None,
    )


def read_manifest(path: Path) -> tuple[ManifestFunction, ...]:
    """The functions of the workflow manifest at ``path``. (Its ``expected_runtime`` is not read:
    the standard is python3.11 whatever a hand-edited manifest says.)

    Raises ManifestError listing every problem when the file is missing or malformed.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(
            f"no workflow manifest at {path} (run `cora manifest generate`, or pass --manifest FILE)"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ManifestError(f"workflow manifest {path} cannot be read: {error}") from None
    except json.JSONDecodeError as error:
        raise ManifestError(
            f"workflow manifest {path} is not valid JSON: {error.msg} at line {error.lineno}"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("functions"), list):
        raise ManifestError(f"workflow manifest {path} has no top-level 'functions' list")
    problems: list[str] = []
    functions: list[ManifestFunction] = []
    for index, entry in enumerate(data["functions"]):
        parsed = _manifest_function(entry, f"{path}: functions[{index}]", problems)
        if parsed is not None:
            functions.append(parsed)
    names = [fn.function_name for fn in functions]
    problems.extend(
        f"{path}: function {name} is listed {names.count(name)} times"
        for name in sorted(set(names))
        if names.count(name) > 1
    )
    if problems:
        raise ManifestError(problems)
    return tuple(functions)


def _manifest_function(entry: object, where: str, problems: list[str]) -> ManifestFunction | None:
    if not isinstance(entry, dict):
        problems.append(f"{where} is not an object")
        return None
    texts: dict[str, str] = {}
    for key in ("function_name", "app", "stack", "lambda_dir", "workflow_file"):
        value = entry.get(key)
        if not isinstance(value, str) or not value:
            problems.append(f"{where}.{key} must be a non-empty string, got {value!r}")
            return None
        texts[key] = value
    layers = entry.get("layers", [])
    routes = entry.get("routes", [])
    if not isinstance(layers, list) or not all(isinstance(item, str) for item in layers):
        problems.append(f"{where}.layers must be a list of folders, got {layers!r}")
        return None
    if not isinstance(routes, list):
        problems.append(f"{where}.routes must be a list, got {routes!r}")
        return None
    parsed_routes: list[Route] = []
    for index, item in enumerate(routes):
        route = _route(item)
        if route is None:
            problems.append(f"{where}.routes[{index}] needs string method, path and auth, got {item!r}")
            return None
        parsed_routes.append(route)
    return ManifestFunction(
        function_name=texts["function_name"],
        app=texts["app"],
        stack=texts["stack"],
        lambda_dir=texts["lambda_dir"],
        workflow_file=texts["workflow_file"],
        layers=tuple(layers),
        routes=tuple(parsed_routes),
    )


def _route(item: object) -> Route | None:
    if not isinstance(item, dict):
        return None
    method, path, auth = item.get("method"), item.get("path"), item.get("auth")
    if not (isinstance(method, str) and isinstance(path, str) and isinstance(auth, str)):
        return None
    reason, description, category = item.get("public_reason"), item.get("description"), item.get("category")
    return Route(
        method=method.upper(),
        path=path,
        auth=auth,
        public_reason=reason if isinstance(reason, str) else None,
        description=description if isinstance(description, str) else "",
        category=category if isinstance(category, str) else None,
    )


def read_template_functions(cdk_out: Path) -> dict[str, TemplateFunction]:
    """The production Lambdas (``cora:app`` metadata, literal FunctionName) of every template of
    the assembly, by function name. Raises CloudAssemblyError when cdk.out is unreadable."""
    found: dict[str, TemplateFunction] = {}
    for _stack, template in read_stack_templates(cdk_out):
        for fn in template_functions(template):
            found[fn.function_name] = fn
    return found


def template_functions(template: Mapping[str, object]) -> list[TemplateFunction]:
    """The production Lambdas of one parsed template."""
    resources = template.get("Resources")
    if not isinstance(resources, dict):
        return []
    functions: list[TemplateFunction] = []
    for resource in resources.values():
        if not isinstance(resource, dict) or resource.get("Type") != LAMBDA_FUNCTION:
            continue
        metadata = resource.get("Metadata")
        properties = resource.get("Properties")
        if not isinstance(metadata, dict) or "cora:app" not in metadata or not isinstance(properties, dict):
            continue
        name = properties.get("FunctionName")
        if not isinstance(name, str):
            continue
        layers = properties.get("Layers")
        dependency_layer = metadata.get("cora:dependencyLayer")
        functions.append(
            TemplateFunction(
                function_name=name,
                code_hash=asset_hash(properties.get("Code")),
                layer_count=len(layers) if isinstance(layers, list) else 0,
                dependency_layer=dependency_layer if isinstance(dependency_layer, str) else None,
            )
        )
    return functions


def asset_hash(code: object) -> str | None:
    """The asset hash of a function's ``Code``: the stem of a literal ``S3Key`` ``<hash>.zip``."""
    if not isinstance(code, dict):
        return None
    key = code.get("S3Key")
    if not isinstance(key, str) or not key.endswith(".zip"):
        return None
    stem = key.rsplit("/", 1)[-1].removesuffix(".zip")
    return stem or None


def expected_state(
    settings: ProjectSettings,
    manifest: Iterable[ManifestFunction],
    templates: Mapping[str, TemplateFunction],
    *,
    app: str = ALL_APPS,
    function: str | None = None,
) -> ExpectedState:
    """The expected state for the functions in scope (``app``: stack, infra or all; ``function``:
    one function name). Raises ManifestError when ``function`` is not in the manifest."""
    manifest = tuple(manifest)
    names = frozenset(fn.function_name for fn in manifest)
    if function is not None and function not in names:
        raise ManifestError(f"function {function} is not in the workflow manifest")
    in_scope = [
        fn
        for fn in manifest
        if (function is None or fn.function_name == function) and (app == ALL_APPS or fn.app == app)
    ]
    functions = []
    for fn in sorted(in_scope, key=lambda item: item.function_name):
        template = templates.get(fn.function_name)
        functions.append(
            ExpectedFunction(
                function_name=fn.function_name,
                app=fn.app,
                stack=fn.stack,
                lambda_dir=fn.lambda_dir,
                workflow_file=fn.workflow_file,
                layers=fn.layers,
                routes=fn.routes,
                code_hash=template.code_hash if template else None,
                layer_count=template.layer_count if template else max(1, len(fn.layers)),
                in_assembly=template is not None,
                dependency_layer=template.dependency_layer if template else None,
            )
        )
    return ExpectedState(
        project=settings.project,
        environment=settings.environment,
        expected_runtime=EXPECTED_RUNTIME,
        functions=tuple(functions),
        manifest_functions=names,
        manifest_routes=frozenset((route.method, route.path) for fn in manifest for route in fn.routes),
        check_unmanaged=function is None,
        check_undocumented_routes=function is None and app != "infra",
        ssm_prefix=settings.ssm_prefix,
    )
