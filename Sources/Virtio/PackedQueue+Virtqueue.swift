extension PackedQueue: Virtqueue {}
