// ControlProtocol: placeholder until its first type lands.
