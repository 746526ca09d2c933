/// A libpcap failure with libpcap's own message (pcap_geterr / errbuf).
public struct CaptureError: Error, Equatable, CustomStringConvertible, Sendable {
    public let operation: String
    public let message: String

    public init(_ operation: String, _ message: String) {
        self.operation = operation
        self.message = message
    }

    public var description: String { "\(operation): \(message)" }
}
