/*
 * frame.h: the frame layout of mr-format(5), shared by the reader, the
 * writer, the sync scanner and the splitter.  Internal to libmr.
 *
 * Every frame starts with the 8-byte sync marker and a type byte:
 *   stream header  sync 'H' version flags metalen[2] meta crc[4]
 *   block          sync 'B' count[4] length[4] first[8] crc[4] payload pcrc[4]
 *   trailer        sync 'E' count[8] crc[4]
 * All integers little-endian.  Payload records: varint key length, varint
 * value length, key, value.  first is the number of records of the stream
 * before the block, so that pieces of a stream read apart can prove that
 * no block is missing or repeated between them.  Version 1 streams have
 * no first field: their block headers are BLOCK_HDR_V1 bytes long.
 */
#ifndef MR_FRAME_H
#define MR_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "mr.h"

#define FRAME_HEADER	'H'
#define FRAME_BLOCK	'B'
#define FRAME_TRAILER	'E'
#define HEADER_FIXED	13	/* sync, type, version, flags, metalen */
#define HEADER_MIN	(HEADER_FIXED + 4)
#define VARINT_MAX	5	/* bytes of a length up to MR_REC_MAX */
#define BLOCK_HDR_V1	21	/* a block header of format version 1 */

static inline uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static inline uint64_t
get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static inline void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static inline void
put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/*
 * get_varint() decodes the unsigned LEB128 number at *pp, of at most
 * VARINT_MAX bytes before end, into *out and moves *pp past it.  Returns
 * 0, or -1 when the number is cut short or too long.
 */
static inline int
get_varint(const unsigned char **pp, const unsigned char *end, size_t *out)
{
	const unsigned char *p = *pp;
	size_t v = 0;
	int shift;

	for (shift = 0; shift < 7 * VARINT_MAX; shift += 7) {
		if (p >= end)
			return -1;
		v |= (size_t)(*p & 0x7f) << shift;
		if ((*p++ & 0x80) == 0) {
			*pp = p;
			*out = v;
			return 0;
		}
	}
	return -1;
}

/*
 * write_full() writes the len bytes at buf to fd, looping on short writes
 * and EINTR.  Returns 0, or the errno of the write that failed.
 */
int write_full(int fd, const void *buf, size_t len);

/* block_hdr() is the length of a block header in a stream of version v. */
static inline size_t
block_hdr(int v)
{
	return v == 1 ? BLOCK_HDR_V1 : MR_BLOCK_HDR;
}

/*
 * block_check() checks the block_hdr(version) bytes of a block header at
 * p: its checksum, a payload length within MR_BLOCK_MAX and a record count
 * that length can hold.  Sets *count, *len and *first (0 in version 1) and
 * returns NULL, or returns why not in why (size bytes), a reason the caller
 * ends with " at byte N".
 */
const char *block_check(const unsigned char *p, int version,
    uint32_t *count, uint32_t *len, uint64_t *first, char *why, size_t size);

/*
 * version_ok() is 1 for the format versions that a reader accepts: the
 * current one, and version 1, which is read whole but never in ranges.
 */
static inline int
version_ok(int v)
{
	return v == 1 || v == MR_FORMAT_VERSION;
}

/*
 * frame_check() looks at the frame that starts at p, of which avail bytes
 * are at hand.  Returns the frame's header length when the sync marker, a
 * known type and the header checksum hold; 0 when more bytes are needed
 * to tell (*need is then how many); -1 when it is not a valid frame header.
 */
long frame_check(const unsigned char *p, size_t avail, size_t *need);

#endif
