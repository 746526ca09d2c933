// AF_PACKET helpers for the uplink (included by CSwitchyard.h).
// * The TPACKET structs and constants live in <linux/if_packet.h>, which the Glibc module does
//   not import.
// * The ring's block/frame status words are shared with the kernel: they need C11 acquire/release
//   on a foreign address, like the virtqueue indices.
// * sendmmsg/struct mmsghdr and setns/CLONE_NEWNET are _GNU_SOURCE-only and not in the Glibc module.
#ifndef CSWITCHYARD_PACKET_H
#define CSWITCHYARD_PACKET_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>

#ifdef __cplusplus
extern "C" {
#endif

static inline uint32_t csy_load_acquire_u32(const void *p) {
    return __atomic_load_n((const uint32_t *)p, __ATOMIC_ACQUIRE);
}
static inline void csy_store_release_u32(void *p, uint32_t v) {
    __atomic_store_n((uint32_t *)p, v, __ATOMIC_RELEASE);
}

/// Byte offsets inside the TPACKET_V3 structures, checked against the kernel headers with
/// _Static_assert in packet.c so the Swift side can read them with plain unaligned loads.
enum {
    CSY_TP3_BLOCK_STATUS = 8,          // tpacket_block_desc.hdr.bh1.block_status
    CSY_TP3_BLOCK_NUM_PKTS = 12,       // .num_pkts
    CSY_TP3_BLOCK_FIRST_PKT = 16,      // .offset_to_first_pkt
    CSY_TP3_NEXT_OFFSET = 0,           // tpacket3_hdr.tp_next_offset
    CSY_TP3_SNAPLEN = 12,
    CSY_TP3_LEN = 16,
    CSY_TP3_STATUS = 20,
    CSY_TP3_MAC = 24,
    CSY_TP3_VLAN_TCI = 32,             // hv1.tp_vlan_tci
    CSY_TP3_VLAN_TPID = 36,            // hv1.tp_vlan_tpid
    CSY_TP3_HDR_SIZE = 48,             // TPACKET_ALIGN(sizeof(struct tpacket3_hdr))
    CSY_SLL_PKTTYPE = 10,              // sockaddr_ll.sll_pkttype (follows the frame header)
};

/// One sendmmsg(2) of `count` (<= 64) frames, each one contiguous buffer; MSG_DONTWAIT is added.
/// Returns frames sent or -1/errno (EINTR retried).
int csy_packet_sendmmsg(int fd, void *const *frames, const uint32_t *lengths, int count);

/// Moves the calling thread into the network namespace `nsfd` refers to (setns CLONE_NEWNET).
/// Returns 0 or -1/errno. Sockets created afterwards belong to that namespace for good.
int csy_setns_net(int nsfd);

#ifdef __cplusplus
}
#endif
#endif
