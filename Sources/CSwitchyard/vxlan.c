#define _GNU_SOURCE
#include "CSwitchyard.h"
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/filter.h>
#include <linux/sock_diag.h>

/// SO_RCVBUFFORCE / SO_SNDBUFFORCE need CAP_NET_ADMIN (the daemon has it for tap and uplink
/// ports); without it the plain option, capped by net.core.rmem_max / wmem_max.
static void csy_vxlan_buffer(int fd, int force, int plain) {
    int size = CSY_VXLAN_SOCKET_BUFFER;
    if (setsockopt(fd, SOL_SOCKET, force, &size, sizeof size) != 0) {
        (void)setsockopt(fd, SOL_SOCKET, plain, &size, sizeof size);
    }
}

int64_t csy_vxlan_socket_drops(int fd) {
    uint32_t info[SK_MEMINFO_VARS];
    socklen_t len = sizeof info;
    memset(info, 0, sizeof info);
    if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, info, &len) != 0) return -1;
    if (len < (SK_MEMINFO_DROPS + 1) * sizeof(uint32_t)) { errno = EINVAL; return -1; }
    return info[SK_MEMINFO_DROPS];
}

int csy_vxlan_udp_socket(uint32_t local_be, uint16_t port_be) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
    if (fd < 0) return -1;
    csy_vxlan_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = local_be;
    a.sin_port = port_be;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int csy_vxlan_raw_socket(uint32_t local_be) {
    int fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
    if (fd < 0) return -1;
    csy_vxlan_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF);
    // "ret #0": accept nothing. Attached before bind so no datagram is queued in between.
    struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
    struct sock_fprog program = { .len = 1, .filter = &drop };
    int pmtu = IP_PMTUDISC_DO;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = local_be;
    if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program) < 0
        || setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof pmtu) < 0
        || bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int csy_vxlan_recvmmsg(int fd, void *slots, size_t slot_size, int count,
                       uint32_t *lengths, uint32_t *sources, uint8_t *truncated) {
    if (count <= 0) return 0;
    if (count > CSY_VXLAN_MAX_BATCH) count = CSY_VXLAN_MAX_BATCH;
    struct iovec iov[CSY_VXLAN_MAX_BATCH];
    struct sockaddr_in from[CSY_VXLAN_MAX_BATCH];
    struct mmsghdr msgs[CSY_VXLAN_MAX_BATCH];
    memset(msgs, 0, sizeof(struct mmsghdr) * (size_t)count);
    for (int i = 0; i < count; i++) {
        iov[i].iov_base = (char *)slots + (size_t)i * slot_size;
        iov[i].iov_len = slot_size;
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &from[i];
        msgs[i].msg_hdr.msg_namelen = sizeof from[i];
    }
    int n;
    do { n = recvmmsg(fd, msgs, (unsigned int)count, MSG_DONTWAIT, NULL); } while (n < 0 && errno == EINTR);
    if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
    for (int i = 0; i < n; i++) {
        lengths[i] = msgs[i].msg_len;
        sources[i] = msgs[i].msg_hdr.msg_namelen >= sizeof(struct sockaddr_in) && from[i].sin_family == AF_INET
            ? from[i].sin_addr.s_addr : 0;
        truncated[i] = (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) ? 1 : 0;
    }
    return n;
}

int csy_vxlan_sendmmsg(int fd, void *const *buffers, const uint32_t *lengths, const uint32_t *destinations,
                       int count) {
    if (count <= 0) return 0;
    if (count > CSY_VXLAN_MAX_BATCH) { errno = EINVAL; return -1; }
    struct iovec iov[CSY_VXLAN_MAX_BATCH];
    struct sockaddr_in to[CSY_VXLAN_MAX_BATCH];
    struct mmsghdr msgs[CSY_VXLAN_MAX_BATCH];
    memset(msgs, 0, sizeof(struct mmsghdr) * (size_t)count);
    memset(to, 0, sizeof(struct sockaddr_in) * (size_t)count);
    for (int i = 0; i < count; i++) {
        iov[i].iov_base = buffers[i];
        iov[i].iov_len = lengths[i];
        // Raw sockets take the port from the UDP header we wrote; sin_port stays 0.
        to[i].sin_family = AF_INET;
        to[i].sin_addr.s_addr = destinations[i];
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &to[i];
        msgs[i].msg_hdr.msg_namelen = sizeof to[i];
    }
    int n;
    do { n = sendmmsg(fd, msgs, (unsigned int)count, MSG_DONTWAIT); } while (n < 0 && errno == EINTR);
    return n;
}
