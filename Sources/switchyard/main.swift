print("switchyard: not yet wired")
