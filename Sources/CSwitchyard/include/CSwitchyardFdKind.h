// What kind of file a descriptor is (docs/never-blocking.md).
#ifndef CSWITCHYARD_FD_KIND_H
#define CSWITCHYARD_FD_KIND_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// 1 if `fd` is an eventfd (its /proc/self/fd link is anon_inode:[eventfd]), 0 if not, -1/errno
/// when it cannot be told.
int csy_fd_is_eventfd(int fd);

/// fstatfs(fd).f_type (the file system's magic number), or -1/errno. <sys/vfs.h> is not in the
/// Glibc module map.
int64_t csy_fs_type(int fd);

/// 1 if eventfd `fd` was made with EFD_SEMAPHORE, 0 if not, -1 when the kernel does not say
/// (fdinfo shows "eventfd-semaphore:" since Linux 6.4).
int csy_eventfd_is_semaphore(int fd);

#ifdef __cplusplus
}
#endif

#endif
