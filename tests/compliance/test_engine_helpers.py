"""What the engine computes once instead of once per resource (resources by type, per-stack and
per-view memos, CORA-L4's index of versions, aliases and integrations) and its faster
equivalents of the standard library (CORA-L5's source listing; the paused collector is tested in
tests/test_collector.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from cora_constructs.compliance.assembly import ResourceView, StackView
from cora_constructs.compliance.model import Status
from cora_constructs.compliance.rules import live_alias
from cora_constructs.compliance.rules.code_hash_escape import source_files
from tests.compliance.helpers import assembly, cora_metadata, function, run, stack

VERSION = "AWS::Lambda::Version"


def _version(function_id: str) -> dict[str, object]:
    return {"Type": VERSION, "Properties": {"FunctionName": {"Ref": function_id}}, "DeletionPolicy": "Retain"}


def _integration(uri: object) -> dict[str, object]:
    return {
        "Type": "AWS::ApiGatewayV2::Integration",
        "Properties": {"IntegrationType": "AWS_PROXY", "IntegrationUri": uri},
    }


class TestOfType:
    def test_resources_of_one_type_in_logical_id_order(self) -> None:
        s = stack({"B": _version("Fn"), "Fn": function(), "A": _version("Fn"), "Odd": {"Properties": {}}})
        assert [lid for lid, _ in s.of_type(VERSION)] == ["A", "B"]
        assert [lid for lid, _ in s.of_type("AWS::Lambda::Function")] == ["Fn"]
        assert s.of_type("AWS::S3::Bucket") == []

    def test_each_call_gets_its_own_list(self) -> None:
        s = stack({"A": _version("Fn")})
        s.of_type(VERSION).clear()
        assert [lid for lid, _ in s.of_type(VERSION)] == ["A"]


class TestMemo:
    def _counting(self) -> tuple[list[str], Callable[[StackView], int]]:
        calls: list[str] = []

        def derive(s: StackView) -> int:
            calls.append(s.name)
            return len(s.resources)

        return calls, derive

    def test_a_stack_derives_once_per_function(self) -> None:
        calls, derive = self._counting()
        one, two = stack({"A": function()}, name="One"), stack({}, name="Two")
        assert [one.memo(derive), one.memo(derive), two.memo(derive)] == [1, 1, 0]
        assert calls == ["One", "Two"]
        assert one.memo(lambda s: "other") == "other"  # another function, its own value

    def test_a_view_derives_once(self) -> None:
        s = stack({"Fn": function()})
        view = ResourceView(assembly(s), s, "Fn", s.resources["Fn"])
        seen: list[str] = []

        def derive(v: ResourceView) -> str:
            seen.append(v.logical_id)
            return v.type

        assert [view.memo(derive), view.memo(derive)] == ["AWS::Lambda::Function"] * 2
        assert seen == ["Fn"]

    def test_a_failing_derivation_is_not_kept(self) -> None:
        s = stack({})
        attempts: list[int] = []

        def derive(_: StackView) -> int:
            attempts.append(1)
            raise ValueError("bad shape")

        for _ in range(2):
            with contextlib.suppress(ValueError):
                s.memo(derive)
        assert len(attempts) == 2


class TestLiveAliasIndex:
    def test_versions_aliases_and_integrations_by_function(self) -> None:
        s = stack(
            {
                "Fn": function(metadata=cora_metadata()),
                "Other": function(metadata=cora_metadata()),
                "V2": _version("Fn"),
                "V1": _version("Fn"),
                "VOther": _version("Other"),
                "Live": {
                    "Type": "AWS::Lambda::Alias",
                    "Properties": {"FunctionName": {"Ref": "Fn"}, "Name": "live"},
                },
                "Prod": {
                    "Type": "AWS::Lambda::Alias",
                    "Properties": {"FunctionName": {"Ref": "Fn"}, "Name": "prod"},
                },
                # One integration naming the function twice is one integration.
                "IntB": _integration({"Fn::Join": ["", [{"Fn::GetAtt": ["Fn", "Arn"]}, {"Ref": "Fn"}]]}),
                "IntA": _integration({"Fn::GetAtt": ["Fn", "Arn"]}),
                "IntLive": _integration({"Ref": "Live"}),
            }
        )
        index = s.memo(live_alias._lambda_index)
        assert index.versions == {"Fn": ["V1", "V2"], "Other": ["VOther"]}
        assert [lid for lid, _ in index.live_aliases["Fn"]] == ["Live"]
        assert index.integrations == {"Fn": ["IntA", "IntB"], "Live": ["IntLive"]}

    def test_every_bare_integration_is_reported_once_in_logical_id_order(self) -> None:
        s = stack(
            {
                "Fn": function(metadata=cora_metadata()),
                "FnVersion": _version("Fn"),
                "Live": {
                    "Type": "AWS::Lambda::Alias",
                    "Properties": {
                        "FunctionName": {"Ref": "Fn"},
                        "FunctionVersion": {"Fn::GetAtt": ["FnVersion", "Version"]},
                        "Name": "live",
                    },
                },
                "IntB": _integration({"Fn::Join": ["", [{"Fn::GetAtt": ["Fn", "Arn"]}, {"Ref": "Fn"}]]}),
                "IntA": _integration({"Fn::GetAtt": ["Fn", "Arn"]}),
            }
        )
        result = run(live_alias.RULE, s, "Fn")
        assert result.status is Status.NON_COMPLIANT
        assert result.message == (
            "integration S/IntA invokes the bare function, not the live alias; "
            "integration S/IntB invokes the bare function, not the live alias"
        )


class TestSourceFiles:
    def test_the_files_pathlib_globbing_finds_in_the_same_order(self, tmp_path: Path) -> None:
        folder = tmp_path / "fn"
        for name in (
            "a-b",
            "a/b",
            "a/c/d.py",
            ".hidden",
            "Z.py",
            "z.py",
            "__pycache__/x.pyc",
            "a/__pycache__/y",
        ):
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(name)
        (tmp_path / "outside").mkdir()
        (tmp_path / "outside" / "o.py").write_text("o")
        (folder / "linked-dir").symlink_to(tmp_path / "outside", target_is_directory=True)
        (folder / "linked-file.py").symlink_to(folder / "z.py")
        (folder / "dangling").symlink_to(tmp_path / "nowhere")
        expected = [
            p.relative_to(folder).as_posix()
            for p in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        ]
        assert source_files(folder) == expected
        assert expected == [".hidden", "Z.py", "a/b", "a/c/d.py", "a-b", "linked-file.py", "z.py"]

    def test_nothing_below_a_cache_folder(self, tmp_path: Path) -> None:
        folder = tmp_path / "__pycache__" / "fn"
        folder.mkdir(parents=True)
        (folder / "x.py").write_text("x")
        assert source_files(folder) == []
