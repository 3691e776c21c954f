"""The served assembly: the reference app synthesized with its layers bundled.

`cora serve` runs each function on what ships with it, so the org layer's bundle must be in
the assembly; the session's ``reference`` synth bundles nothing (no pip in most tests) and
would hold a layer only when some earlier run left the same bundle in the per-user cache.
"""

from __future__ import annotations

import pytest

from tests.conftest import Synthesized


@pytest.fixture(scope="session")
def served_reference(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    from cora_constructs.apps import CoraApp
    from stacks import MODULE_STACKS
    from tests.cdk_helpers import new_app, read_templates

    outdir = tmp_path_factory.mktemp("served-cdk.out")
    app = new_app(outdir, bundle=True)
    CoraApp(app, module_stacks=MODULE_STACKS)
    app.synth()
    return Synthesized(outdir, read_templates(outdir))
