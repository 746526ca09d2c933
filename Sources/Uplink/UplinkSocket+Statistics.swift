#if canImport(Glibc)
import Glibc
#endif
import CSwitchyard

extension UplinkSocket {
    /// Adds the kernel's RX drop count (PACKET_STATISTICS; reading it resets the kernel's
    /// counters) to `counters.kernelDrops`. Cold path: call from housekeeping, not per burst.
    public func collectKernelStatistics() {
        var stats = tpacket_stats_v3()
        var length = socklen_t(MemoryLayout<tpacket_stats_v3>.size)
        guard getsockopt(socket.rawValue, SOL_PACKET, PACKET_STATISTICS, &stats, &length) == 0 else { return }
        counters.kernelDrops &+= UInt64(stats.tp_drops)
    }
}
