import GuestMemory

extension SplitRing {
    /// One split ring of a valid size: each part's byte length and alignment (virtio 1.x §2.7).
    /// The single check of ring geometry, used where the vhost-user layer turns SET_VRING_ADDR's
    /// addresses into pointers (`translate`) and again by `SplitQueue.init` for the pointers it
    /// is given (docs/rx-copy.md, "Ring layout").
    public struct Layout: Equatable, Sendable {
        public let queueSize: Int
        /// EVENT_IDX adds a 2-byte tail to the avail ring (used_event) and the used ring (avail_event).
        public let eventIndex: Bool

        /// Nil unless `queueSize` is a power of two in 1...32768.
        public init?(queueSize: Int, eventIndex: Bool) {
            guard SplitRing.isValidSize(queueSize) else { return nil }
            self.queueSize = queueSize
            self.eventIndex = eventIndex
        }

        public var descriptorTableBytes: Int { SplitRing.descriptorTableBytes(queueSize: queueSize) }
        public var availRingBytes: Int { SplitRing.availRingBytes(queueSize: queueSize, eventIndex: eventIndex) }
        public var usedRingBytes: Int { SplitRing.usedRingBytes(queueSize: queueSize, eventIndex: eventIndex) }

        /// Whether each part starts aligned as the spec requires (descriptors 16, avail 2,
        /// used 4): for the front-end's addresses and for our pointers alike.
        public func isAligned(descriptors: UInt64, avail: UInt64, used: UInt64) -> Bool {
            descriptors % UInt64(SplitRing.descriptorTableAlignment) == 0
                && avail % UInt64(SplitRing.availRingAlignment) == 0
                && used % UInt64(SplitRing.usedRingAlignment) == 0
        }

        public func isAligned(descriptors: UnsafeRawPointer, avail: UnsafeRawPointer, used: UnsafeRawPointer) -> Bool {
            isAligned(descriptors: UInt64(UInt(bitPattern: descriptors)), avail: UInt64(UInt(bitPattern: avail)),
                      used: UInt64(UInt(bitPattern: used)))
        }

        /// Our pointers to the three parts from the front-end's virtual addresses (SET_VRING_ADDR),
        /// or nil unless each address is aligned, each part lies entirely inside one region (rings
        /// are used as one contiguous block, like QEMU and DPDK do), and each pointer is aligned
        /// too. Aligned addresses are not enough: a region whose UVA is not aligned like its mmap
        /// offset (e.g. UVA ...3d, offset 0) shifts our pointers off alignment, and the index
        /// atomics need natural alignment (found by Fuzz/ fuzz-vhost-user).
        public func pointers(descriptors: UInt64, avail: UInt64, used: UInt64, userspaceIn memory: GuestMemoryTable)
            -> (descriptors: UnsafeMutableRawPointer, avail: UnsafeMutableRawPointer, used: UnsafeMutableRawPointer)? {
            guard isAligned(descriptors: descriptors, avail: avail, used: used),
                  let d = memory.pointer(userspace: descriptors, length: descriptorTableBytes),
                  let a = memory.pointer(userspace: avail, length: availRingBytes),
                  let u = memory.pointer(userspace: used, length: usedRingBytes),
                  isAligned(descriptors: d, avail: a, used: u)
            else { return nil }
            return (d, a, u)
        }
    }
}
