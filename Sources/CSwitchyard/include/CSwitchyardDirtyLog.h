// The dirty-page log for live migration (docs/dirty-log.md).
//
// vhost-user's log (QEMU docs/interop/vhost-user.rst, "Migration"): one bit per 4 KiB guest page,
// page = gpa / 4096, bit (page % 8) of byte (page / 8), set with an atomic OR because QEMU reads
// and clears the bitmap concurrently. The back-end marks every page it writes: RX buffers at their
// guest-physical address, used-ring updates at the ring's log address (SET_VRING_ADDR).
//
// Marks are collected per queue in a small cache of 64-page words (as DPDK's vhost log cache
// does) and OR-ed into the shared log by `csy_dirty_log_flush`, after a release fence: the data
// written into guest memory is visible before its page's bit, so QEMU never copies a page whose
// bit it already cleared with our write still pending.
#ifndef CSWITCHYARD_DIRTY_LOG_H
#define CSWITCHYARD_DIRTY_LOG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CSY_DIRTY_LOG_CACHE 32

typedef struct csy_dirty_log {
    /// The log's first byte in our mapping, and its length in bytes (the front-end's mmap_size).
    uint8_t *base;
    uint64_t size;
    /// Set once a mark fell outside the log (a front-end that gave a log too small for its own
    /// memory or a used-ring log address past it): the mark is dropped and the port faults.
    uint32_t out_of_bounds;
    uint32_t count;
    /// Pending marks: 64-bit word index into the log (page / 64) and the bits to set in it.
    uint64_t word[CSY_DIRTY_LOG_CACHE];
    uint64_t bits[CSY_DIRTY_LOG_CACHE];
} csy_dirty_log;

/// A log over `[base, base + size)` with nothing pending.
void csy_dirty_log_init(csy_dirty_log *log, uint8_t *base, uint64_t size);
/// Marks every page of `[gpa, gpa + length)` (length 0: nothing). A page whose byte lies at or past
/// `size` sets `out_of_bounds` and is not marked; nothing is ever stored outside the log.
void csy_dirty_log_mark(csy_dirty_log *log, uint64_t gpa, uint64_t length);
/// Release fence, then an atomic OR of every pending mark into the log.
void csy_dirty_log_flush(csy_dirty_log *log);

#ifdef __cplusplus
}
#endif

#endif
