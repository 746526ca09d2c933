// Datapath: placeholder until its first type lands.
