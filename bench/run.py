"""Entry point of ``make bench``: runs every benchmark and prints one line per measurement."""

from __future__ import annotations

from bench import (
    chain_overhead,
    clips_ranking,
    long_talk,
    orchestration,
    reframe_talk,
    render_fused,
    run_latency,
    webhook_signing,
    webhook_throughput,
    whole_run,
)


def main() -> int:
    run_latency.main()
    render_fused.main()
    whole_run.main()
    webhook_throughput.main()
    clips_ranking.main()
    reframe_talk.main()
    long_talk.main()
    webhook_signing.main()
    orchestration.main()
    chain_overhead.main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
