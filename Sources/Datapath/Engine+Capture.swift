#if canImport(Glibc)
import Glibc
#endif
import GuestMemory
import SwitchCore

/// Live capture (`yardctl capture`, docs/capture.md): copies of chosen frames into a running
/// capture's `CaptureRing`, taken in one pass over a burst after its frames were delivered and
/// before they are given back to the sender. A burst costs one load and one branch while nobody
/// captures anything (`captures.armed`), so ports nobody captures cost nothing per frame.
extension Engine {
    /// The most captures running at once, engine-wide.
    public static let maximumCaptures = 4

    /// Starts capturing port `name`'s frames into `ring` (engine thread, through `perform`).
    public func startCapture(port name: String, directions: CaptureDirections, vlan: UInt16?,
                             into ring: CaptureRing) -> Result<Void, CaptureStartError> {
        guard let index = portIndex(named: name) else { return .failure(.noSuchPort(name)) }
        let table = captures
        guard table.count < Engine.maximumCaptures else { return .failure(.tooMany(Engine.maximumCaptures)) }
        guard let owner = ports[Int(index)] else { return .failure(.noSuchPort(name)) }
        table.taps[table.count] = CaptureTap(port: index, directions: directions.rawValue, vlan: vlan ?? 0,
                                             owner: ObjectIdentifier(owner), ring: Unmanaged.passRetained(ring))
        table.count += 1
        return .success(())
    }

    /// Stops the capture into `ring`; the engine never touches it again once this returns.
    /// False if it was not running.
    @discardableResult
    public func stopCapture(_ ring: CaptureRing) -> Bool {
        let table = captures
        for i in 0..<table.count where table.taps[i].ring.toOpaque() == Unmanaged.passUnretained(ring).toOpaque() {
            table.taps[i].ring.release()
            table.count -= 1
            table.taps[i] = table.taps[table.count]
            return true
        }
        return false
    }

    /// False once the port the capture into `ring` started on is gone (removed by a reload, its
    /// number possibly given to another port): the daemon then ends the capture.
    public func captureFollowsItsPort(_ ring: CaptureRing) -> Bool {
        let table = captures
        for i in 0..<table.count where table.taps[i].ring.toOpaque() == Unmanaged.passUnretained(ring).toOpaque() {
            let tap = table.taps[i]
            return ports[Int(tap.port)].map { ObjectIdentifier($0) == tap.owner } ?? false
        }
        return false
    }

    /// Copies the frames of a decided burst that running captures ask for: received ones as the
    /// port sent them, delivered ones as the destination gets them (its 802.1Q tag written as
    /// delivery writes it). Out of line: the forwarding loop stays as it was.
    @inline(never)
    func captureBurst<Burst: FrameBurst>(_ burst: Burst, parsed: Int) {
        let s = scratch
        let table = captures
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let timestamp = UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
        let from = burst.source
        for n in 0..<parsed {
            let decision = s.decisions[n]
            let header = s.headers[n]
            var floodCount = -1
            for t in 0..<table.count {
                let tap = table.taps[t]
                if tap.port == from.index && tap.directions & CaptureDirection.received.rawValue != 0 {
                    let vlan = decision.vlan != 0 ? decision.vlan : (header.isTagged ? header.vid : 0)
                    if tap.vlan == 0 || tap.vlan == vlan {
                        copy(burst.segments(ofFrame: n, scratch: s), header: header, l2: burst.l2(ofFrame: n, scratch: s),
                             skip: from.skip, edit: nil, into: tap.ring, timestamp: timestamp, direction: .received)
                    }
                }
                guard tap.directions & CaptureDirection.sent.rawValue != 0, tap.vlan == 0 || tap.vlan == decision.vlan
                else { continue }
                switch decision.kind {
                case .drop: continue
                case .unicast: if decision.port != tap.port { continue }
                case .flood:
                    if floodCount < 0 {
                        floodCount = bridge.floodTargets(vlan: decision.vlan, excluding: from.index, into: s.floodTargets)
                    }
                    var found = false
                    for i in 0..<floodCount where s.floodTargets[i] == tap.port { found = true }
                    if !found { continue }
                }
                let egress = bridge.egressTag(port: tap.port, vlan: decision.vlan)
                let edit = TagEdit(sourceTagged: header.isTagged, egressTagged: egress.tagged, tci: decision.egressTCI)
                copy(burst.segments(ofFrame: n, scratch: s), header: header, l2: burst.l2(ofFrame: n, scratch: s),
                     skip: from.skip, edit: edit.changesFrame ? edit : nil, into: tap.ring, timestamp: timestamp,
                     direction: .sent)
            }
        }
    }

    /// One frame into a ring slot, cut to its snaplen: the L2 header from the private copy
    /// (re-tagged by `edit`), the rest from the sender's memory.
    private func copy<Segment: ByteSegment>(_ segments: UnsafeBufferPointer<Segment>, header: FrameHeader,
                                            l2: UnsafeRawPointer, skip: Int, edit: TagEdit?,
                                            into ring: Unmanaged<CaptureRing>, timestamp: UInt64,
                                            direction: CaptureDirection) {
        ring._withUnsafeGuaranteedRef { ring in
            guard let slot = ring.reserve() else { return }
            let prefixLength: Int
            if let edit {
                prefixLength = Engine.writePrefix(header, l2: l2, edit: edit, to: slot)
            } else {
                prefixLength = min(header.l2Length, ring.snaplen)
                slot.copyMemory(from: l2, byteCount: prefixLength)
            }
            let bodyLength = Int(header.length) &- header.l2Length
            let room = ring.snaplen &- prefixLength
            let copied = segments.gather(offset: skip &+ header.l2Length, count: min(bodyLength, room),
                                         into: slot + prefixLength)
            ring.commit(timestamp: timestamp, originalLength: prefixLength &+ bodyLength,
                        capturedLength: prefixLength &+ copied, direction: direction)
        }
    }
}

/// Why a capture did not start.
public enum CaptureStartError: Error, Equatable, CustomStringConvertible {
    case noSuchPort(String)
    case tooMany(Int)

    public var description: String {
        switch self {
        case .noSuchPort(let name): return "no port named \(name)"
        case .tooMany(let limit): return "\(limit) captures are already running (the limit); end one first"
        }
    }
}

/// One running capture as the engine checks it per burst.
struct CaptureTap {
    let port: UInt16
    let directions: UInt8
    /// 0: any VLAN.
    let vlan: UInt16
    /// The port object it started on (a removed port's number may be reused).
    let owner: ObjectIdentifier
    /// Retained while in the table (`startCapture` / `stopCapture`).
    let ring: Unmanaged<CaptureRing>
}

/// The engine's running captures, behind pointers so that the per-burst check is a plain load
/// (a class property read would be a dynamically checked access; see Engine.loop).
final class CaptureTable {
    /// How many taps are in use; the forwarding loop reads only this while nobody captures.
    let armed: UnsafeMutablePointer<Int>
    let taps: UnsafeMutablePointer<CaptureTap>
    var count: Int {
        get { armed.pointee }
        set { armed.pointee = newValue }
    }

    init() {
        armed = .allocate(capacity: 1)
        armed.initialize(to: 0)
        taps = .allocate(capacity: Engine.maximumCaptures)
    }

    deinit {
        for i in 0..<armed.pointee { taps[i].ring.release() }
        armed.deallocate()
        taps.deallocate()
    }
}
