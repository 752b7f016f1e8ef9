"""The audit log seen from both sides.

Hub side: :mod:`hub.services.audit` (issue checkpoints, answer queries and
proofs, accept cosignatures; no gRPC). Auditor and witness side, trusting
nothing the hub says that no checked signature covers:
:mod:`hub.sdk.audit.tree` (recompute roots and proofs from entries),
:mod:`hub.sdk.audit.witness` (decide and cosign), :mod:`hub.sdk.audit.verify` (the
whole-log check behind ``pxhub audit verify``), :mod:`hub.sdk.audit.export`,
:mod:`hub.sdk.audit.report` and :mod:`hub.sdk.audit.client` (gRPC client).
"""
