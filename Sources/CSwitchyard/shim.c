#define _GNU_SOURCE
#include "CSwitchyard.h"
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/socket.h>

#define CSY_MAX_FDS 32

ssize_t csy_send_with_fds(int sock, const void *buf, size_t len, const int *fds, int nfds) {
    if (nfds < 0 || nfds > CSY_MAX_FDS) { errno = EINVAL; return -1; }
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
    union { char buf[CMSG_SPACE(sizeof(int) * CSY_MAX_FDS)]; struct cmsghdr align; } control;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (nfds > 0) {
        memset(&control, 0, sizeof(control));
        msg.msg_control = control.buf;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);
    }
    ssize_t n;
    do { n = sendmsg(sock, &msg, MSG_NOSIGNAL); } while (n < 0 && errno == EINTR);
    return n;
}

int csy_eventfd(unsigned int initval, int nonblocking) {
    return eventfd(initval, EFD_CLOEXEC | (nonblocking ? EFD_NONBLOCK : 0));
}

int csy_memfd_create(const char *name) { return memfd_create(name, MFD_CLOEXEC); }

static void termination_set(sigset_t *set) {
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
}

int csy_signalfd_termination(void) {
    sigset_t set;
    termination_set(&set);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) return -1;
    signal(SIGPIPE, SIG_IGN);
    return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int csy_signalfd_read(int fd) {
    struct signalfd_siginfo info;
    ssize_t n;
    do { n = read(fd, &info, sizeof(info)); } while (n < 0 && errno == EINTR);
    if (n < 0) return errno == EAGAIN ? 0 : -1;
    if (n != sizeof(info)) return -1;
    return (int)info.ssi_signo;
}

void csy_unblock_termination(void) {
    sigset_t set;
    termination_set(&set);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

int csy_thread_attr_set_affinity(pthread_attr_t *attr, const int *cpus, int ncpus) {
    if (ncpus <= 0) return EINVAL;
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int i = 0; i < ncpus; i++) {
        if (cpus[i] < 0 || cpus[i] >= CPU_SETSIZE) return EINVAL;
        CPU_SET(cpus[i], &set);
    }
    return pthread_attr_setaffinity_np(attr, sizeof(set), &set);
}

int csy_thread_set_name(pthread_t thread, const char *name) {
    char cut[16];
    strncpy(cut, name, sizeof(cut) - 1);
    cut[sizeof(cut) - 1] = 0;
    return pthread_setname_np(thread, cut);
}

int csy_thread_current_affinity(int *cpus, int maxcpus) {
    cpu_set_t set;
    int rc = pthread_getaffinity_np(pthread_self(), sizeof(set), &set);
    if (rc != 0) { errno = rc; return -1; }
    int n = 0;
    for (int c = 0; c < CPU_SETSIZE && n < maxcpus; c++) {
        if (CPU_ISSET(c, &set)) cpus[n++] = c;
    }
    return n;
}

int csy_current_cpu(void) { return sched_getcpu(); }

int csy_thread_current_name(char *buf, size_t len) { return pthread_getname_np(pthread_self(), buf, len); }

int csy_accept_cloexec(int listener) { return accept4(listener, NULL, NULL, SOCK_CLOEXEC); }

int csy_timerfd_periodic(uint64_t interval_ns) {
    if (interval_ns == 0) { errno = EINVAL; return -1; }
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (fd < 0) return -1;
    struct timespec every = { .tv_sec = (time_t)(interval_ns / 1000000000u),
                              .tv_nsec = (long)(interval_ns % 1000000000u) };
    struct itimerspec spec = { .it_interval = every, .it_value = every };
    if (timerfd_settime(fd, 0, &spec, NULL) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

ssize_t csy_recv_with_all_fds(int sock, void *buf, size_t len, int *fds, int capacity, int *nfds, int *truncated) {
    *nfds = 0;
    *truncated = 0;
    struct iovec iov = { .iov_base = buf, .iov_len = len };
    union { char buf[CMSG_SPACE(sizeof(int) * CSY_SCM_MAX_FD)]; struct cmsghdr align; } control;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                          .msg_control = control.buf, .msg_controllen = sizeof(control.buf) };
    ssize_t n;
    do { n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC); } while (n < 0 && errno == EINTR);
    if (n < 0) return n;
    if (msg.msg_flags & MSG_CTRUNC) *truncated = 1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        int *data = (int *)CMSG_DATA(c);
        for (int i = 0; i < count; i++) {
            int fd;
            memcpy(&fd, data + i, sizeof(int));
            // Never closed here: the caller hands every one it does not keep to its closer.
            if (*nfds < capacity) fds[(*nfds)++] = fd; else { *truncated = 1; close(fd); }
        }
    }
    return n;
}
