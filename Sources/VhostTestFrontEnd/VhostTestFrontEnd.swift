// VhostTestFrontEnd: placeholder until its first type lands.
