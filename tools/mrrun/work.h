/*
 * work.h: the work directory of an mrrun job, where its tasks write and
 * where a failed job's finished work waits for --resume: making and
 * locking it, the manifest of committed tasks, and removing it.
 */
#ifndef MR_WORK_H
#define MR_WORK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * work_lock() makes the directory dir (mode 0700) if it does not exist
 * and takes the lock of its file "lock", so that a second mrrun of the
 * same job fails at once.  Then it waits, saying so on stderr, until
 * every task of an earlier run in dir has ended, and gives the tasks of
 * this process a lifeline with task_lifeline(), so that they hold the
 * lock's other half in their turn.  what names the job in the messages.
 * Dies when another process holds the lock.  The caller blocks SIGINT,
 * SIGTERM and SIGHUP; they are let in while it waits.
 */
void work_lock(const char *dir, const char *what);

/* work_clean() removes everything in dir but the lock. */
void work_clean(const char *dir);

/*
 * rm_rf() removes path and, for a directory, everything under it, as
 * "rm -rf" does, never following a symbolic link (a link is removed, not
 * what it points to), without changing directory, so that threads may
 * call it at once.  It goes on after a name it cannot remove.  Returns 0,
 * or -1 with errno set for the first failure; a path that does not exist
 * is fine.  rm_rf_why() also puts "rm: cannot remove 'PATH': REASON" for
 * that failure in msg, unless msg holds a message already.
 */
int rm_rf(const char *path);
int rm_rf_why(const char *path, char *msg, size_t msgsize);

/*
 * file_sum() adds the size of the file path to *bytes and extends *crc
 * by its CRC-32C.  Returns 0, or -1 with errno set.
 */
int file_sum(const char *path, uint32_t *crc, uint64_t *bytes);

/*
 * The manifest: a first line "mrrun manifest IDENTITY", then one line a
 * committed task, "TASK RECORDS CRC BYTES".  manifest_start() opens
 * dir/manifest for appending, and when its identity is not identity
 * starts it again empty; it returns 1 when the manifest it kept was
 * written for this job.  manifest_find() looks up a task in the kept
 * manifest and returns 1 with its numbers.  manifest_add() appends a line
 * and makes it durable before returning.
 */
int manifest_start(const char *dir, uint64_t identity);
int manifest_find(const char *task, uint64_t *records, uint32_t *crc,
    uint64_t *bytes);
void manifest_add(const char *task, uint64_t records, uint32_t crc,
    uint64_t bytes);

/*
 * file_tail() reads the last size - 1 bytes at most of the file path into
 * buf, with a NUL after them, and returns how many it read; 0 for an
 * empty file, -1 when it cannot be read.
 */
ssize_t file_tail(const char *path, char *buf, size_t size);

#endif
