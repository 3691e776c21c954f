"""What a Lambda source folder may hold: checked before any CDK resource is built (no CDK import).

Every problem of one folder is returned at once, as :class:`~cora_constructs.errors.Violation`:

- CORA-L8: no folder, no ``lambda_function.py``, a handler that is empty, not UTF-8, does not
  parse, has no top-level ``lambda_handler`` (``def``, ``lambda_handler = ...`` or an import as
  ``lambda_handler``) or defines it ``async``;
- CORA-L6: a native binary committed into the folder (compiled code belongs in a layer built for
  Lambda's Linux);
- CORA-L11: a symbolic link that leaves the folder (``ln -s /etc etc_link``, ``../../x``, or any
  absolute target), which would ship whatever it reaches. Relative links that stay inside the
  folder are allowed. The asset must also be copied with ``SymlinkFollowMode.NEVER``.

A ``requirements.txt`` in the folder is allowed: what the function's layers do not already
provide is built for manylinux into the function's dependency layer
(:mod:`cora_constructs.functions.dependencies`), compiled packages included; the function's
own asset stays its source folder.
"""

from __future__ import annotations

import ast
from pathlib import Path

from cora_constructs import defaults
from cora_constructs.dependencies.binaries import escaping_link_problems, find_native_files
from cora_constructs.errors import Violation
from cora_runtime.routes import SourceReadError, decode_source

LAYER_FIX = (
    "delete it and list the package in the function's requirements.txt instead: it is built for "
    "Lambda's Linux (pip --platform manylinux2014_x86_64) into the function's dependency layer "
    "(or put it in a module layer, packages/module-<name>/backend/layers/<layer>/requirements.txt, "
    f"or the org layer, {defaults.ORG_LAYER_DIR}/requirements.txt); function folders hold only "
    "your own sources"
)
SHARED_LAYER_FIX = LAYER_FIX
"""The fix for compiled code in a function folder (the old name, kept for callers)."""

ENTRY_POINT = defaults.HANDLER.rsplit(".", 1)[1]


def requirement_packages(requirements: Path) -> list[str]:
    """The package lines of a requirements file (comments and blank lines dropped)."""
    lines = []
    for raw in requirements.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return lines


def _defines_entry_point(statements: list[ast.stmt]) -> ast.stmt | None:
    """The statement that binds ``lambda_handler`` at module level (inside if/try/with too)."""
    found: ast.stmt | None = None
    for node in statements:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if node.name == ENTRY_POINT:
                found = node
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
            if ENTRY_POINT in names:
                found = node
        elif isinstance(node, ast.Import | ast.ImportFrom):
            if any((a.asname or a.name.split(".")[0]) == ENTRY_POINT for a in node.names):
                found = node
        elif isinstance(node, ast.If | ast.Try | ast.With):
            blocks = [node.body, getattr(node, "orelse", [])]
            if isinstance(node, ast.Try):
                blocks += [node.finalbody, *(h.body for h in node.handlers)]
            for block in blocks:
                inner = _defines_entry_point(block)
                if inner is not None:
                    found = inner
    return found


def handler_problems(handler: Path, construct_path: str) -> list[Violation]:
    """Why ``handler`` (a ``lambda_function.py``) cannot be Lambda's entry point, if it cannot.

    Read as Python reads it (UTF-8 unless a coding cookie says otherwise). Empty, not text, not
    parseable, no module-level ``lambda_handler``, or an ``async def lambda_handler``: each is a
    CORA-L8 violation naming the file, never an exception.
    """
    try:
        data = handler.read_bytes()
    except OSError as exc:
        return [Violation("CORA-L8", construct_path, f"{handler} cannot be read: {exc.strerror}.")]
    try:
        text = decode_source(data)
    except SourceReadError as exc:
        return [Violation("CORA-L8", construct_path, f"{handler} {exc.message}.")]
    try:
        # Lambda runs python3.11 whatever runs the CDK app: 3.12+ grammar (PEP 695) is refused.
        tree = ast.parse(text, filename=str(handler), feature_version=(3, 11))
    except SyntaxError as exc:
        return [
            Violation(
                "CORA-L8",
                construct_path,
                f"{handler}:{exc.lineno or 0} does not parse ({exc.msg}): fix the syntax error; "
                "Lambda would fail to import it on every invocation.",
            )
        ]
    except ValueError as exc:  # a NUL byte
        return [Violation("CORA-L8", construct_path, f"{handler} cannot be parsed: {exc}.")]
    if not tree.body:
        return [
            Violation(
                "CORA-L8",
                construct_path,
                f"{handler} is empty: Lambda calls {defaults.HANDLER}, so define "
                f"`def {ENTRY_POINT}(event, context):` in it.",
            )
        ]
    entry = _defines_entry_point(tree.body)
    if entry is None:
        functions = [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        defined = f" (it defines {', '.join(functions)})" if functions else ""
        hint = f" or add `{ENTRY_POINT} = {functions[0]}`" if len(functions) == 1 else ""
        return [
            Violation(
                "CORA-L8",
                construct_path,
                f"{handler} has no module-level {ENTRY_POINT}{defined}: Lambda calls "
                f"{defaults.HANDLER}, which would fail on the first invocation. Define "
                f"`def {ENTRY_POINT}(event, context):`{hint}.",
            )
        ]
    if isinstance(entry, ast.AsyncFunctionDef):
        return [
            Violation(
                "CORA-L8",
                construct_path,
                f"{handler}:{entry.lineno} defines `async def {ENTRY_POINT}`: Lambda's python3.11 "
                "runtime calls the handler without awaiting it, so every invocation returns an "
                f"un-awaited coroutine. Make it a plain `def` (call asyncio.run(...) inside it).",
            )
        ]
    return []


def check_function_source(source: Path, construct_path: str) -> list[Violation]:
    """Every reason ``source`` cannot be a StandardLambda's code folder (see the module doc)."""
    if not source.is_dir():
        return [
            Violation(
                "CORA-L8",
                construct_path,
                f"source folder {source} does not exist: pass the folder that holds {defaults.HANDLER_FILE}.",
            )
        ]
    problems: list[Violation] = []
    handler = source / defaults.HANDLER_FILE
    if handler.is_symlink() or not handler.is_file():
        problems.append(
            Violation(
                "CORA-L8",
                construct_path,
                f"{source} has no {defaults.HANDLER_FILE}"
                f"{' (only a symbolic link to one)' if handler.is_symlink() else ''}: every "
                f"Lambda's handler is {defaults.HANDLER} (create {defaults.HANDLER_FILE} with a "
                f"{ENTRY_POINT} function).",
            )
        )
    else:
        problems += handler_problems(handler, construct_path)
    problems += escaping_link_problems(source, construct_path)
    for path, kind in find_native_files(source):
        problems.append(
            Violation(
                "CORA-L6",
                construct_path,
                f"{path} is a compiled binary ({kind}); compiled dependencies never ship in a function "
                f"package: {LAYER_FIX}.",
            )
        )
    return problems
