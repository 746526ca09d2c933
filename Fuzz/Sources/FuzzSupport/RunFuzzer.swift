#if canImport(Glibc)
import Glibc
#endif
import CFuzzDriver

/// Runs libFuzzer (argument parsing, corpus, mutations) over `target`; never returns.
public func runFuzzer(_ target: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, target))
}
