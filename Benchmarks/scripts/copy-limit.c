// The physical limit of a one-copy switch on this machine: frames/s when the only work per frame
// is copying it once from a TX buffer into an RX buffer (rings of 256 buffers of 2 KiB each side,
// as a guest's rings spread frames over its memory). No parsing, no ring bookkeeping.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

int main(int argc, char **argv) {
    size_t size = argc > 1 ? strtoul(argv[1], 0, 10) : 64;
    double seconds = argc > 2 ? atof(argv[2]) : 2;
    enum { N = 256, STRIDE = 2048 };
    uint8_t *tx = aligned_alloc(4096, N * STRIDE), *rx = aligned_alloc(4096, N * STRIDE);
    memset(tx, 1, N * STRIDE); memset(rx, 0, N * STRIDE);
    uint64_t frames = 0; double start = now(), end = start + seconds;
    while (now() < end) {
        for (int i = 0; i < 1 << 16; i++) {
            size_t k = (size_t)(i & (N - 1)) * STRIDE;
            memcpy(rx + k, tx + k, size);
            __asm__ volatile("" ::: "memory");
        }
        frames += 1 << 16;
    }
    double elapsed = now() - start;
    printf("%zu B: %.1f Mpps (%.2f ns per frame) copying each frame once\n", size, frames / elapsed / 1e6, elapsed / frames * 1e9);
    return 0;
}
