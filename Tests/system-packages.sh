#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, only when some are missing.
# Sourced or run by Deploy/start.sh and Tests/run.sh; needs root.
set -euo pipefail
packages=(pkg-config libnl-3-dev libnl-route-3-dev libpcap-dev tcpdump iperf3 busybox-static
          qemu-system-x86 qemu-utils iproute2 kmod cpio dpdk-dev python3 procps psmisc ethtool socat systemd
          systemd-container libvirt-clients libxml2-utils curl tshark frr)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
