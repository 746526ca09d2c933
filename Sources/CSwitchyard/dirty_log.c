// The dirty-page log (include/CSwitchyardDirtyLog.h, docs/dirty-log.md).
#include "CSwitchyardDirtyLog.h"

#include <string.h>

void csy_dirty_log_init(csy_dirty_log *log, uint8_t *base, uint64_t size) {
    memset(log, 0, sizeof *log);
    log->base = base;
    log->size = size;
}

void csy_dirty_log_flush(csy_dirty_log *log) {
    if (log->count == 0) return;
    // The guest-memory writes these marks stand for must be visible before the bits: QEMU
    // clears a bit and then copies its page, so a bit seen before our data would lose the data.
    __atomic_thread_fence(__ATOMIC_RELEASE);
    for (uint32_t i = 0; i < log->count; i++) {
        uint64_t bits = log->bits[i];
        uint8_t *word = log->base + log->word[i] * 8;
        // Byte-wide ORs: the log's start (mmap_offset) need not be 8-byte aligned, and a
        // 64-page word rarely has more than one or two bytes with bits in it.
        for (int b = 0; b < 8 && bits != 0; b++, bits >>= 8) {
            uint8_t v = (uint8_t)bits;
            if (v != 0) __atomic_fetch_or(word + b, v, __ATOMIC_RELAXED);
        }
    }
    log->count = 0;
}

static void mark_page(csy_dirty_log *log, uint64_t page) {
    if (page / 8 >= log->size) {
        log->out_of_bounds = 1;
        return;
    }
    uint64_t word = page / 64;
    uint64_t bit = (uint64_t)1 << (page % 64);
    // The word may lie only partly inside the log (size not a multiple of 8): flush writes only
    // bytes with bits, and this page's byte was checked above.
    for (uint32_t i = 0; i < log->count; i++) {
        if (log->word[i] == word) {
            log->bits[i] |= bit;
            return;
        }
    }
    if (log->count == CSY_DIRTY_LOG_CACHE) csy_dirty_log_flush(log);
    log->word[log->count] = word;
    log->bits[log->count] = bit;
    log->count++;
}

void csy_dirty_log_mark(csy_dirty_log *log, uint64_t gpa, uint64_t length) {
    if (length == 0) return;
    uint64_t last = gpa + (length - 1);
    if (last < gpa) {  // wraps: no log can cover it
        log->out_of_bounds = 1;
        return;
    }
    for (uint64_t page = gpa / 4096; page <= last / 4096; page++) {
        mark_page(log, page);
        if (log->out_of_bounds) return;
    }
}
