print("yardctl: not yet wired")
