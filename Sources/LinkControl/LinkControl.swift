// LinkControl: placeholder until its first type lands.
