// What kind of file a descriptor a front-end handed us is: /proc and fstatfs, which the Glibc
// module does not expose whole (docs/never-blocking.md).
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/vfs.h>
#include "CSwitchyardFdKind.h"

int csy_fd_is_eventfd(int fd) {
    char path[64], target[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, target, sizeof(target) - 1);
    if (n < 0) return -1;
    target[n] = 0;
    return strcmp(target, "anon_inode:[eventfd]") == 0;
}

int csy_eventfd_is_semaphore(int fd) {
    char path[64], info[512];
    snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
    int f = open(path, O_RDONLY | O_CLOEXEC);
    if (f < 0) return -1;
    ssize_t n = read(f, info, sizeof(info) - 1);
    close(f);
    if (n <= 0) return -1;
    info[n] = 0;
    const char *line = strstr(info, "eventfd-semaphore:");
    if (line == NULL) return -1;
    line += strlen("eventfd-semaphore:");
    while (*line == ' ' || *line == '\t') line++;
    return *line == '1';
}

int64_t csy_fs_type(int fd) {
    struct statfs s;
    if (fstatfs(fd, &s) != 0) return -1;
    return (int64_t)(uint32_t)s.f_type;
}
