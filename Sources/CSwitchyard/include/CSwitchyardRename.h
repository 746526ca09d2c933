// renameat2(RENAME_NOREPLACE) is not in the Glibc module Swift imports.
#ifndef CSWITCHYARD_RENAME_H
#define CSWITCHYARD_RENAME_H

/// Renames `from` to `to` only if nothing exists at `to` (EEXIST otherwise), atomically.
/// Returns 0 or -1/errno.
int csy_rename_noreplace(const char *from, const char *to);

#endif
