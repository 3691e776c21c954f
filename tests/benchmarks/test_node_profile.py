"""benchmarks/node_profile.py's reading of a V8 CPU profile (plain data, no Node)."""

from __future__ import annotations

from benchmarks.node_profile import self_times, short_url, side_by_side

KERNEL = "file:///tmp/tmpabc123/lib/program.js"
RESOLVE = "file:///tmp/jsii-kernel-x/node_modules/aws-cdk-lib/core/lib/private/resolve.js"
YAML = "file:///tmp/jsii-kernel-x/node_modules/aws-cdk-lib/node_modules/yaml/dist/index.js"


def profile() -> dict[str, object]:
    frames = [("read", ""), ("resolve", RESOLVE), ("parse", YAML), ("process", KERNEL)]
    return {
        "nodes": [
            {"id": i + 1, "callFrame": {"functionName": name, "url": url}}
            for i, (name, url) in enumerate(frames)
        ],
        "startTime": 1000,
        # samples at t = 1100, 1300, 1600, 2000, 2500 (microseconds)
        "samples": [1, 2, 2, 3, 4],
        "timeDeltas": [100, 200, 300, 400, 500],
    }


def test_only_samples_inside_a_window_count_as_self_time_in_milliseconds() -> None:
    by_file, by_function = self_times(profile(), [(1200, 1700), (2400, 2600)])
    assert by_file == {"core/lib/private/resolve.js": 0.5, "(jsii kernel)": 0.5}
    assert by_function[("resolve", "core/lib/private/resolve.js")] == 0.5
    assert ("read", "") not in by_function  # t = 1100, before the first window


def test_files_read_as_aws_cdk_lib_and_its_packages_name_them() -> None:
    assert short_url(RESOLVE) == "core/lib/private/resolve.js"
    assert short_url(YAML) == "node_modules/yaml/dist/index.js"
    assert short_url(KERNEL) == "(jsii kernel)"
    assert short_url("node:internal/fs/utils") == "node:internal/fs/utils"


def test_side_by_side_is_per_build_largest_differences_first() -> None:
    rows = side_by_side({"a": 10.0, "b": 2.0, "c": 1.0}, {"a": 4.0, "b": 2.0, "c": 9.0}, builds=2, top=1)
    assert rows == [("a", 5.0, 2.0), ("c", 0.5, 4.5)]
