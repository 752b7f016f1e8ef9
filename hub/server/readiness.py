"""Whether the hub can serve: its store answers, its schema is this release's, its policy is loaded.

Asked by ``/readyz`` and by each metrics scrape (``pxhub_ready``), so a replica that cannot serve is
taken out of rotation and alerted on the same way.
"""

from __future__ import annotations

from hub.server.context import HubContext

#: The checks, in the order they are reported.
READINESS_CHECKS = ("store", "migrations", "policy")


def readiness(hub: HubContext) -> dict[str, str]:
    """What keeps the hub from serving, by check ("store", "migrations", "policy"); empty when ready."""
    problems: dict[str, str] = {}
    try:
        hub.store.audit_size()
    except Exception as error:  # any failure to reach the store makes the hub not ready
        detail = str(error).splitlines()[0][:200] if str(error) else ""
        problems["store"] = f"unreachable: {type(error).__name__}: {detail}"
        return problems  # the other checks read the store too
    try:
        schema = hub.store.schema_problem()
    except Exception as error:  # an unreadable revision table is not a current schema
        schema = f"revision unreadable: {type(error).__name__}"
    if schema:
        problems["migrations"] = schema
    try:
        policy = hub.exchange.policies.current()
    except Exception as error:  # a stored policy that no longer verifies
        problems["policy"] = f"the stored policy does not verify: {type(error).__name__}"
    else:
        if policy is None:
            problems["policy"] = "no signed policy loaded"
    return problems
