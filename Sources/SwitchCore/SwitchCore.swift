// SwitchCore: placeholder until its first type lands.
