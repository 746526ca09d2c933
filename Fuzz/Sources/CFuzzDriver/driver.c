// Only the header matters (LLVMFuzzerRunDriver comes from libclang_rt.fuzzer); SwiftPM wants a source file.
#include "CFuzzDriver.h"
