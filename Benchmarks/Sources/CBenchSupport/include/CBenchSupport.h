#ifndef CBENCHSUPPORT_H
#define CBENCHSUPPORT_H

#include <stdint.h>

// Callgrind client requests: a handful of no-op instructions when not running under valgrind.
// Without the valgrind headers (package `valgrind`), they compile to nothing.
#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define CBS_HAVE_CALLGRIND 1
#endif
#endif

static inline int cbs_callgrind_available(void) {
#ifdef CBS_HAVE_CALLGRIND
    return 1;
#else
    return 0;
#endif
}

static inline int cbs_running_on_valgrind(void) {
#ifdef CBS_HAVE_CALLGRIND
    return (int)RUNNING_ON_VALGRIND;
#else
    return 0;
#endif
}

/// Discards every cost collected so far (the set-up and warm-up).
static inline void cbs_callgrind_zero_stats(void) {
#ifdef CBS_HAVE_CALLGRIND
    CALLGRIND_ZERO_STATS;
#endif
}

/// Writes the costs collected since the last zero/dump to the next callgrind.out.<pid>.<n>.
static inline void cbs_callgrind_dump_stats(const char *reason) {
#ifdef CBS_HAVE_CALLGRIND
    CALLGRIND_DUMP_STATS_AT(reason);
#else
    (void)reason;
#endif
}

#endif
