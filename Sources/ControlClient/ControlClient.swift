// ControlClient: placeholder until its first type lands.
