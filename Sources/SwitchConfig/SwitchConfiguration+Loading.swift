import Yams

extension SwitchConfiguration {
    /// Reads, parses and validates the file at `path`. Error positions name `path` as given.
    public static func load(path: String) throws(ConfigurationErrors) -> SwitchConfiguration {
        switch ConfigurationFile.contents(ofPath: path) {
        case .success(let text): return try parse(yaml: text, file: path)
        case .failure(let error): throw ConfigurationErrors([error])
        }
    }

    /// Parses and validates YAML text; `file` is only used to label error positions.
    /// Throws every problem found, sorted by position.
    public static func parse(yaml: String, file: String = "<config>") throws(ConfigurationErrors) -> SwitchConfiguration {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw ConfigurationErrors([error.diagnostic(file: file)])
        } catch {
            throw ConfigurationErrors([ConfigurationError(kind: .syntax, file: file, line: 0, column: 0,
                                                          keyPath: "", message: "YAML error: \(error)")])
        }
        var decoder = ConfigurationDecoder(file: file)
        guard let configuration = decoder.decodeDocument(root) else {
            throw ConfigurationErrors(decoder.errors)
        }
        return configuration
    }
}
