/*
 * wire.h: the messages between mrrun on the controller and its worker on
 * a host ("mrrun --worker", remote.c), over the worker's ssh channel: the
 * controller writes to the worker's stdin, the worker to its stdout.
 *
 * A message is a 12-byte header and a payload:
 *
 *	byte 0      type, one of enum wire_type (an ASCII letter)
 *	bytes 1-3   zero
 *	bytes 4-7   id, unsigned 32-bit little-endian: the request it is
 *	            part of, chosen by the controller (0 for HELLO)
 *	bytes 8-11  payload length, unsigned 32-bit little-endian, at most
 *	            WIRE_MAX
 *
 * For example a DATA message of 3 bytes "ab\n" for request 7 is
 *
 *	44 00 00 00  07 00 00 00  03 00 00 00  61 62 0a
 *
 * Strings in payloads end in a NUL byte.  Paths that a worker is given
 * are relative to its scratch directory unless they start with "/".
 *
 * The conversation:
 *
 *	worker		HELLO 0 "VERSION\0SCRATCH\0NPROC\0" as soon as it
 *			starts: VERSION is MR_VERSION_STRING, SCRATCH the
 *			absolute path of its new scratch directory (mode
 *			0700), NPROC the number of processors online on its
 *			host in decimal; it runs every task from
 *			SCRATCH/files.
 *	controller	PUT id "MODE\0PATH\0" (MODE in octal, e.g. "644"),
 *			then any number of DATA id, then END id: the worker
 *			writes the data to PATH (inside the scratch
 *			directory only; "..", absolute paths and existing
 *			directories are refused), creating the directories
 *			above it, and answers DONE id when it closed it.
 *	controller	RUN id PACKED (task_pack()): the worker runs the task
 *			on a thread of its own and answers DONE id.
 *	controller	KILL id (no payload): the worker kills the task of
 *			RUN id, whose DONE then says TASK_STOPPED.
 *	controller	CAT id "PATH\0": the worker sends the file's bytes
 *			as DATA id messages, then DONE id.
 *	controller	STAT id "PATH\0": DONE id, whose text is the
 *			file's size in decimal; a file that is not a regular
 *			file is an error.
 *	controller	LIST id "PATH\0": the worker sends listing() of
 *			PATH (listing.h: the size and path of each regular
 *			file of PATH, a file or a directory) as DATA id
 *			messages, then DONE id.
 *	controller	closes the channel (or the channel breaks): the
 *			worker kills its tasks, removes its scratch
 *			directory and exits.
 *
 * DONE's payload is a 4-byte little-endian signed status (0 success;
 * for RUN the value task_run() returned; 1 for a failed PUT, CAT, STAT
 * or LIST), a NUL-terminated message (what failed, or STAT's size), and,
 * for RUN, the last WIRE_TAIL bytes at most of what the task wrote to
 * its stderr.  Every request gets exactly one DONE, after its DATA.
 */
#ifndef MR_WIRE_H
#define MR_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define WIRE_HEADER	12
#define WIRE_MAX	(64u << 20)	/* the largest payload */
#define WIRE_CHUNK	(256u << 10)	/* the DATA size that senders use */
#define WIRE_TAIL	(64u << 10)	/* the stderr that DONE carries */

enum wire_type {
	WIRE_HELLO = 'H',
	WIRE_PUT = 'P',
	WIRE_DATA = 'D',
	WIRE_END = 'E',
	WIRE_RUN = 'R',
	WIRE_KILL = 'K',
	WIRE_CAT = 'C',
	WIRE_STAT = 'S',
	WIRE_LIST = 'L',
	WIRE_DONE = 'X',
};

struct wire_msg {
	int type;
	uint32_t id;
	uint32_t len;
	char *data;		/* len bytes and a NUL, allocated */
};

/*
 * wire_send() writes one message to fd: the header, then the len bytes
 * of data.  It loops on short writes and EINTR.  Returns 0, or -1 with
 * errno set.  Callers that share fd between threads hold a lock around
 * it, since the header and payload must not be split.
 */
int wire_send(int fd, int type, uint32_t id, const void *data, size_t len);

/*
 * wire_recv() reads one message from fd into *m; m->data is allocated
 * (with a NUL after the payload, so that strings can be read from it)
 * and the caller frees it.  Returns 1 for a message, 0 at a clean end of
 * the stream (before any byte of a header), -1 on a read error, a
 * truncated message, a nonzero pad byte or a length above WIRE_MAX (the
 * length is checked before anything is allocated), with errno set (EPROTO
 * for a bad message).
 */
int wire_recv(int fd, struct wire_msg *m);

/*
 * wire_done() builds the payload of a DONE message in a buffer it
 * allocates: status, msg and the tail bytes (tail may be NULL when
 * tail_len is 0).  *len receives its length.
 */
char *wire_done(int status, const char *msg, const char *tail,
    size_t tail_len, size_t *len);

/*
 * wire_parse_done() reads a DONE payload: *status, *msg (pointing into
 * m->data) and *tail with *tail_len (also into m->data).  Returns 0, or
 * -1 when the payload is shorter than the status or has no NUL.
 */
int wire_parse_done(const struct wire_msg *m, int *status, const char **msg,
    const char **tail, size_t *tail_len);

#endif
