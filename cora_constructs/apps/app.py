"""The two apps as library code: ``InfraApp``, ``StackApp``, both selected by ``CoraApp``.

A team's ``app.py``::

    from cora_constructs.apps import main

    main()  # -c app=infra | -c app=stack | neither: both

or, with a module of its own resources::

    main(module_stacks={"orders": OrdersStack})  # OrdersStack subclasses ModuleStack
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from cora_constructs import defaults, naming
from cora_constructs.apps.api import ApiStack
from cora_constructs.apps.discovery import discover_module_lambdas, group_by_module, name_collisions
from cora_constructs.apps.infra import InfraStack
from cora_constructs.apps.module import ModuleStack
from cora_constructs.apps.settings import AppSettings
from cora_constructs.compliance.aws_packs import acknowledge_org_exceptions
from cora_constructs.compliance.plugin import CoraComplianceError, check_after_synth
from cora_constructs.creation_traces import CREATION_TRACES_OFF, turn_creation_traces_off
from cora_constructs.errors import CoraValidationError, Violation
from cora_constructs.functions import prefetch
from cora_constructs.functions.packaging import checker_for
from cora_constructs.functions.standard_lambda import folder_tasks, routes_of
from cora_constructs.jsii_checks import library_calls
from cora_constructs.kept import node_of
from cora_constructs.layers.org_layer import ORG_LAYER_CONTENTS, org_contents_if_cached
from cora_constructs.project import find_project_root
from cora_constructs.routes.http_api import ApiRoutes
from cora_constructs.routes.websocket_api import WebSocketRoutes, missing_connect
from cora_constructs.settings_check import SettingsReport, check_settings
from cora_constructs.stack import project_of, record_synthesized_apps, remember_app_context
from cora_runtime.routes import Route, RouteDocstringError

RESERVED_STACK_PARTS = ("infra", "api")
ModuleStackFactory = Callable[..., ModuleStack]


class InfraApp:
    """The infra app (``{project}-infra``): one stack, ``{project}-{env}-infra``."""

    def __init__(self, app: cdk.App) -> None:
        settings = AppSettings.from_project(project_of(app))
        self.stack = InfraStack(app, naming.stack_name(settings.project, settings.environment, "infra"))
        self.stacks: list[cdk.Stack] = [self.stack]


class StackApp:
    """The stack app (``{project}-stack``): the shared HTTP API and one stack per module.

    When some module declares WebSocket route keys, the api stack also holds the WebSocket API
    (:mod:`cora_constructs.routes.websocket_api`) and those Lambdas are wired to it.

    Modules are discovered from ``packages/module-*/backend/lambdas/*/lambda_function.py``
    (context ``cora:modules`` changes the pattern). Each module gets a :class:`ModuleStack`,
    or the subclass ``module_stacks`` names for it (its tables, queues, environment).

    :param module_stacks: module name -> ModuleStack subclass. Default: plain ModuleStacks.
    :param authorizers: named authorizers for ``[auth: <name>]`` route tags (``iam`` is built in).
    """

    def __init__(
        self,
        app: cdk.App,
        *,
        module_stacks: Mapping[str, ModuleStackFactory] | None = None,
        authorizers: Mapping[str, Any] | None = None,
    ) -> None:
        project = project_of(app)
        settings = AppSettings.from_project(project)
        pattern = project.setting(defaults.CONTEXT_MODULES, defaults.MODULES_GLOB)
        lambdas = discover_module_lambdas(project.root, pattern)
        # Read before the prefetch thread starts: with both running Python, each would wait on
        # the other for the interpreter lock (this took 2-3x longer beside it).
        declared = [route for item in lambdas for route in _declared_routes(item.source)]
        # Each folder's own checks run in a background thread while the stacks are built.
        prefetch.start(
            project.settings,
            [item.source for item in lambdas],
            folder_tasks(checker_for(project.settings, project.root)),
            ahead={ORG_LAYER_CONTENTS: lambda: org_contents_if_cached(project)},
        )
        websocket = any(route.is_websocket for route in declared)
        self.api_stack = ApiStack(
            app, naming.stack_name(settings.project, settings.environment, "api"), websocket=websocket
        )
        self.websocket_routes = (
            WebSocketRoutes(
                api_id_parameter=settings.websocket_api_id_parameter,
                authorizer_id_parameter=settings.websocket_authorizer_id_parameter,
                stage_name=settings.websocket_stage,
            )
            if websocket
            else None
        )
        self.routes = ApiRoutes(
            api_id_parameter=settings.api_id_parameter,
            authorizer_id_parameter=settings.authorizer_id_parameter,
            authorizers=dict(authorizers or {}),
            websocket=self.websocket_routes,
            # Every module stack is built here: their routes are created once they all are.
            auto_flush=False,
        )
        self.stacks: list[cdk.Stack] = [self.api_stack]
        self.modules: dict[str, ModuleStack] = {}
        problems: list[Violation] = list(name_collisions(lambdas, project.root))
        factories = dict(module_stacks or {})
        grouped = group_by_module(lambdas)
        for name in sorted(set(factories) - set(grouped)):
            problems.append(
                Violation(
                    "CORA-A3",
                    f"module_stacks[{name!r}]",
                    f"no module {name!r} was found under {pattern}: fix the name, or remove it from "
                    f"module_stacks (modules found: {', '.join(sorted(grouped)) or 'none'}).",
                )
            )
        colliding = {v.path for v in problems}
        for module, items in grouped.items():
            if naming.slug(module) in RESERVED_STACK_PARTS:
                problems.append(
                    Violation(
                        "CORA-A3",
                        f"module-{module}",
                        f"module name {module!r} collides with the {module} stack: rename the module folder.",
                    )
                )
                continue
            items = [i for i in items if i.source.relative_to(project.root).as_posix() not in colliding]
            factory = factories.get(module, ModuleStack)
            try:
                stack = factory(
                    app,
                    naming.stack_name(settings.project, settings.environment, module),
                    module=module,
                    lambdas=items,
                    routes=self.routes,
                )
            except CoraValidationError as error:
                problems += error.violations
                continue
            with library_calls():
                stack.add_stack_dependency(self.api_stack, reason="routes attach to the shared HTTP API")
            self.modules[module] = stack
            self.stacks.append(stack)
        problems += missing_connect(declared)
        if problems:
            raise CoraValidationError(problems)
        self.routes.flush()


def _declared_routes(source: Path) -> list[Route]:
    """The routes the Lambda in ``source`` declares, read before any stack is built (so the api
    stack knows whether it needs the WebSocket API); a docstring that does not parse is reported
    by its StandardLambda, not here."""
    try:
        return list(routes_of(source / defaults.HANDLER_FILE))
    except (RouteDocstringError, OSError):
        return []


class CoraApp:
    """Both apps, or the one named by context ``app`` (``-c app=stack`` or ``-c app=infra``).

    Every ``cora:*`` setting is checked first (:mod:`cora_constructs.settings_check`: all bad
    settings fail at once, unknown keys are printed as warnings); then every problem of every
    module, Lambda, layer and route is collected and raised once as a
    :class:`CoraValidationError`. Options are those of :class:`StackApp`.

    The CORA rule pack runs when ``app.synth()`` returns, on the templates it wrote
    (:func:`~cora_constructs.compliance.plugin.check_after_synth`, with the project root), so a
    standard broken after construction fails ``cdk synth`` (:class:`CoraComplianceError`); the
    org's answers to cdk-nag's AwsSolutions and Serverless packs are acknowledged with their
    reasons (:mod:`cora_constructs.compliance.aws_packs`).
    """

    def __init__(self, app: cdk.App, **stack_app_options: Any) -> None:
        # Every cora:* setting first, all at once: a bad one must fail here, never deep in jsii.
        found = node_of(app).get_all_context()
        context: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
        self.settings_report = check_app_settings(context)
        for warning in self.settings_report.warnings:
            print(f"cora: warning: {warning}", file=sys.stderr)
        settings_problems = list(self.settings_report.errors)
        which = context.get(defaults.CONTEXT_APP)
        if which not in (None, "", "both", *defaults.APP_KINDS):
            settings_problems.append(
                Violation(
                    "CORA-A4",
                    "cdk context 'app'",
                    f"app={which!r} is not an app of this project: use -c app=stack, -c app=infra, or "
                    "no app context to synthesize both.",
                )
            )
        if settings_problems:
            raise CoraValidationError(settings_problems)
        remember_app_context(app, context)
        _creation_traces_off_unless_useful(app, context)
        self.apps: tuple[str, ...] = defaults.APP_KINDS if which in (None, "", "both") else (str(which),)
        self.stacks: list[cdk.Stack] = []
        self.infra: InfraApp | None = None
        self.stack: StackApp | None = None
        problems: list[Violation] = []
        if defaults.APP_INFRA in self.apps:
            try:
                self.infra = InfraApp(app)
                self.stacks += self.infra.stacks
            except CoraValidationError as error:
                problems += error.violations
        if defaults.APP_STACK in self.apps:
            try:
                self.stack = StackApp(app, **stack_app_options)
                self.stacks += self.stack.stacks
            except CoraValidationError as error:
                problems += error.violations
        if problems:
            raise CoraValidationError(problems)
        record_synthesized_apps(self.stacks, self.apps)
        # The standards checked once more on the final templates (escape hatches, raw constructs)
        # when app.synth() returns: a finding fails the synth; the report lands in cdk.out.
        check_after_synth(app, project_of(app).root)
        acknowledge_org_exceptions(
            [fn for module in (self.stack.modules.values() if self.stack else ()) for fn in module.functions],
            authorizers=[self.infra.stack.authorizer] if self.infra else [],
        )


def _creation_traces_off_unless_useful(app: cdk.App, context: Mapping[str, object]) -> None:
    """No creation stack trace for each construct when it would hold none of the app's frames
    (:mod:`cora_constructs.creation_traces`). Context can only be set on an app with no
    construct yet: an app that made some before the CoraApp keeps the CDK's default."""
    if not turn_creation_traces_off(context, os.environ):
        return
    try:
        node_of(app).set_context(CREATION_TRACES_OFF, True)
    except RuntimeError as error:  # the app's error, as jsii raises it
        if "after children have been added" not in str(error):
            raise


def check_app_settings(context: Mapping[str, object]) -> SettingsReport:
    """:func:`~cora_constructs.settings_check.check_settings` of an app's context, relative paths
    resolved from ``cora:projectRoot`` or the folder of ``cdk.json``."""
    root = context.get(defaults.CONTEXT_ROOT)
    project_root = (
        Path(root).expanduser() if isinstance(root, str) and root else find_project_root(Path.cwd())
    )
    return check_settings(context, project_root)


def main(**stack_app_options: Any) -> None:
    """Build and synthesize the app(s) the way ``cdk synth`` runs ``app.py``.

    A broken standard prints every violation (one line each, sorted by file, with a count per
    rule) and exits 1 without a traceback; nothing is written to ``cdk.out``. Options are those
    of :class:`StackApp` (``module_stacks=``, ``authorizers=``).
    """
    app = cdk.App()
    try:
        CoraApp(app, **stack_app_options)
    except CoraValidationError as error:
        print(f"cora: the app breaks the standards:\n{error.report()}", file=sys.stderr)
        sys.exit(1)
    try:
        app.synth()
    except CoraComplianceError as error:
        print(f"cora: {error}", file=sys.stderr)
        sys.exit(1)
