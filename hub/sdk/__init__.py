"""Member SDK: what a national system (its adapter and flows) uses to talk to the hub.

``MemberClient`` is async; ``SyncMemberClient`` wraps it for plain scripts.
The client verifies the hub-signed directory against the hub key pinned in
the federation manifest, seals to the recipients' directory keys, verifies
every delivery before opening it, refuses a record that carries more than its
declared purpose permits under the operator-signed policy, and signs its
acknowledgements.
"""

from hub.sdk.client import MemberClient, OpenedDelivery, SubmitError
from hub.sdk.policy_consent import RecipientGuardError
from hub.sdk.sync import SyncMemberClient

__all__ = ["MemberClient", "OpenedDelivery", "RecipientGuardError", "SubmitError", "SyncMemberClient"]
