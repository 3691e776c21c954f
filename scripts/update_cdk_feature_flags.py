#!/usr/bin/env python3
"""Refresh cora_constructs/data/cdk_feature_flags.json from the installed aws-cdk-lib.

`cora init` writes these flags into a new project's cdk.json, the way `cdk init` does, so a
synth prints no "feature flags are not configured" warning. They are read from the
``recommended-feature-flags.json`` inside aws-cdk-lib's jsii bundle (the same list the CDK
CLI's init templates carry) and shipped as package data, so `cora init` works offline.
Run after upgrading aws-cdk-lib; tests/scaffold checks that the shipped list is current.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cora_constructs.scaffold.flags import FLAGS_FILE, installed_recommended_flags, render_flags_file  # noqa: E402


def main() -> int:
    version, flags = installed_recommended_flags()
    FLAGS_FILE.write_text(render_flags_file(version, flags), encoding="utf-8")
    print(f"wrote {FLAGS_FILE.relative_to(ROOT)}: {len(flags)} flags of aws-cdk-lib {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
