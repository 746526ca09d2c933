#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "CSwitchyardTap.h"

static int fail(int fd, const char **step, const char *what) {
    int saved = errno;
    if (fd >= 0) close(fd);
    *step = what;
    errno = saved;
    return -1;
}

int csy_tap_open(const char *name, int vnet_header_size, const char **step) {
    if (strlen(name) >= IFNAMSIZ) {
        errno = EINVAL;
        *step = "interface name";
        return -1;
    }
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return fail(-1, step, "open /dev/net/tun");
    struct ifreq request;
    memset(&request, 0, sizeof request);
    strncpy(request.ifr_name, name, IFNAMSIZ - 1);
    request.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    if (ioctl(fd, TUNSETIFF, &request) < 0) return fail(fd, step, "TUNSETIFF");
    if (ioctl(fd, TUNSETVNETHDRSZ, &vnet_header_size) < 0) return fail(fd, step, "TUNSETVNETHDRSZ");
    // The offloads the host stack may use towards us. TUN_F_UFO is accepted and ignored by kernels
    // since 4.14 (the stack no longer builds UFO skbs); kernels that reject it get the rest.
    unsigned long offloads = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
    if (ioctl(fd, TUNSETOFFLOAD, offloads | TUN_F_UFO) < 0 && ioctl(fd, TUNSETOFFLOAD, offloads) < 0) {
        return fail(fd, step, "TUNSETOFFLOAD");
    }
    return fd;
}

int csy_tap_set_mtu(const char *name, int mtu) {
    // Any socket reaches dev_ioctl; AF_UNIX because the systemd unit allows no AF_INET.
    int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -1;
    struct ifreq request;
    memset(&request, 0, sizeof request);
    strncpy(request.ifr_name, name, IFNAMSIZ - 1);
    request.ifr_mtu = mtu;
    int rc = ioctl(s, SIOCSIFMTU, &request);
    int saved = errno;
    close(s);
    errno = saved;
    return rc;
}
