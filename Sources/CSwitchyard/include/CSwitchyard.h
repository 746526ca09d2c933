// CSwitchyard: only what Swift cannot import from Glibc.
// * CMSG_* are function-like macros, so SCM_RIGHTS fd passing lives here whole.
// * eventfd/memfd_create/signalfd need _GNU_SOURCE headers the Glibc module may not expose.
// * Ring indices in guest memory need C11 acquire/release loads and stores and a full fence on a foreign address;
//   Swift's Synchronization.Atomic cannot wrap memory it does not own.
#ifndef CSWITCHYARD_H
#define CSWITCHYARD_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/epoll.h>   // not part of the Glibc module map
#include <sys/socket.h>
#include <sys/un.h>
#include <pthread.h>

#ifdef __cplusplus
extern "C" {
#endif

/// sendmsg() of `len` bytes with `nfds` descriptors attached as one SCM_RIGHTS message.
/// MSG_NOSIGNAL: a vanished peer must be an error value, not SIGPIPE. Returns bytes or -1/errno.
ssize_t csy_send_with_fds(int sock, const void *buf, size_t len, const int *fds, int nfds);

/// The kernel's SCM_MAX_FD: no message carries more descriptors than this.
#define CSY_SCM_MAX_FD 253

/// recvmsg() of up to `len` bytes with room for every descriptor one message can
/// carry (`capacity` should be CSY_SCM_MAX_FD): with a smaller control buffer the kernel drops the
/// excess itself, and that last fput runs on the receiving thread, where a lingering socket or a
/// FUSE file of the peer's choosing can make it sleep. Nothing is closed here; `*truncated` says
/// the message had more than fit. Returns bytes (0 = peer closed) or -1/errno.
ssize_t csy_recv_with_all_fds(int sock, void *buf, size_t len, int *fds, int capacity, int *nfds, int *truncated);

/// accept4(..., SOCK_CLOEXEC): no window in which a concurrent exec could inherit the socket.
int csy_accept_cloexec(int listener);

/// A non-blocking CLOCK_MONOTONIC timerfd firing every `interval_ns` (first expiry after one
/// interval); returns the fd or -1/errno.
int csy_timerfd_periodic(uint64_t interval_ns);

int csy_eventfd(unsigned int initval, int nonblocking);
int csy_memfd_create(const char *name);
/// A signalfd for SIGTERM, SIGINT and SIGHUP, with those signals blocked in the calling thread
/// (call before starting other threads so they inherit the mask).
int csy_signalfd_termination(void);
/// Reads one siginfo from a signalfd; returns the signal number, 0 if none, -1 on error.
int csy_signalfd_read(int fd);
/// Restores the default signal mask (for child processes / tests).
void csy_unblock_termination(void);

// Threads: cpu_set_t is manipulated only through CPU_* macros, and the *_np calls need _GNU_SOURCE.
/// Pins threads created with `attr` to the given CPUs (EINVAL for an empty list or cpu >= CPU_SETSIZE).
/// Returns 0 or an errno value (pthread convention).
int csy_thread_attr_set_affinity(pthread_attr_t *attr, const int *cpus, int ncpus);
/// Names a thread (visible in top -H, /proc/PID/task/TID/comm); longer names are cut to 15 bytes.
int csy_thread_set_name(pthread_t thread, const char *name);
/// The calling thread's allowed CPUs, ascending, up to `maxcpus`; returns the count or -1/errno.
int csy_thread_current_affinity(int *cpus, int maxcpus);
/// The calling thread's name into `buf` (at least 16 bytes); 0 or an errno value.
int csy_thread_current_name(char *buf, size_t len);
/// The CPU the calling thread is running on right now, or -1.
int csy_current_cpu(void);

static inline uint16_t csy_load_acquire_u16(const void *p) {
    return __atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE);
}
static inline void csy_store_release_u16(void *p, uint16_t v) {
    __atomic_store_n((uint16_t *)p, v, __ATOMIC_RELEASE);
}
static inline uint16_t csy_load_relaxed_u16(const void *p) {
    return __atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED);
}
static inline void csy_store_relaxed_u16(void *p, uint16_t v) {
    __atomic_store_n((uint16_t *)p, v, __ATOMIC_RELAXED);
}
static inline void csy_fence_seq_cst(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
/// Orders the stores around it in program order for the compiler only (no instruction): what a
/// killed process leaves in a shared file mapping is then a prefix of its stores.
static inline void csy_signal_fence(void) { __atomic_signal_fence(__ATOMIC_SEQ_CST); }

#ifdef __cplusplus
}
#endif
#include "CSwitchyardPacket.h"
#include "CSwitchyardMemoryGuard.h"
#include "CSwitchyardWatchdog.h"
#include "CSwitchyardCredentials.h"
#include "CSwitchyardRename.h"
#include "CSwitchyardFdKind.h"
#include "CSwitchyardTap.h"
#include "CSwitchyardDirtyLog.h"
#include "CSwitchyardVxlan.h"

#endif
