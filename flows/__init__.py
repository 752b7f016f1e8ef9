"""Prefect flows that integration engineers run: thin orchestration over the SDK and adapters.

Nothing here holds logic worth testing on its own: the flows call the member
SDK (hub.sdk), the record builders (flows.plans) and the adapters.
"""
