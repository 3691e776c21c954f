"""Synth cost of the standards: StandardLambda apps vs the same resources in raw CDK, side by side.

Run: ``.venv/bin/python benchmarks/bench_synth.py [--rounds 5] [--sizes 18 200] [--json]``.

Both variants build the stack app of a synthetic project (10 Lambdas per module, three routes
each, a DynamoDB table per module, one HTTP API with access logs and throttling): the same
CloudFormation resource types and counts. The raw variant writes the routes out by hand instead
of reading docstrings and skips every check, but has the same per-function log group,
least-privilege role, tracing, org layer, version, ``live`` alias, table grant, and one API
Gateway permission per function (CDK's ``HttpLambdaIntegration(scope_permission_to_route=False)``,
what StandardLambda uses). Rounds alternate the variants in one process (and alternate which
goes first); the best round of each is compared. Goal: standard / raw at most 1.00 (0.85 to aim
for). The median of the rounds' own ratios (each round's standard over the same round's raw) is
reported beside it: one lucky round moves the best-of ratio, not the paired one. A third
variant is the same StandardLambda app with the import check switched off: the check's goal is
a synth at most 1.05 times the synth without it. The check is also timed directly in the
StandardLambda rounds (the seconds each build spends inside it): ``import_check_ratio_direct``
is the median of build / (build - check), ``import_check_ratio_direct_max`` the largest, figures
the two apps' round-to-round noise does not move. The goal is judged on the largest: the A/B
ratio (standard / unchecked, ``import_check_ratio``) compares two apps whose builds differ by
less than the spread of either's rounds (up to 10% on this project's machine once the check
cost 0.4 ms of a 200 ms build), so it is printed beside it, not judged.

Each round is timed on the wall clock (the goal) and in CPU seconds of this process plus the
jsii Node process (steadier on a shared machine). Caches by content are cleared before every
StandardLambda round, so each round pays for the app's content what one ``cdk synth`` pays (a
fresh process also pays its imports and Node's start: ``--cold``).

Before the timed rounds of each size, every variant is built once untimed (``--warmup``): the
first build of a process loads the CDK's JavaScript modules and jsii's type converters, and
would be paid by whichever variant went first.

- ``--json``: print the figures and ratios as one JSON object instead of the table.
- ``--cold N``: also time N fresh processes per variant (alternating), each building the app
  once, as ``cdk synth`` runs an app (``CDK_OUTDIR`` set, as the CLI sets it): Python's start,
  the imports, Node's start, the build, the exit. Reported beside the warm rounds (``cold``),
  not part of the goal.
- ``--count-calls``: also build each variant once more while counting the jsii requests
  (round trips into Node), and report them per function, by kind and by target.
- ``--profile FILE``: write a cProfile of one StandardLambda build at the largest size.
- ``--function-kb N``: each function folder also holds N KiB of data (a JSON file), as real
  functions carry vendored code: both variants hash and stage it (raw CDK in Node, StandardLambda
  in Python, in its prefetch thread). Default: none (each folder holds its handler only).
- ``--raw-without-creation-traces``: raw CDK's app also gets what ``CoraApp`` sets in a Python
  app (context ``aws:cdk:disable-creation-stack-traces``: no construct creation stack traces,
  which hold none of a Python app's frames; :mod:`cora_constructs.creation_traces`). The ratio
  then shows what the rest of the standard app costs against raw CDK tuned the same way.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CDK_VALIDATION", "false")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm

from benchmarks.jsii_calls import Calls, counting
from benchmarks.synthetic_project import modules_of, write_project
from cora_constructs import defaults
from cora_constructs.apps.discovery import discover_module_lambdas, group_by_module
from cora_constructs.creation_traces import CREATION_TRACES_OFF
from tests.cdk_helpers import new_app


def standard(project: Path, outdir: Path) -> None:
    from cora_constructs.apps import CoraApp
    from stacks.module import TableModuleStack

    app = new_app(outdir, project, app="stack")
    CoraApp(app, module_stacks={m: TableModuleStack for m in modules_of(project)})
    app.synth()


@contextlib.contextmanager
def import_check_replaced(replacement: Callable[[Callable[..., Any]], Callable[..., Any]]) -> Iterator[None]:
    """StandardLambda's import check (CORA-L9/L10) is ``replacement(the check)`` while the block
    runs, and the check again after it."""
    from cora_constructs.functions import standard_lambda

    checked = standard_lambda.import_problems
    standard_lambda.import_problems = replacement(checked)  # type: ignore[assignment]
    try:
        yield
    finally:
        standard_lambda.import_problems = checked


def standard_without_import_check(project: Path, outdir: Path) -> None:
    """The same StandardLambda app with the import check (CORA-L9/L10) switched off."""
    with import_check_replaced(lambda checked: lambda *args, **kwargs: []):
        standard(project, outdir)


RAW_CONTEXT: dict[str, object] = {}
"""Extra context of raw CDK's app (``--raw-without-creation-traces``)."""


def raw(project: Path, outdir: Path) -> None:
    app = new_app(outdir, project, app="stack", **RAW_CONTEXT)
    api_stack = cdk.Stack(app, "raw-api")
    api = apigw.HttpApi(api_stack, "HttpApi", create_default_stage=True)
    # What OrgHttpApi gives the stage: JSON access logs to a log group, default throttling.
    access_logs = logs.LogGroup(api_stack, "AccessLogs", retention=logs.RetentionDays.ONE_MONTH)
    stage = api.default_stage.node.default_child  # type: ignore[union-attr]
    stage.access_log_settings = apigw.CfnStage.AccessLogSettingsProperty(
        destination_arn=access_logs.log_group_arn, format='{"requestId":"$context.requestId"}'
    )
    stage.default_route_settings = apigw.CfnStage.RouteSettingsProperty(
        throttling_burst_limit=defaults.THROTTLE_BURST, throttling_rate_limit=defaults.THROTTLE_RATE
    )
    authorizer_arn = ssm.StringParameter.value_for_string_parameter(
        api_stack, "/cora/dev/authorizer-function-arn"
    )
    authorizer = apigw.CfnAuthorizer(
        api_stack,
        "OrgAuthorizer",
        api_id=api.api_id,
        name="org",
        authorizer_type="REQUEST",
        authorizer_uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{authorizer_arn}/invocations",
        authorizer_payload_format_version="2.0",
        enable_simple_responses=True,
        authorizer_result_ttl_in_seconds=0,
    )
    lambda_.CfnPermission(
        api_stack, "Invoke", action="lambda:InvokeFunction", function_name=authorizer_arn,
        principal="apigateway.amazonaws.com",
    )  # fmt: skip
    ssm.StringParameter(api_stack, "ApiId", parameter_name="/cora/dev/http-api-id", string_value=api.api_id)
    ssm.StringParameter(
        api_stack, "AuthId", parameter_name="/cora/dev/org-authorizer-id", string_value=authorizer.ref
    )
    cdk.CfnOutput(api_stack, "ApiEndpoint", value=api.api_endpoint)
    for module, lambdas in group_by_module(discover_module_lambdas(project)).items():
        stack = cdk.Stack(app, f"raw-{module}")
        layer_arn = ssm.StringParameter.value_for_string_parameter(stack, "/cora/dev/org-layer-arn")
        layer = lambda_.LayerVersion.from_layer_version_arn(stack, "OrgLayer", layer_arn)
        api_id = ssm.StringParameter.value_for_string_parameter(stack, "/cora/dev/http-api-id")
        auth_id = ssm.StringParameter.value_for_string_parameter(stack, "/cora/dev/org-authorizer-id")
        imported = apigw.HttpApi.from_http_api_attributes(stack, "Api", http_api_id=api_id)
        org = apigw.HttpAuthorizer.from_http_authorizer_attributes(
            stack, "Auth", authorizer_id=auth_id, authorizer_type="CUSTOM"
        )
        table = dynamodb.Table(
            stack, "Table",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )  # fmt: skip
        timeout = cdk.Duration.seconds(29)
        for item in lambdas:
            # What StandardLambda gives each function besides its code: its own log group with a
            # retention, a role that writes only that group and X-Ray, tracing on.
            log_group = logs.LogGroup(
                stack, f"{item.lambda_name}Logs", retention=logs.RetentionDays.ONE_MONTH
            )
            role = iam.Role(
                stack, f"{item.lambda_name}Role",
                assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                inline_policies={"logs": iam.PolicyDocument(statements=[
                    iam.PolicyStatement(
                        actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                        resources=[log_group.log_group_arn],
                    ),
                    iam.PolicyStatement(
                        actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources=["*"]
                    ),
                ])},
            )  # fmt: skip
            fn = lambda_.Function(
                stack, item.lambda_name,
                function_name=f"raw-{module}-{item.lambda_name}",
                runtime=lambda_.Runtime.PYTHON_3_11,
                architecture=lambda_.Architecture.X86_64,
                handler="lambda_function.lambda_handler",
                code=lambda_.Code.from_asset(str(item.source), exclude=["__pycache__", "*.pyc"]),
                layers=[layer],
                environment={"TABLE_NAME": table.table_name, "MODULE_NAME": module},
                memory_size=256,
                timeout=timeout,
                description=f"{module} {item.lambda_name}",
                current_version_options=lambda_.VersionOptions(removal_policy=cdk.RemovalPolicy.RETAIN),
                log_group=log_group,
                role=role,
                tracing=lambda_.Tracing.ACTIVE,
            )  # fmt: skip
            alias = lambda_.Alias(
                stack, f"{item.lambda_name}Live", alias_name="live", version=fn.current_version
            )
            table.grant_read_write_data(fn)
            # One permission per function and API, as StandardLambda makes (CDK's default is one
            # per route, which outgrows the 20 KB resource policy at a few dozen routes).
            integration = integrations.HttpLambdaIntegration(
                f"{item.lambda_name}Int", alias, scope_permission_to_route=False
            )
            base = f"/{module}/{item.lambda_name}"
            for method, path in (("GET", base), ("POST", base), ("GET", base + "/{item_id}")):
                apigw.HttpRoute(
                    stack, f"{item.lambda_name}{method}{path}",
                    http_api=imported,
                    route_key=apigw.HttpRouteKey.with_(path, apigw.HttpMethod(method)),
                    integration=integration,
                    authorizer=org,
                )  # fmt: skip
    app.synth()


Build = Callable[[Path, Path], None]
V = TypeVar("V")
VARIANTS: list[tuple[str, Build]] = [
    ("standard", standard),
    ("unchecked", standard_without_import_check),
    ("raw", raw),
]


def in_turn(variants: Sequence[V], round_: int) -> Sequence[V]:
    """The variants in round ``round_``'s order: which goes first alternates (the Node process
    grows as apps accumulate, and a process's first build loads what later ones reuse)."""
    return variants if round_ % 2 == 0 else variants[::-1]


def clear_content_caches() -> None:
    """Forget what earlier builds of this process read (a fresh ``cdk synth`` knows nothing)."""
    from cora_constructs import content_cache

    content_cache.clear()


def _tree_cpu(pid: int) -> float:
    """CPU seconds of process ``pid`` and its descendants (Linux /proc): the jsii runtime
    starts Node, which runs the kernel in a child process of its own."""
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    total = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            total += _tree_cpu(int(child))
    return total


def cpu_seconds() -> float:
    """CPU seconds used so far by this process and the jsii Node processes it talks to."""
    import jsii

    own = os.times()
    total = own.user + own.system
    # Not Linux, or the Node process is gone: this process alone.
    with contextlib.suppress(AttributeError, OSError, ValueError, IndexError):
        total += _tree_cpu(jsii.kernel.provider._process._process.pid)  # type: ignore[attr-defined]
    return total


@contextlib.contextmanager
def import_check_timed() -> Iterator[list[float]]:
    """Seconds spent inside the import check (CORA-L9/L10) while the block runs, in ``[0]``."""
    spent = [0.0]

    def timing(checked: Callable[..., Any]) -> Callable[..., Any]:
        def timed_check(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return checked(*args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - start

        return timed_check

    with import_check_replaced(timing):
        yield spent


def timed(build: Build, project: Path, outdir: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one build."""
    clear_content_caches()
    cpu, wall = cpu_seconds(), time.perf_counter()
    build(project, outdir)
    return time.perf_counter() - wall, cpu_seconds() - cpu


COLD_VARIANTS = ("standard", "raw")


def measure_cold(project: Path, rounds: int, work: Path) -> dict[str, Any]:
    """Wall seconds of ``rounds`` fresh processes per variant, alternating, each building the
    app once (``python bench_synth.py --one VARIANT``): what one ``cdk synth`` of the app pays.

    The processes may write bytecode (into ``work``), and one untimed process per variant
    writes it first: an installed package is byte-compiled by pip, while a checkout run with
    ``PYTHONDONTWRITEBYTECODE`` would compile every module of this repository in every process."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")

    def run(name: str, outdir: Path) -> float:
        command = [sys.executable, __file__, "--one", name, "--project", str(project)]
        command += ["--outdir", str(outdir)]
        if RAW_CONTEXT:
            command.append("--raw-without-creation-traces")
        start = time.perf_counter()
        # The CDK CLI runs an app with CDK_OUTDIR set (the library knows it runs in a synth).
        subprocess.run(command, check=True, stdin=subprocess.DEVNULL, env={**env, "CDK_OUTDIR": str(outdir)})
        return time.perf_counter() - start

    for name in COLD_VARIANTS:
        run(name, work / f"{name}-warmup")
    walls: dict[str, list[float]] = {name: [] for name in COLD_VARIANTS}
    for round_ in range(rounds):
        for name in in_turn(COLD_VARIANTS, round_):
            walls[name].append(run(name, work / f"{name}-{round_}"))
    best = {name: min(values) for name, values in walls.items()}
    return {
        "rounds": rounds,
        "best_s": best,
        "all_s": walls,
        "ratio": best["standard"] / best["raw"],
        "paired_ratio": paired_ratio(walls["standard"], walls["raw"]),
    }


def count_calls(build: Build, project: Path, outdir: Path) -> Calls:
    clear_content_caches()
    with counting() as calls:
        build(project, outdir)
    return calls


def paired_ratio(numerators: list[float], denominators: list[float]) -> float:
    """The median of round-by-round ratios: both builds of a round met the same machine load."""
    return statistics.median(n / d for n, d in zip(numerators, denominators, strict=True))


def measure(
    size: int, rounds: int, work: Path, *, calls: bool, function_kb: int = 0, warmup: int = 1, cold: int = 0
) -> dict[str, Any]:
    project = write_project(work / f"p{size}", size, function_kb=function_kb)
    walls: dict[str, list[float]] = {name: [] for name, _ in VARIANTS}
    cpus: dict[str, list[float]] = {name: [] for name, _ in VARIANTS}
    for round_ in range(warmup):
        for name, build in in_turn(VARIANTS, round_):
            timed(build, project, work / f"warmup-{size}-{name}-{round_}")
    checks: list[float] = []
    for round_ in range(rounds):
        for name, build in in_turn(VARIANTS, round_):
            with import_check_timed() if name == "standard" else contextlib.nullcontext([0.0]) as spent:
                wall, cpu = timed(build, project, work / f"out-{size}-{name}-{round_}")
            walls[name].append(wall)
            cpus[name].append(cpu)
            if name == "standard":
                checks.append(spent[0])
    best = {name: min(values) for name, values in walls.items()}
    best_cpu = {name: min(values) for name, values in cpus.items()}
    direct = [wall / (wall - check) for wall, check in zip(walls["standard"], checks, strict=True)]
    result: dict[str, Any] = {
        "functions": size,
        "function_kb": function_kb,
        "rounds": rounds,
        "best_s": best,
        "best_cpu_s": best_cpu,
        "all_s": walls,
        "ratio": best["standard"] / best["raw"],
        "ratio_cpu": best_cpu["standard"] / best_cpu["raw"],
        "import_check_ratio": best["standard"] / best["unchecked"],
        "import_check_ratio_cpu": best_cpu["standard"] / best_cpu["unchecked"],
        "paired_ratio": paired_ratio(walls["standard"], walls["raw"]),
        "paired_import_check_ratio": paired_ratio(walls["standard"], walls["unchecked"]),
        "import_check_s": checks,
        "import_check_ratio_direct": statistics.median(direct),
        "import_check_ratio_direct_max": max(direct),
    }
    if cold:
        result["cold"] = measure_cold(project, cold, work / f"cold-{size}")
    if calls:
        counted = {
            name: count_calls(build, project, work / f"calls-{size}-{name}")
            for name, build in VARIANTS
            if name != "unchecked"
        }
        result["jsii_calls"] = {
            name: {
                "total": c.total,
                "per_function": round(c.total / size, 1),
                "by_kind": dict(c.by_kind.most_common()),
                "by_target": {f"{kind} {target}": n for (kind, target), n in c.by_target.most_common(40)},
            }
            for name, c in counted.items()
        }
    return result


def profile(size: int, work: Path, path: Path) -> None:
    """cProfile of one StandardLambda build (after a warm-up build) into ``path``."""
    project = write_project(work / f"p{size}", size)
    standard(project, work / f"profile-warm-{size}")
    clear_content_caches()
    profiler = cProfile.Profile()
    profiler.runcall(standard, project, work / f"profile-{size}")
    profiler.dump_stats(str(path))


IMPORT_CHECK_GOAL_FIGURE = "import_check_ratio_direct_max"
"""The figure the import check's goal (at most 1.05) is judged on (see the module's docstring)."""


def print_table(results: list[dict[str, Any]]) -> None:
    print(
        f"{'functions':>9}  {'standard s':>10}  {'no-import-check s':>17}  {'raw s':>8}  "
        f"{'ratio':>6}  {'goal <= 1.00':<12}  {'cpu ratio':>9}  {'paired':>6}  {'import check':>12}  "
        "goal <= 1.05"
    )
    for r in results:
        best = r["best_s"]
        verdict = "ok" if r["ratio"] <= 1.00 else "OVER"
        check_verdict = "ok" if r[IMPORT_CHECK_GOAL_FIGURE] <= 1.05 else "OVER"
        print(
            f"{r['functions']:>9}  {best['standard']:>10.2f}  {best['unchecked']:>17.2f}  "
            f"{best['raw']:>8.2f}  {r['ratio']:>6.2f}  {verdict:<12}  {r['ratio_cpu']:>9.2f}  "
            f"{r['paired_ratio']:>6.2f}  "
            f"{r[IMPORT_CHECK_GOAL_FIGURE]:>12.3f}  {check_verdict} (timed directly, largest of the "
            f"rounds; A/B against the app without it: {r['import_check_ratio']:.3f})"
        )
    for r in results:
        if "cold" in r:
            cold = r["cold"]
            print(
                f"cold processes, {r['functions']} functions ({cold['rounds']} each): standard "
                f"{cold['best_s']['standard']:.2f} s, raw {cold['best_s']['raw']:.2f} s, ratio "
                f"{cold['ratio']:.2f}, paired {cold['paired_ratio']:.2f}"
            )
    for r in results:
        for name, c in r.get("jsii_calls", {}).items():
            kinds = ", ".join(f"{n} {kind}" for kind, n in c["by_kind"].items())
            print(
                f"jsii calls, {r['functions']} functions, {name}: {c['total']} "
                f"({c['per_function']} per function): {kinds}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[18, 200])
    parser.add_argument("--json", action="store_true", help="print figures and ratios as JSON")
    parser.add_argument("--count-calls", action="store_true", help="count jsii requests per variant")
    parser.add_argument("--profile", type=Path, help="write a cProfile of one StandardLambda build here")
    parser.add_argument(
        "--function-kb", type=int, default=0, help="KiB of data in each function folder (default: none)"
    )
    parser.add_argument(
        "--warmup", type=int, default=1, help="untimed builds of each variant per size (default: 1)"
    )
    parser.add_argument("--cold", type=int, default=0, help="also time N fresh processes per variant")
    parser.add_argument(
        "--raw-without-creation-traces",
        action="store_true",
        help="raw CDK's app also records no construct creation stack traces, as CoraApp sets",
    )
    parser.add_argument("--one", choices=COLD_VARIANTS, help=argparse.SUPPRESS)  # a --cold process
    parser.add_argument("--project", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--outdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.raw_without_creation_traces:
        RAW_CONTEXT[CREATION_TRACES_OFF] = True
    if args.one:
        dict(VARIANTS)[args.one](args.project, args.outdir)
        return
    work = Path(tempfile.mkdtemp(prefix="cora-bench-synth-"))
    results = [
        measure(
            size,
            args.rounds,
            work,
            calls=args.count_calls,
            function_kb=args.function_kb,
            warmup=args.warmup,
            cold=args.cold,
        )
        for size in args.sizes
    ]
    if args.profile:
        profile(max(args.sizes), work, args.profile)
    if args.json:
        print(
            json.dumps(
                {
                    "goal_ratio": 1.00,
                    "aim_ratio": 0.85,
                    "goal_import_check": 1.05,
                    "import_check_goal_figure": IMPORT_CHECK_GOAL_FIGURE,
                    "raw_context": RAW_CONTEXT,
                    "sizes": results,
                },
                indent=2,
            )
        )
    else:
        if RAW_CONTEXT:
            print(f"raw CDK's app also gets context {RAW_CONTEXT} (--raw-without-creation-traces)")
        print_table(results)


if __name__ == "__main__":
    main()
