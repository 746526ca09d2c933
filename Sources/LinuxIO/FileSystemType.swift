import CSwitchyard

/// The magic number of the file system `fd` lives on (fstatfs f_type), e.g. 0x01021994 tmpfs.
public func fileSystemType(of fd: Int32) -> Result<UInt32, Errno> {
    let t = csy_fs_type(fd)
    return t < 0 ? .failure(.current) : .success(UInt32(truncatingIfNeeded: t))
}
