// The SIGBUS guard for guest memory (docs/port-faults.md).
//
// A front-end may shrink the file behind a region after we mapped it (ftruncate on a memfd that
// is not sealed with F_SEAL_SHRINK); the next access past the new end raises SIGBUS, whose default
// action kills the whole switch. Every guest mapping is registered here with its owner (a port);
// a SIGBUS inside one is answered by mapping anonymous zero pages over that whole mapping, so the
// faulting instruction retries and completes harmlessly, and by recording the fault for the owner.
// The engine looks at `csy_fault_generation()` once per turn and breaks the owner's port.
// A SIGBUS anywhere else is a real bug: the previous disposition is restored and it still crashes.
#ifndef CSWITCHYARD_MEMORY_GUARD_H
#define CSWITCHYARD_MEMORY_GUARD_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Fixed capacity of the registry (the handler may not allocate): 256 ports × 32 regions each
/// would need 8192; a full registry refuses the region (the front-end gets a nack).
#define CSY_MEMORY_GUARD_SLOTS 8192

/// Registers `[base, base + length)` (one whole mapping) for `owner`, installing the SIGBUS handler
/// on first use. Returns the slot (>= 0), or -1 with errno = ENOSPC (registry full) or the
/// sigaction error.
int csy_memory_guard_register(void *base, size_t length, uint64_t owner);
/// Forgets a slot; call before the mapping is unmapped (a later mapping at the same address must
/// not be covered). A fault recorded on the slot and not yet taken is dropped with it.
void csy_memory_guard_unregister(int slot);
/// How many of `owner`'s registered mappings faulted since the last call (the flags are cleared).
int csy_memory_guard_take_faults(uint64_t owner);
/// Whether the slot's mapping was replaced by zero pages after a fault.
int csy_memory_guard_slot_faulted(int slot);

/// Bumped by the SIGBUS handler and by anything else that records a port fault for the engine to
/// act on after the turn (VhostPort.fail). Any engine that sees it change looks at its ports.
extern uint64_t csy_fault_generation_word;
static inline uint64_t csy_fault_generation(void) {
    return __atomic_load_n(&csy_fault_generation_word, __ATOMIC_ACQUIRE);
}
static inline void csy_fault_generation_bump(void) {
    __atomic_fetch_add(&csy_fault_generation_word, 1, __ATOMIC_RELEASE);
}

/// F_GET_SEALS of `fd`: a bit set of F_SEAL_*, 0 for a file without seals, -1 when the file cannot
/// carry seals (not a memfd/shmem/hugetlbfs file).
int csy_file_seals(int fd);
/// Whether `seals` (from csy_file_seals) include F_SEAL_SHRINK: such a file can never get shorter,
/// so its mapping cannot SIGBUS from a shrink (QEMU seals its memfd backends this way).
int csy_seals_prevent_shrinking(int seals);
/// A memfd of `size` bytes sealed like QEMU's memory-backend-memfd (seal=on: shrink, grow, seal).
/// Returns the fd or -1/errno.
int csy_memfd_create_sealed(const char *name, uint64_t size);

#ifdef __cplusplus
}
#endif

#endif
