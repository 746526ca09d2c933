import ControlProtocol
import SwitchCore

// The control-request decoder on arbitrary lines: ControlCodec.decode(ControlRequest.self), then
// what the daemon does first with a decoded request (MAC parsing, a static FDB entry in the
// requested VLAN), and a round trip: a request that decodes re-encodes to one that decodes equal.

private let fdb = ForwardingDatabase(capacity: 16, agingTime: 300, maxPorts: 4, hashSeed: 1)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzControl(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let line = Array(UnsafeBufferPointer(start: data, count: data == nil ? 0 : size))
    guard line.count <= ControlCodec.maximumLineLength,
          let request = try? ControlCodec.decode(ControlRequest.self, from: line) else { return 0 }
    let encoded = try! ControlCodec.encodeLine(request)
    let again = try! ControlCodec.decode(ControlRequest.self, from: Array(encoded.dropLast()))
    precondition(again == request, "round trip changed \(request) into \(again)")
    switch request {
    case .fdbAdd(_, let vlan, let mac):
        if let address = MACAddress(mac) {
            precondition(MACAddress("\(address)") == address, "MAC \(mac) does not print back")
            _ = try? fdb.addStatic(vlan: vlan, mac: address, port: 1, now: 0)
            _ = fdb.remove(vlan: vlan, mac: address)
        }
    case .fdbDelete(let vlan, let mac):
        if let address = MACAddress(mac) { _ = fdb.remove(vlan: vlan, mac: address) }
    case .fdbFlush(_, let vlan?):
        _ = fdb.flush(vlan: vlan)
    default:
        break
    }
    return 0
}
