"""The hub's services, without gRPC: what the servicers in :mod:`hub.server` delegate to.

Admission and the exchange (submit, fetch, acknowledge, purge), the policy gate, consents and
lineage, the directory book (key rotations and status changes), the audit log's queries and
checkpoints, and the audit entries every decision writes.
"""
