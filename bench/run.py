"""Entry point of ``make bench``: there are no benchmarks yet, and it says so."""

from __future__ import annotations


def main() -> int:
    print("no benchmarks yet")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
