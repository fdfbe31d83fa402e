"""Entry point of ``make bench``: runs every benchmark and prints one line per measurement."""

from __future__ import annotations

from bench import orchestration, render_fused, run_latency, webhook_throughput


def main() -> int:
    run_latency.main()
    render_fused.main()
    webhook_throughput.main()
    orchestration.main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
