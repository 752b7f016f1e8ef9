"""What ``pxhub flow run`` checks before Prefect starts: each a one-line answer in about a second.

Starting Prefect's local API takes 4-13 s; a wrong passphrase, an unknown member, a missing export or
a hub that is down should not cost that, nor end in a traceback. Nothing here imports Prefect:
``tests/test_flow_cli.py`` runs these checks in a process and asserts Prefect was never loaded.

``InputProblem`` is what the user typed or set (exit 2); ``RunProblem`` is what the run would meet
(the hub unreachable, an export no row of which can be read: exit 1).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

#: How long the hub may take to answer the health check before the run is refused.
HEALTH_DEADLINE_S: Final = 5.0
#: Parameters that name a file the flow reads.
FILE_PARAMETERS: Final = ("source", "records")


class InputProblem(Exception):
    """An option, a file or the environment is wrong: the user can fix it and retry (exit 2)."""


class RunProblem(Exception):
    """The run cannot succeed as things are: the hub is unreachable, the export unreadable (exit 1)."""


def check_readable(option: str, path: Path) -> None:
    if not path.exists():
        raise InputProblem(f"--{option} {path}: no such file")
    if not path.is_file():
        raise InputProblem(f"--{option} {path}: not a file")
    try:
        with path.open("rb") as stream:
            stream.read(1)
    except OSError as error:
        raise InputProblem(f"--{option} {path}: cannot read it ({error.strerror})") from None


def check_export(member: str, source: Path) -> None:
    """The export opens as the member's format: not binary, a header with the required columns."""
    from adapters.contract import file_problem
    from adapters.registry import get_adapter

    try:
        adapter = get_adapter(member)
    except (KeyError, LookupError, ValueError) as error:
        raise InputProblem(f"--member {member}: no adapter for it ({error})") from None
    with source.open("rb") as stream:
        first = next(iter(adapter.parse(stream)), None)
    problem = file_problem(first) if first is not None else None
    if problem is not None:
        raise RunProblem(
            f"{source} is not a readable {adapter.format_name} export: "
            f"{problem.reason_code}: {problem.message}"
        )


def check_member(federation_dir: Path, member: str, recipients: list[str] | None = None) -> None:
    from hub.identity.manifest import PkiError, load_manifest

    try:
        manifest = load_manifest(federation_dir)
    except PkiError as error:
        raise InputProblem(f"--federation-dir: {error}") from None
    members = [i.id for i in manifest.by_role("member")]
    if member not in members:
        raise InputProblem(f"--member {member}: not a member of the federation; one of: {', '.join(members)}")
    for recipient in recipients or ():
        if recipient not in members or recipient == member:
            others = ", ".join(m for m in members if m != member)
            raise InputProblem(
                f"--recipient {recipient}: not a partner {member} can send to; one of: {others}"
            )


def check_hub(target: str, federation_dir: Path, member: str, deadline: float = HEALTH_DEADLINE_S) -> None:
    """The member's keys open with the passphrase, and the hub answers a health check over mTLS."""
    from hub.identity.credentials import load_identity, passphrase_from_env
    from hub.identity.manifest import PkiError

    try:
        identity = load_identity(federation_dir, member, passphrase_from_env())
    except PkiError as error:
        raise InputProblem(str(error)) from None
    asyncio.run(_health(target, identity, deadline))


async def _health(target: str, identity: Any, deadline: float) -> None:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    from hub.transport.channel import open_channel

    channel = open_channel(target, identity, rate_limit_wait=0)
    try:
        stub = health_pb2_grpc.HealthStub(channel)
        # types-grpcio-health-checking declares HealthStub without its methods.
        answer = await stub.Check(health_pb2.HealthCheckRequest(), timeout=deadline)  # type: ignore[attr-defined]
    except grpc.aio.AioRpcError as error:
        if error.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
            raise RunProblem(f"the hub at {target} did not answer within {deadline:g} s") from None
        raise RunProblem(
            f"the hub at {target} is unreachable: {error.code().name}: {error.details()}"
        ) from None
    finally:
        await channel.close()
    if answer.status != health_pb2.HealthCheckResponse.SERVING:
        status = health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)
        raise RunProblem(f"the hub at {target} is not serving ({status})")


def check_inputs(parameters: Mapping[str, Any], *, reach_hub: bool = True) -> None:
    """Every check that applies to a flow's parameters, cheapest first."""
    member = parameters.get("member")
    federation_dir = Path(parameters.get("federation_dir") or "var/federation")
    for option in FILE_PARAMETERS:
        if parameters.get(option):
            check_readable(option, Path(parameters[option]))
    if not member:
        return
    check_member(federation_dir, member, parameters.get("recipients"))
    if parameters.get("source"):
        check_export(member, Path(parameters["source"]))
    if reach_hub and parameters.get("target"):
        check_hub(str(parameters["target"]), federation_dir, member)
