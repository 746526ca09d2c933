import FuzzSupport

runFuzzer(fuzzOffload)
