"""The function asset's fingerprint, computed in Python in one walk (no CDK)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from cora_constructs.functions.packaging import source_digest


def folder(tmp_path: Path) -> Path:
    root = tmp_path / "fn"
    (root / "pkg").mkdir(parents=True)
    (root / "lambda_function.py").write_text("def lambda_handler(event, context):\n    return 1\n")
    (root / "pkg" / "util.py").write_text("X = 1\n")
    return root


def test_same_contents_same_fingerprint_and_the_size_counts_the_asset_files(tmp_path: Path) -> None:
    a = source_digest(folder(tmp_path / "a"))
    b = source_digest(folder(tmp_path / "b"))
    assert a == b
    assert a.size == len("def lambda_handler(event, context):\n    return 1\n") + len("X = 1\n")
    assert a.asset_hash == hashlib.sha256(a.fingerprint.encode()).hexdigest()


def test_an_edit_a_new_file_or_a_rename_changes_it(tmp_path: Path) -> None:
    root = folder(tmp_path)
    before = source_digest(root).fingerprint
    (root / "pkg" / "util.py").write_text("X = 2\n")
    edited = source_digest(root).fingerprint
    assert edited != before
    (root / "pkg" / "more.py").write_text("")
    added = source_digest(root).fingerprint
    assert added != edited
    (root / "pkg" / "more.py").rename(root / "pkg" / "other.py")
    assert source_digest(root).fingerprint != added


def test_what_the_asset_excludes_does_not_count(tmp_path: Path) -> None:
    root = folder(tmp_path)
    before = source_digest(root)
    (root / "__pycache__").mkdir()
    (root / "__pycache__" / "lambda_function.cpython-311.pyc").write_bytes(b"\0" * 100)
    (root / "pkg" / "util.pyc").write_bytes(b"\0" * 10)
    (root / "tests").mkdir()
    (root / "tests" / "test_it.py").write_text("def test(): pass\n")
    (root / "pkg" / "tests").mkdir()
    (root / "pkg" / "tests" / "x.py").write_text("")
    assert source_digest(root) == before


def test_a_symlink_counts_by_its_target_and_is_never_followed(tmp_path: Path) -> None:
    root = folder(tmp_path)
    outside = tmp_path / "secret.txt"
    outside.write_text("a" * 1000)
    before = source_digest(root)
    (root / "link.txt").symlink_to(outside)
    linked = source_digest(root)
    assert linked.fingerprint != before.fingerprint
    assert linked.size == before.size  # the target's bytes are not read
    outside.write_text("b" * 1000)
    assert source_digest(root) == linked
