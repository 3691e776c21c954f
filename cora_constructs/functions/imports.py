"""The import check: every import of a Lambda's code resolves where Lambda will look for it.

Plain Python (no CDK import). Given a function folder and the places an import may resolve, in
Lambda's order (the function folder, then each attached layer's ``python/`` folder: the org
layer, the module layers, the function's dependency layer), :meth:`ImportChecker.check` reads the
handler ``lambda_function.py`` and every local module it imports, transitively (imports at the
top level and inside functions alike), and returns one CORA-L9 violation per import that would
raise ``ImportError`` in Lambda: file and line, the module, where it looked, and the fix.

What counts as resolved:

- the python3.11 runtime's modules (the standard library, boto3, botocore and their
  dependencies, listed in ``cora_constructs/data/lambda_python311_runtime.txt``), with any
  submodule;
- a module file ``name.py``, a package ``name/__init__.py``, a namespace folder ``name/``
  (portions merged across roots, as Python does) or an extension module ``name.*.so`` (Linux
  suffixes only) in one of the roots. ``import a.b.c`` and ``from a.b import c`` check ``a.b``
  too; ``c`` in ``from a.b import c`` may be a submodule or an attribute, so it is not required.
  Below a plain module (``six.moves``) nothing is checked: a module can fake submodules;
- relative imports inside a local package, relative to it (in the top-level handler they are
  an error, as at run time).

Imports that are allowed to fail are skipped: inside ``try:`` with an ``except`` that catches
``ImportError`` (``ModuleNotFoundError``, a tuple holding one, ``Exception``, or a bare
``except``), and under ``if TYPE_CHECKING:``. ``importlib.import_module("x")`` and
``__import__("x")`` with a literal name are checked like ``import x``.

Two layers shipping the same top-level package (CORA-L10) are found when the upper layer is
built (:func:`cora_constructs.dependencies.stacking.overlaps`), once per pair of layers.

Cost: one ``os.scandir`` per folder looked into, one parse per local file, both cached by the
:class:`ImportChecker`; use one checker for a whole app so the layers' listings are shared.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from cora_constructs import defaults
from cora_constructs.dependencies.requirements import normalise_distribution
from cora_constructs.errors import Violation
from cora_runtime.routes import SourceReadError, decode_source

UNRESOLVED = "CORA-L9"

RUNTIME_DATA = Path(__file__).resolve().parents[1] / "data" / "lambda_python311_runtime.txt"
EXTENSION_SUFFIXES = (".cpython-311-x86_64-linux-gnu.so", ".abi3.so", ".so")
"""What CPython 3.11 on Lambda's x86_64 Linux loads as an extension module, in its order."""

_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
_DISTRIBUTION_HINTS = {
    "yaml": "PyYAML",
    "jwt": "PyJWT",
    "PIL": "Pillow",
    "bs4": "beautifulsoup4",
    "dotenv": "python-dotenv",
    "jose": "python-jose",
    "psycopg2": "psycopg2-binary",
    "sklearn": "scikit-learn",
    "cv2": "opencv-python-headless",
    "google": "the google-* package you use (e.g. protobuf, google-cloud-storage)",
    "attr": "attrs",
    "magic": "python-magic",
}


@dataclass(frozen=True)
class LambdaRuntime:
    """The modules the python3.11 Lambda runtime provides: ``stdlib`` names and ``packages``
    (import name -> distribution name: boto3, botocore and their dependencies)."""

    stdlib: frozenset[str]
    packages: Mapping[str, str]

    def provides(self, top_level: str) -> bool:
        return top_level in self.stdlib or top_level in self.packages

    @property
    def distributions(self) -> frozenset[str]:
        """The provided distributions' names, normalised (PEP 503: ``python-dateutil``)."""
        return frozenset(normalise_distribution(d) for d in self.packages.values())


def parse_runtime(text: str) -> LambdaRuntime:
    """Read the runtime data file's format: ``[packages]`` then ``[stdlib]`` sections."""
    stdlib: set[str] = set()
    packages: dict[str, str] = {}
    section = ""
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
        elif section == "packages":
            module, _, distribution = line.partition(" ")
            packages[module] = distribution.strip() or module
        elif section == "stdlib":
            stdlib.add(line)
        else:
            raise ValueError(f"runtime data line {raw!r} is outside a [packages] or [stdlib] section")
    return LambdaRuntime(frozenset(stdlib), packages)


@cache
def lambda_runtime() -> LambdaRuntime:
    """The python3.11 runtime's modules, read once from the packaged data file."""
    return parse_runtime(RUNTIME_DATA.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class ImportRoot:
    """One folder on Lambda's ``sys.path`` for a function.

    ``label`` names it in messages ("the function folder", "module layer orders_common");
    ``fix`` says how to provide a missing module there ("add it to .../requirements.txt"), empty
    when it is not a place to add one; ``local`` marks the function's own code, whose modules
    are read and their imports checked in turn; ``shown`` is what messages call the folder
    (a layer's bundle lives in the per-user cache, which a message never names).
    """

    label: str
    path: Path
    fix: str = ""
    local: bool = False
    shown: str = ""

    @classmethod
    def function(cls, source_dir: Path, shown: str = "") -> ImportRoot:
        """The function folder (``/var/task``): its own modules are followed; ``shown`` is the
        folder as messages name it (project-relative)."""
        return cls(
            "the function folder",
            source_dir,
            f"if it is your code, put it in {shown or source_dir}",
            local=True,
        )

    @classmethod
    def dependencies(cls, installed: Path, requirements_file: Path | str) -> ImportRoot:
        """The function's dependency layer, built from its ``requirements.txt`` (as shown)."""
        return cls(
            "the function's dependency layer",
            installed,
            f"add the package that provides it to {requirements_file}",
            shown=f"from {requirements_file}",
        )

    @classmethod
    def layer(
        cls, name: str, python_dir: Path, requirements_file: Path | str | None = None, shown: str = ""
    ) -> ImportRoot:
        """A layer's bundled ``python/`` folder (``/opt/python``); ``name`` like ``org layer`` or
        ``module layer orders_common``; ``shown`` its project folder, ``requirements_file`` as shown."""
        where = requirements_file or python_dir.parent / "requirements.txt"
        code = f", or its code under {shown}/python/" if shown else ""
        return cls(name, python_dir, f"add it to the {name} ({where}{code})", shown=shown or name)


@dataclass(frozen=True)
class _Import:
    line: int
    statement: str
    module: str  # dotted name, "" for `from . import x`
    level: int = 0
    names: tuple[str, ...] = ()  # the names of `from m import a, b`


@dataclass
class _Listing:
    """One folder's entries, from one ``os.scandir``."""

    dirs: dict[str, Path] = field(default_factory=dict)
    modules: dict[str, Path] = field(default_factory=dict)
    init: Path | None = None


@dataclass(frozen=True)
class _Found:
    """A module found on the roots: the package folders (empty for a plain module), the root
    it came from and the files Python executes to import it."""

    root: ImportRoot
    package_dirs: tuple[Path, ...]
    files: tuple[Path, ...]


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    for kind in kinds:
        name = kind.attr if isinstance(kind, ast.Attribute) else getattr(kind, "id", "")
        if name in _IMPORT_ERRORS:
            return True
    return False


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _dynamic_import(node: ast.Call) -> str | None:
    """The literal module name of ``importlib.import_module("x")`` / ``__import__("x")``."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if name not in ("import_module", "__import__") or not node.args:
        return None
    if isinstance(func, ast.Attribute) and not (
        isinstance(func.value, ast.Name) and func.value.id == "importlib"
    ):
        return None
    first = node.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value:
        if first.value.startswith(".") or (len(node.args) > 1 and name == "import_module"):
            return None
        return first.value
    return None


def collect_imports(tree: ast.Module) -> list[_Import]:
    """Every import that must succeed when its code runs, in source order (optional ones and
    ``TYPE_CHECKING`` ones left out)."""
    found: list[_Import] = []
    stack: list[tuple[ast.AST, bool]] = [(tree, False)]
    while stack:
        node, optional = stack.pop()
        if isinstance(node, ast.Import):
            if not optional:
                for alias in node.names:
                    found.append(_Import(node.lineno, f"import {alias.name}", alias.name))
            continue
        if isinstance(node, ast.ImportFrom):
            if not optional:
                names = tuple(a.name for a in node.names)
                dots = "." * node.level
                statement = f"from {dots}{node.module or ''} import {', '.join(names)}"
                found.append(_Import(node.lineno, statement, node.module or "", node.level, names))
            continue
        if isinstance(node, ast.Try | ast.TryStar):
            guarded = optional or any(_catches_import_error(h) for h in node.handlers)
            children: list[tuple[ast.AST, bool]] = [(n, guarded) for n in node.body]
            for part in (node.handlers, node.orelse, node.finalbody):
                children += [(n, optional) for n in part]
            stack.extend(reversed(children))
            continue
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend((n, optional) for n in reversed(node.orelse))
            continue
        if isinstance(node, ast.Call) and not optional:
            dynamic = _dynamic_import(node)
            if dynamic is not None:
                found.append(_Import(node.lineno, f"import_module({dynamic!r})", dynamic))
        stack.extend((child, optional) for child in reversed(list(ast.iter_child_nodes(node))))
    found.sort(key=lambda item: item.line)
    return found


class ImportChecker:
    """Checks functions' imports; caches folder listings and parsed files across calls.

    One checker per synth: layer folders shared by many functions are listed once. Folders are
    assumed not to change while the checker lives.
    """

    def __init__(self, runtime: LambdaRuntime | None = None, *, display_root: Path | None = None) -> None:
        self.runtime = runtime or lambda_runtime()
        self.display_root = display_root
        self._listings: dict[Path, _Listing] = {}
        self._parsed: dict[Path, list[_Import] | tuple[int, str]] = {}

    # -- folders -----------------------------------------------------------------------------
    def _listing(self, folder: Path) -> _Listing:
        listing = self._listings.get(folder)
        if listing is not None:
            return listing
        listing = _Listing()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            entries = []
        for entry in entries:
            name = entry.name
            try:
                is_dir = entry.is_dir()
            except OSError:
                continue
            if is_dir:
                if name.isidentifier():
                    listing.dirs[name] = Path(entry.path)
                continue
            if name in ("__init__.py", "__init__.pyc") or (
                name.startswith("__init__.") and name.endswith(EXTENSION_SUFFIXES)
            ):
                listing.init = Path(entry.path)
            stem = _module_stem(name)
            if stem is not None and stem not in listing.modules:
                listing.modules[stem] = Path(entry.path)
        self._listings[folder] = listing
        return listing

    def _find_in(self, folder: Path, name: str) -> tuple[str, Path, Path | None] | None:
        """``name`` in ``folder``: ("package", dir, init), ("module", file, None) or
        ("namespace", dir, None), with Python's precedence in one folder."""
        listing = self._listing(folder)
        sub = listing.dirs.get(name)
        if sub is not None:
            init = self._listing(sub).init
            if init is not None:
                return ("package", sub, init)
        module = listing.modules.get(name)
        if module is not None:
            return ("module", module, None)
        if sub is not None:
            return ("namespace", sub, None)
        return None

    def _find_top(self, name: str, roots: Sequence[ImportRoot]) -> _Found | None:
        portions: list[Path] = []
        portion_root: ImportRoot | None = None
        for root in roots:
            hit = self._find_in(root.path, name)
            if hit is None:
                continue
            kind, path, init = hit
            if kind == "package":
                return _Found(root, (path,), (init,) if init else ())
            if kind == "module":
                return _Found(root, (), (path,))
            portions.append(path)
            portion_root = portion_root or root
        if portion_root is not None:
            return _Found(portion_root, tuple(portions), ())
        return None

    def _find_sub(self, parent: _Found, name: str) -> _Found | None:
        portions: list[Path] = []
        for folder in parent.package_dirs:
            hit = self._find_in(folder, name)
            if hit is None:
                continue
            kind, path, init = hit
            if kind == "package":
                return _Found(parent.root, (path,), (init,) if init else ())
            if kind == "module":
                return _Found(parent.root, (), (path,))
            portions.append(path)
        if portions:
            return _Found(parent.root, tuple(portions), ())
        return None

    # -- files -------------------------------------------------------------------------------
    def parse_ahead(self, path: Path) -> None:
        """Parse ``path``'s imports now (a prefetch thread's work), so that :meth:`check` finds
        them parsed. Safe beside a running check: at worst a file is parsed twice."""
        self._imports_of(path)

    def _imports_of(self, path: Path) -> list[_Import] | tuple[int, str]:
        """The imports of one file, or (line, why it cannot be read)."""
        cached = self._parsed.get(path)
        if cached is not None:
            return cached
        result: list[_Import] | tuple[int, str]
        try:
            text = decode_source(path.read_bytes())
            result = collect_imports(ast.parse(text, filename=str(path)))
        except SourceReadError as exc:
            result = (exc.line, f"{exc.message}")
        except SyntaxError as exc:
            result = (exc.lineno or 0, f"does not parse ({exc.msg})")
        except (OSError, ValueError) as exc:
            result = (0, f"cannot be read ({exc})")
        self._parsed[path] = result
        return result

    def _show(self, path: Path) -> str:
        if self.display_root is not None:
            try:
                return path.relative_to(self.display_root).as_posix()
            except ValueError:
                pass
        return str(path)

    # -- the check ---------------------------------------------------------------------------
    def check(
        self,
        source_dir: Path,
        roots: Sequence[ImportRoot],
        *,
        handler: str = defaults.HANDLER_FILE,
    ) -> list[Violation]:
        """Every import of the function's handler and local modules that would not resolve.

        ``roots`` are in Lambda's order; the first ``local`` root should be ``source_dir``
        (:meth:`ImportRoot.function`). Returns CORA-L9 violations (``path`` is ``file:line``),
        sorted by file and line; an unreadable or unparseable local file is one violation too.
        """
        problems: list[Violation] = []
        start = source_dir / handler
        queue = [start]
        seen = {start}
        while queue:
            current = queue.pop()
            imports = self._imports_of(current)
            if isinstance(imports, tuple):
                line, why = imports
                problems.append(
                    Violation(
                        UNRESOLVED,
                        f"{self._show(current)}:{line}",
                        f"{self._show(current)} {why}: its imports cannot be checked, and Lambda "
                        "would fail to import it. Fix the file.",
                    )
                )
                continue
            package = _package_of(current, source_dir)
            for item in imports:
                found_files, problem = self._resolve(item, current, package, roots)
                if problem is not None:
                    problems.append(Violation(UNRESOLVED, f"{self._show(current)}:{item.line}", problem))
                for file in found_files:
                    if file not in seen and file.suffix == ".py":
                        seen.add(file)
                        queue.append(file)
        problems.sort(key=_violation_order)
        return problems

    def _resolve(
        self, item: _Import, current: Path, package: str | None, roots: Sequence[ImportRoot]
    ) -> tuple[list[Path], str | None]:
        """The local files an import executes, and the message when it does not resolve."""
        where = f"`{item.statement}`"
        if item.level:
            if package is None:
                return [], (
                    f"{where} is a relative import in a top-level module: Lambda imports "
                    f"{self._show(current)} as a top-level module, so it raises ImportError "
                    "(attempted relative import with no known parent package). Import it "
                    "absolutely (`import x` / `from x import y`)."
                )
            parts = package.split(".") if package else []
            if item.level - 1 > len(parts) - 1 or not parts:
                return [], (
                    f"{where} goes above the top-level package {parts[0] if parts else ''!r}: "
                    "it raises ImportError (attempted relative import beyond top-level package)."
                )
            base = parts[: len(parts) - (item.level - 1)]
            dotted = ".".join([*base, *([item.module] if item.module else [])])
            local = [r for r in roots if r.local][:1]
            return self._resolve_dotted(item, dotted, local, relative=True)
        return self._resolve_dotted(item, item.module, roots, relative=False)

    def _resolve_dotted(
        self, item: _Import, dotted: str, roots: Sequence[ImportRoot], *, relative: bool
    ) -> tuple[list[Path], str | None]:
        parts = dotted.split(".")
        top = parts[0]
        if not relative and self.runtime.provides(top):
            return [], None
        found = self._find_top(top, roots)
        if found is None:
            return [], self._missing_top(item, top, roots)
        files = list(found.files) if found.root.local else []
        for depth in range(1, len(parts)):
            if not found.package_dirs:
                return files, None  # below a plain module: it may fake submodules (six.moves)
            sub = self._find_sub(found, parts[depth])
            if sub is None:
                return files, self._missing_sub(item, ".".join(parts[:depth]), parts[depth], found)
            found = sub
            if found.root.local:
                files += found.files
        if item.names and found.package_dirs and found.root.local:
            for name in item.names:
                sub = self._find_sub(found, name) if name != "*" else None
                if sub is not None:
                    files += sub.files
        return files, None

    def _missing_top(self, item: _Import, top: str, roots: Sequence[ImportRoot]) -> str:
        looked = ", ".join(
            f"{r.label} ({r.shown or self._show(r.path)})" if r.shown != r.label else r.label for r in roots
        )
        fixes = [r.fix for r in roots if r.fix]
        hint = _DISTRIBUTION_HINTS.get(top)
        named = f" (on PyPI: {hint})" if hint else ""
        fix = (
            "; or ".join(fixes)
            if fixes
            else (
                "add the package to the function's requirements.txt (pure Python) or to a layer "
                "(packages/module-<name>/backend/layers/<layer>/requirements.txt)"
            )
        )
        return (
            f"`{item.statement}`: no module named {top!r}{named} in {looked}, nor in the python3.11 "
            "Lambda runtime (the standard library, boto3, botocore and their dependencies). "
            f"Lambda would raise ImportError (a 502) when this line runs. Fix: {fix}."
        )

    def _missing_sub(self, item: _Import, parent: str, name: str, found: _Found) -> str:
        if found.root.local:
            where = f"{found.root.label} ({', '.join(self._show(d) for d in found.package_dirs)})"
        else:
            where = found.root.label + (
                f" ({found.root.shown})" if found.root.shown != found.root.label else ""
            )
        return (
            f"`{item.statement}`: {parent!r} is found in {where} but has no "
            f"module {name!r} (looked for {name}.py, {name}/ and {name}.*.so). Lambda would raise "
            f"ImportError (a 502) when this line runs. Fix: correct the name, or add "
            f"{parent.replace('.', '/')}/{name}.py" + (f" ({found.root.fix})" if found.root.fix else "") + "."
        )


def _module_stem(name: str) -> str | None:
    """The module name of a file Python imports (``x.py``, ``x.<ext>.so``), else None."""
    if name.endswith(".py"):
        stem = name[:-3]
    elif name.endswith(".pyc"):
        stem = name[:-4]
    else:
        for suffix in EXTENSION_SUFFIXES:
            if name.endswith(suffix):
                stem = name[: -len(suffix)]
                break
        else:
            return None
    return stem if stem.isidentifier() else None


def _package_of(path: Path, source_dir: Path) -> str | None:
    """The ``__package__`` of a local file: None for a top-level module, else the dotted
    folder path (``pkg.sub``) for ``pkg/sub/mod.py`` and ``pkg/sub/__init__.py``."""
    try:
        relative = path.relative_to(source_dir)
    except ValueError:
        return None
    folders = relative.parts[:-1]
    return ".".join(folders) if folders else None


def _violation_order(violation: Violation) -> tuple[str, int]:
    file, _, line = violation.path.rpartition(":")
    return (file, int(line)) if line.isdigit() else (violation.path, 0)


def check_imports(
    source_dir: Path,
    roots: Sequence[ImportRoot],
    *,
    handler: str = defaults.HANDLER_FILE,
    display_root: Path | None = None,
) -> list[Violation]:
    """One function's unresolved imports (CORA-L9), with a fresh :class:`ImportChecker`."""
    return ImportChecker(display_root=display_root).check(source_dir, roots, handler=handler)


__all__ = [
    "UNRESOLVED",
    "ImportChecker",
    "ImportRoot",
    "LambdaRuntime",
    "check_imports",
    "collect_imports",
    "lambda_runtime",
    "normalise_distribution",
    "parse_runtime",
]
