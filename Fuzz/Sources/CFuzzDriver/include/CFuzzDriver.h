#ifndef SWITCHYARD_FUZZ_DRIVER_H
#define SWITCHYARD_FUZZ_DRIVER_H
#include <stddef.h>
#include <stdint.h>

// libFuzzer's entry for programs that own main(): SwiftPM gives every executable its own
// main (it links main as an alias of <module>_main), so libFuzzer's main is never pulled in and
// each target's main.swift hands its LLVMFuzzerTestOneInput to this driver instead.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
