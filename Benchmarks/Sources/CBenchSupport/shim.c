// SwiftPM needs one C source per C target; everything lives in the header as static inline.
#include "CBenchSupport.h"
