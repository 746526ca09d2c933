// Capture: placeholder until its first type lands.
