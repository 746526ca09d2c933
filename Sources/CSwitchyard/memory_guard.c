// SIGBUS guard for guest memory; the design and its reasons are in docs/port-faults.md.
#define _GNU_SOURCE
#include "CSwitchyardMemoryGuard.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

uint64_t csy_fault_generation_word;

// One registered mapping. The handler reads slots while other threads (other engines) register
// and unregister theirs, so each slot is a tiny seqlock: `version` is odd while the fields are
// being written, and a reader that sees it change throws its snapshot away. `state` says whether
// the slot is free, being claimed, or live. No locks: the handler may run at any instruction.
enum { SLOT_FREE = 0, SLOT_BUSY = 1, SLOT_LIVE = 2 };

struct guard_slot {
    uint32_t state;
    uint32_t version;
    uintptr_t start;
    uintptr_t end;
    uint64_t owner;
    uint32_t faulted;
};

static struct guard_slot slots[CSY_MEMORY_GUARD_SLOTS];
/// Slots at or above this index have never been used: the handler scans below it only.
static uint32_t high_water;
static struct sigaction previous;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static int install_error;

#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

static void write_slot(struct guard_slot *s, uintptr_t start, uintptr_t end, uint64_t owner) {
    STORE(&s->version, LOAD(&s->version) + 1);  // odd: fields in flux
    __atomic_thread_fence(__ATOMIC_RELEASE);
    STORE(&s->start, start);
    STORE(&s->end, end);
    STORE(&s->owner, owner);
    STORE(&s->faulted, 0);
    __atomic_store_n(&s->version, LOAD(&s->version) + 1, __ATOMIC_RELEASE);
}

/// The live slot containing `addr`, or NULL. Async-signal-safe: loads only.
static struct guard_slot *find(uintptr_t addr) {
    uint32_t n = __atomic_load_n(&high_water, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; i < n; i++) {
        struct guard_slot *s = &slots[i];
        if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != SLOT_LIVE) continue;
        uint32_t v = __atomic_load_n(&s->version, __ATOMIC_ACQUIRE);
        if (v & 1) continue;
        uintptr_t start = LOAD(&s->start), end = LOAD(&s->end);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (LOAD(&s->version) != v) continue;
        if (addr >= start && addr < end) return s;
    }
    return NULL;
}

static void on_sigbus(int sig, siginfo_t *info, void *context) {
    int saved = errno;
    // si_code > 0: raised by the kernel for this thread's own access (BUS_ADRERR past the end of a
    // shrunk file, or a hugetlbfs pool running dry). A SIGBUS sent with kill() is not ours.
    struct guard_slot *s = info->si_code > 0 ? find((uintptr_t)info->si_addr) : NULL;
    if (s) {
        uintptr_t start = LOAD(&s->start), end = LOAD(&s->end);
        // mmap is a plain system call (not on POSIX's async-signal-safe list, but it takes no
        // user-space lock; Wayland compositors answer a shrunk wl_shm pool the same way). Private
        // anonymous pages: the guest never sees what we write into them from now on.
        void *p = mmap((void *)start, end - start, PROT_READ | PROT_WRITE,
                       MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p != MAP_FAILED) {
            __atomic_store_n(&s->faulted, 1, __ATOMIC_RELEASE);
            csy_fault_generation_bump();
            errno = saved;
            return;  // the faulting instruction runs again, now on zero pages
        }
    }
    // Not guest memory (or it could not be patched): a real bug must still crash. Put back what
    // was there before us (the default action, or the Swift runtime's backtracer) and let it act.
    sigaction(SIGBUS, &previous, NULL);
    if (info->si_code <= 0) {
        raise(sig);  // sent, not a fault: returning would not repeat it
    } else if ((previous.sa_flags & SA_SIGINFO) && previous.sa_sigaction) {
        previous.sa_sigaction(sig, info, context);
    }
    // Otherwise returning re-executes the access, which faults again under the old disposition.
    errno = saved;
}

static void install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGBUS, &sa, &previous) != 0) install_error = errno;
}

int csy_memory_guard_register(void *base, size_t length, uint64_t owner) {
    pthread_once(&install_once, install);
    if (install_error) {
        errno = install_error;
        return -1;
    }
    for (uint32_t i = 0; i < CSY_MEMORY_GUARD_SLOTS; i++) {
        uint32_t expected = SLOT_FREE;
        if (!__atomic_compare_exchange_n(&slots[i].state, &expected, SLOT_BUSY, 0, __ATOMIC_ACQ_REL,
                                         __ATOMIC_RELAXED)) continue;
        write_slot(&slots[i], (uintptr_t)base, (uintptr_t)base + length, owner);
        // Raise the high-water mark before going live, so the handler's scan reaches the slot.
        uint32_t hw = __atomic_load_n(&high_water, __ATOMIC_RELAXED);
        while (hw < i + 1 && !__atomic_compare_exchange_n(&high_water, &hw, i + 1, 1, __ATOMIC_RELEASE,
                                                           __ATOMIC_RELAXED)) {}
        __atomic_store_n(&slots[i].state, SLOT_LIVE, __ATOMIC_RELEASE);
        return (int)i;
    }
    errno = ENOSPC;
    return -1;
}

void csy_memory_guard_unregister(int slot) {
    if (slot < 0 || slot >= CSY_MEMORY_GUARD_SLOTS) return;
    struct guard_slot *s = &slots[slot];
    __atomic_store_n(&s->state, SLOT_BUSY, __ATOMIC_RELEASE);
    write_slot(s, 0, 0, 0);
    __atomic_store_n(&s->state, SLOT_FREE, __ATOMIC_RELEASE);
}

int csy_memory_guard_take_faults(uint64_t owner) {
    int n = 0;
    uint32_t hw = __atomic_load_n(&high_water, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; i < hw; i++) {
        struct guard_slot *s = &slots[i];
        if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != SLOT_LIVE || LOAD(&s->owner) != owner) continue;
        if (__atomic_exchange_n(&s->faulted, 0, __ATOMIC_ACQ_REL)) n++;
    }
    return n;
}

int csy_memory_guard_slot_faulted(int slot) {
    if (slot < 0 || slot >= CSY_MEMORY_GUARD_SLOTS) return 0;
    return (int)__atomic_load_n(&slots[slot].faulted, __ATOMIC_ACQUIRE);
}

int csy_file_seals(int fd) { return fcntl(fd, F_GET_SEALS); }

int csy_seals_prevent_shrinking(int seals) { return seals >= 0 && (seals & F_SEAL_SHRINK) != 0; }

int csy_memfd_create_sealed(const char *name, uint64_t size) {
    int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) return -1;
    if (ftruncate(fd, (off_t)size) != 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}
