"""StandardLambda: a Lambda function that cannot break the org's Lambda standards."""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_
from constructs import Construct, IValidation

from cora_constructs import content_cache, defaults, naming, packaged
from cora_constructs.dependencies.cache import cache_root_of, wheelhouse_of
from cora_constructs.dependencies.layer_ref import LayerRef, LayerWatch, OrgLayerRef, project_paths
from cora_constructs.dependencies.sizes import (
    SIZE_METADATA,
    BundleSize,
    Part,
    limit_problems,
    size_metadata,
)
from cora_constructs.dependencies.stacking import unchecked_overlaps
from cora_constructs.errors import CoraValidationError, Violation
from cora_constructs.functions import prefetch
from cora_constructs.functions.dependencies import unknown_dependencies
from cora_constructs.functions.dependency_layer import dependency_layer_version
from cora_constructs.functions.observability import observability
from cora_constructs.functions.packaging import (
    ASSET_EXCLUDES,
    FunctionCode,
    LayerContents,
    SourceDigest,
    checker_for,
    function_code,
    hashed_sources,
    import_problems,
    source_digest,
)
from cora_constructs.functions.source_check import check_function_source
from cora_constructs.jsii_checks import library_calls, team_calls
from cora_constructs.kept import kept, node_of
from cora_constructs.project import ProjectContext
from cora_constructs.stack import construct_arguments, project_of
from cora_runtime.routes import Route, RouteDocstringError, parse_file

if TYPE_CHECKING:
    from cora_constructs.functions.imports import ImportChecker
    from cora_constructs.layers.org_layer import OrgLayer

_FORBIDDEN: dict[str, tuple[str, str]] = {
    "runtime": (
        "CORA-L2",
        "the org layer is built for python3.11, so every StandardLambda runs python3.11: drop `runtime=`",
    ),
    "code": (
        "CORA-L1",
        "code is always the content-hashed asset of `source` so every change redeploys: drop `code=` "
        "and put the handler in the source folder",
    ),
    "handler": (
        "CORA-L1",
        f"the handler is always {defaults.HANDLER}: drop `handler=` and name the entry point "
        "lambda_handler in lambda_function.py",
    ),
    "function_name": (
        "CORA-L7",
        "function names follow {project}-{environment}-{module}-{lambda}: drop `function_name=`",
    ),
    "asset_hash": (
        "CORA-L5",
        "the code hash is always computed from the source folder's contents (never fixed, never "
        "ignored): drop `asset_hash=`",
    ),
    "asset_hash_type": ("CORA-L5", "the code hash is always the source hash: drop `asset_hash_type=`"),
    "current_version_options": (
        "CORA-L4",
        "every code change publishes a retained version behind the `live` alias: drop "
        "`current_version_options=`",
    ),
    "runtime_management_mode": (
        "CORA-L2",
        "the runtime is managed by the org: drop `runtime_management_mode=`",
    ),
    "architecture": (
        "CORA-L2",
        "the org layer is built for x86_64 (manylinux2014_x86_64): drop `architecture=`",
    ),
}

_EXPLICIT = ("layers", "environment", "memory_size", "timeout", "description")


@cache
def passthrough_options() -> frozenset[str]:
    """Every ``aws_lambda.Function`` option that cannot break a standard, passed through as is."""
    names = set(inspect.signature(lambda_.FunctionProps.__init__).parameters) - {"self"}
    return frozenset(names - set(_FORBIDDEN) - set(_EXPLICIT))


def _describe(value: object) -> str:
    """A short, readable form of a value a caller passed."""
    for attribute in ("name", "family"):
        inner = getattr(value, attribute, None)
        if isinstance(inner, str):
            return inner
    if isinstance(value, str | int | float | bool):
        return repr(value)
    return type(value).__name__


class StandardLambda(Construct):
    """A python3.11 Lambda with the org layer first, hashed code, a ``live`` alias and route metadata.

    The handler is ``lambda_function.lambda_handler`` in ``source``; its routes are read from the
    handler module's docstring (see :mod:`cora_runtime.routes`), and must be wired into an API
    (:class:`~cora_constructs.ApiRoutes`) by the end of synth. Anything that would break a
    standard (another runtime, other code, a fixed hash, no org layer, compiled files in the
    folder, a source that belongs to the other app) raises :class:`CoraValidationError`
    listing every problem at once.

    :param source: the Lambda's folder (absolute, or relative to the project root).
    :param org_layer: the org layer: an :class:`OrgLayer` or :meth:`OrgLayer.from_ssm`.
    :param module: the functional module, default: read from ``packages/module-<name>/...``.
    :param layers: module layers, attached after the org layer. Default: none. The function's
        ``requirements.txt``, resolved on top of them, becomes its dependency layer, attached
        last (none when the layers below already provide every requirement).
    :param environment: environment variables. Default: none.
    :param memory_size: MiB. Default: 256.
    :param timeout: Default: 29 seconds (API Gateway's integration limit is 30 s).
    :param description: Default: the handler module's first docstring line.
    :param function_options: any other ``aws_lambda.Function`` option that cannot break a
        standard, passed through unchanged: ``vpc``, ``vpc_subnets``, ``security_groups``,
        ``role``, ``tracing``, ``dead_letter_queue``, ``log_group``, ``logging_format``,
        ``ephemeral_storage_size``, ``environment_encryption``, ``reserved_concurrent_executions``,
        ``initial_policy``, ``filesystem``... (see :func:`passthrough_options`). Options that
        would break one (``runtime``, ``architecture``, ``code``, ``handler``, ``function_name``,
        hash and version options) are refused with their rule code.

    Besides ``function`` (the ``aws_lambda.Function``, for grants) and ``alias`` (``live``),
    ``function_node`` and ``function_resource`` hold the function's construct node and its
    ``CfnFunction``, fetched once: reading them costs no round trip into the CDK's Node process.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source: str | Path,
        org_layer: OrgLayer | OrgLayerRef | None,
        module: str | None = None,
        layers: Sequence[lambda_.ILayerVersion | Any] = (),
        environment: Mapping[str, str] | None = None,
        memory_size: int = defaults.DEFAULT_MEMORY_MB,
        timeout: cdk.Duration | None = None,
        description: str | None = None,
        **function_options: Any,
    ) -> None:
        # Construct(scope, id) with jsii's check when the types are wrong (its TypeError names them).
        with library_calls() if construct_arguments(scope, construct_id) else nullcontext():
            super().__init__(scope, construct_id)
        # Every jsii round trip costs synth time at 200 functions: a CoraStack already knows its
        # project as a plain Python attribute, and the construct path is looked up only when
        # there is an error to report.
        self.stack = scope if isinstance(scope, cdk.Stack) else cdk.Stack.of(self)
        self.path_below_stack: tuple[str, ...] | None = (construct_id,) if scope is self.stack else None
        """The construct ids from the stack (excluded) down to this construct, when known
        without asking Node (made directly in its stack); None otherwise."""
        _check_argument_types(construct_id, environment, memory_size, timeout, description)
        # jsii re-checks every argument's type in Python before each call into Node (0.85 ms per
        # Function): the library's own values skip it; a team's options are checked (jsii_checks).
        with library_calls():
            self._build(
                source,
                org_layer,
                module,
                layers,
                environment,
                memory_size,
                timeout,
                description,
                function_options,
            )

    def _build(
        self,
        source: str | Path,
        org_layer: OrgLayer | OrgLayerRef | None,
        module: str | None,
        layers: Sequence[lambda_.ILayerVersion | Any],
        environment: Mapping[str, str] | None,
        memory_size: int,
        timeout: cdk.Duration | None,
        description: str | None,
        function_options: dict[str, Any],
    ) -> None:
        project = project_of(self.stack)
        team_options = any(name in passthrough_options() for name in function_options)
        function_options, observed = observability(self, function_options, project, self.stack)
        given = Path(source) if Path(source).is_absolute() else project.root / source
        source_dir = prefetch.result(project.settings, prefetch.RESOLVED, given, given.resolve)
        forbidden = {k: v for k, v in function_options.items() if k not in passthrough_options()}
        options = {k: v for k, v in function_options.items() if k in passthrough_options()}
        self.packaged_source = _packaged_source(source_dir, project.root)
        org, relative, routes, code, stacked, parts, digest = self._validate(
            project, source_dir, org_layer, forbidden, layers
        )

        self.source = relative
        self.module = module or _module_of(relative)
        self.lambda_name = source_dir.name
        self.app = project.app or ""
        self.routes = routes
        self.org_layer = org
        self.module_layers = tuple(layers)
        self.dependencies = code.dependencies
        self.code_hash = digest.asset_hash
        """The hash of the code asset (``S3Key`` ``<code_hash>.zip``, tag ``cora:code-hash``)."""
        if digest.fingerprint:  # the folder passed its checks: the pack need not read it again
            hashed_sources(project.settings).add((self.code_hash, relative))
        self.size_parts = parts
        self.wired = False
        self.function_name = naming.function_name(
            project.project, project.environment, self.module, self.lambda_name
        )
        # A team's passthrough options are its own values: those calls keep jsii's check.
        with team_calls() if team_options else nullcontext():
            self.function = lambda_.Function(
                self,
                "Function",
                function_name=self.function_name,
                runtime=_runtime(),
                architecture=_architecture(),
                handler=defaults.HANDLER,
                # The hash of the folder's contents, computed in Python in the walk that measures it:
                # CDK does not walk the folder again, and the code-hash tag needs no round trip.
                code=lambda_.Code.from_asset(
                    str(code.folder),
                    exclude=list(ASSET_EXCLUDES),
                    follow_symlinks=_never_follow(),
                    asset_hash=digest.fingerprint,
                    asset_hash_type=_custom_hash(),
                ),
                layers=[ref.layer_version for ref in stacked],
                environment=dict(environment or {}),
                memory_size=memory_size,
                timeout=timeout or _default_timeout(),
                description=description
                or prefetch.result(
                    project.settings,
                    "description",
                    source_dir,
                    lambda: _first_docstring_line(source_dir / defaults.HANDLER_FILE),
                )
                or self.function_name,
                current_version_options=lambda_.VersionOptions(
                    removal_policy=cdk.RemovalPolicy.RETAIN,
                    # The stack app resolves the org layer from SSM at deploy time, so a new layer
                    # never changes the template or CDK's version hash. Naming the layer ARN in the
                    # version's description does: a Version is immutable, so a new ARN replaces it
                    # and publishes a new version on the new layer, and `live` moves to it.
                    description=_version_description(org),
                ),
                **options,
            )
        # The function's construct node and its CfnFunction, fetched once and kept: every later
        # write (layer order, tracing, metadata, tag, acknowledgements) starts from them.
        self.function_node = self.function.node
        cfn = self.function_node.default_child
        assert isinstance(cfn, lambda_.CfnFunction)
        self.function_resource: lambda_.CfnFunction = cfn
        if len(stacked) > 1:
            # With @aws-cdk/aws-lambda:recognizeLayerVersion on, CDK sorts Layers by construct
            # path; Lambda applies them in order: org layer, module layers, dependency layer.
            cfn.add_property_override("Layers", [ref.arn for ref in stacked])
        self.alias = lambda_.Alias(
            self, ALIAS_CONSTRUCT_ID, alias_name=defaults.ALIAS_NAME, version=self.function.current_version
        )
        for warning in code.warnings:
            cdk.Annotations.of(self).add_warning_v2("cora:runtime-provided", warning)
        observed.apply(cfn)
        self._write_metadata(project, observed.metadata())
        if routes:
            _require_wiring(self)

    def _validate(
        self,
        project: ProjectContext,
        source_dir: Path,
        org_layer: object,
        forbidden: Mapping[str, object],
        layers: Sequence[Any],
    ) -> tuple[LayerRef, str, tuple[Route, ...], FunctionCode, list[LayerRef], list[Part], SourceDigest]:
        """Check every standard at once: the org layer, its source and app, its route docstring,
        its requirements (its dependency layer), every import of its code and Lambda's limits.
        Returns the org layer, the source, routes, code, every layer in order, the sizes and the
        digest of the folder (its asset's hash)."""
        path = _PENDING_PATH  # the real construct path is a jsii round trip: fetched on error only
        problems = _refuse_forbidden(path, forbidden)
        org = _org_layer_ref(org_layer)
        if org is None:
            problems.append(
                Violation(
                    "CORA-L3",
                    path,
                    f"org_layer is {_describe(org_layer)}; every function carries the org common "
                    "layer first: pass org_layer=OrgLayer(...) (infra app) or "
                    "OrgLayer.from_ssm(...) (stack app)",
                )
            )
        problems += prefetch.result(
            project.settings, "source", source_dir, lambda: check_function_source(source_dir, path)
        )
        if self.packaged_source is not None:
            relative = self.packaged_source
        else:
            try:
                relative = project.relative(source_dir, path, resolved=True)
            except CoraValidationError as exc:
                problems += exc.violations
                relative = source_dir.as_posix()
        problems += _check_app_separation(project, source_dir, relative, path)
        routes: tuple[Route, ...] = ()
        handler_file = source_dir / defaults.HANDLER_FILE
        # A handler that cannot be read is one CORA-L8; its docstring and imports are not read.
        readable = handler_file.is_file() and not any(v.code == "CORA-L8" for v in problems)
        if readable:
            try:
                routes = routes_of(handler_file)
            except RouteDocstringError as exc:
                problems += [
                    Violation("CORA-R1", f"{file}:{line}", f"{message} (in {path})")
                    for file, line, message in exc.problems
                ]
        module_refs = [_layer_ref(layer) for layer in layers]
        show = project_paths(project.root)
        code = FunctionCode(source_dir)
        if source_dir.is_dir() and org is not None:
            try:
                code = function_code(
                    source_dir,
                    kept(project.settings, "layer cache root", lambda: cache_root_of(project.settings)),
                    [org, *module_refs],
                    build=_bundling_required(self.stack),
                    wheelhouse=wheelhouse_of(project.settings),
                    show=show,
                )
            except CoraValidationError as exc:
                # The requirements are the one cause: the imports they would serve are not checked.
                problems += exc.violations
                code = FunctionCode(source_dir, unknown_dependencies())
        stacked: list[LayerRef] = []
        parts: list[Part] = []
        digest = (
            prefetch.result(project.settings, "digest", source_dir, lambda: source_digest(source_dir))
            if source_dir.is_dir()
            else SourceDigest("", 0)
        )
        if org is not None:
            deps = dependency_layer_version(self.stack, project, code, relative)
            stacked = [org, *module_refs, *([deps] if deps is not None else [])]
            code_part = Part("function code", BundleSize(digest.size) if source_dir.is_dir() else None)
            parts = [code_part, *(Part(ref.label, ref.size) for ref in stacked)]
            problems += limit_problems(f"the function {relative}", code_part, parts[1:], where=path)
            known = [(ref.label, ref.python_dir) for ref in stacked if ref.python_dir is not None]
            problems += unchecked_overlaps(known, _overlaps_seen(self.stack))
        if readable and org is not None:
            problems += import_problems(
                checker_for(project.settings, project.root),
                source_dir,
                code,
                [_org_contents(org, project, show), *(_contents(ref, show) for ref in module_refs)],
                show,
            )
        if problems or org is None:
            real = self.node.path
            raise CoraValidationError(
                Violation(v.code, v.path.replace(path, real), v.message.replace(path, real)) for v in problems
            )
        return org, relative, routes, code, stacked, parts, digest

    @property
    def path(self) -> str:
        """The construct path, e.g. ``cora-dev-tracker/TrackerApi``."""
        return self.node.path

    @property
    def watch(self) -> LayerWatch:
        """What this function's deploys depend on: its source and layer folders in the project,
        and whether anything comes from the installed cora-constructs package."""
        watch = self.org_layer.watch
        for layer in self.module_layers:
            extra = getattr(layer, "watch", None)
            if isinstance(extra, LayerWatch):
                watch = watch + extra
        return watch + LayerWatch((), self.packaged_source is not None)

    def _write_metadata(self, project: ProjectContext, observed: Mapping[str, object]) -> None:
        cfn = self.function_resource
        watch = self.watch
        metadata: dict[str, object] = {
            "cora:module": self.module,
            "cora:app": self.app,
            "cora:lambda": self.lambda_name,
            "cora:source": self.source,
            "cora:handler": defaults.HANDLER,
            "cora:layers": list(watch.folders),
            "cora:routes": [route.as_dict() for route in self.routes],
            SIZE_METADATA: size_metadata(self.size_parts),
        }
        if self.dependencies is not None and self.dependencies.content_hash is not None:
            metadata["cora:dependencyLayer"] = f"{self.source}/requirements.txt"
        if watch.packaged:
            metadata["cora:dependencyFiles"] = _dependency_files(project)
        if self.packaged_source is not None:
            metadata["cora:package"] = f"{packaged.DISTRIBUTION}=={packaged.version()}"
        metadata.update(observed)
        # One override, deep-merged into Metadata at synth beside aws:cdk:path and the asset
        # keys: one jsii round trip instead of one add_metadata call per key.
        cfn.add_override("Metadata", metadata)
        # The asset hash the code was deployed from, for `cora audit` ("Lambda not updating").
        cfn.tags.set_tag(CODE_HASH_TAG, self.code_hash)


CODE_HASH_TAG = "cora:code-hash"
ALIAS_CONSTRUCT_ID = "Live"
"""The construct id of a StandardLambda's ``live`` alias."""


def _check_argument_types(
    construct_id: str,
    environment: object,
    memory_size: object,
    timeout: object,
    description: object,
) -> None:
    """The types of the values a team passes by name, checked here (jsii's own check is skipped
    for the library's calls): a TypeError naming the StandardLambda and the argument."""
    problems = []
    rule = "environment must map names to strings (str(...) a number; a token is a str already)"
    if environment is not None and not isinstance(environment, Mapping):
        problems.append(f"{rule}, got {type(environment).__name__}")
    elif environment is not None:
        bad = [
            f"{k!r}: {type(v).__name__}"
            for k, v in environment.items()
            if not (isinstance(k, str) and isinstance(v, str))
        ]
        if bad:
            problems.append(f"{rule}, got {', '.join(bad)}")
    if memory_size is not None and (
        isinstance(memory_size, bool) or not isinstance(memory_size, int | float)
    ):
        problems.append(
            f"memory_size must be a number of MiB, got {type(memory_size).__name__} {memory_size!r}"
        )
    if timeout is not None and not isinstance(timeout, cdk.Duration):
        problems.append(
            f"timeout must be a cdk.Duration (e.g. cdk.Duration.seconds(10)), got {type(timeout).__name__}"
        )
    if description is not None and not isinstance(description, str):
        problems.append(f"description must be a str, got {type(description).__name__}")
    if problems:
        raise TypeError(f"StandardLambda {construct_id!r}: " + "; ".join(problems))


@jsii.implements(IValidation)
class _RoutesWired:
    """Fails the synth for every StandardLambda of a stack whose docstring routes no API serves."""

    def __init__(self) -> None:
        self.functions: list[StandardLambda] = []

    def validate(self) -> list[str]:
        return [
            f"CORA-R5 {fn.source}/{defaults.HANDLER_FILE}: {fn.function_name} declares "
            f"{len(fn.routes)} route(s) ({', '.join(r.key for r in fn.routes[:3])}"
            f"{', ...' if len(fn.routes) > 3 else ''}) that no API serves: wire it with "
            "ApiRoutes(...).add(function) (the library's StackApp does; with "
            "ApiRoutes(auto_flush=False), call its flush() before the synth), or remove the Routes "
            "section from its docstring if it is not called through the API."
            for fn in self.functions
            if fn.routes and not fn.wired
        ]


def _require_wiring(function: StandardLambda) -> None:
    """Register ``function`` with one wiring validation: its app's (a CoraStack knows the app or
    stage it was made in, so one jsii object and one callback serve every stack), else its stack's."""
    scope: Construct = getattr(function.stack, "stage", None) or function.stack

    def registered() -> _RoutesWired:
        check = _RoutesWired()
        node_of(scope).add_validation(check)
        return check

    kept(scope, "routes wired", registered).functions.append(function)


def _packaged_source(source_dir: Path, root: Path) -> str | None:
    """For code shipped in cora-constructs and installed (not a folder of the project): its path
    inside the distribution, e.g. ``cora_constructs/authorizer``; else None."""
    if not _is_under(source_dir, packaged.PACKAGE_DIR):
        return None
    if _is_under(source_dir, root) and not packaged.is_installed_path(source_dir):
        return None  # cora-constructs' own repository: a project folder like any other
    return source_dir.relative_to(packaged.PACKAGE_DIR.parent).as_posix()


def _org_contents(org: LayerRef, project: ProjectContext, show: Callable[[Path], str]) -> LayerContents:
    """The org layer for the import check: a package is added in the project's org layer folder
    (made once per org layer reference of an app: every function of a stack shares it)."""
    own = project.root / project.setting(defaults.CONTEXT_ORG_LAYER_DIR, defaults.ORG_LAYER_DIR)
    return kept(
        org,
        "import check contents",
        lambda: LayerContents(org.label, org.python_dir, show(own / "requirements.txt"), show(own)),
    )


def _contents(ref: LayerRef, show: Callable[[Path], str]) -> LayerContents:
    """A layer as the import check sees it (a layer built elsewhere: contents unknown)."""
    requirements = ref.requirements_files[-1] if ref.requirements_files else None
    if requirements is None:
        return LayerContents(ref.label, ref.python_dir)
    return LayerContents(ref.label, ref.python_dir, show(requirements), show(requirements.parent))


def _layer_ref(layer: Any) -> LayerRef:
    """A module layer (ModuleLayer) as a layer of the stack; a plain ILayerVersion's contents
    are unknown: it stops the stacking and the import check, and its size is not counted."""
    ref = getattr(layer, "ref", None)
    if isinstance(ref, LayerRef):
        return ref
    if isinstance(layer, LayerRef):
        return layer
    return LayerRef(layer, LayerWatch(), label="a layer built outside cora-constructs")


def _overlaps_seen(stack: cdk.Stack) -> set[tuple[Path, Path]]:
    """The layer pairs a stack's functions already checked (so a pair is reported once)."""
    return kept(stack, "layer overlaps seen", set)


_PENDING_PATH = "\0construct-path\0"


def _bundling_required(stack: cdk.Stack) -> bool:
    """Whether ``stack`` is bundled in this synth, read once per stack (a jsii round trip), or
    answered from the context the app was read with when the answer cannot differ: no stack
    is bundled (``[]``), or every stack (``["**"]`` or unset, the CDK's default) and the stack's
    path is one part not starting with ``.`` (which ``**`` always matches)."""

    def read() -> bool:
        project = getattr(stack, "project", None)  # a CoraStack's, read with the app's context
        if isinstance(project, ProjectContext):
            path = getattr(stack, "construct_path", None)
            if project.bundling_stacks == ():
                return False
            every = project.bundling_stacks in (None, ("**",))
            if every and isinstance(path, str) and not path.startswith("."):
                return True
        return bool(stack.bundling_required)

    return kept(stack, "bundling required", read)


def _version_description(org: LayerRef) -> str:
    """``org layer <layer version ARN>``, as a token: built once per org layer reference (one
    per stack), since every function of the stack names the same layer. A string holding a
    token renders as the same Fn::Join that Fn.join would build."""
    return kept(org, "version description", lambda: "org layer " + org.arn)


# Each jsii static lookup is a round trip to Node: the constants are fetched once.
@cache
def _default_timeout() -> cdk.Duration:
    return cdk.Duration.seconds(defaults.DEFAULT_TIMEOUT_S)


@cache
def _runtime() -> lambda_.Runtime:
    return lambda_.Runtime.PYTHON_3_11


@cache
def _architecture() -> lambda_.Architecture:
    return lambda_.Architecture.X86_64


@cache
def _custom_hash() -> cdk.AssetHashType:
    return cdk.AssetHashType.CUSTOM


@cache
def _never_follow() -> cdk.SymlinkFollowMode:
    # A link in the function folder is never followed: it could put any file of the building
    # machine (e.g. /etc) into the deployed zip.
    return cdk.SymlinkFollowMode.NEVER


def _refuse_forbidden(path: str, forbidden: Mapping[str, object]) -> list[Violation]:
    problems = []
    for name, value in sorted(forbidden.items()):
        rule = _FORBIDDEN.get(name)
        if rule is None:
            problems.append(
                Violation(
                    "CORA-L0",
                    path,
                    f"StandardLambda has no option {name!r} (received {_describe(value)}); it accepts "
                    "source, org_layer, module, layers, environment, memory_size, timeout, "
                    "description and every aws_lambda.Function option that cannot break a standard "
                    "(vpc, security_groups, role, tracing, dead_letter_queue, log_group, ...)",
                )
            )
        else:
            code, fix = rule
            problems.append(Violation(code, path, f"{name}={_describe(value)} was asked for; {fix}."))
    return problems


def _org_layer_ref(org_layer: object) -> OrgLayerRef | None:
    """The org layer's ref: an OrgLayer (its ``ref``) or what OrgLayer.from_ssm returns."""
    ref = getattr(org_layer, "ref", org_layer)
    return ref if isinstance(ref, OrgLayerRef) else None


def _check_app_separation(
    project: ProjectContext, source_dir: Path, source: str, path: str
) -> list[Violation]:
    """The two-repo rule: module code only in the stack app, the authorizer only in the infra app."""
    app = project.app
    if app is None:
        return [
            Violation(
                "CORA-A0",
                path,
                "StandardLambda is not inside a CoraStack, so its app is unknown: create it in "
                "CoraStack(..., app_kind='stack') or CoraStack(..., app_kind='infra').",
            )
        ]
    modules_root = kept(project.settings, "modules prefix", lambda: modules_prefix(project))
    if app == defaults.APP_INFRA and modules_root and source.startswith(modules_root + "/"):
        return [
            Violation(
                "CORA-A1",
                path,
                f"functional module code ({source}) is in the infra app; never sync functional module "
                "code to the infra repo: build it in a CoraStack with app_kind='stack'.",
            )
        ]
    authorizers = _authorizer_folders(project)
    if app == defaults.APP_STACK and any(_is_under(source_dir, folder) for folder in authorizers):
        return [
            Violation(
                "CORA-A2",
                path,
                f"the authorizer ({source}) is in the stack app; it belongs to the infra app, and "
                "the stack app reaches it through its SSM parameter.",
            )
        ]
    return []


def _dependency_files(project: ProjectContext) -> list[str]:
    """:func:`packaged.dependency_files` of the project, listed once per app."""
    return list(kept(project.settings, "dependency files", lambda: packaged.dependency_files(project.root)))


def _authorizer_folders(project: ProjectContext) -> tuple[Path, ...]:
    """The packaged authorizer and the project's own authorizer folder, resolved once per app."""

    def resolved() -> tuple[Path, ...]:
        own = project.root / project.setting(defaults.CONTEXT_AUTHORIZER_DIR, defaults.AUTHORIZER_DIR)
        return (packaged.AUTHORIZER_DIR.resolve(), own.resolve())

    return kept(project.settings, "authorizer folders", resolved)


def _is_under(path: Path, folder: Path) -> bool:
    """``path.is_relative_to(folder)`` for absolute, resolved paths, by their text (pathlib's
    raises and catches an exception for every path outside)."""
    text, prefix = str(path), str(folder)
    return text == prefix or text.startswith(prefix.rstrip(os.sep) + os.sep)


def modules_prefix(project: ProjectContext) -> str:
    """The fixed leading folders of the modules glob, e.g. ``packages``."""
    fixed = []
    for part in project.setting(defaults.CONTEXT_MODULES, defaults.MODULES_GLOB).split("/"):
        if any(ch in part for ch in "*?["):
            break
        fixed.append(part)
    return "/".join(fixed)


def _module_of(source: str) -> str:
    parts = source.split("/")
    for part in parts:
        if part.startswith(defaults.MODULE_DIR_PREFIX):
            return naming.module_name(part)
    return parts[-1]


def routes_of(handler_file: Path) -> tuple[Route, ...]:
    """The routes of a handler's docstring, parsed once per content of the file (raises
    RouteDocstringError, which is never cached)."""
    return content_cache.cached_file("routes", handler_file, lambda path: tuple(parse_file(str(path))))


def folder_tasks(checker: ImportChecker | None = None) -> dict[str, prefetch.Task]:
    """What a function folder's checks compute without Node, for :mod:`.prefetch`: its source
    check (violations at the pending construct path), its asset digest, its description line,
    and, given the app's import checker, the parse of its handler's imports (kept in the
    checker for the import check)."""
    tasks: dict[str, prefetch.Task] = {
        "source": lambda folder: check_function_source(folder, _PENDING_PATH),
        "digest": source_digest,
        "description": lambda folder: _first_docstring_line(folder / defaults.HANDLER_FILE),
    }
    if checker is not None:
        tasks["imports"] = lambda folder: checker.parse_ahead(folder / defaults.HANDLER_FILE)
    return tasks


def _first_docstring_line(handler_file: Path) -> str | None:
    import ast

    try:
        tree = ast.parse(handler_file.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return None
    doc = ast.get_docstring(tree)
    if not doc:
        return None
    first = doc.strip().splitlines()[0].strip()
    return first[:256] or None
