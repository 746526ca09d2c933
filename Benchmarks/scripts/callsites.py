#!/usr/bin/env python3
"""Call sites of chosen functions in a callgrind profile, with source file:line and call counts.

callgrind_annotate attributes calls into the Swift runtime (swift_retain, swift_release,
swift_beginAccess, lazy-global addressors) to "unidentified lines" once code is inlined; this
reads the raw profile instead, which records every call's address and line. Needs a profile
made with --dump-instr=yes and a binary with DWARF 4 line tables (instructions.sh does both).

Usage: callsites.py CALLGRIND_OUT [--per N] [--binary EXE] REGEX...
  REGEX is matched against callee names; --per divides counts (e.g. by the frames forwarded, to
  print calls per frame); --binary resolves each call's address with addr2line -i, which gives
  the whole inline chain (the line the profile records for inlined code is often 0).
"""
import re
import subprocess
import sys
from collections import defaultdict

import callgrind_profile


def parse(path):
    sites = defaultdict(int)  # (caller, file, line, callee, addr) -> calls
    for c in callgrind_profile.costs(path):
        if c.call:
            count, callee = c.call
            sites[(c.fn, c.file, c.line, callee, c.addr)] += count
    return sites


def demangle(names):
    try:
        out = subprocess.run(["swift", "demangle", "--simplified"], input="\n".join(names),
                             capture_output=True, text=True, check=True).stdout.split("\n")
        return dict(zip(names, out))
    except (OSError, subprocess.CalledProcessError):
        return {n: n for n in names}


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__)
        sys.exit(2)
    path = args.pop(0)
    per = 1
    if args[:1] == ["--per"]:
        per = int(args[1])
        args = args[2:]
    patterns = [re.compile(p) for p in args] or [re.compile(".")]
    sites = parse(path)
    binary = None
    if args[:1] == ["--binary"]:
        binary = args[1]
        args = args[2:]
    names = sorted({k[0] or "?" for k in sites} | {k[3] or "?" for k in sites})
    pretty = demangle(names)
    rows = []
    for (caller, file, line, callee, addr), calls in sites.items():
        callee_name = pretty.get(callee or "?", callee or "?")
        if not any(p.search(callee_name) or p.search(callee or "") for p in patterns):
            continue
        rows.append([calls, callee_name, f"{file}:{line}", pretty.get(caller or "?", caller or "?"), addr])
    if binary and rows:
        chains = callgrind_profile.inline_chains(binary, [r[4] for r in rows])
        for r in rows:
            if chains.get(r[4]):
                r[2] = " < ".join(f.split("/Sources/")[-1] for f in chains[r[4]])
    rows.sort(key=lambda r: (-r[0], r[2]))
    for calls, callee, where, caller, addr in rows:
        print(f"{calls / per:10.3f}  {callee[:46]:46}  {hex(addr)}  {where}  (in {caller[:50]})")


if __name__ == "__main__":
    main()
