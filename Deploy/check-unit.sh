#!/usr/bin/env bash
# Checks a systemd unit without a running systemd: `systemd-analyze verify` and the offline
# `systemd-analyze security` score, inside a scratch root that holds the unit, the switchyard
# binary at its installed path and the host's stock units (verify follows Exec paths and the
# default dependencies on sysinit.target; --root keeps it off the host's own /etc/systemd).
# Usage: Deploy/check-unit.sh [UNIT-FILE [SWITCHYARD-BINARY]]; exit 1 if verify complains or the
# exposure score is above MAX_EXPOSURE (default 2.0).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
unit="${1:-$here/switchyard.service}"
binary="${2:-$here/../.build/release/switchyard}"
[ -x "$binary" ] || binary="$here/../.build/debug/switchyard"
max="${MAX_EXPOSURE:-2.0}"
command -v systemd-analyze >/dev/null || { echo "systemd-analyze missing: apt-get install systemd"; exit 1; }
root="$(mktemp -d /tmp/switchyard-unitcheck.XXXXXX)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/local/bin" "$root/etc/systemd/system" "$root/bin" "$root/usr/lib/systemd"
cp "$binary" "$root/usr/local/bin/switchyard"
cp /bin/kill "$root/bin/kill"
cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/"
name="$(basename "$unit")"
cp "$unit" "$root/etc/systemd/system/$name"
status=0
if ! out="$(systemd-analyze verify --root="$root" "$name" 2>&1)" || [ -n "$out" ]; then
    echo "verify: $name:"; echo "$out"; status=1
else
    echo "verify: $name: clean"
fi
score="$(systemd-analyze security --offline=true --root="$root" "$name" 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')"
if [ -z "$score" ]; then echo "security: no score"; status=1
else
    echo "security: exposure $score (at most $max)"
    awk -v s="$score" -v m="$max" 'BEGIN { exit !(s <= m) }' || status=1
fi
exit $status
