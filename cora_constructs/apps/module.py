"""One CloudFormation stack per functional module: its Lambdas and routes, and what a team adds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from constructs import Construct

from cora_constructs import defaults
from cora_constructs.apps.discovery import ModuleLambda, construct_id
from cora_constructs.apps.settings import AppSettings
from cora_constructs.errors import CoraValidationError, Violation
from cora_constructs.functions.standard_lambda import StandardLambda
from cora_constructs.layers.module_layer import ModuleLayer, module_layer_folders
from cora_constructs.layers.org_layer import OrgLayer
from cora_constructs.routes.http_api import ApiRoutes
from cora_constructs.stack import CoraStack


class ModuleStack(CoraStack):
    """``{project}-{env}-{module}``: a module's StandardLambdas behind the shared HTTP API.

    Every folder under the module's ``backend/layers/`` is a :class:`ModuleLayer`, attached after
    the org layer to each of the module's Lambdas (in folder name order), each resolved on top
    of the layers before it; a Lambda's own ``requirements.txt`` becomes its dependency layer,
    attached last.

    **The extension point.** Subclass it to give a module its own resources and settings, and
    register the subclass with ``StackApp(module_stacks={"<module>": YourStack})``:

    - :meth:`add_resources`: create the module's tables, queues, buckets (called once, before
      the functions exist);
    - :meth:`function_environment`: extra environment variables for one Lambda (e.g. a table name);
    - :meth:`function_options`: extra ``StandardLambda`` options for one Lambda (``vpc``,
      ``tracing``, ``dead_letter_queue``, ...);
    - :meth:`configure_function`: grants and wiring once a function exists.

    Every problem of every Lambda is collected and raised once (``CoraValidationError``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id_: str,
        *,
        module: str,
        lambdas: Sequence[ModuleLambda],
        routes: ApiRoutes,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id_, app_kind=defaults.APP_STACK, **kwargs)
        self.module = module
        settings = AppSettings.of(self)
        self.org_layer = OrgLayer.from_ssm(self, "OrgLayer", parameter_name=settings.org_layer_arn_parameter)
        problems: list[Violation] = []
        self.module_layers: list[ModuleLayer] = []
        for folder in module_layer_folders(lambdas[0].layers_dir) if lambdas else ():
            try:
                below = [self.org_layer, *(layer.ref for layer in self.module_layers)]
                self.module_layers.append(
                    ModuleLayer(
                        self, f"Layer{construct_id(folder.name)}", source=folder, module=module, below=below
                    )
                )
            except CoraValidationError as error:
                problems += error.violations
        self.add_resources()
        self.functions: list[StandardLambda] = []
        # A module layer that cannot be built is the one cause to report: its functions would
        # only repeat it as imports that do not resolve.
        for item in lambdas if not problems else ():
            try:
                function = StandardLambda(
                    self,
                    construct_id(item.lambda_name),
                    source=item.source,
                    module=module,
                    org_layer=self.org_layer,
                    layers=self.module_layers,
                    environment={"MODULE_NAME": module, **self.function_environment(item)},
                    **self.function_options(item),
                )
                routes.add(function)
            except CoraValidationError as error:
                problems += error.violations
                continue
            self.configure_function(function)
            self.functions.append(function)
        if problems:
            raise CoraValidationError(problems)

    def add_resources(self) -> None:
        """Create the module's own resources. Default: none."""

    def function_environment(self, item: ModuleLambda) -> Mapping[str, str]:
        """Environment variables for ``item`` beyond ``MODULE_NAME``. Default: none."""
        return {}

    def function_options(self, item: ModuleLambda) -> Mapping[str, Any]:
        """Extra StandardLambda options for ``item``. Default: none."""
        return {}

    def configure_function(self, function: StandardLambda) -> None:
        """Called once per function after it is built (grants, event sources). Default: nothing."""
