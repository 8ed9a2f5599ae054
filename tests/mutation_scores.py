"""Print the mutation score of each mutated module, then every mutant that was not killed.

Run after ``mutmut run`` (``tox -e mutation`` does both): reads ``mutmut results --all true`` and
exits non-zero when a module scores below the target, so a run that weakens the tests is noticed.
Only killed mutants count; a timeout (the tests ran 15 times longer than usual, which a busy
machine can cause too) is shown apart and counts as not killed.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter, defaultdict

TARGET = 0.90
KILLED = {"killed", "caught by type check"}


def module_of(mutant: str) -> str:
    """``atlassian_connect_kit.auth.qsh.x_canonical_query__mutmut_3`` -> ``...auth.qsh``."""
    return mutant.rsplit(".", 1)[0] if "__mutmut_" in mutant else mutant


def main() -> int:
    listing = subprocess.run(
        ["mutmut", "results", "--all", "true"], capture_output=True, text=True, check=True
    ).stdout
    statuses: dict[str, Counter[str]] = defaultdict(Counter)
    survivors: list[str] = []
    for line in listing.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if "__mutmut_" not in name or status == "not checked":
            continue  # a run scoped to some modules leaves the others unchecked
        statuses[module_of(name)][status] += 1
        if status not in KILLED:
            survivors.append(f"{name}: {status}")
    below = []
    print(f"{'module':<44} {'killed':>7} {'timeout':>8} {'total':>6} {'score':>7}")
    for module in sorted(statuses):
        counts = statuses[module]
        total = sum(counts.values())
        killed = sum(counts[status] for status in KILLED)
        score = killed / total
        print(f"{module:<44} {killed:>7} {counts['timeout']:>8} {total:>6} {score:>7.1%}")
        if score < TARGET:
            below.append(module)
    for survivor in survivors:
        print("  not killed:", survivor)
    if below:
        print(f"below {TARGET:.0%}: {', '.join(below)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
