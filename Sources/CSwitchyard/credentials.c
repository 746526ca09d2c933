#define _GNU_SOURCE
#include "CSwitchyardCredentials.h"

#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int csy_peer_credentials(int sock, pid_t *pid, uid_t *uid, gid_t *gid) {
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return -1;
    *pid = cred.pid;
    *uid = cred.uid;
    *gid = cred.gid;
    return 0;
}

int csy_thread_set_effective_ids(uid_t uid, gid_t gid) {
    // Only euid 0 may change the gid: dropping, the gid goes first; returning, the uid.
    if (uid == 0 && syscall(SYS_setresuid, (uid_t)-1, uid, (uid_t)-1) != 0) return -1;
    if (syscall(SYS_setresgid, (gid_t)-1, gid, (gid_t)-1) != 0) return -1;
    // Supplementary groups too (root's group 0 would otherwise still open root:root 0660 files).
    gid_t groups[1] = {gid};
    if (syscall(SYS_setgroups, (size_t)(uid == 0 ? 1 : 0), groups) != 0) return -1;
    if (uid != 0 && syscall(SYS_setresuid, (uid_t)-1, uid, (uid_t)-1) != 0) return -1;
    return 0;
}

int csy_thread_umask(mode_t mask) {
    // A no-op when this thread's fs_struct is already private.
    if (unshare(CLONE_FS) != 0) return -1;
    return (int)umask(mask);
}
