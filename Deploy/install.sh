#!/usr/bin/env bash
# Installs Switchyard as a systemd service (docs/deploy.md): binaries from a release build, the
# unit, the tmpfiles entry, man pages and bash/zsh/fish completions (docs/yardctl.md),
# /etc/switchyard/switchyard.yaml if absent, and a `switchyard` group
# that owns the vhost-user sockets; libvirt's QEMU user (libvirt-qemu) is added to that group.
#
#   Deploy/install.sh                 # as root: build (if needed), install, enable; then
#                                     #   systemctl start switchyard
# Environment: DESTDIR=DIR stages every file under DIR and touches nothing else (no group, no
# systemctl); BIN_DIR=DIR takes switchyard and yardctl from DIR instead of .build/release;
# NO_LIBVIRT=1 leaves libvirt-qemu's groups alone.
set -euo pipefail
cd "$(dirname "$0")/.."
DESTDIR="${DESTDIR:-}"
PREFIX=/usr/local
GROUP=switchyard
if [ -z "$DESTDIR" ] && [ "$(id -u)" != 0 ]; then echo "Deploy/install.sh needs root (or DESTDIR=...)"; exit 1; fi

bin="${BIN_DIR:-.build/release}"
if [ -z "${BIN_DIR:-}" ] && [ ! -x "$bin/switchyard" -o ! -x "$bin/yardctl" ]; then
    swift build -c release --product switchyard
    swift build -c release --product yardctl
fi
for b in switchyard yardctl; do [ -x "$bin/$b" ] || { echo "missing $bin/$b"; exit 1; }; done

install -d -m 0755 "$DESTDIR$PREFIX/bin" "$DESTDIR$PREFIX/lib/systemd/system" "$DESTDIR$PREFIX/lib/tmpfiles.d" \
    "$DESTDIR$PREFIX/share/doc/switchyard" "$DESTDIR/etc/switchyard"
install -m 0755 "$bin/switchyard" "$bin/yardctl" "$DESTDIR$PREFIX/bin/"
install -m 0644 Deploy/switchyard.service "$DESTDIR$PREFIX/lib/systemd/system/switchyard.service"
install -m 0644 Deploy/switchyard.tmpfiles.conf "$DESTDIR$PREFIX/lib/tmpfiles.d/switchyard.conf"
install -m 0644 README.md docs/deploy.md docs/metrics.md Config/switchyard.example.yaml Deploy/libvirt-interface.xml \
    Deploy/qemu-example.sh Deploy/switchyard-metrics.conf "$DESTDIR$PREFIX/share/doc/switchyard/"

# Man pages (made by Deploy/generate-manual.sh with swift-argument-parser's generate-manual) and
# shell completions, written by the binaries being installed (ArgumentParser's
# --generate-completion-script), where bash-completion, zsh and fish look under /usr/local.
install -d -m 0755 "$DESTDIR$PREFIX/share/man/man1" "$DESTDIR$PREFIX/share/bash-completion/completions" \
    "$DESTDIR$PREFIX/share/zsh/site-functions" "$DESTDIR$PREFIX/share/fish/vendor_completions.d"
install -m 0644 Deploy/man/switchyard.1 Deploy/man/yardctl.1 "$DESTDIR$PREFIX/share/man/man1/"
completions="$(mktemp -d)"
for b in switchyard yardctl; do
    "$bin/$b" --generate-completion-script bash > "$completions/$b.bash"
    "$bin/$b" --generate-completion-script zsh > "$completions/_$b"
    "$bin/$b" --generate-completion-script fish > "$completions/$b.fish"
    install -m 0644 "$completions/$b.bash" "$DESTDIR$PREFIX/share/bash-completion/completions/$b"
    install -m 0644 "$completions/_$b" "$DESTDIR$PREFIX/share/zsh/site-functions/_$b"
    install -m 0644 "$completions/$b.fish" "$DESTDIR$PREFIX/share/fish/vendor_completions.d/$b.fish"
done
rm -rf "$completions"

if [ -z "$DESTDIR" ]; then
    getent group "$GROUP" >/dev/null || groupadd --system "$GROUP"
    if [ -z "${NO_LIBVIRT:-}" ] && getent passwd libvirt-qemu >/dev/null; then
        usermod -a -G "$GROUP" libvirt-qemu   # takes effect for guests started after this
    fi
fi

# The default config, never over an existing one. Sockets get group `switchyard`, mode 0660, when
# this build knows `socket-access` (docs/connections.md); otherwise they stay root:root 0660.
config="$DESTDIR/etc/switchyard/switchyard.yaml"
if [ -e "$config" ]; then
    echo "kept $config"
else
    candidate="$(mktemp)"
    trap 'rm -f "$candidate"' EXIT
    sed "/^  control-socket:/a\\
  socket-access: { group: $GROUP, mode: \"0660\" }   # libvirt's QEMU user is in group $GROUP" \
        Config/switchyard.yaml > "$candidate"
    # --check-config resolves the group name: only meaningful once the group exists.
    if getent group "$GROUP" >/dev/null && "$bin/switchyard" --check-config "$candidate" >/dev/null 2>&1; then
        install -m 0644 "$candidate" "$config"
    else
        install -m 0644 Config/switchyard.yaml "$config"
        [ -n "$DESTDIR" ] || echo "note: sockets stay root:root; see docs/deploy.md, 'Who may connect'"
    fi
    echo "installed $config"
fi

if [ -n "$DESTDIR" ]; then
    echo "staged under $DESTDIR (no group, no systemctl)"
    exit 0
fi

"$PREFIX/bin/switchyard" --check-config /etc/switchyard/switchyard.yaml
if [ -d /run/systemd/system ]; then
    systemd-tmpfiles --create "$PREFIX/lib/tmpfiles.d/switchyard.conf"
    systemctl daemon-reload
    systemctl enable switchyard.service
    echo "enabled; start with: systemctl start switchyard"
else
    echo "systemd is not running here: unit installed, not enabled"
fi
