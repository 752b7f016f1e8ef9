"""The audit log seen from both sides.

Hub side: :mod:`hub.audit.service` (issue checkpoints, answer queries and
proofs, accept cosignatures; no gRPC). Auditor and witness side, trusting
nothing the hub says that no checked signature covers:
:mod:`hub.audit.tree` (recompute roots and proofs from entries),
:mod:`hub.audit.witness` (decide and cosign), :mod:`hub.audit.verify` (the
whole-log check behind ``pxhub audit verify``), :mod:`hub.audit.export`,
:mod:`hub.audit.report` and :mod:`hub.audit.client` (gRPC client).
"""
