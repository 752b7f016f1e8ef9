"""Prefect flows that integration engineers run: thin orchestration over the SDK and adapters.

The flows call the member SDK (hub.sdk), the adapters and the record builders
(flows.plans); the little state they keep (outbox, national sink and cursor,
witnessed checkpoint) lives in flows.common and flows.sink. docs/flows.md has
the design notes, the README how to run them.
"""
