"""Modules shaped like the teams' real ones: hyphenated names, module layers, function requirements,
routes in lambda_handler's docstring, and every problem of the app reported at once.

Each synth here bundles for real (pip for manylinux2014_x86_64) into one cache per session, so
the org layer and each requirement set are downloaded once.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from cora_constructs import CoraApp, CoraValidationError
from tests.cdk_helpers import new_app, read_templates, resources

pytestmark = [pytest.mark.synth, pytest.mark.bundling]

EVAL_HANDLER = '''"""
Eval studio - AI configuration.

Routes - Config:
- GET /evals/config - Read the configuration
- PUT /evals/config - Replace it
"""

import eval_common
import requests
from cora_runtime.responses import json_response

try:
    import ujson as json_impl  # optional: faster when a layer ships it
except ImportError:
    import json as json_impl


def lambda_handler(event, context):
    from eval_common.scoring import score  # imports inside functions are checked too

    return json_response({"score": score(), "ua": requests.utils.default_user_agent()})
'''

SCORE_HANDLER = '''"""Eval studio - the score runner."""

import six


def lambda_handler(event, context):
    """Run one scoring pass.

    Routes (via API Gateway proxy):
    POST /evals/runs — start a run
    """
    return {"statusCode": 202, "body": six.text_type("queued")}
'''

ORDERS_HANDLER = '''"""
Orders - the orders of a shop.

Routes - Orders:
- GET /orders - List orders
"""

import orders_common


def lambda_handler(event, context):
    return {"statusCode": 200, "body": orders_common.NAME}
'''


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def real_project(root: Path) -> Path:
    """Two modules the way the seeds' teams write them."""
    write(root / "cdk.json", '{"app": "python3 app.py"}')
    write(root / "requirements.txt", "cora-constructs\n")
    evals = root / "packages/module-eval-studio/backend"
    write(evals / "layers/eval_common/python/eval_common/__init__.py", '"""Shared code of the module."""\n')
    write(evals / "layers/eval_common/python/eval_common/scoring.py", "def score():\n    return 1\n")
    write(evals / "layers/eval-deps/requirements.txt", "six==1.16.0\n")
    write(evals / "lambdas/ai-config-handler/lambda_function.py", EVAL_HANDLER)
    write(evals / "lambdas/ai-config-handler/requirements.txt", "requests==2.32.3\nboto3\n")
    write(evals / "lambdas/score-runner/lambda_function.py", SCORE_HANDLER)
    orders = root / "packages/module-orders/backend"
    write(orders / "layers/orders_common/python/orders_common/__init__.py", 'NAME = "orders"\n')
    write(orders / "lambdas/order-api/lambda_function.py", ORDERS_HANDLER)
    return root


@pytest.fixture(scope="session")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("layer-cache")


def synth(root: Path, outdir: Path, cache: Path, **context: Any) -> dict[str, dict[str, Any]]:
    app = new_app(
        outdir, root, bundle=True, **{"cora:project": "shop", "cora:layerCache": str(cache), **context}
    )
    CoraApp(app)
    app.synth()
    return read_templates(outdir)


def refusal(root: Path, outdir: Path, cache: Path) -> CoraValidationError:
    app = new_app(
        outdir, root, bundle=True, **{"cora:project": "shop", "cora:layerCache": str(cache), "app": "stack"}
    )
    with pytest.raises(CoraValidationError) as caught:
        CoraApp(app)
    return caught.value


@pytest.fixture(scope="session")
def synthesized(
    tmp_path_factory: pytest.TempPathFactory, cache: Path
) -> tuple[Path, dict[str, dict[str, Any]]]:
    root = real_project(tmp_path_factory.mktemp("real"))
    outdir = root / "cdk.out"
    return outdir, synth(root, outdir, cache, app="stack")


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        fn["Properties"]["FunctionName"]: fn for fn in resources(template, "AWS::Lambda::Function").values()
    }


def test_module_layers_are_attached_after_the_org_layer(synthesized: tuple[Path, dict[str, Any]]) -> None:
    _outdir, templates = synthesized
    orders = templates["shop-dev-orders"]
    (fn,) = functions(orders).values()
    layers = fn["Properties"]["Layers"]
    assert layers[0]["Ref"].startswith("SsmParameterValue")  # the org layer, from the infra app
    second = orders["Resources"][layers[1]["Ref"]]
    assert second["Type"] == "AWS::Lambda::LayerVersion"
    assert second["Properties"]["LayerName"] == "shop-dev-orders-orders-common"
    assert fn["Metadata"]["cora:layers"] == ["packages/module-orders/backend/layers/orders_common"]


def test_hyphenated_names_and_two_module_layers(synthesized: tuple[Path, dict[str, Any]]) -> None:
    _outdir, templates = synthesized
    evals = functions(templates["shop-dev-eval-studio"])
    assert sorted(evals) == ["shop-dev-eval-studio-ai-config-handler", "shop-dev-eval-studio-score-runner"]
    fn = evals["shop-dev-eval-studio-ai-config-handler"]
    # org, eval-deps, eval_common (folder order), then the function's dependency layer
    assert len(fn["Properties"]["Layers"]) == 4
    assert fn["Metadata"]["cora:layers"] == [
        "packages/module-eval-studio/backend/layers/eval-deps",
        "packages/module-eval-studio/backend/layers/eval_common",
    ]


def test_function_requirements_become_its_dependency_layer(synthesized: tuple[Path, dict[str, Any]]) -> None:
    outdir, templates = synthesized
    evals = templates["shop-dev-eval-studio"]
    fn = functions(evals)["shop-dev-eval-studio-ai-config-handler"]
    asset = outdir / fn["Metadata"]["aws:asset:path"]
    assert sorted(p.name for p in asset.iterdir()) == ["lambda_function.py", "requirements.txt"]
    layer = evals["Resources"][fn["Properties"]["Layers"][-1]["Ref"]]
    python = outdir / layer["Metadata"]["aws:asset:path"] / "python"
    assert (python / "requests" / "__init__.py").is_file()
    assert not (python / "boto3").exists()  # provided by the python3.11 runtime: not bundled


def test_routes_in_the_handler_docstring_in_the_tracer_style(
    synthesized: tuple[Path, dict[str, Any]],
) -> None:
    _outdir, templates = synthesized
    keys = {
        r["Properties"]["RouteKey"]
        for r in resources(templates["shop-dev-eval-studio"], "AWS::ApiGatewayV2::Route").values()
    }
    assert keys == {"GET /evals/config", "PUT /evals/config", "POST /evals/runs"}


def test_a_removed_module_layer_fails_the_import_with_file_and_line(tmp_path: Path, cache: Path) -> None:
    root = real_project(tmp_path / "p")
    shutil.rmtree(root / "packages/module-orders/backend/layers/orders_common")
    error = refusal(root, tmp_path / "out", cache)
    assert error.codes == ("CORA-L9",)
    handler = "packages/module-orders/backend/lambdas/order-api/lambda_function.py"
    assert f"{handler}:8" in str(error) and "orders_common" in str(error)


def test_a_module_layer_and_a_shared_package_in_the_org_layer_are_one_l10(
    tmp_path: Path, cache: Path
) -> None:
    root = real_project(tmp_path / "p")
    write(root / "layers/org_common/python/eval_common/__init__.py", "")
    error = refusal(root, tmp_path / "out", cache)
    # once for the pair of layers, not once per function of the module
    assert error.codes == ("CORA-L10",)
    assert "eval_common is in both org layer and module layer" in str(error)


def test_three_modules_with_three_problems_fail_in_one_synth(tmp_path: Path, cache: Path) -> None:
    root = real_project(tmp_path / "p")
    write(
        root / "packages/module-orders/backend/lambdas/order-api/lambda_function.py",
        ORDERS_HANDLER.replace("import orders_common", "import orders_common\nimport yaml"),
    )
    write(
        root / "packages/module-eval-studio/backend/lambdas/score-runner/lambda_function.py",
        SCORE_HANDLER.replace("POST /evals/runs", "POST /evals/runs?mode=fast"),
    )
    write(root / "packages/module-billing/backend/lambdas/bill-api/lambda_function.py", "")
    error = refusal(root, tmp_path / "out", cache)
    assert sorted(error.codes) == ["CORA-L8", "CORA-L9", "CORA-R1"], str(error)
    assert "query" in str(error).lower()
    assert error.report().splitlines()[-1] == "3 problems (CORA-L8: 1, CORA-L9: 1, CORA-R1: 1)"


def test_module_and_handler_docstrings_that_disagree_name_both_lines(tmp_path: Path, cache: Path) -> None:
    root = real_project(tmp_path / "p")
    handler = root / "packages/module-orders/backend/lambdas/order-api/lambda_function.py"
    handler.write_text(
        ORDERS_HANDLER.replace(
            "def lambda_handler(event, context):\n",
            'def lambda_handler(event, context):\n    """Routes:\n    - GET /orders/old - Stale\n    """\n',
        )
    )
    error = refusal(root, tmp_path / "out", cache)
    assert error.codes == ("CORA-R1",)
    assert f"{handler}:4" in str(error) and f"{handler}:12" in str(error)


def test_a_link_to_etc_is_refused_and_nothing_of_it_ships(tmp_path: Path, cache: Path) -> None:
    root = real_project(tmp_path / "p")
    link = root / "packages/module-orders/backend/lambdas/order-api/etc_link"
    link.symlink_to("/etc")
    out = tmp_path / "out"
    error = refusal(root, out, cache)
    assert error.codes == ("CORA-L11",)
    assert str(link) in str(error) and "'/etc'" in str(error)
    assert not out.exists() or not any(p.name == "passwd" for p in out.rglob("passwd"))
