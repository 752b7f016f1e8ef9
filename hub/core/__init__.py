"""Pure core of pxhub: no I/O, no gRPC server, no Prefect.

Envelope crypto, Merkle math, checkpoints, policy and mapping live here so
they can be tested in milliseconds and reused by the hub, the member SDK,
the flows and the auditor tools alike.
"""
