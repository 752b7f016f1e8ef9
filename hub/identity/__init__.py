"""Runtime identity, used on both sides of the wire: who a party is and whom it trusts.

A party's own credentials and the federation manifest (:mod:`hub.identity.credentials`), its
keyring of rotated keys (:mod:`hub.identity.keyring`), the hub-signed directory of members and
their public keys (:mod:`hub.identity.directory`), the signed changes to it
(:mod:`hub.identity.directory_changes`) and the caller a client certificate names
(:mod:`hub.identity.caller`). No certificate authority here: the development CA is in
:mod:`hub.dev`.
"""
