"""The pure parts of the dependency house: Lambda's limits, layer overlaps, pip's output,
requirement conflicts and ``cora synth``'s size lines (no pip, no CDK)."""

from __future__ import annotations

from pathlib import Path

from cora_constructs.cli.size_table import function_sizes, render_sizes
from cora_constructs.dependencies.pip import clean_output, pip_command
from cora_constructs.dependencies.sizes import BundleSize, Part, limit_problems, size_metadata
from cora_constructs.dependencies.stacking import (
    Provided,
    RequirementSite,
    conflicts,
    constraints_text,
    overlaps,
)

MiB = 1_048_576  # the unit of the messages


def part(label: str, size: int | None, *packages: tuple[str, int]) -> Part:
    return Part(label, BundleSize(size, packages) if size is not None else None)


def test_five_layers_pass_and_six_fail_naming_each_layer_with_its_size_and_the_fix() -> None:
    code = part("function code", 20_000)
    layers = [part("org layer", 40 * MiB), *(part(f"module layer m{i}", 1 * MiB) for i in range(4))]
    assert limit_problems("the function f", code, layers) == []
    (problem,) = limit_problems("the function f", code, [*layers, part("a layer built elsewhere", None)])
    assert problem.code == "CORA-L14" and problem.path == "the function f"
    assert problem.message.startswith(
        "the function f has 6 layers (org layer 40.0 MiB, module layer m0 1.0 MiB, module layer m1 1.0 MiB, "
        "module layer m2 1.0 MiB, module layer m3 1.0 MiB, a layer built elsewhere (not counted: built "
        "outside cora-constructs)); Lambda allows at most 5 per function, so the deploy would fail. "
        "Fix: merge module layers"
    )


def test_over_250_mb_unzipped_names_the_sizes_the_largest_packages_and_the_fix() -> None:
    code = part("function code", 1 * MiB)
    layers = [
        part("org layer", 113 * MiB, ("botocore", 80 * MiB), ("cryptography", 12 * MiB)),
        part("module layer ml", 126 * MiB, ("torch", 120 * MiB)),
        part("dependency layer", 30 * MiB, ("numpy", 29 * MiB)),
    ]
    (problem,) = limit_problems("the function f", code, layers, where="App/Fn")
    assert (problem.code, problem.path) == ("CORA-L15", "App/Fn")
    assert problem.message == (
        "the function f unzips to 283,115,520 bytes (270.0 MiB: function code 1.0 MiB, org layer 113.0 MiB, "
        "module layer ml 126.0 MiB, dependency layer 30.0 MiB), over Lambda's limit of 262,144,000 bytes "
        "(250 MiB) for a function and all its layers, so the deploy would fail. Largest packages: torch "
        "120.0 MiB (module layer ml), botocore 80.0 MiB (org layer), numpy 29.0 MiB (dependency layer), "
        "cryptography 12.0 MiB (org layer). Fix: drop the packages the function does not import from its "
        "layers' and its own requirements.txt, move a heavy package used by few functions out of the "
        "module layer into those functions' requirements.txt, or split the module."
    )
    exactly = [part("org layer", 262_144_000 - 1 * MiB)]
    assert limit_problems("f", code, exactly) == []


def test_size_metadata_marks_what_is_not_counted() -> None:
    parts = [part("function code", 10), part("org layer", None), part("dependency layer", 5)]
    assert size_metadata(parts) == {
        "bytes": 15,
        "limit": 262_144_000,
        "parts": [
            {"name": "function code", "bytes": 10},
            {"name": "org layer", "counted": False},
            {"name": "dependency layer", "bytes": 5},
        ],
    }


def test_cora_synth_lists_functions_largest_first_against_the_limit() -> None:
    def fn(name: str, total: int, *parts: dict[str, object]) -> dict[str, object]:
        return {
            "Type": "AWS::Lambda::Function",
            "Metadata": {"cora:size": {"bytes": total, "limit": 262_144_000, "parts": list(parts)}},
            "Properties": {"FunctionName": name},
        }

    templates = [
        {"Resources": {"A": fn("shop-dev-a", 3 * MiB, {"name": "function code", "bytes": 3 * MiB})}},
        {
            "Resources": {
                "B": fn("shop-dev-bb", 131_072_000, {"name": "org layer", "counted": False}),
                "T": {"Type": "AWS::SNS::Topic"},
            }
        },
    ]
    sizes = function_sizes(templates)
    assert [s.function_name for s in sizes] == ["shop-dev-bb", "shop-dev-a"]
    assert render_sizes(sizes) == [
        "  unzipped size per function (code + layers), against Lambda's limit of 250 MiB:",
        "    shop-dev-bb  125.0 MiB of 250.0 MiB (50%); org layer (not counted: built outside "
        "cora-constructs)",
        "    shop-dev-a     3.0 MiB of 250.0 MiB (1%)",
    ]
    assert render_sizes([]) == []


def write(path: Path, text: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_overlaps_are_one_problem_per_pair_of_layers(tmp_path: Path) -> None:
    org, first, upper = tmp_path / "org", tmp_path / "first", tmp_path / "upper"
    write(org / "requests" / "__init__.py")
    write(org / "google" / "protobuf" / "__init__.py")
    write(org / "requests-2.32.3.dist-info" / "RECORD")
    write(first / "tool.py")
    write(upper / "requests" / "__init__.py")
    write(upper / "google" / "cloud" / "__init__.py")  # a namespace: merges with the org's
    write(upper / "google" / "protobuf" / "__init__.py")
    write(upper / "tool" / "__init__.py")
    write(upper / "requests-2.32.3.dist-info" / "RECORD")
    write(upper / "__pycache__" / "x.pyc")
    found = overlaps(("module layer m", upper), [("org layer", org), ("module layer f", first)], where="m")
    assert [(v.code, v.path) for v in found] == [("CORA-L10", "m"), ("CORA-L10", "m")]
    assert found[0].message.startswith(
        "google.protobuf, requests are in both org layer and module layer m. Lambda unpacks a "
        "function's layers in order into /opt, so module layer m's files would silently replace org "
        "layer's"
    )
    assert found[1].message.startswith("tool is in both module layer f and module layer m.")
    assert overlaps(("m", upper), [("absent", tmp_path / "absent")]) == []


def test_conflicts_honour_markers_and_satisfied_specs() -> None:
    pin = RequirementSite(Path("o"), "layers/org_common/requirements.txt", 2, "pydantic==2.9.2")
    below = {"pydantic": Provided("pydantic", "2.9.2", "org layer", pin)}

    def site(line: int, text: str) -> RequirementSite:
        return RequirementSite(Path("r"), "m/requirements.txt", line, text)

    sites = [
        site(1, "pydantic>=2"),
        site(2, "Pydantic[email]<2"),
        site(3, "pydantic<2 ; python_version < '3.8'"),  # not on python3.11: ignored
        site(4, "requests"),
        site(5, "--extra-index-url https://x"),
    ]
    (problem,) = conflicts(sites, below, "module layer m")
    assert problem.path == "m/requirements.txt:2"
    assert "org layer below it already provides pydantic 2.9.2 (layers/org_common/requirements.txt:2" in (
        problem.message
    )
    assert constraints_text(below) == "pydantic==2.9.2\n"


def test_pip_output_loses_colours_machine_notices_and_temporary_paths() -> None:
    raw = (
        "\x1b[33mWARNING: Location 'file:///opt/pypi/simple/x/' is ignored\x1b[0m\n"
        "[notice] A new release of pip is available\n"
        "\x1b[1;31mERROR:\x1b[0m Cannot install x because /home/u/.cache/cora/abc/requirements.txt (line 3)\n"
    )
    cleaned = clean_output(
        raw, hide=[(Path("/home/u/.cache/cora/abc/requirements.txt"), "m/requirements.txt")]
    )
    assert cleaned == "ERROR: Cannot install x because m/requirements.txt (line 3)"
    assert clean_output("x" * 3000, limit=10) == "…" + "x" * 10


def test_the_pip_command_passes_constraints_and_never_colours() -> None:
    command = pip_command(Path("r.txt"), Path("t"), constraints=Path("c.txt"))
    assert command[command.index("-c") + 1] == "c.txt" and "--no-color" in command


def test_a_conflict_with_a_pin_shipped_in_cora_constructs_says_how_that_pin_moves() -> None:
    shipped = "cora_constructs/org_layer/requirements.txt (cora-constructs 0.3.0)"
    pin = RequirementSite(Path("o"), shipped, 5, "PyJWT==2.15.1")
    below = {"pyjwt": Provided("PyJWT", "2.15.1", "org layer", pin)}
    site = RequirementSite(Path("r"), "m/requirements.txt", 1, "pyjwt<2")
    (problem,) = conflicts([site], below, "module layer m")
    assert problem.message.endswith(
        "(e.g. `PyJWT>=2.15.1`, or drop the line to take the org layer's); that pin ships with "
        "cora-constructs and moves only with a cora-constructs upgrade."
    )
