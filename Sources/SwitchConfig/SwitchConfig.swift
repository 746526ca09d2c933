// SwitchConfig: placeholder until its first type lands.
