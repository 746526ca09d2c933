import GuestMemory

extension PackedRing {
    /// One packed ring of a valid size: the descriptor ring (16·N, aligned 16) and the two event
    /// suppression areas (4 bytes each, aligned 4), virtio 1.1 §2.8.10.1. The one check of packed
    /// geometry, used by the vhost-user layer on SET_VRING_ADDR's addresses and by
    /// `PackedQueue.init` on its pointers, as `SplitRing.Layout` is for split rings.
    public struct Layout: Equatable, Sendable {
        public let queueSize: Int

        public init?(queueSize: Int) {
            guard PackedRing.isValidSize(queueSize) else { return nil }
            self.queueSize = queueSize
        }

        public var descriptorRingBytes: Int { PackedRing.descriptorSize * queueSize }

        public func isAligned(descriptors: UInt64, driverEvent: UInt64, deviceEvent: UInt64) -> Bool {
            descriptors % UInt64(PackedRing.descriptorRingAlignment) == 0
                && driverEvent % UInt64(PackedRing.eventAreaAlignment) == 0
                && deviceEvent % UInt64(PackedRing.eventAreaAlignment) == 0
        }

        public func isAligned(descriptors: UnsafeRawPointer, driverEvent: UnsafeRawPointer,
                              deviceEvent: UnsafeRawPointer) -> Bool {
            isAligned(descriptors: UInt64(UInt(bitPattern: descriptors)),
                      driverEvent: UInt64(UInt(bitPattern: driverEvent)),
                      deviceEvent: UInt64(UInt(bitPattern: deviceEvent)))
        }

        /// Our pointers from SET_VRING_ADDR's front-end addresses (desc, avail = driver event area,
        /// used = device event area, as QEMU and DPDK send them for a packed ring), or nil unless
        /// each is aligned, lies whole inside one region and stays aligned as our pointer.
        public func pointers(descriptors: UInt64, driverEvent: UInt64, deviceEvent: UInt64,
                             userspaceIn memory: GuestMemoryTable)
            -> (descriptors: UnsafeMutableRawPointer, driverEvent: UnsafeMutableRawPointer,
                deviceEvent: UnsafeMutableRawPointer)? {
            guard isAligned(descriptors: descriptors, driverEvent: driverEvent, deviceEvent: deviceEvent),
                  let d = memory.pointer(userspace: descriptors, length: descriptorRingBytes),
                  let a = memory.pointer(userspace: driverEvent, length: PackedRing.eventAreaBytes),
                  let u = memory.pointer(userspace: deviceEvent, length: PackedRing.eventAreaBytes),
                  isAligned(descriptors: d, driverEvent: a, deviceEvent: u)
            else { return nil }
            return (d, a, u)
        }
    }
}
