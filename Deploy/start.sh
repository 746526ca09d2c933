#!/usr/bin/env bash
# Installs what Switchyard needs on Debian 12, builds it, and runs it in the foreground on the
# default config (Config/switchyard.yaml, or the file given as $1). Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then echo "Deploy/start.sh needs root (sockets in /run/switchyard)"; exit 1; fi
Tests/system-packages.sh
swift build -c release
install -m 0755 .build/release/switchyard .build/release/yardctl /usr/local/bin/
exec /usr/local/bin/switchyard --config "${1:-Config/switchyard.yaml}"
