// VhostUser: placeholder until its first type lands.
