"""Prefect flows that integration engineers run, and the commands that drive them.

Thin over the SDK and the adapters.

The flows call the member SDK (hub.sdk), the adapters and the header builders (flows.plans); the
little state they keep (outbox, national sink and cursor, witnessed checkpoint) lives in
flows.common and flows.sink. The ``pxhub flow`` and ``pxhub demo`` commands (flows.cli, registered
through the ``pxhub.cli`` entry-point group) and the demo (flows.demo, with its sample plan in
flows.samples) sit here, above the hub, which never imports this package. docs/flows.md has the
design notes, the README how to run them.
"""
