"""``make bench``: run every scenario, print its table and write bench/results/<scenario>.json."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from bench import (
    adapters,
    audit_log,
    bulk_sync,
    envelope_rates,
    fairness,
    latency,
    lookup,
    soak,
    submit_throughput,
)
from bench.common import ScenarioResult

SCENARIOS: dict[str, Callable[..., ScenarioResult]] = {
    "envelope_rates": envelope_rates.run,
    "submit_throughput": submit_throughput.run,
    "latency": latency.run,
    "audit_log": audit_log.run,
    "adapters": adapters.run,
    "soak": soak.run,
    "bulk_sync": bulk_sync.run,
    "lookup": lookup.run,
    "fairness": fairness.run,
}


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="pxhub benchmarks (each beside its baseline, same run)"
    )
    parser.add_argument(
        "scenarios",
        nargs="*",
        default=list(SCENARIOS),
        metavar="SCENARIO",
        help=f"which scenarios: {', '.join(SCENARIOS)} (default: all)",
    )
    parser.add_argument(
        "--count", type=int, default=None, help="records per round, where a scenario takes it"
    )
    args = parser.parse_args()
    unknown = [name for name in args.scenarios if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {', '.join(map(repr, unknown))}; choose from {', '.join(SCENARIOS)}")
    if args.count is not None and args.count < 1:
        parser.error(f"--count must be at least 1, got {args.count}")
    for name in args.scenarios:
        print(f"== {name}")
        kwargs = {"count": args.count} if args.count else {}
        result = SCENARIOS[name](**kwargs)
        result.print()
        print(f"wrote {result.write()}")


if __name__ == "__main__":
    main()
