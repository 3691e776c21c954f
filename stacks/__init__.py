"""The reference app: an infra app and a stack app, selected with ``-c app=stack|infra``."""

from __future__ import annotations

import aws_cdk as cdk

from cora_constructs import ApiRoutes, CoraValidationError, defaults, naming
from cora_constructs.apps.discovery import discover_module_lambdas, group_by_module
from cora_constructs.stack import project_of, record_synthesized_apps
from stacks.api import ApiStack
from stacks.infra import InfraStack
from stacks.module import ModuleStack
from stacks.settings import AppSettings

RESERVED_STACK_PARTS = ("infra", "api")


def build_infra_app(app: cdk.App) -> list[cdk.Stack]:
    settings = AppSettings.of(app)
    name = naming.stack_name(settings.project, settings.environment, "infra")
    return [InfraStack(app, name)]


def build_stack_app(app: cdk.App) -> list[cdk.Stack]:
    project = project_of(app)
    settings = AppSettings(project.project, project.environment)
    api_stack = ApiStack(app, naming.stack_name(settings.project, settings.environment, "api"))
    routes = ApiRoutes(
        api_id_parameter=settings.api_id_parameter,
        authorizer_id_parameter=settings.authorizer_id_parameter,
    )
    stacks: list[cdk.Stack] = [api_stack]
    for module, lambdas in group_by_module(discover_module_lambdas(project.root)).items():
        if naming.slug(module) in RESERVED_STACK_PARTS:
            raise CoraValidationError.single(
                "CORA-A3",
                f"packages/module-{module}",
                f"module name {module!r} collides with the {module} stack: rename the module folder.",
            )
        stack = ModuleStack(
            app,
            naming.stack_name(settings.project, settings.environment, module),
            module=module,
            lambdas=lambdas,
            routes=routes,
        )
        stack.add_stack_dependency(api_stack, reason="routes attach to the shared HTTP API")
        stacks.append(stack)
    return stacks


def build_apps(app: cdk.App) -> list[cdk.Stack]:
    """Build the app named by context ``app`` (``stack`` or ``infra``); both when it is unset."""
    which = app.node.try_get_context(defaults.CONTEXT_APP)
    if which not in (None, "", "both", *defaults.APP_KINDS):
        raise CoraValidationError.single(
            "CORA-A4",
            "cdk context 'app'",
            f"app={which!r} is not an app of this project: use -c app=stack, -c app=infra, or no "
            "app context to synthesize both.",
        )
    apps = defaults.APP_KINDS if which in (None, "", "both") else (which,)
    stacks: list[cdk.Stack] = []
    if defaults.APP_INFRA in apps:
        stacks += build_infra_app(app)
    if defaults.APP_STACK in apps:
        stacks += build_stack_app(app)
    record_synthesized_apps(stacks, apps)
    return stacks
