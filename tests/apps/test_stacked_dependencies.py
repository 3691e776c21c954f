"""Stacked dependencies, bundled for real with pip (one cache per test session).

The fixture project: the org layer folder pins a compiled package (orjson) and a client that
pulls in pydantic, httpx and cryptography (supabase-auth); a module layer asks for looser
specs of pydantic and httpx plus a package of its own and its shared code; ``checkout`` lists
a compiled package and a pure one; ``catalog`` only what the layers already provide.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cora_constructs import CoraApp, CoraValidationError
from cora_constructs.dependencies.binaries import find_native_files
from cora_constructs.dependencies.distributions import installed_distributions
from tests.cdk_helpers import new_app, read_templates, resources

pytestmark = [pytest.mark.synth, pytest.mark.bundling]

ORG_REQUIREMENTS = "# tested pins\norjson==3.13.0\nsupabase-auth==2.34.1\n"
MODULE_LAYER = "packages/module-shop/backend/layers/shop_common"
LAMBDAS = "packages/module-shop/backend/lambdas"

CHECKOUT = '''"""
Shop - checkout.

Routes - Checkout:
- POST /checkout - Pay for the basket
"""

import attr
import msgpack
import orjson
import shop_common
import tenacity


def lambda_handler(event, context):
    return {"statusCode": 200, "body": orjson.dumps({"n": len(msgpack.packb(attr.__name__))}).decode()}
'''

CATALOG = '''"""
Shop - catalog.

Routes - Catalog:
- GET /catalog - List products
"""

import httpx
import pydantic
import supabase_auth


def lambda_handler(event, context):
    return {"statusCode": 200, "body": pydantic.VERSION + httpx.__version__}
'''


INVOICE = '''"""Shop - invoices."""

import msgpack


def lambda_handler(event, context):
    return msgpack.packb(1)
'''


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def shop_project(root: Path) -> Path:
    write(root / "cdk.json", '{"app": "python3 app.py"}')
    write(root / "layers/org_common/requirements.txt", ORG_REQUIREMENTS)
    write(root / "layers/org_common/python/org_common/__init__.py", '"""The team\'s shared code."""\n')
    write(root / f"{MODULE_LAYER}/requirements.txt", "pydantic>=2\nhttpx>=0.24\ntenacity==9.2.1\n")
    write(root / f"{MODULE_LAYER}/python/shop_common/__init__.py", 'NAME = "shop"\n')
    write(root / f"{LAMBDAS}/checkout/lambda_function.py", CHECKOUT)
    write(root / f"{LAMBDAS}/checkout/requirements.txt", "msgpack==1.2.4\nattrs==26.1.0\n")
    # the same remaining distributions as checkout, from other lines: one shared layer version
    write(
        root / f"{LAMBDAS}/invoice/lambda_function.py",
        INVOICE,
    )
    write(root / f"{LAMBDAS}/invoice/requirements.txt", "pydantic>=2\nattrs==26.1.0\nmsgpack==1.2.4\n")
    write(root / f"{LAMBDAS}/catalog/lambda_function.py", CATALOG)
    write(root / f"{LAMBDAS}/catalog/requirements.txt", "pydantic>=2.0\nhttpx\nboto3\n")
    return root


@pytest.fixture(scope="session")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("stacked-cache")


def build(root: Path, outdir: Path, cache: Path, **context: Any) -> Any:
    app = new_app(
        outdir, root, bundle=True, **{"cora:project": "shop", "cora:layerCache": str(cache), **context}
    )
    CoraApp(app)
    return app


def refusal(root: Path, outdir: Path, cache: Path) -> CoraValidationError:
    with pytest.raises(CoraValidationError) as caught:
        build(root, outdir, cache)
    return caught.value


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory, cache: Path) -> tuple[Path, dict[str, Any]]:
    root = shop_project(tmp_path_factory.mktemp("shop"))
    outdir = root / "cdk.out"
    build(root, outdir, cache).synth()
    return outdir, read_templates(outdir)


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        fn["Properties"]["FunctionName"]: fn for fn in resources(template, "AWS::Lambda::Function").values()
    }


def layer_dirs(outdir: Path, templates: dict[str, Any], fn: dict[str, Any], stack: str) -> list[Path]:
    """The bundled ``python/`` folder of each layer of ``fn``, in order (the org layer's from
    the infra app's asset)."""
    (org,) = resources(templates["shop-dev-infra"], "AWS::Lambda::LayerVersion").values()
    dirs = [outdir / org["Metadata"]["aws:asset:path"] / "python"]
    for layer in fn["Properties"]["Layers"][1:]:
        resource = templates[stack]["Resources"][layer["Ref"]]
        dirs.append(outdir / resource["Metadata"]["aws:asset:path"] / "python")
    return dirs


def distributions(python_dir: Path) -> set[str]:
    return {dist.key for dist in installed_distributions(python_dir)}


def test_no_distribution_is_in_two_layers_of_any_function(synthesized: tuple[Path, dict[str, Any]]) -> None:
    outdir, templates = synthesized
    for fn in functions(templates["shop-dev-shop"]).values():
        seen: dict[str, int] = {}
        for index, folder in enumerate(layer_dirs(outdir, templates, fn, "shop-dev-shop")):
            for name in distributions(folder):
                assert name not in seen, f"{name} is in layers {seen[name]} and {index}"
                seen[name] = index
        assert {"pydantic", "httpx", "cryptography", "orjson", "tenacity"} <= set(seen)


def test_the_module_layer_keeps_only_what_the_org_layer_lacks(
    synthesized: tuple[Path, dict[str, Any]],
) -> None:
    outdir, templates = synthesized
    fn = functions(templates["shop-dev-shop"])["shop-dev-shop-catalog"]
    org, module = layer_dirs(outdir, templates, fn, "shop-dev-shop")
    assert {"pydantic", "pydantic-core", "httpx", "cryptography", "supabase-auth", "orjson"} <= distributions(
        org
    )
    assert distributions(module) == {"tenacity"}
    assert (module / "shop_common" / "__init__.py").is_file()


def test_the_first_lambda_gets_a_dependency_layer_with_the_compiled_package(
    synthesized: tuple[Path, dict[str, Any]],
) -> None:
    outdir, templates = synthesized
    fn = functions(templates["shop-dev-shop"])["shop-dev-shop-checkout"]
    code = outdir / fn["Metadata"]["aws:asset:path"]
    assert sorted(p.name for p in code.iterdir()) == ["lambda_function.py", "requirements.txt"]
    assert find_native_files(code) == []  # the code asset: its source folder only
    assert len(fn["Properties"]["Layers"]) == 3  # org, module layer, dependency layer
    dependency_layer = layer_dirs(outdir, templates, fn, "shop-dev-shop")[-1]
    assert distributions(dependency_layer) == {"msgpack", "attrs"}
    assert any(
        path.is_relative_to(dependency_layer / "msgpack") for path, _ in find_native_files(dependency_layer)
    )
    assert fn["Metadata"]["cora:dependencyLayer"] == f"{LAMBDAS}/checkout/requirements.txt"
    size = fn["Metadata"]["cora:size"]
    assert [part["name"] for part in size["parts"]] == [
        "function code",
        "org layer",
        f"module layer {MODULE_LAYER}",
        "dependency layer",
    ]
    assert size["bytes"] == sum(part["bytes"] for part in size["parts"]) and size["limit"] == 262_144_000


def test_the_second_lambda_gets_no_dependency_layer(synthesized: tuple[Path, dict[str, Any]]) -> None:
    _outdir, templates = synthesized
    fn = functions(templates["shop-dev-shop"])["shop-dev-shop-catalog"]
    assert len(fn["Properties"]["Layers"]) == 2
    assert "cora:dependencyLayer" not in fn["Metadata"]
    layers = resources(templates["shop-dev-shop"], "AWS::Lambda::LayerVersion")
    assert len(layers) == 2  # the module layer, and one dependency layer checkout and invoice share


def test_functions_with_the_same_remaining_requirements_share_one_layer_version(
    synthesized: tuple[Path, dict[str, Any]],
) -> None:
    _outdir, templates = synthesized
    fns = functions(templates["shop-dev-shop"])
    checkout, invoice = fns["shop-dev-shop-checkout"], fns["shop-dev-shop-invoice"]
    assert checkout["Properties"]["Layers"][-1] == invoice["Properties"]["Layers"][-1]
    assert checkout["Properties"]["Layers"][-1]["Ref"].startswith("Dependencies")


def test_a_version_conflicting_with_the_org_pin_is_one_problem_naming_both_lines(
    tmp_path: Path, cache: Path
) -> None:
    root = shop_project(tmp_path / "p")
    write(
        root / f"{LAMBDAS}/report/lambda_function.py",
        '"""Shop - reports."""\n\ndef lambda_handler(e, c):\n    return 1\n',
    )
    write(root / f"{LAMBDAS}/report/requirements.txt", "attrs==26.1.0\norjson<3.10\n")
    error = refusal(root, tmp_path / "out", cache)
    (violation,) = error.violations
    assert violation.code == "CORA-L13"
    assert violation.path == f"{LAMBDAS}/report/requirements.txt:2"
    assert "layers/org_common/requirements.txt:2 `orjson==3.13.0`" in violation.message
    assert "Fix: accept orjson 3.13.0" in violation.message
    assert "Traceback" not in error.report() and str(cache) not in error.report()


def test_a_module_layer_asking_more_than_the_org_pin_is_reported_once(tmp_path: Path, cache: Path) -> None:
    root = shop_project(tmp_path / "p")
    write(root / f"{MODULE_LAYER}/requirements.txt", "pydantic>=2\nsupabase-auth>=2.40\n")
    error = refusal(root, tmp_path / "out", cache)
    (violation,) = error.violations  # once for the layer, not once per function
    assert (violation.code, violation.path) == ("CORA-L13", f"{MODULE_LAYER}/requirements.txt:2")
    assert "layers/org_common/requirements.txt:3 `supabase-auth==2.34.1`" in violation.message


def test_six_layers_on_a_function_fail_with_the_limit_sizes_and_fix(tmp_path: Path, cache: Path) -> None:
    root = shop_project(tmp_path / "p")
    for index in range(2, 6):
        write(root / f"packages/module-shop/backend/layers/extra{index}/python/extra{index}/__init__.py", "")
    error = refusal(root, tmp_path / "out", cache)
    assert set(error.codes) == {"CORA-L14"} and len(error.violations) == 3  # one per function
    message = next(v.message for v in error.violations if "checkout" in v.message)
    assert "has 7 layers (org layer " in message and " MiB, " in message
    assert "Lambda allows at most 5 per function" in message and "Fix: merge module layers" in message


def test_an_oversized_layer_fails_with_the_limit_size_and_fix(tmp_path: Path, cache: Path) -> None:
    root = shop_project(tmp_path / "p")
    data = root / f"{MODULE_LAYER}/python/shop_common/model.bin"
    with data.open("wb") as handle:  # sparse: 270 MB on paper, nothing on disk
        handle.truncate(270_000_000)
    error = refusal(root, tmp_path / "out", cache)
    (violation,) = error.violations
    assert (violation.code, violation.path) == ("CORA-L15", MODULE_LAYER)
    assert violation.message.startswith(
        f"module layer {MODULE_LAYER} alone unzips to 270,000,014 bytes (257.5 MiB; largest: shop_common "
        "257.5 MiB), over Lambda's limit of 262,144,000 bytes (250 MiB) for a function and all its layers"
    )
    assert "Fix: " in violation.message


def test_a_second_clone_synthesizes_offline_from_the_cache(
    synthesized: tuple[Path, dict[str, Any]], tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _outdir, first = synthesized
    root = shop_project(tmp_path / "clone")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    outdir = tmp_path / "clone-out"
    build(root, outdir, cache).synth()
    again = read_templates(outdir)
    assert functions(again["shop-dev-shop"]).keys() == functions(first["shop-dev-shop"]).keys()
    assert again["shop-dev-shop"]["Resources"].keys() == first["shop-dev-shop"]["Resources"].keys()


def test_deploys_watch_the_requirements_and_every_layer_below(
    synthesized: tuple[Path, dict[str, Any]],
) -> None:
    from cora_constructs.assembly.reader import read_cloud_assembly

    outdir, _templates = synthesized
    (checkout,) = [fn for fn in read_cloud_assembly(outdir) if fn.function_name == "shop-dev-shop-checkout"]
    # the function folder (its requirements.txt, hence its dependency layer) and the layers below
    assert checkout.watched_paths[:3] == (
        f"{LAMBDAS}/checkout/**",
        "layers/org_common/**",
        f"{MODULE_LAYER}/**",
    )


def test_the_conflict_reaches_the_user_as_one_line_and_no_traceback(tmp_path: Path, cache: Path) -> None:
    """What `cdk synth` runs (``app.py``: ``main()``), in a process of its own."""
    import json
    import os
    import subprocess
    import sys

    from tests.cdk_helpers import project_context

    root = shop_project(tmp_path / "p")
    write(root / f"{LAMBDAS}/checkout/requirements.txt", "msgpack==1.2.4\norjson<3.10\n")
    context = project_context(root, **{"cora:project": "shop", "cora:layerCache": str(cache)})
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": str(tmp_path / "out")}
    result = subprocess.run(
        [sys.executable, "-c", "from cora_constructs.apps import main; main()"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "cora: the app breaks the standards:"
    assert lines[1].startswith(f"CORA-L13 {LAMBDAS}/checkout/requirements.txt:2: `orjson<3.10`")
    assert lines[2:] == ["1 problem (CORA-L13: 1)"]
    assert (
        "Traceback" not in result.stderr and "\x1b" not in result.stderr and str(cache) not in result.stderr
    )


def test_a_hand_built_module_layer_without_the_layers_below_is_still_one_l10(
    tmp_path: Path, cache: Path
) -> None:
    """``ModuleLayer(...)`` built without ``below=`` resolves alone; what it repeats of the org
    layer is then found by the functions, once per pair of layers for the stack."""
    from cora_constructs import CoraStack, OrgLayer, StandardLambda
    from cora_constructs.layers.module_layer import ModuleLayer

    root = shop_project(tmp_path / "p")
    app = new_app(
        tmp_path / "out", root, bundle=True, **{"cora:project": "shop", "cora:layerCache": str(cache)}
    )
    stack = CoraStack(app, "shop-dev-shop", app_kind="stack")
    org = OrgLayer.from_ssm(stack, "OrgLayer", parameter_name="/shop/dev/org-layer-arn")
    layer = ModuleLayer(stack, "Common", source=MODULE_LAYER, module="shop")
    problems = []
    for name in ("catalog", "invoice"):
        try:
            StandardLambda(stack, name, source=f"{LAMBDAS}/{name}", org_layer=org, layers=[layer])
        except CoraValidationError as error:
            problems += error.violations
    l10 = [v for v in problems if v.code == "CORA-L10"]
    assert len(l10) == 1, problems
    assert l10[0].message.startswith(
        "annotated_types, anyio, certifi, h11, httpcore, httpx and 5 more are in "
    )
    assert f"in both org layer and module layer {MODULE_LAYER}" in l10[0].message


def test_every_stack_of_an_app_shares_one_walk_of_the_org_layer(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cora_constructs import CoraStack, OrgLayer
    from cora_constructs.layers import org_layer

    walks: list[str] = []
    fingerprint = org_layer.layer_fingerprint
    monkeypatch.setattr(
        org_layer, "layer_fingerprint", lambda *a, **k: walks.append("walk") or fingerprint(*a, **k)
    )
    root = shop_project(tmp_path / "p")
    app = new_app(
        tmp_path / "out", root, bundle=True, **{"cora:project": "shop", "cora:layerCache": str(cache)}
    )
    refs = [
        OrgLayer.from_ssm(
            CoraStack(app, f"shop-dev-{name}", app_kind="stack"), "OrgLayer", parameter_name="/p"
        )
        for name in ("a", "b", "c")
    ]
    assert walks == ["walk"]
    assert len({id(ref.layer_version) for ref in refs}) == 3  # each stack's own imported layer
    assert len({ref.arn for ref in refs}) == 3  # and its own SSM parameter token
    assert {ref.python_dir for ref in refs} == {refs[0].python_dir} and refs[0].python_dir is not None
