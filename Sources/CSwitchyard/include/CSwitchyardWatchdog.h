// Never blocking on a front-end's eventfds (docs/never-blocking.md).
//
// An eventfd received over the vhost-user socket shares its open file description with the
// front-end: the front-end can clear O_NONBLOCK on it (fcntl on its own copy) and fill the
// counter to 0xfffffffffffffffe, after which our write(2) of 1 sleeps until the front-end reads.
// The kernel (6.18 tested) refuses pwritev2(RWF_NOWAIT) on an eventfd with EOPNOTSUPP (eventfd
// has no write_iter), so a write cannot be made non-blocking per call. Instead every write (and
// any read that cannot use RWF_NOWAIT) is bracketed by a marker the engine stores in a shared
// word, and a watchdog thread that sees the same marker on consecutive ticks sends the engine
// thread a signal whose handler is installed without SA_RESTART: the sleeping write returns EINTR.
#ifndef CSWITCHYARD_WATCHDOG_H
#define CSWITCHYARD_WATCHDOG_H

#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct csy_watchdog csy_watchdog;

/// Outcome of a guarded eventfd operation.
enum {
    CSY_EVENTFD_OK = 0,
    /// Write: the counter is full and the fd non-blocking (EAGAIN). Read: nothing was pending.
    CSY_EVENTFD_AGAIN = 1,
    /// The call slept past the watchdog's limit and was interrupted, or (a drain) the fd was
    /// found blocking: the front-end tampered with the shared file description.
    CSY_EVENTFD_BLOCKED = 2,
    /// Any other error (EBADF, EINVAL, ...).
    CSY_EVENTFD_ERROR = 3,
};

/// A watchdog that interrupts its attached thread when one guarded call has been in progress for
/// `stuck_ticks` + 1 consecutive ticks of `tick_us` microseconds. NULL on allocation failure.
csy_watchdog *csy_watchdog_create(uint32_t tick_us, uint32_t stuck_ticks);
/// Called on the thread to guard: records it, unblocks the interrupt signal in it, installs the
/// handler (once per process) and starts the watchdog thread. 0 or an errno value.
int csy_watchdog_attach(csy_watchdog *w);
/// The guarded thread is about to sleep (in epoll_wait) and makes no guarded call until
/// `csy_watchdog_awake`: the watchdog stops ticking meanwhile. Awake costs a futex wake only when
/// the watchdog had parked.
void csy_watchdog_sleeping(csy_watchdog *w);
void csy_watchdog_awake(csy_watchdog *w);
/// Stops and joins the watchdog thread (any thread; idempotent).
void csy_watchdog_detach(csy_watchdog *w);
void csy_watchdog_destroy(csy_watchdog *w);
/// How many interrupts the watchdog has sent (tests, statistics).
uint64_t csy_watchdog_interrupts(const csy_watchdog *w);

/// Adds 1 to eventfd `fd` on the attached thread, never sleeping longer than the watchdog allows.
/// `tag` (e.g. port << 8 | ring) is only for diagnostics. With `w` NULL the write is unguarded.
int csy_watchdog_eventfd_signal(csy_watchdog *w, int fd, uint32_t tag);
/// Drains eventfd `fd` into `*value` without sleeping: preadv2(RWF_NOWAIT), which eventfd honours
/// since Linux 5.12 whatever O_NONBLOCK says; older kernels fall back to a guarded read. AGAIN
/// when nothing was pending on a still non-blocking fd; BLOCKED when nothing was pending and the
/// shared description had been made blocking (a plain read would have slept).
int csy_watchdog_eventfd_drain(csy_watchdog *w, int fd, uint64_t *value);

#ifdef __cplusplus
}
#endif

#endif
