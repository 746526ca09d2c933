"""Reads a raw callgrind profile (format version 1) as a stream of cost lines, and resolves its
instruction addresses to inline chains of source lines.

Shared by callsites.py (calls per call site) and linecost.py (self cost per source line). Both need
the same bookkeeping: compressed names ("fn=(12) name" once, "fn=(12)" after), positions that are
instruction addresses and/or source lines, absolute, relative (+n/-n) or repeated (*), and the
`calls=` lines, after which the next cost line is the call's inclusive cost, not the caller's own.
"""
import re
import subprocess
from collections import namedtuple

POSITION = re.compile(r"^(0x[0-9a-f]+|[+-]\d+|\*)$")

# fn: function, file: its source file here (fi/fe inline file, else fl), addr/line: the position
# (0 where the profile has no such column), costs: the event counts, call: (count, callee) on the
# line that follows `calls=`, else None.
Cost = namedtuple("Cost", "fn file addr line costs call")


def costs(path, require_instructions=False):
    names = {"fn": {}, "fl": {}}
    fn = fl = fi = cfn = None
    addr = line = 0
    kinds = ["line"]
    pending = None

    def name_of(table, value):
        m = re.match(r"\((\d+)\)(?:\s+(.*))?$", value)
        if not m:
            return value
        if m.group(2) is not None:
            names[table][m.group(1)] = m.group(2)
        return names[table].get(m.group(1), "?")

    with open(path) as f:
        for raw in f:
            s = raw.rstrip("\n")
            if not s or s.startswith("#"):
                continue
            if s.startswith("positions:"):
                kinds = s.split()[1:]
                if require_instructions and kinds[0] != "instr":
                    raise SystemExit(f"{path}: no instruction addresses (run callgrind with --dump-instr=yes)")
                continue
            head = s.split(" ", 1)[0]
            if "=" in head:
                key, value = s.split("=", 1)
                if key == "fn":
                    fn, fi = name_of("fn", value), None
                elif key == "fl":
                    fl, fi = name_of("fl", value), None
                elif key in ("fi", "fe"):
                    fi = name_of("fl", value)
                elif key == "cfn":
                    cfn = name_of("fn", value)
                elif key in ("cfi", "cfl"):
                    name_of("fl", value)
                elif key == "calls":
                    pending = (int(value.split()[0]), cfn)
                continue
            tokens = s.split()
            if len(tokens) < len(kinds) + 1 or not POSITION.match(tokens[0]):
                continue
            if kinds[0] == "instr":
                a, l = tokens[0], (tokens[1] if len(kinds) > 1 and kinds[1] == "line" else "*")
            else:
                a, l = "*", tokens[0]
            if a.startswith("0x"):
                addr = int(a, 16)
            elif a.startswith(("+", "-")):
                addr += int(a)
            if l.startswith(("+", "-")):
                line += int(l)
            elif l != "*":
                line = int(l)
            yield Cost(fn, fi or fl, addr, line, [int(t) for t in tokens[len(kinds):]], pending)
            pending = None


def inline_chains(binary, addresses):
    """{address: [frame, ...]} from addr2line -i: the inline chain, innermost first, each frame
    "file:line" without its discriminator; frames addr2line cannot place (??, line 0) left out."""
    out = subprocess.run(["addr2line", "-e", binary, "-i", "-a"] + [hex(a) for a in addresses],
                         capture_output=True, text=True).stdout.split("\n")
    chains, current = {}, None
    for l in out:
        if l.startswith("0x"):
            current = int(l, 16)
            chains[current] = []
        elif l and current is not None and not l.startswith("??"):
            frame = re.sub(r" \(discriminator \d+\)$", "", l)
            if not frame.endswith(":0"):
                chains[current].append(frame)
    return chains
