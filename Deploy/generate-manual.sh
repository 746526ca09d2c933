#!/usr/bin/env bash
# Regenerates Deploy/man/switchyard.1 and Deploy/man/yardctl.1 with swift-argument-parser's
# generate-manual plugin (the swift-argument-parser this package resolves), from the binaries as
# they are built now. Run it after changing either command line: DaemonTests'
# YardctlDocsTests fails while a page lacks a subcommand or option (docs/yardctl.md).
#
#   Deploy/generate-manual.sh            # debug build (fast when .build is warm)
#   CONFIGURATION=release Deploy/generate-manual.sh
set -euo pipefail
cd "$(dirname "$0")/.."
configuration="${CONFIGURATION:-debug}"
# The plugin builds every product, then runs `generate-manual TOOL --output-directory DIR` for
# each executable that uses ArgumentParser; its output lands in the plugin's work directory.
rm -rf .build/plugins/GenerateManual/outputs
swift package plugin generate-manual --configuration "$configuration" \
    --authors "Switchyard contributors" --section 1
for tool in switchyard yardctl; do
    page=".build/plugins/GenerateManual/outputs/$tool/$tool.1"
    [ -f "$page" ] || { echo "generate-manual wrote no $page"; exit 1; }
    install -m 0644 "$page" "Deploy/man/$tool.1"
    echo "Deploy/man/$tool.1 from $page"
done
