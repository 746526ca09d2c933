// Who is at the other end of a UNIX socket, and per-thread identities for tests.
// See docs/connections.md ("Who may connect").
#ifndef CSWITCHYARD_CREDENTIALS_H
#define CSWITCHYARD_CREDENTIALS_H

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/// getsockopt(SO_PEERCRED): the credentials the peer had when it called connect() (for an
/// accepted socket) or listen() (for a socket we connected). struct ucred needs _GNU_SOURCE,
/// which the Glibc module does not define. Returns 0 or -1/errno.
int csy_peer_credentials(int sock, pid_t *pid, uid_t *uid, gid_t *gid);

/// Sets the calling THREAD's effective uid and gid (the raw syscalls: glibc's wrappers would
/// change every thread of the process). Real and saved ids stay, so a thread that was root can
/// return with csy_thread_set_effective_ids(0, 0).
/// Supplementary groups are cleared (and set to {gid} on the way back to 0). For tests that play an unprivileged peer
/// in-process. Returns 0 or -1/errno.
int csy_thread_set_effective_ids(uid_t uid, gid_t gid);

/// Gives the calling thread its own umask (unshare(CLONE_FS)), then sets it; returns the previous
/// umask or -1/errno. A socket's mode comes from the umask at bind(): a process-wide umask change
/// would also widen or narrow files other threads create in that instant.
int csy_thread_umask(mode_t mask);

#ifdef __cplusplus
}
#endif

#endif
