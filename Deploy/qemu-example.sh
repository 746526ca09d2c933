#!/usr/bin/env bash
# A plain QEMU guest (no libvirt) on the Switchyard port `vm1` of the default config (server
# mode: the switch listens on /run/switchyard/vm1.sock, QEMU connects and reconnects every
# second after a switch restart). Run it as root or as a user in group `switchyard` (the group
# that owns the sockets, docs/deploy.md).
#   Deploy/qemu-example.sh DISK-IMAGE [MAC]
# Guest RAM must be a shared, fd-backed memory backend so the switch can map it: memfd (or a
# hugetlbfs file with share=on). With `mode: client` on the port, QEMU listens instead:
#   -chardev socket,id=c0,path=/run/switchyard/vm1.sock,server=on,wait=off
# `queues=N` below must not exceed the port's `queues:` limit (8 when unset); with N > 1 add
# `mq=on,vectors=2N+2` to the -device. Without KVM (accel=tcg, -cpu max) QEMU 7.2 needs
# `vectors=0` on the -device (an MSI-X crash under TCG; Tests/RealPeers/README.md).
disk="${1:?usage: qemu-example.sh DISK-IMAGE [MAC]}"
mac="${2:-52:54:00:00:00:01}"
exec qemu-system-x86_64 -machine q35,accel=kvm,memory-backend=mem0 -cpu host -smp 2 -m 1G \
  -object memory-backend-memfd,id=mem0,size=1G,share=on \
  -chardev socket,id=c0,path=/run/switchyard/vm1.sock,reconnect=1 \
  -netdev vhost-user,id=n0,chardev=c0,queues=1 \
  -device virtio-net-pci,netdev=n0,mac="$mac",mrg_rxbuf=on \
  -drive file="$disk",if=virtio -nographic
