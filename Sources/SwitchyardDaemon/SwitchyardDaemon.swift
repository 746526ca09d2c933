// SwitchyardDaemon: placeholder until its first type lands.
