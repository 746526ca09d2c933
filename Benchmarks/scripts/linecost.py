#!/usr/bin/env python3
"""Self instructions per source line of the functions matching REGEX, from a callgrind profile.

valgrind 3.19 cannot read the line tables of the inlined Swift hot path, so callgrind_annotate
shows its cost as "unidentified lines". The raw profile (--dump-instr=yes, as instructions.sh
makes it) still has every instruction's address and self cost; this sums the cost per address,
resolves the addresses with addr2line -i (the whole inline chain), and charges each instruction
to the innermost source line that has a number. A call's own line in the profile (the one after
`calls=`) is its inclusive cost and is left out: this is self cost only.

Usage: linecost.py CALLGRIND_OUT --binary EXE [--per N] [--top K] REGEX
  --per divides the costs (by the frames forwarded, for instructions per frame).
"""
import re
import sys
from collections import defaultdict

import callgrind_profile


def self_costs(path, pattern):
    costs = defaultdict(int)
    for c in callgrind_profile.costs(path, require_instructions=True):
        if c.call is None and c.fn and c.costs and pattern.search(c.fn):
            costs[c.addr] += c.costs[0]
    return costs


def lines_of(binary, addresses):
    """The innermost frame of each address's inline chain that has a line number."""
    chains = callgrind_profile.inline_chains(binary, addresses)
    return {a: next((f for f in chain if not f.endswith(":?")), None) for a, chain in chains.items()}


def main():
    args = sys.argv[1:]
    if len(args) < 3:
        print(__doc__)
        sys.exit(2)
    path, binary, per, top, regex = args.pop(0), None, 1, 40, None
    while args:
        a = args.pop(0)
        if a == "--binary":
            binary = args.pop(0)
        elif a == "--per":
            per = int(args.pop(0))
        elif a == "--top":
            top = int(args.pop(0))
        else:
            regex = a
    if not binary or not regex:
        print(__doc__)
        sys.exit(2)
    # The profile holds mangled names: REGEX is matched against those (e.g. 'pollPorts' also
    # takes its closures).
    costs = self_costs(path, re.compile(regex))
    if not costs:
        sys.exit(f"linecost.py: no cost in functions matching {regex!r}")
    where = lines_of(binary, sorted(costs))
    per_line = defaultdict(int)
    for a, c in costs.items():
        per_line[where.get(a) or "?"] += c
    total = sum(costs.values())
    print(f"{total / per:.1f} self instructions per unit in functions matching {regex!r}")
    for place, c in sorted(per_line.items(), key=lambda kv: -kv[1])[:top]:
        print(f"{c / per:8.1f}  {100 * c / total:5.1f}%  {re.sub(r'^.*/Sources/', '', place)}")


if __name__ == "__main__":
    main()
