/*
 * split.c: cutting a file into byte ranges at record boundaries and
 * copying the records of one range, as they are, for mrsplit(1).
 *
 * A range [start, end) of a file stands for its bytes [bound(start),
 * bound(end)), where bound(x) is the first record boundary at or after x:
 * the start of a line in text, the start of a frame in a framed file.  A
 * record thus belongs to the range that holds its first byte, and the
 * ranges that partition a file give each of its records once.
 *
 * In a framed file a boundary is searched for as mr_sync_find() does, but
 * a record may hold a copy of frames, a value that is itself a framed file
 * for instance.  So a candidate counts only when the chain of frame headers
 * that starts there holds until it has passed the end of any block that
 * could contain the candidate, or until it ends with a trailer at the end
 * of the file: a copy inside a record ends inside that record.  Walking a
 * range then checks that its last frame ends exactly at the boundary where
 * the next range starts, so that ranges never overlap or leave a gap
 * unnoticed.  Records are never parsed: blocks are copied whole once their
 * checksums hold.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mr.h"
#include "frame.h"

#define BUFSIZE		(1 << 20)	/* bytes read at once: several blocks */
#define COPY_SIZE	(256 << 10)	/* text copied at once, kept in cache */
#define SCAN_FIRST	(64 << 10)	/* a search reads this much first */
#define HDR_MAX		(HEADER_MIN + MR_META_MAX)	/* longest header */
#define PEEK_SIZE	8192		/* bytes read for a frame header */
/* the longest block frame: a chain this long leaves any block it began in */
#define REACH		((uint64_t)MR_BLOCK_HDR + MR_BLOCK_MAX + 4)

/* check_frame() */
enum { FRAME_OK, FRAME_CUT, FRAME_BAD };

/* chain(): how the chain of headers from a candidate ends */
enum { CHAIN_HOLDS, CHAIN_CUT, CHAIN_BREAKS };

struct mr_split {
	int fd;
	const char *name;
	unsigned char eol;
	int magic_ok;		/* text may hold the magic at a line start */
	uint64_t size;
	int framed;
	int version;		/* of the first stream, and so of them all */
	int unterminated;	/* text whose last line has no terminator */
	unsigned char head[HDR_MAX];	/* the first stream header */
	size_t headlen;
	unsigned char *buf;	/* the file's bytes [boff, boff + blen) */
	uint64_t boff;
	size_t blen;
	unsigned char peek[PEEK_SIZE];	/* the bytes [poff, poff + plen) */
	uint64_t poff;
	size_t plen;
	int lost_how;		/* the last chain that failed, or -1 */
	uint64_t lost_at, lost_end;	/* a frame on it, and its end */
	char err[512];
};

static int
vnote(struct mr_split *s, int rc, const char *fmt, va_list ap)
{
	int n;

	n = snprintf(s->err, sizeof(s->err), "%s: ", s->name);
	if (n < 0 || (size_t)n >= sizeof(s->err))
		n = 0;
	vsnprintf(s->err + n, sizeof(s->err) - (size_t)n, fmt, ap);
	return rc;
}

/* Leaves a message about the file and returns rc. */
static int
note(struct mr_split *s, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rc = vnote(s, rc, fmt, ap);
	va_end(ap);
	return rc;
}

static int
fail(struct mr_split *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote(s, -1, fmt, ap);
	va_end(ap);
	return -1;
}

struct mr_split *
mr_split_new(int fd, const char *name, const struct mr_textfmt *fmt)
{
	struct mr_split *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->fd = fd;
	s->name = name;
	s->eol = fmt->eol;
	s->magic_ok = fmt->magic_ok;
	s->lost_how = -1;
	return s;
}

void
mr_split_free(struct mr_split *s)
{
	if (s == NULL)
		return;
	free(s->buf);
	free(s);
}

/* Reads the len bytes at off, which the file's size says are there. */
static int
read_at(struct mr_split *s, uint64_t off, unsigned char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = pread(s->fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return fail(s, "read error: %s", strerror(errno));
		}
		if (n == 0)
			return fail(s, "ends at byte %llu, before its size of "
			    "%llu bytes (it changed while being read)",
			    (unsigned long long)off,
			    (unsigned long long)s->size);
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/* Fills buf with up to len bytes from off, fewer at the end of the file. */
static int
load(struct mr_split *s, uint64_t off, size_t len)
{
	if (len > s->size - off)
		len = (size_t)(s->size - off);
	s->boff = off;
	s->blen = 0;
	if (read_at(s, off, s->buf, len) < 0)
		return -1;
	s->blen = len;
	return 0;
}

/*
 * Returns the bytes at off, *avail of them: at least a frame header's
 * worth, or all up to the end of the file.
 */
static const unsigned char *
peek(struct mr_split *s, uint64_t off, size_t *avail)
{
	uint64_t want = s->size - off < HDR_MAX ? s->size - off : HDR_MAX;

	if (off < s->poff || off + want > s->poff + s->plen) {
		s->plen = 0;
		s->poff = off;
		want = s->size - off < PEEK_SIZE ? s->size - off : PEEK_SIZE;
		if (read_at(s, off, s->peek, (size_t)want) < 0)
			return NULL;
		s->plen = (size_t)want;
	}
	*avail = (size_t)(s->poff + s->plen - off);
	return s->peek + (off - s->poff);
}

static int
write_out(struct mr_split *s, int fd, const char *out, const void *buf,
    size_t len)
{
	int err;

	if ((err = write_full(fd, buf, len)) != 0) {
		snprintf(s->err, sizeof(s->err), "%s: write error: %s", out,
		    strerror(err));
		return -1;
	}
	return 0;
}

/*
 * Checks the frame header at p, at offset off, of which avail bytes are at
 * hand (fewer than a header only at the end of the file), coming after a
 * frame of type prev (0 for none), as a reader would but without reading
 * the payload.  Sets *type and the frame's whole length *len.  Returns
 * FRAME_OK, or FRAME_CUT when the file ends inside the frame, or FRAME_BAD;
 * both leave the reader's message.
 */
static int
check_frame(struct mr_split *s, const unsigned char *p, size_t avail,
    uint64_t off, int prev, int *type, uint64_t *len)
{
	unsigned long long at = off;
	size_t n, metalen;
	uint32_t count, plen;
	uint64_t first;
	const char *bad;
	char why[96];

	n = avail < MR_SYNC_LEN ? avail : MR_SYNC_LEN;
	if (memcmp(p, mr_sync, n) != 0) {
		if (prev == FRAME_TRAILER)
			return note(s, FRAME_BAD, "unexpected data after the "
			    "trailer at byte %llu", at);
		return note(s, FRAME_BAD, "bad sync marker at byte %llu", at);
	}
	if (avail <= MR_SYNC_LEN)
		return note(s, FRAME_CUT, "truncated %s at byte %llu",
		    prev == FRAME_TRAILER ? "stream header" : "frame", at);
	*type = p[MR_SYNC_LEN];
	switch (*type) {
	case FRAME_HEADER:
		if (prev != 0 && prev != FRAME_TRAILER)
			return note(s, FRAME_BAD, "stream header inside a "
			    "stream at byte %llu", at);
		if (avail < HEADER_FIXED)
			return note(s, FRAME_CUT, "truncated stream header at "
			    "byte %llu", at);
		if (!version_ok(p[9]))
			return note(s, FRAME_BAD, "unsupported format version "
			    "%u at byte %llu", p[9], at);
		if (s->headlen > 0 && p[9] != s->version)
			return note(s, FRAME_BAD, "stream at byte %llu has "
			    "format version %u, the first stream %d", at, p[9],
			    s->version);
		metalen = (size_t)(p[11] | p[12] << 8);
		if (metalen > MR_META_MAX)
			return note(s, FRAME_BAD, "metadata length %zu over "
			    "the limit of %d at byte %llu", metalen,
			    MR_META_MAX, at);
		*len = HEADER_MIN + metalen;
		if (avail < *len)
			return note(s, FRAME_CUT, "truncated stream header at "
			    "byte %llu", at);
		if (mr_crc32c(0, p, *len - 4) != get32(p + *len - 4))
			return note(s, FRAME_BAD, "bad stream header checksum "
			    "at byte %llu", at);
		if (p[10] != 0)
			return note(s, FRAME_BAD, "unknown stream flags 0x%02x "
			    "at byte %llu", p[10], at);
		if (s->headlen > 0 && (*len != s->headlen ||
		    memcmp(p + HEADER_FIXED, s->head + HEADER_FIXED,
		    metalen) != 0))
			return note(s, FRAME_BAD, "stream at byte %llu has "
			    "other metadata than the first stream", at);
		break;
	case FRAME_BLOCK:
		if (prev == FRAME_TRAILER)
			return note(s, FRAME_BAD, "block after the trailer at "
			    "byte %llu", at);
		if (avail < block_hdr(s->version))
			return note(s, FRAME_CUT, "truncated block header at "
			    "byte %llu", at);
		if ((bad = block_check(p, s->version, &count, &plen, &first,
		    why, sizeof(why))) != NULL)
			return note(s, FRAME_BAD, "%s at byte %llu", bad, at);
		*len = block_hdr(s->version) + (uint64_t)plen + 4;
		if (*len > s->size - off)
			return note(s, FRAME_CUT, "truncated block at byte "
			    "%llu (%llu of %llu bytes)", at,
			    (unsigned long long)(s->size - off),
			    (unsigned long long)*len);
		break;
	case FRAME_TRAILER:
		if (prev == FRAME_TRAILER)
			return note(s, FRAME_BAD, "second trailer at byte %llu",
			    at);
		if (avail < MR_TRAILER_LEN)
			return note(s, FRAME_CUT, "truncated trailer at byte "
			    "%llu", at);
		if (mr_crc32c(0, p, MR_TRAILER_LEN - 4) !=
		    get32(p + MR_TRAILER_LEN - 4))
			return note(s, FRAME_BAD, "bad trailer checksum at "
			    "byte %llu", at);
		*len = MR_TRAILER_LEN;
		break;
	default:
		return note(s, FRAME_BAD, "unknown frame type 0x%02x at byte "
		    "%llu", *type, at);
	}
	return FRAME_OK;
}

int
mr_split_start(struct mr_split *s)
{
	const unsigned char *p;
	unsigned char magic[MR_MAGIC_LEN], last;
	struct stat st;
	uint64_t len;
	size_t n;
	int type;

	if (fstat(s->fd, &st) < 0)
		return fail(s, "%s", strerror(errno));
	if (S_ISDIR(st.st_mode))
		return fail(s, "%s", strerror(EISDIR));
	if (!S_ISREG(st.st_mode))
		return fail(s, "not a regular file");
	s->size = (uint64_t)st.st_size;
	if (s->buf == NULL && (s->buf = malloc(BUFSIZE)) == NULL)
		return fail(s, "out of memory");
	n = s->size < MR_MAGIC_LEN ? (size_t)s->size : MR_MAGIC_LEN;
	if (read_at(s, 0, magic, n) < 0)
		return -1;
	switch (mr_detect(magic, n)) {
	case -1:
		return fail(s, "truncated stream header at byte 0");
	case -2:
		return fail(s, "damaged stream header at byte 0");
	case 0:
		if (s->size > 0) {
			if (read_at(s, s->size - 1, &last, 1) < 0)
				return -1;
			s->unterminated = last != s->eol;
		}
		return 0;
	}
	if ((p = peek(s, 0, &n)) == NULL)
		return -1;
	if (check_frame(s, p, n, 0, 0, &type, &len) != FRAME_OK)
		return -1;
	memcpy(s->head, p, (size_t)len);
	s->headlen = (size_t)len;
	s->version = p[9];
	s->framed = 1;
	return 0;
}

/*
 * Follows the chain of frame headers from off, as a reader that started
 * there would, without reading payloads, until it has passed more than
 * REACH bytes or met the end of the file.  Sets *end to where it stopped.
 * Returns CHAIN_HOLDS when it got that far or ended right after a trailer
 * at the end of the file, CHAIN_CUT when the file ends elsewhere in the
 * chain, CHAIN_BREAKS at a bad frame header, or -1 on a read error.
 */
static int
chain(struct mr_split *s, uint64_t off, uint64_t *end)
{
	const unsigned char *p;
	uint64_t at = off, len;
	size_t avail;
	int prev = 0, type, rc;

	while (at - off <= REACH) {
		if (at == s->size) {
			*end = at;
			return prev == FRAME_TRAILER ? CHAIN_HOLDS : CHAIN_CUT;
		}
		if ((p = peek(s, at, &avail)) == NULL)
			return -1;
		rc = check_frame(s, p, avail, at, prev, &type, &len);
		if (rc != FRAME_OK) {
			*end = at;
			return rc == FRAME_CUT ? CHAIN_CUT : CHAIN_BREAKS;
		}
		at += len;
		prev = type;
	}
	*end = at;
	return CHAIN_HOLDS;
}

/*
 * Judges the candidate frame at c by its chain.  The chain that failed
 * last is kept: a later candidate on it fails the same way, so that the
 * frames before damage in a file are not each followed to the damage.
 */
static int
judge(struct mr_split *s, uint64_t c)
{
	const unsigned char *p;
	uint64_t end;
	size_t avail;
	int how;

	while (s->lost_how >= 0 && s->lost_at < c &&
	    s->lost_at < s->lost_end) {
		if ((p = peek(s, s->lost_at, &avail)) == NULL)
			return -1;
		/* a frame of a chain already followed, so its header holds */
		if (p[MR_SYNC_LEN] == FRAME_BLOCK)
			s->lost_at += block_hdr(s->version) +
			    (uint64_t)get32(p + 13) + 4;
		else if (p[MR_SYNC_LEN] == FRAME_HEADER)
			s->lost_at += HEADER_MIN + (size_t)(p[11] | p[12] << 8);
		else
			s->lost_at += MR_TRAILER_LEN;
	}
	if (s->lost_how >= 0 && s->lost_at == c && c < s->lost_end)
		return s->lost_how;
	if ((how = chain(s, c, &end)) < 0)
		return -1;
	if (how != CHAIN_HOLDS && (s->lost_how < 0 || end >= s->lost_end)) {
		s->lost_how = how;
		s->lost_at = c;
		s->lost_end = end;
	}
	return how;
}

/*
 * Sets *at to the first offset at or after c where mr_sync_find() sees a
 * frame header, or to the size of the file when there is none.
 */
static int
next_candidate(struct mr_split *s, uint64_t c, uint64_t *at)
{
	size_t n, r, want = SCAN_FIRST;

	while (c < s->size) {
		if (c < s->boff || c >= s->boff + s->blen ||
		    (s->boff + s->blen - c < HDR_MAX &&
		    s->boff + s->blen < s->size)) {
			if (load(s, c, want) < 0)
				return -1;
			want = want < BUFSIZE / 2 ? 2 * want : BUFSIZE;
		}
		n = (size_t)(s->boff + s->blen - c);
		r = mr_sync_find(s->buf + (c - s->boff), n);
		if (r < n) {
			*at = c + r;
			return 0;
		}
		if (s->boff + s->blen == s->size)
			break;
		/* a header cut off at the end of buf may start here */
		c = s->boff + s->blen - HDR_MAX + 1;
		if (load(s, c, want) < 0)
			return -1;
		want = want < BUFSIZE / 2 ? 2 * want : BUFSIZE;
	}
	*at = s->size;
	return 0;
}

/*
 * The first frame at or after off whose chain holds, or, when no later
 * candidate's chain holds, the first whose chain runs into the end of the
 * file: a truncated file is then reported by the range that reaches the
 * end, while a truncated framed file inside a record cannot mislead.
 */
static int
find_frame(struct mr_split *s, uint64_t off, uint64_t *at)
{
	uint64_t c, cut = s->size;
	int how;

	for (c = off;; c++) {
		if (next_candidate(s, c, &c) < 0)
			return -1;
		if (c == s->size)
			break;
		if ((how = judge(s, c)) < 0)
			return -1;
		if (how == CHAIN_HOLDS) {
			*at = c;
			return 0;
		}
		if (how == CHAIN_CUT && cut == s->size)
			cut = c;
	}
	*at = cut;
	return 0;
}

/* The start of the first line at or after off, for 0 < off < size. */
static int
find_line(struct mr_split *s, uint64_t off, uint64_t *at)
{
	const unsigned char *q;
	size_t want = SCAN_FIRST;

	/* a line starts at off when the byte before it ends a line */
	for (off--; off < s->size; off += s->blen) {
		if (load(s, off, want) < 0)
			return -1;
		if ((q = memchr(s->buf, s->eol, s->blen)) != NULL) {
			*at = off + (uint64_t)(q - s->buf) + 1;
			return 0;
		}
		want = want < BUFSIZE / 2 ? 2 * want : BUFSIZE;
	}
	*at = s->size;
	return 0;
}

/* A version 1 stream cannot prove that its ranges tile it. */
static int
old_version(struct mr_split *s)
{
	return fail(s, "format version 1 cannot be read in ranges (its blocks "
	    "do not say where they sit in the stream); rewrite it with any mr "
	    "tool, as mrmerge -o NEW FILE does");
}

int
mr_split_bound(struct mr_split *s, uint64_t off, uint64_t *at)
{
	if (off == 0 || off >= s->size) {
		*at = off == 0 ? 0 : s->size;
		return 0;
	}
	if (s->framed && s->version == 1)
		return old_version(s);
	return s->framed ? find_frame(s, off, at) : find_line(s, off, at);
}

/* Writes the bytes of buf from *run to off and moves *run to off. */
static int
flush(struct mr_split *s, uint64_t *run, uint64_t off, int fd,
    const char *out)
{
	if (off > *run && write_out(s, fd, out, s->buf + (*run - s->boff),
	    (size_t)(off - *run)) < 0)
		return -1;
	*run = off;
	return 0;
}

/*
 * Where the frames a range has read sit in their stream: next is how many
 * records of the current stream come before the next block, known once a
 * header or a block of that stream has been read.
 */
struct place {
	uint64_t next;
	int known;
};

/*
 * Checks that a block at off, whose header says that first records of
 * its stream come before it, follows what was read of that stream.  The
 * first block of a range that starts inside a stream sets the place; the
 * range before it checked that block from its own end (check_seam()).
 */
static int
follows(struct mr_split *s, struct place *pl, uint64_t off, uint64_t first)
{
	if (pl->known && first != pl->next)
		return fail(s, "block at byte %llu starts at record %llu of its "
		    "stream, after %llu (a block is missing or repeated)",
		    (unsigned long long)off, (unsigned long long)first,
		    (unsigned long long)pl->next);
	pl->next = first;
	pl->known = 1;
	return 0;
}

/* Checks a trailer's count at off against the records of its stream. */
static int
counts(struct mr_split *s, const struct place *pl, uint64_t off,
    uint64_t count)
{
	if (pl->known && count != pl->next)
		return fail(s, "trailer at byte %llu counts %llu records, the "
		    "stream has %llu", (unsigned long long)off,
		    (unsigned long long)count, (unsigned long long)pl->next);
	return 0;
}

/*
 * A copied block starts the same stream at another record: the copy says
 * so in its header, whose checksum changes with it.
 */
static void
renumber(unsigned char *h, uint64_t first)
{
	if (get64(h + 17) == first)
		return;
	put64(h + 17, first);
	put32(h + MR_BLOCK_HDR - 4, mr_crc32c(0, h, MR_BLOCK_HDR - 4));
}

/*
 * The frame at to, where the next range starts, must go on from the last
 * frame of this one: a block or a trailer of the same stream at the place
 * this range reached, or after a trailer a stream header.  So the ranges
 * of a file, each checking its own end, together check every seam.
 */
static int
check_seam(struct mr_split *s, uint64_t to, int prev,
    const struct place *pl)
{
	const unsigned char *p;
	uint64_t len;
	size_t avail;
	int type;

	if ((p = peek(s, to, &avail)) == NULL)
		return -1;
	if (check_frame(s, p, avail, to, prev, &type, &len) != FRAME_OK)
		return -1;
	if (type == FRAME_BLOCK) {
		struct place copy = *pl;

		return follows(s, &copy, to, get64(p + 17));
	}
	return type == FRAME_TRAILER ? counts(s, pl, to, get64(p + 9)) : 0;
}

/*
 * Copies the block frame at off, len bytes, longer than buf, in pieces,
 * numbered first in the output stream (version 2), and checks its payload
 * checksum before the last piece goes out.
 */
static int
copy_long_block(struct mr_split *s, uint64_t off, uint64_t len, int fd,
    const char *out, uint64_t first)
{
	unsigned char want[4];
	uint64_t pay = off + block_hdr(s->version), pend = off + len - 4;
	uint64_t at, a, b;
	uint32_t crc = 0;

	if (read_at(s, pend, want, 4) < 0)
		return -1;
	for (at = off; at < off + len; at += s->blen) {
		if (load(s, at, BUFSIZE) < 0)
			return -1;
		a = at > pay ? at : pay;
		b = at + s->blen < pend ? at + s->blen : pend;
		if (a < b)
			crc = mr_crc32c(crc, s->buf + (a - at),
			    (size_t)(b - a));
		if (at + s->blen >= off + len && crc != get32(want))
			return fail(s, "bad block checksum at byte %llu",
			    (unsigned long long)off);
		if (at == off && s->version != 1)
			renumber(s->buf, first);
		if (write_out(s, fd, out, s->buf, (size_t)(off + len - at <
		    s->blen ? off + len - at : s->blen)) < 0)
			return -1;
	}
	s->blen = 0;
	return 0;
}

/*
 * Checks the payload of the block frame at p (at), len bytes, wholly in
 * buf; then numbers it for the output stream, in which count records come
 * before it.
 */
static int
take_block(struct mr_split *s, unsigned char *p, uint64_t at, uint64_t len,
    uint64_t count)
{
	size_t hdr = block_hdr(s->version), plen = (size_t)len - hdr - 4;

	if (mr_crc32c(0, p + hdr, plen) != get32(p + hdr + plen))
		return fail(s, "bad block checksum at byte %llu",
		    (unsigned long long)at);
	if (s->version != 1)
		renumber(p, count);
	return 0;
}

/*
 * Walks the frames from from to to, checking each as a reader would, and
 * writes the block frames to fd, numbered for one output stream that
 * already has *count records.  Stream headers and trailers are checked and
 * left out; each block's place in its stream and each trailer's count are
 * checked against what the walk has read of that stream, and the frame at
 * to against where the walk ended.
 */
static int
copy_frames(struct mr_split *s, uint64_t from, uint64_t to, int fd,
    const char *out, uint64_t *count)
{
	unsigned char *p;
	uint64_t at = from, run = from, last = from, len;
	struct place pl = { 0, 0 };
	size_t avail;
	uint32_t n;
	int prev = 0, type, in;

	if (s->version == 1 && (from > 0 || to < s->size))
		return old_version(s);
	while (at < to) {
		in = at >= s->boff && at < s->boff + s->blen;
		avail = in ? (size_t)(s->boff + s->blen - at) : 0;
		if (!in || (avail < HDR_MAX && s->boff + s->blen < s->size)) {
			if (flush(s, &run, at, fd, out) < 0 ||
			    load(s, at, BUFSIZE) < 0)
				return -1;
			avail = s->blen;
		}
		p = s->buf + (at - s->boff);
		if (check_frame(s, p, avail, at, prev, &type, &len) !=
		    FRAME_OK)
			return -1;
		n = 0;
		if (type == FRAME_BLOCK) {
			n = get32(p + 9);
			if (s->version != 1 && follows(s, &pl, at,
			    get64(p + 17)) < 0)
				return -1;
		}
		if (type == FRAME_BLOCK && len > BUFSIZE) {
			if (flush(s, &run, at, fd, out) < 0 ||
			    copy_long_block(s, at, len, fd, out, *count) < 0)
				return -1;
			run = at + len;
		} else if (type == FRAME_BLOCK) {
			if (len > avail) {
				if (flush(s, &run, at, fd, out) < 0 ||
				    load(s, at, BUFSIZE) < 0)
					return -1;
				p = s->buf;
			}
			if (take_block(s, p, at, len, *count) < 0)
				return -1;
		} else {
			if (flush(s, &run, at, fd, out) < 0)
				return -1;
			if (type == FRAME_TRAILER && counts(s, &pl, at,
			    get64(p + 9)) < 0)
				return -1;
			pl.next = 0;
			pl.known = type == FRAME_HEADER;
			run = at + len;
		}
		*count += n;
		pl.next += n;
		last = at;
		at += len;
		prev = type;
	}
	if (flush(s, &run, at, fd, out) < 0)
		return -1;
	if (at != to)
		return fail(s, "byte %llu looks like a frame boundary but lies "
		    "inside the frame at byte %llu (a record holds a copy of "
		    "frames)", (unsigned long long)to,
		    (unsigned long long)last);
	if (at == s->size && at > from && prev != FRAME_TRAILER)
		return fail(s, "missing trailer at byte %llu (truncated "
		    "stream)", (unsigned long long)at);
	if (at < s->size && at > from && s->version != 1)
		return check_seam(s, at, prev, &pl);
	return 0;
}

/* A line of text that starts with the magic: mr-format(5) makes it an error. */
static int
magic_found(struct mr_split *s, int64_t at)
{
	return fail(s, "framed stream header at byte %lld in text input (a "
	    "damaged framed file? --allow-magic reads it as text)",
	    (long long)at);
}

/*
 * Copies the text from from, a line start, to to, checking that no line
 * starts with the framed magic; one cut off at to is looked at in full.
 */
static int
copy_bytes(struct mr_split *s, uint64_t from, uint64_t to, int fd,
    const char *out)
{
	struct mr_magic_scan m = { s->eol, 1, from, 0, 0 };
	unsigned char rest[MR_MAGIC_LEN];
	int64_t at = -1;
	size_t n;

	while (from < to) {
		if (load(s, from, to - from < COPY_SIZE ? (size_t)(to - from) :
		    COPY_SIZE) < 0)
			return -1;
		if (!s->magic_ok &&
		    (at = mr_magic_scan(&m, s->buf, s->blen)) >= 0)
			return magic_found(s, at);
		if (write_out(s, fd, out, s->buf, s->blen) < 0)
			return -1;
		from += s->blen;
	}
	if (m.matched > 0 && to < s->size) {
		n = s->size - to < MR_MAGIC_LEN ? (size_t)(s->size - to) :
		    MR_MAGIC_LEN;
		if (read_at(s, to, rest, n) < 0)
			return -1;
		if ((at = mr_magic_scan(&m, rest, n)) >= 0)
			return magic_found(s, at);
	}
	return 0;
}

int
mr_split_copy(struct mr_split *s, uint64_t from, uint64_t to, int fd,
    const char *out, uint64_t *count)
{
	if (s->framed)
		return copy_frames(s, from, to, fd, out, count);
	return copy_bytes(s, from, to, fd, out);
}

int
mr_split_head(struct mr_split *s, int fd, const char *out)
{
	return write_out(s, fd, out, s->head, s->headlen);
}

int
mr_split_tail(struct mr_split *s, int fd, const char *out, uint64_t count)
{
	unsigned char t[MR_TRAILER_LEN];

	memcpy(t, mr_sync, MR_SYNC_LEN);
	t[8] = FRAME_TRAILER;
	put64(t + 9, count);
	put32(t + 17, mr_crc32c(0, t, MR_TRAILER_LEN - 4));
	return write_out(s, fd, out, t, sizeof(t));
}

uint64_t
mr_split_size(const struct mr_split *s)
{
	return s->size;
}

int
mr_split_framed(const struct mr_split *s)
{
	return s->framed;
}

int
mr_split_version(const struct mr_split *s)
{
	return s->framed ? s->version : 0;
}

int
mr_split_unterminated(const struct mr_split *s)
{
	return s->unterminated;
}

const unsigned char *
mr_split_meta(const struct mr_split *s, size_t *len)
{
	*len = s->framed ? s->headlen - HEADER_MIN : 0;
	return s->head + HEADER_FIXED;
}

const char *
mr_split_errmsg(const struct mr_split *s)
{
	return s->err;
}
