// Virtio: placeholder until its first type lands.
