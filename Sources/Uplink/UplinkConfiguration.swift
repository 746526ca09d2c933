/// Ring geometry and socket options of one uplink, decided once when the socket opens.
///
/// RX: TPACKET_V3 hands over whole blocks, so a burst costs no syscall. 64 blocks of 256 KiB
/// (16 MiB) hold ~100 000 minimum-size frames or ~10 000 full 1500-byte frames: about 7 ms of
/// a 10 Gb/s line at 64 bytes and 12 ms at 1500, enough to ride out a scheduling hiccup of the
/// engine thread. A block is handed over when full or after `blockTimeoutMilliseconds`, which
/// is therefore the worst-case added latency on a quiet link. On a slow link a block retires
/// after 1 ms part-filled, so when the engine stalls the ring holds `blockCount` ms of traffic
/// (64 ms), whatever the rate; at high rates blocks fill first and the byte figure rules.
///
/// TX: frames are copied into user-space staging slots (sized for MTU + VLAN tag + virtio-net
/// header) and the whole batch leaves with one sendmmsg(2) per burst. Measured on veth with
/// 64-byte frames this costs ~11-15% less CPU per frame than a TPACKET_V3 TX ring + send()
/// (the ring's page-reference bookkeeping outweighs the copy it saves; see uplink-bench). GSO
/// frames (guest TSO super-frames up to 64 KiB) go out through a second socket with one sendmsg
/// each, gathered straight from the guest's buffers, so the slots stay small.
public struct UplinkConfiguration: Equatable, Sendable {
    public var blockSize: Int
    public var blockCount: Int
    public var blockTimeoutMilliseconds: UInt32
    /// Frames staged between two flushes (a flush is due once per burst; a full stage flushes itself).
    public var transmitBatchCapacity: Int
    /// PACKET_QDISC_BYPASS: skip the interface's qdisc (faster; loses tc shaping and the qdisc's
    /// queueing when the NIC queue is full — such frames are dropped by the driver instead).
    /// Applies to the batched frames only; GSO frames always take the qdisc path, which segments
    /// them. On veth (no qdisc) it measured no difference.
    public var bypassQdisc: Bool

    public init(blockSize: Int = 256 * 1024, blockCount: Int = 64, blockTimeoutMilliseconds: UInt32 = 1,
                transmitBatchCapacity: Int = 64, bypassQdisc: Bool = true) {
        self.blockSize = blockSize
        self.blockCount = blockCount
        self.blockTimeoutMilliseconds = blockTimeoutMilliseconds
        self.transmitBatchCapacity = transmitBatchCapacity
        self.bypassQdisc = bypassQdisc
    }

    /// Checked before any kernel object is created: the kernel's own errors (EINVAL) say nothing.
    func validate() throws(UplinkError) {
        let page = 4096
        guard blockSize >= page, blockSize % page == 0, blockSize & (blockSize - 1) == 0 else {
            throw UplinkError("configure uplink ring", reason: "block size \(blockSize) must be a power of two >= 4096")
        }
        guard (2...4096).contains(blockCount) else {
            throw UplinkError("configure uplink ring", reason: "block count \(blockCount) must be 2...4096")
        }
        guard (1...1000).contains(blockTimeoutMilliseconds) else {
            throw UplinkError("configure uplink ring", reason: "block timeout must be 1...1000 ms")
        }
        guard (1...1024).contains(transmitBatchCapacity) else {
            throw UplinkError("configure uplink", reason: "TX batch capacity \(transmitBatchCapacity) must be 1...1024")
        }
    }
}
