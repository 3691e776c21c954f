"""``cora serve`` and ``cora token``: the app's HTTP API on localhost, and tokens for it.

`cora serve` reads the cloud assembly (synthesizing it first when it is missing or stale) and
serves every HTTP API route (and the WebSocket API's route keys) behind the app's real
authorizer, each function in worker processes of its own (:mod:`cora_constructs.serve`).
Without ``--jwks-url`` the authorizer trusts a development key kept in the user cache, and
`cora token` prints tokens signed by it with the project's issuer and audience (cdk.json).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from cora_constructs import defaults
from cora_constructs.assembly.errors import ToolError
from cora_constructs.assembly.synth import ensure_cloud_assembly, find_project_root

EXIT_OK, EXIT_ERROR = 0, 2


def add_parsers(subparsers: Any) -> None:
    """Register ``serve`` and ``token`` on the ``cora`` command's subparsers."""
    serve: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help="serve the app's HTTP API (and WebSocket API) on localhost, behind its real authorizer",
        description="Serve every HTTP API route of the synthesized app on localhost, as API Gateway "
        "would: route matching, the authorizer, payload 2.0 events, each function in its own worker "
        "process with exactly what ships on its path; and its WebSocket API, if any, on the same port "
        "(ws://HOST:PORT/STAGE: $connect behind the authorizer, messages routed by action, $disconnect, "
        "a local connection-management endpoint for post_to_connection). Synthesizes first when "
        "cdk.out is missing or stale.",
    )
    serve.add_argument(
        "--port", type=int, default=3000, help="the port to listen on (default 3000; 0: any free one)"
    )
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    serve.add_argument(
        "--watch", action="store_true", help="restart a function's workers when its files change"
    )
    serve.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="[SCOPE:]KEY=VALUE",
        help="set a function environment variable (SCOPE: a function name or module limits it); repeatable",
    )
    serve.add_argument(
        "--env-file", type=Path, action="append", default=[], help="read KEY=VALUE lines from a file"
    )
    serve.add_argument(
        "--jwks-url", help="the identity provider's JWKS for the authorizer (default: the development key)"
    )
    serve.add_argument(
        "--deployed",
        action="store_true",
        help="read the values that exist only after deploy (table names, SSM parameters) from the "
        "deployed stacks, with your AWS credentials (read-only)",
    )
    serve.add_argument("--cdk-out", type=Path, help="serve this cloud assembly (never synthesizes)")
    serve.add_argument(
        "--project-root", type=Path, help="the folder holding cdk.json (default: found from cwd)"
    )

    token: argparse.ArgumentParser = subparsers.add_parser(
        "token",
        help="print a development token that `cora serve`'s authorizer accepts",
        description="Print an RS256 token signed by the development key (created in the user cache on "
        "first use), with the project's issuer and audience from cdk.json.",
    )
    token.add_argument("--sub", default="dev-user", help="the subject claim (default dev-user)")
    token.add_argument(
        "--claim",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help='another claim; VALUE is read as JSON when it is JSON (true, 3, ["a"]); repeatable',
    )
    token.add_argument("--ttl", default="1h", help="lifetime: 3600, 90s, 15m, 1h, 2d (default 1h)")
    token.add_argument(
        "--project-root", type=Path, help="the folder holding cdk.json (default: found from cwd)"
    )


def project_settings(root: Path) -> dict[str, str]:
    """The authorizer's settings in cdk.json's context, with the library's defaults."""
    try:
        data = json.loads((root / "cdk.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ToolError(f"{root / 'cdk.json'} cannot be read: {error}") from None
    context = data.get("context") if isinstance(data, dict) else None
    context = context if isinstance(context, dict) else {}

    def setting(key: str, default: str) -> str:
        value = context.get(key)
        return value if isinstance(value, str) and value else default

    return {
        "issuer": setting(defaults.CONTEXT_JWT_ISSUER, defaults.JWT_ISSUER),
        "audience": setting(defaults.CONTEXT_JWT_AUDIENCE, defaults.JWT_AUDIENCE),
        "cookie": setting(defaults.CONTEXT_SESSION_COOKIE, defaults.SESSION_COOKIE_NAME),
    }


def run_token(args: argparse.Namespace) -> int:
    from cora_constructs.serve import devkeys

    root = args.project_root.resolve() if args.project_root else find_project_root()
    settings = project_settings(root)
    try:
        ttl = devkeys.parse_ttl(args.ttl)
        extra = dict(devkeys.parse_claim(text) for text in args.claim)
    except ValueError as error:
        raise ToolError(str(error)) from None
    if not args.sub:
        raise ToolError("--sub must not be empty: the authorizer requires a subject")
    audience = settings["audience"].split(",")[0].strip()
    claims = devkeys.token_claims(
        subject=args.sub, issuer=settings["issuer"], audience=audience, ttl_seconds=ttl, extra=extra
    )
    print(devkeys.load_or_create().sign(claims))
    return EXIT_OK


def run_serve(args: argparse.Namespace) -> int:
    from cora_constructs.serve import devkeys, server
    from cora_constructs.serve.plan import read_plan

    if not 0 <= args.port <= 65535:
        raise ToolError(f"--port {args.port} is not a port number (0-65535)")
    try:
        import uvicorn  # noqa: F401
    except ImportError:
        raise ToolError("`cora serve` needs the serve extra: pip install 'cora-constructs[serve]'") from None
    overrides = [o for path in args.env_file for o in server.parse_env_file(path)]
    overrides += [server.parse_env_assignment(text) for text in args.env]
    if args.cdk_out is not None:
        cdk_out = ensure_cloud_assembly(Path(), args.cdk_out.resolve())
        root = args.project_root.resolve() if args.project_root else _root_or_none(cdk_out.parent)
    else:
        root = args.project_root.resolve() if args.project_root else find_project_root()
        cdk_out = ensure_cloud_assembly(root)
    plan = read_plan(cdk_out.resolve(), root)
    jwks = None
    if args.jwks_url is None:
        jwks = devkeys.load_or_create().jwks()
    deployed: dict[str, dict[str, str]] = {}
    if args.deployed:
        deployed = _read_deployed(plan, overrides)
    cache_dir = devkeys.default_key_path().parent / "serve"
    service = server.prepare(
        plan,
        host=args.host,
        port=args.port,
        overrides=overrides,
        jwks_url=args.jwks_url,
        jwks=jwks,
        watch=args.watch,
        cache_dir=cache_dir,
        deployed=deployed,
    )
    server.run(service)
    return EXIT_OK


def _read_deployed(plan: Any, overrides: Any) -> dict[str, dict[str, str]]:
    import boto3

    from cora_constructs.serve.deployed import read_deployed
    from cora_constructs.serve.server import function_overrides, region_of

    try:
        # AWS_REGION (which botocore does not read), else the profile's region, else us-east-1.
        session = boto3.session.Session(region_name=os.environ.get("AWS_REGION") or None)
        if not session.region_name:
            session = boto3.session.Session(region_name=region_of(os.environ))
        values, problems = read_deployed(
            plan.functions.values(),
            cloudformation=session.client("cloudformation"),
            ssm=session.client("ssm"),
            given=lambda function, name: name in function_overrides(function, overrides),
        )
    except Exception as error:  # no region, no credentials: say so, serve without them
        print(f"cora serve: warning: --deployed: {error}", file=sys.stderr)
        return {}
    for problem in problems:
        print(f"cora serve: warning: --deployed: {problem}", file=sys.stderr)
    return values


def _root_or_none(start: Path) -> Path | None:
    try:
        return find_project_root(start)
    except ToolError:
        return None


__all__ = ["add_parsers", "run_serve", "run_token"]
