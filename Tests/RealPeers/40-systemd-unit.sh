#!/usr/bin/env bash
# Deploy/switchyard.service under a real systemd 252 (PID 1 of a throw-away systemd-nspawn
# container on the host's /usr): Type=notify start, reload and refused reload, an uplink inside the
# sandbox with exactly CAP_NET_RAW + CAP_NET_ADMIN, the live exposure score, a clean stop. No
# guests; about 10 s. See Deploy/check-unit-systemd.sh and docs/deploy.md.
exec "$(dirname "$0")/../../Deploy/check-unit-systemd.sh" "$@"
