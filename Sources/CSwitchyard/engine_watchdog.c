#define _GNU_SOURCE
#include "CSwitchyardWatchdog.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <linux/futex.h>

// The guarded thread's sleep state: the watchdog parks on it while the thread sleeps in
// epoll_wait (it makes no guarded call there), so an idle engine costs no watchdog ticks.
enum { AWAKE = 0, SLEEPING = 1, PARKED = 2 };

struct csy_watchdog {
    // Written by the guarded thread: 0 when outside a guarded call, else (sequence << 16 | tag).
    // The sequence makes every call's marker unique, so the watchdog never mistakes two short
    // calls for one long one.
    _Alignas(64) uint64_t marker;
    uint64_t sequence;              // guarded thread only
    // Written by the watchdog: the marker it interrupted. An EINTR counts as "blocked" only when
    // this equals the caller's own marker; a late signal aimed at an earlier call just retries.
    _Alignas(64) uint64_t interrupted;
    uint64_t interrupts;
    _Alignas(64) uint32_t state;
    uint32_t tick_us, stuck_ticks;
    pthread_t target, thread;
    int running;
    int stop;
};

static int interrupt_signal(void) { return SIGRTMIN + 4; }

static void on_interrupt(int sig) { (void)sig; }

static pthread_once_t handler_once = PTHREAD_ONCE_INIT;
static int handler_error;

static void install_handler(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;   // no SA_RESTART: the interrupted write must return EINTR, not resume.
    if (sigaction(interrupt_signal(), &sa, NULL) != 0) handler_error = errno;
}

csy_watchdog *csy_watchdog_create(uint32_t tick_us, uint32_t stuck_ticks) {
    csy_watchdog *w = aligned_alloc(64, sizeof(*w));
    if (!w) return NULL;
    memset(w, 0, sizeof(*w));
    w->tick_us = tick_us ? tick_us : 10000;
    w->stuck_ticks = stuck_ticks ? stuck_ticks : 1;
    return w;
}

static void *watch(void *arg) {
    csy_watchdog *w = arg;
    uint64_t last = 0;
    uint32_t same = 0;
    struct timespec tick = { .tv_sec = w->tick_us / 1000000, .tv_nsec = (long)(w->tick_us % 1000000) * 1000 };
    while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
        nanosleep(&tick, NULL);
        uint32_t sleeping = SLEEPING;
        if (__atomic_compare_exchange_n(&w->state, &sleeping, PARKED, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            while (__atomic_load_n(&w->state, __ATOMIC_ACQUIRE) == PARKED && !__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
                syscall(SYS_futex, &w->state, FUTEX_WAIT_PRIVATE, PARKED, NULL, NULL, 0);
            }
            last = 0;
            same = 0;
            continue;
        }
        uint64_t m = __atomic_load_n(&w->marker, __ATOMIC_ACQUIRE);
        if (m == 0 || m != last) {
            last = m;
            same = 0;
            continue;
        }
        if (++same < w->stuck_ticks) continue;
        // Still in the same call: interrupt it, and again every tick until it has left (a
        // signal that lands just before the call enters the kernel is otherwise lost).
        __atomic_store_n(&w->interrupted, m, __ATOMIC_RELEASE);
        __atomic_fetch_add(&w->interrupts, 1, __ATOMIC_RELAXED);
        pthread_kill(w->target, interrupt_signal());
    }
    return NULL;
}

int csy_watchdog_attach(csy_watchdog *w) {
    if (w->running) return EBUSY;
    pthread_once(&handler_once, install_handler);
    if (handler_error) return handler_error;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, interrupt_signal());
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    w->target = pthread_self();
    __atomic_store_n(&w->stop, 0, __ATOMIC_RELEASE);
    // The watchdog itself never takes the signal.
    sigset_t old;
    pthread_sigmask(SIG_BLOCK, &set, &old);
    int rc = pthread_create(&w->thread, NULL, watch, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) return rc;
    pthread_setname_np(w->thread, "switchyard-wd");
    w->running = 1;
    return 0;
}

void csy_watchdog_sleeping(csy_watchdog *w) { __atomic_store_n(&w->state, SLEEPING, __ATOMIC_RELEASE); }

void csy_watchdog_awake(csy_watchdog *w) {
    if (__atomic_exchange_n(&w->state, AWAKE, __ATOMIC_ACQ_REL) == PARKED) {
        syscall(SYS_futex, &w->state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    }
}

void csy_watchdog_detach(csy_watchdog *w) {
    if (!w || !w->running) return;
    __atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
    csy_watchdog_awake(w);
    pthread_join(w->thread, NULL);
    w->running = 0;
}

void csy_watchdog_destroy(csy_watchdog *w) {
    if (!w) return;
    csy_watchdog_detach(w);
    free(w);
}

uint64_t csy_watchdog_interrupts(const csy_watchdog *w) {
    return __atomic_load_n(&w->interrupts, __ATOMIC_RELAXED);
}

static inline uint64_t enter(csy_watchdog *w, uint32_t tag) {
    uint64_t m = (++w->sequence << 16) | (tag & 0xFFFF);
    __atomic_store_n(&w->marker, m, __ATOMIC_RELEASE);
    return m;
}

static inline void leave(csy_watchdog *w) { __atomic_store_n(&w->marker, 0, __ATOMIC_RELEASE); }

static inline int interrupted_us(csy_watchdog *w, uint64_t m) {
    return __atomic_load_n(&w->interrupted, __ATOMIC_ACQUIRE) == m;
}

// One 8-byte eventfd write or read, retried on EINTR unless the watchdog interrupted this very
// call (its marker): then the shared description was made blocking and the call was stuck.
static inline int guarded_transfer(csy_watchdog *w, int fd, uint64_t *value, int writing, uint32_t tag) {
    uint64_t m = w ? enter(w, tag) : 0;
    int result;
    for (;;) {
        ssize_t n = writing ? write(fd, value, sizeof(*value)) : read(fd, value, sizeof(*value));
        if (n == (ssize_t)sizeof(*value)) { result = CSY_EVENTFD_OK; break; }
        if (n < 0 && errno == EINTR) {
            if (w && interrupted_us(w, m)) { result = CSY_EVENTFD_BLOCKED; break; }
            continue;
        }
        result = (n < 0 && errno == EAGAIN) ? CSY_EVENTFD_AGAIN : CSY_EVENTFD_ERROR;
        break;
    }
    if (w) leave(w);
    return result;
}

int csy_watchdog_eventfd_signal(csy_watchdog *w, int fd, uint32_t tag) {
    uint64_t one = 1;
    return guarded_transfer(w, fd, &one, 1, tag);
}

static int guarded_read(csy_watchdog *w, int fd, uint64_t *value) {
    return guarded_transfer(w, fd, value, 0, 0xFFFF);
}

int csy_watchdog_eventfd_drain(csy_watchdog *w, int fd, uint64_t *value) {
    *value = 0;
    struct iovec iov = { .iov_base = value, .iov_len = sizeof(*value) };
    ssize_t n;
    do { n = preadv2(fd, &iov, 1, -1, RWF_NOWAIT); } while (n < 0 && errno == EINTR);
    if (n == (ssize_t)sizeof(*value)) return CSY_EVENTFD_OK;
    if (n < 0 && errno == EAGAIN) {
        // Nothing pending (the front-end may have drained it first). Had the description been
        // made blocking, a read(2) here would have slept: report the tampering.
        int flags = fcntl(fd, F_GETFL);
        return (flags >= 0 && !(flags & O_NONBLOCK)) ? CSY_EVENTFD_BLOCKED : CSY_EVENTFD_AGAIN;
    }
    if (n < 0 && (errno == EOPNOTSUPP || errno == EINVAL)) return guarded_read(w, fd, value);
    return CSY_EVENTFD_ERROR;
}
