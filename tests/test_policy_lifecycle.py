"""Agreements and the policy over time: the document's own period, warnings before an end, the diff an
operator reads before signing a renewal, and what happens to records in flight when an agreement lapses."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from google.protobuf import json_format

from hub.core.envelope import EnvelopeError
from hub.core.policy import check_policy, decide, ending_within, policy_in_force
from hub.core.policy_diff import policy_diff
from hub.policy import default_policy, default_policy_message
from hub.runtime.clock import MovableClock
from hub.transport.status import reason_of
from pxhub.v1 import envelope_pb2, exchange_pb2, policy_pb2
from tests.conftest import HubHandle, start_test_hub
from tests.test_cli_consent import hub_target, run
from tests.test_exchange_grpc import profile, security_metadata
from tests.test_policy import header

E = envelope_pb2
ISSUED = datetime(2031, 3, 1, tzinfo=UTC)  # the injected clock: when these tests' policy is issued
TOC, BA = E.PURPOSE_TRANSNATIONAL_ORGANISED_CRIME, E.LEGAL_BASIS_BILATERAL_AGREEMENT
__all__ = ["hub_target"]  # the CLI tests' hub (module scope), reused here


# ------------------------------------------------------------------ the document's own period


def test_outside_its_own_period_the_policy_permits_nothing() -> None:
    policy = default_policy(ISSUED)
    assert decide(header("CO-INPEC", ["PE-INPE"], TOC, BA), False, policy, {}, ISSUED).permit
    ends = ISSUED + timedelta(days=1095)
    for when, text in (
        (ends + timedelta(seconds=1), f"policy v1 expired on {ends.isoformat()}"),
        (ISSUED - timedelta(days=2), f"policy v1 starts on {(ISSUED - timedelta(days=1)).isoformat()}"),
    ):
        decision = decide(header("CO-INPEC", ["PE-INPE"], TOC, BA), False, policy, {}, when)
        assert (decision.permit, decision.reason, decision.detail) == (
            False,
            E.REASON_POLICY_NOT_IN_FORCE,
            text,
        )
        assert policy_in_force(policy, when) == decision


def test_a_policy_without_a_period_or_ending_before_it_starts_is_refused() -> None:
    message = default_policy_message(ISSUED)
    message.ClearField("valid_until")
    with pytest.raises(EnvelopeError, match="the policy needs valid_from and valid_until") as raised:
        check_policy(message)
    assert raised.value.reason == E.REASON_MALFORMED
    message = default_policy_message(ISSUED)
    message.valid_until.CopyFrom(message.valid_from)
    with pytest.raises(EnvelopeError, match="the policy ends before it starts"):
        check_policy(message)


def test_endings_are_announced_before_they_happen() -> None:
    policy = default_policy(ISSUED)
    assert ending_within(policy, ISSUED, timedelta(days=30)) == []
    soon = ISSUED + timedelta(days=1080)
    ending = ending_within(policy, soon, timedelta(days=30))
    bilateral = {g.agreement_id for g in policy.message.agreements if g.agreement_id.startswith("BIL-")}
    assert {(e.what, e.name) for e in ending} == {("policy", "v1")} | {("agreement", a) for a in bilateral}
    assert {e.days_left(soon) for e in ending} == {15}
    after = ISSUED + timedelta(days=1100)
    ended = ending_within(policy, after, timedelta(0))
    assert {e.days_left(after) for e in ended} == {-5}  # ended: still shown


# ------------------------------------------------------------------ the diff of a renewal


def renewal(base: policy_pb2.Policy) -> policy_pb2.Policy:
    """Version 2: BIL-CO-PE renewed for five years, BIL-MX-CO dropped, a CO-EC agreement added."""
    message = policy_pb2.Policy()
    message.CopyFrom(base)
    message.version = 2
    issued = base.issued_at.ToDatetime(UTC)
    agreements = {g.agreement_id: g for g in message.agreements}
    agreements["BIL-CO-PE"].valid_until.FromDatetime(issued + timedelta(days=1825))
    added = message.agreements.add()
    added.CopyFrom(agreements["BIL-CO-PE"])
    added.agreement_id, added.parties[:] = "BIL-CO-EC", ["CO", "EC"]
    message.agreements.remove(agreements["BIL-MX-CO"])
    return message


def test_the_diff_names_each_change_by_its_entry() -> None:
    old = default_policy_message(ISSUED)
    new = renewal(old)
    lines = [change.line() for change in policy_diff(old, new)]
    ends = (ISSUED + timedelta(days=1095)).strftime("%Y-%m-%dT%H:%M:%SZ")
    renewed = (ISSUED + timedelta(days=1825)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f'~ agreement BIL-CO-PE.validUntil: "{ends}" -> "{renewed}"' in lines
    assert any(line.startswith("+ agreement BIL-CO-EC: {") for line in lines)
    assert any(line.startswith("- agreement BIL-MX-CO: {") for line in lines)
    assert len(lines) == 3  # the version and the issue time are not changes
    shuffled = policy_pb2.Policy()
    shuffled.CopyFrom(new)
    shuffled.agreements.reverse()
    assert policy_diff(new, shuffled) == []  # order is no change


def test_policy_diff_and_publish_from_the_command_line(
    hub_target: str, federation_dir: Path, tmp_path: Path
) -> None:
    signed = federation_dir / "policy" / "signed-policy.binpb"
    new = renewal(
        policy_pb2.Policy.FromString(policy_pb2.SignedPolicy.FromString(signed.read_bytes()).policy)
    )
    path = tmp_path / "v2.json"
    path.write_text(json_format.MessageToJson(new), encoding="utf-8")
    code, output = run("policy", "diff", str(signed), str(path), "--federation-dir", str(federation_dir))
    assert code == 0, output
    assert "policy v1 -> v2: 3 change(s)" in output and "~ agreement BIL-CO-PE.validUntil" in output
    code, output = run(
        "policy", "diff", str(signed), str(path), "--json", "--federation-dir", str(federation_dir)
    )
    listed = json.loads(output)
    assert (code, listed["old_version"], listed["new_version"]) == (0, 1, 2)
    assert sorted(c["change"] + c["where"] for c in listed["changes"]) == [
        "+agreement BIL-CO-EC",
        "-agreement BIL-MX-CO",
        "~agreement BIL-CO-PE.validUntil",
    ]
    common = ("--target", hub_target, "--federation-dir", str(federation_dir))
    code, output = run("policy", "publish", str(path), *common)  # no terminal, no --yes: nothing published
    assert code == 2 and "pass --yes" in output and "+ agreement BIL-CO-EC" in output
    code, output = run("policy", "show", *common)
    assert code == 0 and "Policy v1" in output
    code, output = run("policy", "publish", str(path), *common, "--yes")
    assert code == 0 and "published policy v2" in output, output
    code, output = run("policy", "show", *common, "--warn-days", "2000")
    assert code == 0 and "Policy v2" in output
    assert "warning: agreement BIL-CO-EC ends in" in output and "warning: policy v2 ends in" in output
    code, output = run("policy", "show", *common)  # 30 days by default: nothing ends that soon
    assert "warning:" not in output
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps({"version": "3", "agreements": [{"agreement_id": "X", "valid_from": "issued+"}]})
    )
    code, output = run("policy", "diff", str(path), str(bad), "--federation-dir", str(federation_dir))
    assert code == 2 and "bad.json" in output


# ------------------------------------------------------------------ records in flight at a lapse


@pytest.fixture
async def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
async def hub(federation_dir: Path, clock: MovableClock) -> AsyncIterator[HubHandle]:
    handle = await start_test_hub(federation_dir, clock=clock)
    yield handle
    await handle.running.stop(grace=0.1)  # type: ignore[attr-defined]


def audit_reasons(hub: HubHandle) -> list[str]:
    entries = [json.loads(e) for e in hub.store.audit_entries(0, hub.store.audit_size())]
    return [e["reason"] for e in entries if e["outcome"] == "deny"]


async def test_a_record_admitted_before_its_agreement_lapses_is_still_delivered(
    hub: HubHandle, clock: MovableClock
) -> None:
    """Admission is decided once, at Submit, under the policy then in force (the audit log holds that
    decision and its agreement); a lapse stops new submissions, never a delivery already admitted."""
    operator, co, pe = [await hub.client(m) for m in ("OPERATOR-1", "CO-INPEC", "PE-INPE")]
    co.clock = pe.clock = clock  # the members' clocks move with the hub's
    try:
        short = default_policy_message(clock())
        short.version = 2
        soon = clock() + timedelta(hours=1)
        for agreement in short.agreements:
            if agreement.agreement_id == "BIL-CO-PE":
                agreement.valid_until.FromDatetime(soon)
        short.valid_until.FromDatetime(clock() + timedelta(hours=3))
        await operator.publish_policy(short)
        await co.refresh_policy()
        book = hub.running.context.exchange.policies  # type: ignore[attr-defined]
        warned = book.warn_ending(clock(), timedelta(days=1))  # what the hub's expiry check logs
        assert [(e.what, e.name) for e in warned] == [("agreement", "BIL-CO-PE"), ("policy", "v2")]
        first = co.seal(profile("CO-INPEC"), security_metadata(), ["PE-INPE"])
        assert (await co.submit([first]))[0].outcome == E.Receipt.OUTCOME_ACCEPTED

        clock.advance(timedelta(hours=2))  # BIL-CO-PE has lapsed; the record is still in PE's mailbox
        later = co.seal(profile("CO-INPEC"), security_metadata(), ["PE-INPE"])
        refused = (await co.submit([later]))[0]
        assert (refused.outcome, refused.reason) == (E.Receipt.OUTCOME_REJECTED, E.REASON_NO_AGREEMENT)
        assert f"expired on {soon.date().isoformat()}" in refused.detail
        deliveries = [d async for d in pe.fetch()]
        assert len(deliveries) == 1
        opened = pe.open(deliveries[0])
        acknowledged = await pe.acknowledge([pe.receipt_for(opened.verified)])
        assert acknowledged[0].outcome == exchange_pb2.ACKNOWLEDGE_OUTCOME_RECORDED

        clock.advance(timedelta(hours=2))  # now the policy itself has lapsed
        with pytest.raises(EnvelopeError) as raised:  # the member checks its own clock before sending
            co.seal(profile("CO-INPEC"), security_metadata(), ["PE-INPE"])
        assert raised.value.reason == E.REASON_POLICY_NOT_IN_FORCE
        co.policy = None  # a member that does not check: the hub refuses it all the same
        unchecked = co.seal(profile("CO-INPEC"), security_metadata(), ["PE-INPE"])
        receipt = (await co.submit([unchecked]))[0]
        assert receipt.reason == E.REASON_POLICY_NOT_IN_FORCE and "policy v2 expired on" in receipt.detail
        assert audit_reasons(hub)[-2:] == ["NO_AGREEMENT", "POLICY_NOT_IN_FORCE"]

        lapsed = default_policy_message(clock() - timedelta(days=2000))  # ended long ago: refused
        lapsed.version = 3
        with pytest.raises(grpc.aio.AioRpcError) as rpc:
            await operator.publish_policy(lapsed)
        assert reason_of(rpc.value) == "POLICY_NOT_IN_FORCE"
        renewed = default_policy_message(clock())  # the renewal: a new signed version in force
        renewed.version = 3
        await operator.publish_policy(renewed)
        await co.refresh_policy()
        again = co.seal(profile("CO-INPEC"), security_metadata(), ["PE-INPE"])
        assert (await co.submit([again]))[0].outcome == E.Receipt.OUTCOME_ACCEPTED
    finally:
        for client in (operator, co, pe):
            await client.close()
