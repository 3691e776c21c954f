"""Recognise native binaries by their first bytes (no CDK import: used by the constructs and tests)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cora_constructs.errors import Violation

NATIVE_SUFFIXES = (".so", ".pyd", ".dylib", ".dll")
_MACHO_MAGICS = {
    b"\xfe\xed\xfa\xce",
    b"\xce\xfa\xed\xfe",
    b"\xfe\xed\xfa\xcf",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"\xbe\xba\xfe\xca",
}
_ELF_MACHINES = {0x03: "x86 (32-bit)", 0x28: "ARM", 0x3E: "x86-64", 0xB7: "AArch64", 0xF3: "RISC-V"}
SKIP_DIRS = frozenset({"__pycache__", ".git", ".venv", "node_modules"})


@dataclass(frozen=True)
class BinaryKind:
    """What a file is: ``format`` is ``ELF``, ``Mach-O`` or ``PE``; ``machine`` for ELF files."""

    format: str
    machine: str = ""

    @property
    def is_lambda_compatible(self) -> bool:
        return self.format == "ELF" and self.machine == "x86-64"

    def __str__(self) -> str:
        return f"{self.format} {self.machine}".strip()


def classify(head: bytes) -> BinaryKind | None:
    """Classify a file from its first 64 bytes; None when it is not a native binary."""
    if head[:4] == b"\x7fELF":
        elf_class = head[4] if len(head) > 4 else 0
        little = len(head) <= 5 or head[5] != 2
        raw = head[18:20]
        machine_id = int.from_bytes(raw, "little" if little else "big") if len(raw) == 2 else -1
        machine = _ELF_MACHINES.get(machine_id, f"machine 0x{machine_id:x}")
        if machine == "x86-64" and elf_class != 2:
            machine = "x86-64 (32-bit class)"
        return BinaryKind("ELF", machine)
    if head[:4] in _MACHO_MAGICS:
        return BinaryKind("Mach-O")
    if head[:2] == b"MZ" and len(head) >= 64:
        return BinaryKind("PE")
    return None


def classify_file(path: Path) -> BinaryKind | None:
    """Classify ``path``; a file with a native suffix that is not a known binary is reported too."""
    with path.open("rb") as handle:
        head = handle.read(64)
    kind = classify(head)
    if kind is None and path.suffix.lower() in NATIVE_SUFFIXES:
        return BinaryKind("native library", f"by its '{path.suffix}' suffix")
    return kind


def iter_files(root: Path) -> list[Path]:
    """Every regular file below ``root``, sorted, skipping caches and VCS folders.

    Symbolic links are never followed nor listed: a link to a folder is not walked, a link to a
    file is not read (see :func:`find_escaping_links` for the links themselves).
    """
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
        for name in filenames:
            path = Path(dirpath, name)
            if not path.is_symlink() and path.is_file():
                out.append(path)
    out.sort()
    return out


def find_escaping_links(root: Path) -> list[tuple[Path, str]]:
    """Every symbolic link below ``root`` that leaves it, with its target as written.

    A link leaves ``root`` when its target, followed to the end, is outside ``root``; when it is
    absolute (``/work/app/lambdas/x/data`` still names this machine's path, which does not exist
    in Lambda's ``/var/task``); or when it cannot be resolved (a loop). Relative links that stay
    inside ``root`` are allowed: they keep working after deployment. Nothing is followed while
    looking: a link to a folder is judged by its target, never walked. The result is sorted.
    """
    base = root.resolve()
    found: list[tuple[Path, str]] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in (*dirnames, *filenames):
            path = Path(dirpath, name)
            if not path.is_symlink():
                continue
            target = str(path.readlink())
            try:
                resolved = path.resolve(strict=False)
            except (OSError, RuntimeError):  # a link loop
                found.append((path, target))
                continue
            if Path(target).is_absolute() or not resolved.is_relative_to(base):
                found.append((path, target))
    found.sort()
    return found


def find_native_files(root: Path) -> list[tuple[Path, BinaryKind]]:
    """All native binaries below ``root`` with what they are."""
    found = []
    for path in iter_files(root):
        kind = classify_file(path)
        if kind is not None:
            found.append((path, kind))
    return found


def escaping_link_problems(root: Path, construct_path: str, what: str = "function") -> list[Violation]:
    """CORA-L11 for every symbolic link in ``root`` (a function or layer folder) that leaves it."""
    return [
        Violation(
            "CORA-L11",
            construct_path,
            f"{link} is a symbolic link to {target!r}, which is outside the {what} folder {root} "
            "(or absolute, so it would not exist in Lambda): anything a link reaches would ship "
            f"in the package, secrets included, so such links are refused and never followed. "
            f"Copy what the {what} needs into {root}, or use a relative link to a file inside it.",
        )
        for link, target in find_escaping_links(root)
    ]
