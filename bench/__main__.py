"""``make bench``: run every scenario, print its table and write bench/results/<scenario>.json."""

from __future__ import annotations

import argparse

from bench import adapters, audit_log, bulk_sync, envelope_rates, latency, soak, submit_throughput

SCENARIOS = {
    "envelope_rates": envelope_rates.run,
    "submit_throughput": submit_throughput.run,
    "latency": latency.run,
    "audit_log": audit_log.run,
    "adapters": adapters.run,
    "soak": soak.run,
    "bulk_sync": bulk_sync.run,
}


def main() -> None:
    parser = argparse.ArgumentParser(description="pxhub benchmarks (each beside its baseline, same run)")
    parser.add_argument(
        "scenarios", nargs="*", default=list(SCENARIOS), help="which scenarios (default: all)"
    )
    parser.add_argument(
        "--count", type=int, default=None, help="records per round, where a scenario takes it"
    )
    args = parser.parse_args()
    for name in args.scenarios:
        print(f"== {name}")
        kwargs = {"count": args.count} if args.count else {}
        result = SCENARIOS[name](**kwargs)
        result.print()
        print(f"wrote {result.write()}")


if __name__ == "__main__":
    main()
