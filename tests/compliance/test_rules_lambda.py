"""CORA-L1..L6, each rule alone on hand-written resources (no CDK, milliseconds)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from cora_constructs import packaged
from cora_constructs.compliance.model import Status
from cora_constructs.compliance.rules import (
    code_hash_escape,
    hashed_code,
    live_alias,
    native_code,
    org_layer,
    runtime,
)
from tests.compliance.helpers import (
    ASSET_BUCKET,
    ASSET_HASH,
    ORG_PARAMETER,
    asset_code,
    cora_metadata,
    function,
    org_parameters,
    run,
    stack,
)

ELF_X86_64 = b"\x7fELF\x02\x01\x01" + b"\0" * 9 + b"\x03\x00\x3e\x00" + b"\0" * 44
L1, L2, L3 = hashed_code.RULE, runtime.RULE, org_layer.RULE
L4, L5, L6 = live_alias.RULE, code_hash_escape.RULE, native_code.RULE


def asset_function(**properties: object) -> dict[str, object]:
    properties.setdefault("metadata", {"aws:asset:path": f"asset.{ASSET_HASH}", "aws:asset:property": "Code"})
    properties.setdefault("Code", asset_code())
    return function(Runtime="python3.11", Handler="index.handler", **properties)


class TestL1HashedCode:
    def test_compliance_1_asset_with_asset_metadata(self) -> None:
        assert run(L1, stack({"Fn": asset_function()}), "Fn").status is Status.COMPLIANT

    def test_compliance_2_asset_found_through_the_asset_manifest(self, tmp_path: Path) -> None:
        fn = function(Code=asset_code())
        s = stack({"Fn": fn}, assets={ASSET_HASH: tmp_path / f"asset.{ASSET_HASH}"})
        assert run(L1, s, "Fn").status is Status.COMPLIANT

    def test_compliance_3_legacy_asset_parameters(self) -> None:
        bucket = f"AssetParameters{ASSET_HASH}S3BucketABCDEF12"
        key = f"AssetParameters{ASSET_HASH}S3VersionKey12345678"
        code = {"S3Bucket": {"Ref": bucket}, "S3Key": {"Fn::Join": ["", [{"Fn::Select": [0, {"Ref": key}]}]]}}
        parameters = {bucket: {"Type": "String"}, key: {"Type": "String"}}
        s = stack({"Fn": function(Code=code)}, parameters=parameters, assets={ASSET_HASH: Path("/x")})
        assert run(L1, s, "Fn").status is Status.COMPLIANT

    def test_noncompliance_1_inline_code(self) -> None:
        result = run(L1, stack({"Fn": function(Code={"ZipFile": "def handler(e, c): pass"})}), "Fn")
        assert result.status is Status.NON_COMPLIANT
        assert result.location == "Properties/Code/ZipFile" and "inline code" in result.message

    def test_noncompliance_2_fixed_bucket(self) -> None:
        code = {"S3Bucket": "team-artifacts", "S3Key": f"{ASSET_HASH}.zip"}
        result = run(L1, stack({"Fn": function(Code=code)}), "Fn")
        assert result.status is Status.NON_COMPLIANT and "not the CDK assets bucket" in result.message

    def test_noncompliance_3_fixed_key_in_the_assets_bucket(self) -> None:
        code = {"S3Bucket": ASSET_BUCKET, "S3Key": "releases/orders-v3.zip"}
        result = run(L1, stack({"Fn": function(Code=code)}), "Fn")
        assert result.status is Status.NON_COMPLIANT and result.location == "Properties/Code/S3Key"

    def test_noncompliance_4_hash_key_that_no_asset_has(self) -> None:
        result = run(L1, stack({"Fn": function(Code=asset_code())}), "Fn")
        assert result.status is Status.NON_COMPLIANT and "fixed S3 object" in result.message

    def test_noncompliance_5_pinned_object_version(self) -> None:
        code = {**asset_code(), "S3ObjectVersion": "3"}
        result = run(L1, stack({"Fn": asset_function(Code=code)}), "Fn")
        assert result.status is Status.NON_COMPLIANT and result.location.endswith("S3ObjectVersion")

    def test_noncompliance_6_container_image(self) -> None:
        result = run(L1, stack({"Fn": function(Code={"ImageUri": "1234.dkr.ecr/app:latest"})}), "Fn")
        assert result.status is Status.NON_COMPLIANT

    def test_unvalidated_1_code_built_at_deploy_time(self) -> None:
        result = run(L1, stack({"Fn": function(Code={"Fn::If": ["Prod", {}, {}]})}), "Fn")
        assert result.status is Status.UNVALIDATED


class TestL2Runtime:
    def test_compliance_1_python311_default_architecture(self) -> None:
        assert run(L2, stack({"Fn": function(Runtime="python3.11")}), "Fn").status is Status.COMPLIANT

    def test_compliance_2_python311_x86_64(self) -> None:
        fn = function(Runtime="python3.11", Architectures=["x86_64"])
        assert run(L2, stack({"Fn": fn}), "Fn").status is Status.COMPLIANT

    def test_noncompliance_1_python312(self) -> None:
        result = run(L2, stack({"Fn": function(Runtime="python3.12")}), "Fn")
        assert result.status is Status.NON_COMPLIANT
        assert result.location == "Properties/Runtime" and "python3.12" in result.message

    def test_noncompliance_2_arm64(self) -> None:
        result = run(L2, stack({"Fn": function(Runtime="python3.11", Architectures=["arm64"])}), "Fn")
        assert result.status is Status.NON_COMPLIANT and result.location == "Properties/Architectures"

    def test_noncompliance_3_no_runtime(self) -> None:
        assert run(L2, stack({"Fn": function()}), "Fn").status is Status.NON_COMPLIANT

    def test_unvalidated_1_runtime_from_a_parameter(self) -> None:
        result = run(L2, stack({"Fn": function(Runtime={"Ref": "RuntimeParam"})}), "Fn")
        assert result.status is Status.UNVALIDATED and "RuntimeParam" in result.message


class TestL3OrgLayer:
    def test_compliance_1_org_layer_from_ssm_first(self) -> None:
        fn = function(Layers=[{"Ref": ORG_PARAMETER}, "arn:aws:lambda:eu-west-1:1:layer:module:1"])
        assert run(L3, stack({"Fn": fn}, parameters=org_parameters()), "Fn").status is Status.COMPLIANT

    def test_compliance_2_org_layer_of_the_same_template(self) -> None:
        layer = {"Type": "AWS::Lambda::LayerVersion", "Properties": {"Description": "Org common layer (x)"}}
        s = stack({"Fn": function(Layers=[{"Ref": "OrgLayer"}]), "OrgLayer": layer})
        assert run(L3, s, "Fn").status is Status.COMPLIANT

    def test_compliance_3_org_layer_under_a_custom_ssm_prefix(self) -> None:
        s = stack(
            {"Fn": function(Layers=[{"Ref": ORG_PARAMETER}])},
            parameters=org_parameters("/acme/org-layer-arn"),
        )
        assert run(L3, s, "Fn").status is Status.COMPLIANT

    def test_noncompliance_1_no_layers(self) -> None:
        result = run(L3, stack({"Fn": function()}), "Fn")
        assert result.status is Status.NON_COMPLIANT and "no layers" in result.message

    def test_noncompliance_2_org_layer_not_first(self) -> None:
        layer = {"Type": "AWS::Lambda::LayerVersion", "Properties": {"Description": "Pandas"}}
        fn = function(Layers=[{"Ref": "Pandas"}, {"Ref": ORG_PARAMETER}])
        result = run(L3, stack({"Fn": fn, "Pandas": layer}, parameters=org_parameters()), "Fn")
        assert result.status is Status.NON_COMPLIANT and "Layers[1], not first" in result.message

    def test_noncompliance_3_another_ssm_layer(self) -> None:
        s = stack(
            {"Fn": function(Layers=[{"Ref": ORG_PARAMETER}])}, parameters=org_parameters("/cora/dev/x-arn")
        )
        assert run(L3, s, "Fn").status is Status.NON_COMPLIANT

    def test_unvalidated_1_literal_layer_arn(self) -> None:
        fn = function(Layers=["arn:aws:lambda:eu-west-1:1:layer:org:3"])
        assert run(L3, stack({"Fn": fn}), "Fn").status is Status.UNVALIDATED

    def test_unvalidated_2_layers_from_a_list_parameter(self) -> None:
        assert (
            run(L3, stack({"Fn": function(Layers={"Ref": "LayerList"})}), "Fn").status is Status.UNVALIDATED
        )


def _with_versions(
    *, retain: bool = True, alias: str = "live", integration_uri: object = None
) -> dict[str, object]:
    version: dict[str, object] = {
        "Type": "AWS::Lambda::Version",
        "Properties": {"FunctionName": {"Ref": "Fn"}},
    }
    if retain:
        version["DeletionPolicy"] = "Retain"
    resources: dict[str, object] = {
        "Fn": function(Runtime="python3.11", metadata=cora_metadata()),
        "FnVersion": version,
        "Live": {
            "Type": "AWS::Lambda::Alias",
            "Properties": {
                "FunctionName": {"Ref": "Fn"},
                "FunctionVersion": {"Fn::GetAtt": ["FnVersion", "Version"]},
                "Name": alias,
            },
        },
    }
    if integration_uri is not None:
        resources["Integration"] = {
            "Type": "AWS::ApiGatewayV2::Integration",
            "Properties": {"IntegrationType": "AWS_PROXY", "IntegrationUri": integration_uri},
        }
    return resources


class TestL4LiveAlias:
    def test_compliance_1_retained_version_behind_live(self) -> None:
        assert run(L4, stack(_with_versions()), "Fn").status is Status.COMPLIANT

    def test_compliance_2_integration_invokes_the_alias(self) -> None:
        s = stack(_with_versions(integration_uri={"Ref": "Live"}))
        assert run(L4, s, "Fn").status is Status.COMPLIANT

    def test_noncompliance_1_no_version_no_alias(self) -> None:
        s = stack({"Fn": function(metadata=cora_metadata())})
        result = run(L4, s, "Fn")
        assert result.status is Status.NON_COMPLIANT
        assert "no AWS::Lambda::Version" in result.message and "no alias named live" in result.message

    def test_noncompliance_2_version_not_retained(self) -> None:
        result = run(L4, stack(_with_versions(retain=False)), "Fn")
        assert result.status is Status.NON_COMPLIANT and "not retained" in result.message

    def test_noncompliance_3_alias_not_named_live(self) -> None:
        result = run(L4, stack(_with_versions(alias="prod")), "Fn")
        assert result.status is Status.NON_COMPLIANT and "live" in result.message

    def test_noncompliance_4_integration_invokes_the_bare_function(self) -> None:
        s = stack(_with_versions(integration_uri={"Fn::GetAtt": ["Fn", "Arn"]}))
        result = run(L4, s, "Fn")
        assert result.status is Status.NON_COMPLIANT and "bare function" in result.message

    def test_not_applicable_1_raw_function(self) -> None:
        assert run(L4, stack({"Fn": function()}), "Fn").status is Status.NOT_APPLICABLE


def _project(
    tmp_path: Path, handler_text: str = "def lambda_handler(e, c):\n    return 1\n"
) -> tuple[Path, Path]:
    """A project holding the source folder, and a cdk.out holding its staged asset."""
    root = tmp_path / "project"
    source = root / "packages/module-orders/backend/lambdas/orders"
    source.mkdir(parents=True)
    (source / "lambda_function.py").write_text("def lambda_handler(e, c):\n    return 1\n")
    cdk_out = tmp_path / "cdk.out"
    asset = cdk_out / f"asset.{ASSET_HASH}"
    asset.mkdir(parents=True)
    (asset / "lambda_function.py").write_text(handler_text)
    return root, cdk_out


def _cora_function(**properties: object) -> dict[str, object]:
    properties.setdefault("Runtime", "python3.11")
    properties.setdefault("Handler", "lambda_function.lambda_handler")
    return function(Code=asset_code(), metadata=cora_metadata(), **properties)


INSTALLED = f"cora-constructs=={packaged.version()}"


class TestL5CodeHashEscape:
    def test_compliance_1_intent_matches_the_template(self, tmp_path: Path) -> None:
        root, cdk_out = _project(tmp_path)
        s = stack({"Fn": _cora_function()}, directory=cdk_out)
        assert run(L5, s, "Fn", project_root=root).status is Status.COMPLIANT

    def test_noncompliance_1_runtime_overridden(self, tmp_path: Path) -> None:
        root, cdk_out = _project(tmp_path)
        s = stack({"Fn": _cora_function(Runtime="python3.12")}, directory=cdk_out)
        result = run(L5, s, "Fn", project_root=root)
        assert result.status is Status.NON_COMPLIANT and "overridden after construction" in result.message

    def test_noncompliance_2_handler_overridden(self, tmp_path: Path) -> None:
        root, cdk_out = _project(tmp_path)
        s = stack({"Fn": _cora_function(Handler="other.handler")}, directory=cdk_out)
        result = run(L5, s, "Fn", project_root=root)
        assert result.status is Status.NON_COMPLIANT and result.location == "Properties/Handler"

    def test_noncompliance_3_code_swapped_for_another_folder(self, tmp_path: Path) -> None:
        root, cdk_out = _project(tmp_path, handler_text="def lambda_handler(e, c):\n    return 2\n")
        s = stack({"Fn": _cora_function()}, directory=cdk_out)
        result = run(L5, s, "Fn", project_root=root)
        assert result.status is Status.NON_COMPLIANT and "lambda_function.py differ" in result.message

    def test_noncompliance_4_code_overridden_to_inline(self, tmp_path: Path) -> None:
        fn = function(Code={"ZipFile": "x"}, Runtime="python3.11", Handler="lambda_function.lambda_handler",
                      metadata=cora_metadata())  # fmt: skip
        result = run(L5, stack({"Fn": fn}), "Fn")
        assert result.status is Status.NON_COMPLIANT and "not the asset of cora:source" in result.message

    def test_compliance_3_asset_the_synth_hashed_from_its_source_is_not_read(self, tmp_path: Path) -> None:
        # The synth that wrote the assembly hashed this asset from cora:source itself: the pack
        # takes it as that folder (here the staged bytes differ, which a real synth cannot do).
        root, cdk_out = _project(tmp_path, handler_text="def lambda_handler(e, c):\n    return 2\n")
        source = str(cora_metadata()["cora:source"])
        s = stack({"Fn": _cora_function()}, directory=cdk_out)
        hashed = frozenset({(ASSET_HASH, source)})
        assert run(L5, s, "Fn", project_root=root, hashed=hashed).status is Status.COMPLIANT
        # Hashed from another folder, or another asset hashed: compared file by file.
        other = frozenset({(ASSET_HASH, "packages/module-x/backend/lambdas/y"), ("b" * 64, source)})
        result = run(L5, s, "Fn", project_root=root, hashed=other)
        assert result.status is Status.NON_COMPLIANT and "lambda_function.py differ" in result.message

    def test_noncompliance_6_overrides_found_on_a_hashed_asset(self, tmp_path: Path) -> None:
        root, cdk_out = _project(tmp_path)
        hashed = frozenset({(ASSET_HASH, str(cora_metadata()["cora:source"]))})
        s = stack({"Fn": _cora_function(Runtime="python3.12")}, directory=cdk_out)
        result = run(L5, s, "Fn", project_root=root, hashed=hashed)
        assert result.status is Status.NON_COMPLIANT and "overridden after construction" in result.message

    def test_unvalidated_1_sources_not_found(self, tmp_path: Path) -> None:
        _, cdk_out = _project(tmp_path)
        result = run(L5, stack({"Fn": _cora_function()}, directory=cdk_out), "Fn", project_root=None)
        assert result.status is Status.UNVALIDATED and "--project-root" in result.message

    def test_not_applicable_1_raw_function(self) -> None:
        assert run(L5, stack({"Fn": function(Runtime="python3.12")}), "Fn").status is Status.NOT_APPLICABLE

    def _packaged_authorizer(
        self, tmp_path: Path, package: str, handler: bytes
    ) -> tuple[Path, dict[str, Any]]:
        cdk_out = tmp_path / "cdk.out"
        (cdk_out / f"asset.{ASSET_HASH}").mkdir(parents=True)
        (cdk_out / f"asset.{ASSET_HASH}" / "lambda_function.py").write_bytes(handler)
        metadata = cora_metadata(
            **{"cora:source": "cora_constructs/authorizer", "cora:package": package, "cora:app": "infra"}
        )
        return cdk_out, function(Code=asset_code(), metadata=metadata, Runtime="python3.11",
                                 Handler="lambda_function.lambda_handler")  # fmt: skip

    def test_compliance_2_packaged_authorizer_compared_with_the_installed_package(
        self, tmp_path: Path
    ) -> None:
        shipped = (packaged.AUTHORIZER_DIR / "lambda_function.py").read_bytes()
        cdk_out, fn = self._packaged_authorizer(tmp_path, f"cora-constructs=={packaged.version()}", shipped)
        team = tmp_path / "team"  # a project that has no cora_constructs/ folder of its own
        team.mkdir()
        assert (
            run(L5, stack({"Fn": fn}, directory=cdk_out), "Fn", project_root=team).status is Status.COMPLIANT
        )

    def test_noncompliance_5_packaged_authorizer_swapped(self, tmp_path: Path) -> None:
        cdk_out, fn = self._packaged_authorizer(
            tmp_path, f"cora-constructs=={packaged.version()}", b"x = 1\n"
        )
        result = run(L5, stack({"Fn": fn}, directory=cdk_out), "Fn", project_root=tmp_path)
        assert result.status is Status.NON_COMPLIANT and "lambda_function.py differ" in result.message

    def test_unvalidated_2_packaged_code_of_another_version(self, tmp_path: Path) -> None:
        cdk_out, fn = self._packaged_authorizer(tmp_path, "cora-constructs==0.0.1", b"x = 1\n")
        result = run(L5, stack({"Fn": fn}, directory=cdk_out), "Fn", project_root=tmp_path)
        assert result.status is Status.UNVALIDATED and "cora-constructs==0.0.1" in result.message


class TestL6NativeCode:
    def _asset(self, tmp_path: Path, files: dict[str, bytes]) -> Path:
        folder = tmp_path / f"asset.{ASSET_HASH}"
        for name, data in files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)
        return tmp_path

    def test_compliance_1_pure_python(self, tmp_path: Path) -> None:
        cdk_out = self._asset(tmp_path, {"index.py": b"print(1)\n"})
        assert run(L6, stack({"Fn": asset_function()}, directory=cdk_out), "Fn").status is Status.COMPLIANT

    def test_noncompliance_1_shared_object(self, tmp_path: Path) -> None:
        cdk_out = self._asset(tmp_path, {"index.py": b"", "pkg/_speedups.so": ELF_X86_64})
        result = run(L6, stack({"Fn": asset_function()}, directory=cdk_out), "Fn")
        assert result.status is Status.NON_COMPLIANT
        assert result.message.endswith("pkg/_speedups.so (ELF x86-64)")

    def test_noncompliance_2_macho_without_suffix(self, tmp_path: Path) -> None:
        cdk_out = self._asset(tmp_path, {"bin/tool": b"\xcf\xfa\xed\xfe" + b"\0" * 60})
        result = run(L6, stack({"Fn": asset_function()}, directory=cdk_out), "Fn")
        assert result.status is Status.NON_COMPLIANT and "Mach-O" in result.message

    def test_noncompliance_3_native_file_in_a_zip_asset(self, tmp_path: Path) -> None:
        archive = tmp_path / "asset.zip"
        with zipfile.ZipFile(archive, "w") as bundle:
            bundle.writestr("index.py", "")
            bundle.writestr("lib/native.so", ELF_X86_64)
        fn = function(Code=asset_code(), metadata={"aws:asset:path": "asset.zip"})
        result = run(L6, stack({"Fn": fn}, directory=tmp_path), "Fn")
        assert result.status is Status.NON_COMPLIANT and "lib/native.so" in result.message

    def test_compliance_2_asset_the_synth_hashed_from_its_checked_source_is_not_scanned(
        self, tmp_path: Path
    ) -> None:
        cdk_out = self._asset(tmp_path, {"index.py": b"", "pkg/_speedups.so": ELF_X86_64})
        fn = asset_function(metadata={"aws:asset:path": f"asset.{ASSET_HASH}", "cora:source": "src/fn"})
        s = stack({"Fn": fn}, directory=cdk_out)
        # The synth hashed it from src/fn, whose folder passed CORA-L6 when the function was built.
        assert run(L6, s, "Fn", hashed=frozenset({(ASSET_HASH, "src/fn")})).status is Status.COMPLIANT
        result = run(L6, s, "Fn", hashed=frozenset({(ASSET_HASH, "src/other")}))
        assert result.status is Status.NON_COMPLIANT

    def test_not_applicable_1_inline_code(self) -> None:
        result = run(L6, stack({"Fn": function(Code={"ZipFile": "x"})}), "Fn")
        assert result.status is Status.NOT_APPLICABLE

    def test_unvalidated_1_asset_missing_from_the_assembly(self, tmp_path: Path) -> None:
        result = run(L6, stack({"Fn": asset_function()}, directory=tmp_path), "Fn")
        assert result.status is Status.UNVALIDATED
