import FuzzSupport

runFuzzer(fuzzVhostUser)
