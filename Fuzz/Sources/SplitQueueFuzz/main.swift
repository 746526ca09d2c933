import FuzzSupport

runFuzzer(fuzzSplitQueue)
