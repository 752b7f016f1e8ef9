"""Which sensitivity layers a record actually holds.

Every field of a personal record carries a ``(pxhub.v1.sensitivity)`` option.
The sender declares the layers a record holds in the cleartext header (the
hub decides on them without seeing the record) and the recipient recomputes
them after opening, so both ends must compute the same answer from the same
rule:

* a field counts when it is set: a non-default scalar, a non-empty repeated
  field, or a present sub-message (even an empty one, since it is on the wire);
* its tier is its own option, or else the tier of the field that encloses it
  (``PartialDate.year`` inside ``birth_date`` is PERSONAL);
* fields with no option and no enclosing tier (the top level of an integrity
  audit or a best practice) contribute nothing.

Field plans and, per message type, the set of tiers reachable below it are
cached per descriptor, so once every tier a sub-tree could add has been seen
the walk skips it: a full profile costs a few dozen field visits.
"""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from pxhub.v1 import options_pb2

__all__ = ["layers_present", "pull_only_fields_present"]


@dataclass(frozen=True, slots=True)
class _FieldPlan:
    """What the walk needs to know about one field, read once from its options."""

    tier: int  # explicit (pxhub.v1.sensitivity), 0 when the field has none
    pull_only: bool
    child: Descriptor | None  # message type, None for scalars and enums
    repeated: bool


_FIELD_PLANS: dict[FieldDescriptor, _FieldPlan] = {}
_SUBTREE_TIERS: dict[Descriptor, frozenset[int]] = {}
_SUBTREE_PULL_ONLY: dict[Descriptor, bool] = {}


def _plan(field: FieldDescriptor) -> _FieldPlan:
    plan = _FIELD_PLANS.get(field)
    if plan is None:
        options = field.GetOptions()
        plan = _FieldPlan(
            tier=int(options.Extensions[options_pb2.sensitivity]),
            pull_only=bool(options.Extensions[options_pb2.pull_only]),
            child=field.message_type if field.cpp_type == FieldDescriptor.CPPTYPE_MESSAGE else None,
            repeated=field.is_repeated,
        )
        _FIELD_PLANS[field] = plan
    return plan


def _reachable(descriptor: Descriptor) -> list[Descriptor]:
    """Every message type reachable from ``descriptor`` (itself included), cycle-safe."""
    seen: dict[Descriptor, None] = {descriptor: None}
    stack = [descriptor]
    while stack:
        for field in stack.pop().fields:
            child = _plan(field).child
            if child is not None and child not in seen:
                seen[child] = None
                stack.append(child)
    return list(seen)


def _subtree_tiers(descriptor: Descriptor) -> frozenset[int]:
    """Explicit tiers of all fields at or below ``descriptor``."""
    tiers = _SUBTREE_TIERS.get(descriptor)
    if tiers is None:
        found = {
            plan.tier
            for message_type in _reachable(descriptor)
            for plan in (_plan(f) for f in message_type.fields)
            if plan.tier
        }
        tiers = frozenset(found)
        _SUBTREE_TIERS[descriptor] = tiers
    return tiers


def _subtree_pull_only(descriptor: Descriptor) -> bool:
    """Whether any field at or below ``descriptor`` is marked pull_only."""
    has = _SUBTREE_PULL_ONLY.get(descriptor)
    if has is None:
        has = any(_plan(f).pull_only for message_type in _reachable(descriptor) for f in message_type.fields)
        _SUBTREE_PULL_ONLY[descriptor] = has
    return has


def _collect(message: Message, inherited: int, out: set[int]) -> None:
    # Hot path (every seal and every open): plans and sub-tree tiers come
    # straight from the caches; _plan/_subtree_tiers only run on a miss.
    plans = _FIELD_PLANS
    subtree = _SUBTREE_TIERS
    for field, value in message.ListFields():
        plan = plans.get(field) or _plan(field)
        tier = plan.tier or inherited
        if tier:
            out.add(tier)
        child = plan.child
        if child is None:
            continue
        # Below this field only its own tier (already added) and the explicit
        # tiers of the sub-tree can appear; skip the sub-tree when all are known.
        below = subtree.get(child)
        if below is None:
            below = _subtree_tiers(child)
        if out.issuperset(below):
            continue
        if plan.repeated:
            for item in value:
                _collect(item, tier, out)
        else:
            _collect(value, tier, out)


def layers_present(message: Message) -> frozenset[int]:
    """The ``Sensitivity`` values of every set field of ``message``, nested ones included.

    ``metadata.layers`` of an envelope is ``sorted(layers_present(record))``;
    the recipient checks the opened record against it.
    """
    out: set[int] = set()
    _collect(message, 0, out)
    return frozenset(out)


def _pull_only(message: Message, prefix: str, out: dict[str, None]) -> None:
    for field, value in message.ListFields():
        plan = _plan(field)
        path = prefix + field.name
        if plan.pull_only:
            # Everything below a pull-only field is covered by its path.
            out[path] = None
            continue
        child = plan.child
        if child is None or not _subtree_pull_only(child):
            continue
        sub_prefix = path + "."
        if plan.repeated:
            for item in value:
                _pull_only(item, sub_prefix, out)
        else:
            _pull_only(value, sub_prefix, out)


def pull_only_fields_present(message: Message) -> list[str]:
    """Paths of set fields marked ``(pxhub.v1.pull_only)``, outermost first, each once.

    Paths are FieldMask style (``inmate_security_profile.identity.parent_names``,
    no list indices), in the order the walk meets them. Such fields may only be
    sent in answer to an explicit request, so senders check this before sealing
    and recipients after opening.
    """
    out: dict[str, None] = {}
    _pull_only(message, "", out)
    return list(out)
