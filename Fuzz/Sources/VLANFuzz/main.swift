import FuzzSupport

runFuzzer(fuzzVLAN)
