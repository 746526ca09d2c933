#define _GNU_SOURCE
#include "CSwitchyard.h"
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>

_Static_assert(offsetof(struct tpacket_block_desc, hdr.bh1.block_status) == CSY_TP3_BLOCK_STATUS, "block_status");
_Static_assert(offsetof(struct tpacket_block_desc, hdr.bh1.num_pkts) == CSY_TP3_BLOCK_NUM_PKTS, "num_pkts");
_Static_assert(offsetof(struct tpacket_block_desc, hdr.bh1.offset_to_first_pkt) == CSY_TP3_BLOCK_FIRST_PKT, "first");
_Static_assert(offsetof(struct tpacket3_hdr, tp_next_offset) == CSY_TP3_NEXT_OFFSET, "next");
_Static_assert(offsetof(struct tpacket3_hdr, tp_snaplen) == CSY_TP3_SNAPLEN, "snaplen");
_Static_assert(offsetof(struct tpacket3_hdr, tp_len) == CSY_TP3_LEN, "len");
_Static_assert(offsetof(struct tpacket3_hdr, tp_status) == CSY_TP3_STATUS, "status");
_Static_assert(offsetof(struct tpacket3_hdr, tp_mac) == CSY_TP3_MAC, "mac");
_Static_assert(offsetof(struct tpacket3_hdr, hv1.tp_vlan_tci) == CSY_TP3_VLAN_TCI, "tci");
_Static_assert(offsetof(struct tpacket3_hdr, hv1.tp_vlan_tpid) == CSY_TP3_VLAN_TPID, "tpid");
_Static_assert(TPACKET_ALIGN(sizeof(struct tpacket3_hdr)) == CSY_TP3_HDR_SIZE, "hdr size");
_Static_assert(offsetof(struct sockaddr_ll, sll_pkttype) == CSY_SLL_PKTTYPE, "pkttype");

int csy_packet_sendmmsg(int fd, void *const *frames, const uint32_t *lengths, int count) {
    if (count < 0 || count > 64) { errno = EINVAL; return -1; }
    struct iovec iov[64];
    struct mmsghdr msgs[64];
    memset(msgs, 0, sizeof(struct mmsghdr) * (size_t)count);
    for (int i = 0; i < count; i++) {
        iov[i].iov_base = frames[i];
        iov[i].iov_len = lengths[i];
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n;
    do { n = sendmmsg(fd, msgs, (unsigned int)count, MSG_DONTWAIT); } while (n < 0 && errno == EINTR);
    return n;
}

int csy_setns_net(int nsfd) {
    return setns(nsfd, CLONE_NEWNET);
}
