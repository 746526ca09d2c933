import SwitchConfig

// The YAML config loader on arbitrary text: Yams' parser, then SwitchConfig's decoding with its
// file:line:column errors. Any outcome but a thrown ConfigurationErrors or a configuration is a bug;
// a trap (an integer conversion, a force unwrap on a surprising node) would take the daemon down
// on SIGHUP with a broken file.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: data == nil ? 0 : size), as: UTF8.self)
    do {
        let config = try SwitchConfiguration.parse(yaml: text, file: "fuzz.yaml")
        _ = "\(config)"
    } catch {
        _ = error.description
    }
    return 0
}
