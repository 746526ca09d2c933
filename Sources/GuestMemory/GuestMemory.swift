// GuestMemory: placeholder until its first type lands.
