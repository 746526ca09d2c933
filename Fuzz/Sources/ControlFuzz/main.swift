import FuzzSupport

runFuzzer(fuzzControl)
