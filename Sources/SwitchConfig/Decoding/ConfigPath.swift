/// Where a value sits in the document, rendered the way users write it: `ports[1].vlan.access`.
struct ConfigPath: CustomStringConvertible, Equatable {
    static let root = ConfigPath(description: "")

    let description: String

    func appending(_ key: String) -> ConfigPath {
        ConfigPath(description: description.isEmpty ? key : description + "." + key)
    }

    func appending(index: Int) -> ConfigPath {
        ConfigPath(description: description + "[\(index)]")
    }
}
