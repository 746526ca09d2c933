/// A strict reader of the Prometheus text exposition format (version 0.0.4), for tests that scrape
/// `/metrics`: every sample line must parse, belong to a family announced by a `# TYPE` line
/// before it, and carry a number; anything else throws with the offending line.
public struct PrometheusText {
    public struct Sample: Equatable {
        public let name: String
        public let labels: [String: String]
        public let value: Double
    }

    public struct FormatError: Error, CustomStringConvertible {
        public let description: String
    }

    public let samples: [Sample]
    /// Family name → `counter`, `gauge`, ...
    public let types: [String: String]

    public init(_ text: String) throws {
        var samples: [Sample] = []
        var types: [String: String] = [:]
        for raw in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = String(raw)
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                guard parts.count == 4 else { throw FormatError(description: "bad TYPE line: \(line)") }
                types[String(parts[2])] = String(parts[3])
                continue
            }
            if line.hasPrefix("#") { continue }
            let sample = try PrometheusText.sample(line)
            let family = ["_total", "_bucket", "_sum", "_count"].reduce(sample.name) { name, suffix in
                types[name] == nil && name.hasSuffix(suffix) && types[String(name.dropLast(suffix.count))] != nil
                    ? String(name.dropLast(suffix.count)) : name
            }
            guard types[family] != nil else { throw FormatError(description: "sample before its TYPE line: \(line)") }
            samples.append(sample)
        }
        self.samples = samples
        self.types = types
    }

    /// The value of the one sample named `name` whose labels include `labels`; nil if there is none,
    /// and a test failure's worth of nil if there are several.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let matches = samples.filter { s in s.name == name && labels.allSatisfy { s.labels[$0.key] == $0.value } }
        return matches.count == 1 ? matches[0].value : nil
    }

    public func all(_ name: String) -> [Sample] { samples.filter { $0.name == name } }

    private static func sample(_ line: String) throws -> Sample {
        var chars = Array(line.unicodeScalars)
        var i = 0
        func fail(_ why: String) -> FormatError { FormatError(description: "\(why): \(line)") }
        var name = ""
        while i < chars.count, chars[i] != "{", chars[i] != " " {
            let c = chars[i]
            guard c.isASCII && c.properties.isAlphabetic || c == "_" || c == ":" || ("0" <= c && c <= "9") else {
                throw fail("bad character in metric name")
            }
            name.unicodeScalars.append(c)
            i += 1
        }
        guard !name.isEmpty else { throw fail("no metric name") }
        var labels: [String: String] = [:]
        if i < chars.count, chars[i] == "{" {
            i += 1
            while i < chars.count, chars[i] != "}" {
                var key = ""
                while i < chars.count, chars[i] != "=" { key.unicodeScalars.append(chars[i]); i += 1 }
                guard i + 1 < chars.count, chars[i + 1] == "\"" else { throw fail("label without a quoted value") }
                i += 2
                var value = ""
                while i < chars.count, chars[i] != "\"" {
                    if chars[i] == "\\", i + 1 < chars.count {
                        i += 1
                        value.unicodeScalars.append(chars[i] == "n" ? "\n" : chars[i])
                    } else {
                        value.unicodeScalars.append(chars[i])
                    }
                    i += 1
                }
                guard i < chars.count else { throw fail("unterminated label value") }
                i += 1
                guard labels.updateValue(value, forKey: key) == nil else { throw fail("label \(key) twice") }
                if i < chars.count, chars[i] == "," { i += 1 }
            }
            guard i < chars.count else { throw fail("unterminated label set") }
            i += 1
        }
        guard i < chars.count, chars[i] == " " else { throw fail("no space before the value") }
        chars.removeFirst(i + 1)
        let rest = String(String.UnicodeScalarView(chars)).split(separator: " ")
        guard let first = rest.first, rest.count <= 2, let value = Double(first) else { throw fail("value is not a number") }
        return Sample(name: name, labels: labels, value: value)
    }
}
