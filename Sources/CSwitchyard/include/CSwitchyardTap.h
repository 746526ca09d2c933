// TUNSETIFF and friends: variadic ioctls on a struct ifreq union, which Swift cannot call.
#ifndef CSWITCHYARD_TAP_H
#define CSWITCHYARD_TAP_H

/// Opens /dev/net/tun and attaches it to the TAP device `name` (created when there is none, as a
/// non-persistent device that goes away with this fd) with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR,
/// virtio-net headers of `vnet_header_size` bytes, and the checksum / TSO / UFO offloads on, so
/// the host stack hands over partial checksums and GSO super-frames (docs/tap-ports.md). The fd
/// is non-blocking and close-on-exec. Returns the fd, or -1 with errno set and `*step` naming the
/// call that failed.
int csy_tap_open(const char *name, int vnet_header_size, const char **step);

/// Sets the MTU of interface `name` (SIOCSIFMTU). Returns 0 or -1/errno.
int csy_tap_set_mtu(const char *name, int mtu);

#endif
