#!/usr/bin/env bash
# A QEMU guest on the Switchyard port `vm1` (server mode: the switch listens, QEMU reconnects).
# Guest RAM must be a shared, fd-backed backend so the switch can map it.
# With `mode: client` on the port, use instead:
#   -chardev socket,id=c0,path=/run/switchyard/vm1.sock,server=on,wait=off
exec qemu-system-x86_64 -machine q35,accel=kvm,memory-backend=mem0 -cpu host -m 1G \
  -object memory-backend-memfd,id=mem0,size=1G,share=on \
  -chardev socket,id=c0,path=/run/switchyard/vm1.sock,reconnect=1 \
  -netdev vhost-user,id=n0,chardev=c0,queues=1 \
  -device virtio-net-pci,netdev=n0,mac=52:54:00:00:00:01,mrg_rxbuf=on \
  -drive file="${1:?usage: qemu-example.sh DISK-IMAGE}",if=virtio -nographic
