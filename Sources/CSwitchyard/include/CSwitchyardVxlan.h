// UDP underlay for the native vxlan port (docs/vxlan-ports.md), included by CSwitchyard.h.
// recvmmsg/sendmmsg and struct mmsghdr are _GNU_SOURCE-only and not in the Glibc module; the
// drop-everything socket filter needs <linux/filter.h>.
#ifndef CSWITCHYARD_VXLAN_H
#define CSWITCHYARD_VXLAN_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The most datagrams one csy_vxlan_recvmmsg / csy_vxlan_sendmmsg call handles.
enum { CSY_VXLAN_MAX_BATCH = 64 };

/// The receive buffer asked for the UDP socket and the send buffer for the raw one: the kernel's
/// defaults (about 200 KiB) overflow within a millisecond at a few hundred thousand datagrams per
/// second while the engine does other work (docs/vxlan-ports.md, "Socket buffers").
enum { CSY_VXLAN_SOCKET_BUFFER = 4 << 20 };

/// A non-blocking UDP socket bound to `local_be`:`port` (both network byte order), with a
/// CSY_VXLAN_SOCKET_BUFFER receive buffer (SO_RCVBUFFORCE, else as much as SO_RCVBUF allows).
/// Returns the fd or -1/errno.
int csy_vxlan_udp_socket(uint32_t local_be, uint16_t port_be);

/// Datagrams the kernel dropped on socket `fd` so far because its receive buffer was full
/// (SO_MEMINFO's SK_MEMINFO_DROPS); -1/errno if it cannot be read.
int64_t csy_vxlan_socket_drops(int fd);

/// A non-blocking raw IPv4 socket with protocol IPPROTO_UDP bound to `local_be`, for transmit only:
/// the kernel adds the IP header (source `local_be`), routes and resolves the next hop; the
/// caller writes the UDP header. A socket filter drops everything it would receive (a raw UDP
/// socket gets a copy of every UDP datagram of the host), and DF is set (IP_PMTUDISC_DO) so
/// the kernel never fragments. Returns the fd or -1/errno.
int csy_vxlan_raw_socket(uint32_t local_be);

/// One recvmmsg(2) (MSG_DONTWAIT) of up to `count` datagrams into `slots` (`slot_size` bytes
/// each). For datagram i: `lengths[i]` its length, `sources[i]` the sender's IPv4 address
/// (network byte order), `truncated[i]` 1 when it did not fit its slot. Returns datagrams read,
/// 0 when none waits, -1/errno on another error (EINTR retried).
int csy_vxlan_recvmmsg(int fd, void *slots, size_t slot_size, int count,
                       uint32_t *lengths, uint32_t *sources, uint8_t *truncated);

/// One sendmmsg(2) (MSG_DONTWAIT) of `count` datagrams: buffer `buffers[i]`, `lengths[i]` bytes,
/// to IPv4 address `destinations[i]` (network byte order). Returns datagrams sent (the first
/// that failed is at that index) or -1/errno (EINTR retried).
int csy_vxlan_sendmmsg(int fd, void *const *buffers, const uint32_t *lengths, const uint32_t *destinations,
                       int count);

#ifdef __cplusplus
}
#endif
#endif
