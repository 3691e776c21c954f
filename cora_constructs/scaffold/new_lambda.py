"""`cora new lambda`: where a new Lambda goes and whether it may go there (reads the project,
writes nothing). Every problem is found before a file is written.

Folders follow the stack app's discovery pattern (context ``cora:modules``, by default
``packages/module-*/backend/lambdas/*``): the module's folder is its first wildcard part, the
Lambda's folder its last; the unit test goes in ``tests/`` beside the module's ``lambdas/``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cora_constructs import defaults, naming
from cora_constructs.apps.discovery import discover_module_lambdas
from cora_constructs.scaffold.lambda_files import LambdaFiles, RouteSpecError, render_lambda
from cora_runtime.routes import Route, RouteDocstringError, SourceReadError, parse_file

NAME = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")
MAX_NAME = 40
RESERVED_MODULES = ("infra", "api", "authorizer")
"""Module names the apps use for stacks and functions of their own (``{project}-{env}-infra``,
``-api``, the org authorizer ``{project}-{env}-authorizer-authorizer``)."""
TESTS_DIR = "tests"
_GLOB = re.compile(r"[*?\[]")


class NewLambdaError(ValueError):
    """Why the Lambda cannot be added; ``problems`` holds one line each."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class LambdaPlan:
    """The files to create (POSIX paths relative to the project root -> text)."""

    module: str
    name: str
    module_folder: str
    lambda_folder: str
    module_is_new: bool
    files: dict[str, str]
    routes: tuple[Route, ...]


@dataclass(frozen=True)
class Layout:
    """Where modules and Lambdas live, from the ``cora:modules`` pattern."""

    pattern: str
    module_parent: str
    module_prefix: str
    module_suffix: str
    lambdas_subpath: str

    @classmethod
    def of(cls, pattern: str) -> Layout:
        parts = pattern.strip("/").split("/")
        wild = [i for i, part in enumerate(parts) if _GLOB.search(part)]
        if len(wild) != 2 or parts[-1] != "*" or wild[1] != len(parts) - 1:
            raise NewLambdaError(
                [
                    f"cora:modules is {pattern!r}: `cora new lambda` needs a pattern with one wildcard "
                    "for the module folder and a last part `*` for the Lambda folder, like "
                    f"{defaults.MODULES_GLOB!r}; create the folders by hand"
                ]
            )
        module_part = parts[wild[0]]
        if module_part.count("*") != 1 or re.search(r"[?\[]", module_part):
            raise NewLambdaError(
                [f"cora:modules is {pattern!r}: its module part {module_part!r} must hold exactly one `*`"]
            )
        prefix, _, suffix = module_part.partition("*")
        return cls(
            pattern=pattern,
            module_parent="/".join(parts[: wild[0]]),
            module_prefix=prefix,
            module_suffix=suffix,
            lambdas_subpath="/".join(parts[wild[0] + 1 : -1]),
        )

    def module_folder(self, module: str) -> str:
        return _join(self.module_parent, f"{self.module_prefix}{module}{self.module_suffix}")

    def lambdas_folder(self, module: str) -> str:
        return _join(self.module_folder(module), self.lambdas_subpath)

    def tests_folder(self, module: str) -> str:
        parent = self.lambdas_subpath.rsplit("/", 1)[0] if "/" in self.lambdas_subpath else ""
        return _join(self.module_folder(module), parent, TESTS_DIR)

    def module_of(self, folder_name: str) -> str | None:
        """The module name of a module folder name, or None when it does not fit the pattern."""
        if not folder_name.startswith(self.module_prefix) or not folder_name.endswith(self.module_suffix):
            return None
        return folder_name[len(self.module_prefix) : len(folder_name) - len(self.module_suffix)] or None


def _join(*parts: str) -> str:
    return "/".join(part for part in parts if part)


def check_name(kind: str, value: str, example: str) -> list[str]:
    if NAME.match(value) and len(value) <= MAX_NAME:
        return []
    suggestion = naming.slug(value)[:MAX_NAME].strip("-")
    shown = suggestion if suggestion and NAME.match(suggestion) else example
    return [
        f"{kind} name {value!r} is not valid: use lower-case letters, digits and single '-' or '_' "
        f"between them, starting with a letter, at most {MAX_NAME} characters, like {shown!r}"
    ]


def plan_new_lambda(
    root: Path, module: str, name: str, route_specs: Sequence[str], context: Mapping[str, object]
) -> LambdaPlan:
    """The files of Lambda ``name`` in module ``module``; raises :class:`NewLambdaError` listing
    every reason it cannot be added (nothing has been written)."""
    problems = check_name("module", module, "billing") + check_name("Lambda", name, "invoice-api")
    if module.startswith("module-") or module.startswith("module_"):
        problems.append(
            f"module name {module!r}: pass the name without the folder prefix, e.g. {module[7:]!r}"
        )
    if naming.slug(module) in RESERVED_MODULES:
        problems.append(
            f"module name {module!r} is reserved (the apps name their own stacks and functions "
            f"{', '.join(RESERVED_MODULES)}): choose another name"
        )
    if problems:
        raise NewLambdaError(problems)
    pattern = context.get(defaults.CONTEXT_MODULES, defaults.MODULES_GLOB)
    layout = Layout.of(str(pattern))
    module_folder = layout.module_folder(module)
    lambda_folder = _join(layout.lambdas_folder(module), name)
    handler_path = f"{lambda_folder}/{defaults.HANDLER_FILE}"
    test_name = f"test_{module}_{name}.py".replace("-", "_")  # unique: pytest imports it by name
    test_path = f"{layout.tests_folder(module)}/{test_name}"

    module_is_new = not (root / module_folder).exists()
    problems += _module_collisions(root, layout, module, module_folder)
    if not problems and not module_is_new:
        existing = _lambda_collisions(root, layout, module, name, lambda_folder)
        if existing:
            raise NewLambdaError(existing)
    if (root / test_path).exists():
        problems.append(f"{test_path} already exists: move it, or choose another Lambda name")
    files: LambdaFiles | None = None
    try:
        files = render_lambda(module, name, list(route_specs), handler_path)
        routes = list(files.routes)
    except RouteSpecError as error:
        problems.append(str(error))
        routes = _readable_routes(module, name, route_specs, handler_path)
    problems += _route_conflicts(root, str(pattern), routes)
    if problems:
        raise NewLambdaError(problems)
    assert files is not None
    return LambdaPlan(
        module=module,
        name=name,
        module_folder=module_folder,
        lambda_folder=lambda_folder,
        module_is_new=module_is_new,
        files={handler_path: files.handler, test_path: files.test},
        routes=files.routes,
    )


def _module_collisions(root: Path, layout: Layout, module: str, module_folder: str) -> list[str]:
    """A module folder whose name differs from the new one only by '-', '_' or case."""
    parent = root / layout.module_parent if layout.module_parent else root
    if not parent.is_dir():
        return []
    wanted = naming.slug(module)
    for entry in sorted(parent.iterdir()):
        other = layout.module_of(entry.name)
        if other is None or not entry.is_dir():
            continue
        relative = _join(layout.module_parent, entry.name)
        if relative != module_folder and naming.slug(other) == wanted:
            return [
                f"module {module!r} collides with the existing module folder {relative} (the names "
                f"differ only by '-', '_' or case, so they would share stack and function names): "
                f"use `cora new lambda {other} ...`"
            ]
    return []


def _lambda_collisions(root: Path, layout: Layout, module: str, name: str, lambda_folder: str) -> list[str]:
    """The Lambda exists already, or a folder of the module differs from it by '-', '_' or case."""
    target = root / lambda_folder
    if (target / defaults.HANDLER_FILE).is_file():
        return [f"Lambda {name!r} of module {module!r} already exists: {lambda_folder}"]
    if target.exists():
        return [
            f"{lambda_folder} already exists but holds no {defaults.HANDLER_FILE}: remove it, or "
            "choose another name"
        ]
    lambdas = root / layout.lambdas_folder(module)
    if lambdas.is_dir():
        for entry in sorted(lambdas.iterdir()):
            if entry.is_dir() and naming.slug(entry.name) == naming.slug(name):
                relative = _join(layout.lambdas_folder(module), entry.name)
                return [
                    f"Lambda {name!r} collides with {relative} (the names differ only by '-', '_' or case, "
                    "so they would share one function name): choose another name"
                ]
    return []


def _readable_routes(module: str, name: str, route_specs: Sequence[str], handler_path: str) -> list[Route]:
    """The routes of the specs that parse on their own (to report conflicts beside bad specs)."""
    routes: list[Route] = []
    for spec in route_specs:
        try:
            routes += render_lambda(module, name, [spec], handler_path).routes
        except RouteSpecError:
            continue
    return routes


def _route_conflicts(root: Path, pattern: str, routes: Sequence[Route]) -> list[str]:
    """New routes another Lambda of the app already declares (API Gateway keeps one of each)."""
    declared: dict[str, Route] = {}
    for item in discover_module_lambdas(root, pattern):
        try:
            existing = parse_file(str(item.source / defaults.HANDLER_FILE))
        except (RouteDocstringError, SourceReadError, OSError, SyntaxError, UnicodeDecodeError):
            continue  # that Lambda's own problem: `cora synth` reports it with file and line
        for route in existing:
            declared.setdefault(route.shape, route)
    problems = []
    for route in routes:
        other = declared.get(route.shape)
        if other is not None:
            where = Path(other.filename)
            shown = where.relative_to(root).as_posix() if where.is_relative_to(root) else str(where)
            same = "" if other.key == route.key else f" as {other.key}"
            problems.append(
                f"route {route.key} is already declared by {shown}:{other.line}{same}: one route is "
                "served by one Lambda; choose another path or method"
            )
    return problems
