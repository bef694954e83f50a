/*
 * reader.c: reading records from text lines or framed streams, with every
 * truncation and corruption reported by file name and byte offset.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mr.h"
#include "frame.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define DEFAULT_BUFSIZE	(2 << 20)
#define MIN_BUFSIZE	(64 << 10)
#define PAD		16	/* bytes past cap a vector load may touch */

enum { IN_STREAM, AFTER_TRAILER };

struct mr_reader {
	int fd;
	const char *name;
	struct mr_textfmt fmt;
	unsigned char *buf;
	size_t cap, pos, end;	/* unread bytes are buf[pos, end) */
	uint64_t off;		/* input offset of buf[0] */
	int eof, started, framed, failed;
	int part;		/* a part of a text input: never framed */
	long key_fields;	/* fields of a text line's key */
	size_t short_min;	/* unread bytes that read_short_line() needs */
	int state;
	int version;		/* of the current stream */
	unsigned char meta[MR_META_MAX];
	size_t metalen;
	uint64_t stream_count;	/* records of the current stream */
	const unsigned char *bp, *bend;	/* records left in the block */
	const unsigned char *raw;	/* the last record, encoded */
	uint32_t bleft;
	uint64_t block_off;
	uint64_t count;
	uint64_t left;		/* bytes the input may still give */
#ifdef __SSE2__
	__m128i eolv, sepv;	/* the terminator and separator, 16 times */
#endif
	char err[512];
};

static int
fail(struct mr_reader *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(r->err, sizeof(r->err), "%s: ", r->name);
	if (n < 0 || (size_t)n >= sizeof(r->err))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(r->err + n, sizeof(r->err) - (size_t)n, fmt, ap);
	va_end(ap);
	r->failed = 1;
	return -1;
}

struct mr_reader *
mr_reader_new(int fd, const char *name, const struct mr_textfmt *fmt)
{
	struct mr_reader *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->cap = DEFAULT_BUFSIZE;
	r->left = UINT64_MAX;
	r->key_fields = 1;
	r->short_min = 16;
	r->fd = fd;
	r->name = name;
	r->fmt = *fmt;
#ifdef __SSE2__
	r->eolv = _mm_set1_epi8((char)fmt->eol);
	r->sepv = _mm_set1_epi8((char)fmt->sep);
#endif
	return r;
}

void
mr_reader_part(struct mr_reader *r, uint64_t start, uint64_t len)
{
	r->off = start;
	r->left = len;
	r->part = 1;
}

void
mr_reader_key_fields(struct mr_reader *r, long k)
{
	r->key_fields = k;
	/*
	 * Lines then take the longer way of read_text(), which moves the
	 * split, so that the short-line path costs not one instruction more
	 * for the common key of one field.
	 */
	if (k > 1)
		r->short_min = SIZE_MAX;
}

void
mr_reader_bufsize(struct mr_reader *r, size_t size)
{
	if (r->buf == NULL)
		r->cap = size < MIN_BUFSIZE ? MIN_BUFSIZE : size;
}

void
mr_reader_take(struct mr_reader *r, const unsigned char **p, size_t *len)
{
	*p = r->buf == NULL ? NULL : r->buf + r->pos;
	*len = r->end - r->pos;
	r->off += r->end;
	r->pos = r->end = 0;
}

void
mr_reader_free(struct mr_reader *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	free(r);
}

/*
 * fill() makes at least need unread bytes available, short only at the
 * end of the input.  Returns the unread byte count, or -1 on error.  It
 * may move the unread bytes, so pointers into buf are stale afterwards.
 */
static long
fill(struct mr_reader *r, size_t need)
{
	unsigned char *nbuf;
	size_t ncap;
	ssize_t n;

	if (r->buf == NULL && (r->buf = malloc(r->cap + PAD)) == NULL)
		return fail(r, "out of memory");
	while (r->end - r->pos < need && !r->eof) {
		/* move the unread bytes only when no room is left after them */
		if (r->pos == r->end || (r->cap == r->end && r->pos > 0)) {
			memmove(r->buf, r->buf + r->pos, r->end - r->pos);
			r->off += r->pos;
			r->end -= r->pos;
			r->pos = 0;
		}
		/*
		 * Grow only a buffer full of bytes read, never to a length the
		 * input merely claims, so that a corrupt or hostile length
		 * costs no more memory than the data that is really there.
		 */
		if (r->cap == r->end) {
			ncap = 2 * r->cap;
			if ((nbuf = realloc(r->buf, ncap + PAD)) == NULL)
				return fail(r, "out of memory");
			r->buf = nbuf;
			r->cap = ncap;
		}
		n = read(r->fd, r->buf + r->end, r->cap - r->end < r->left ?
		    r->cap - r->end : (size_t)r->left);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return fail(r, "read error: %s", strerror(errno));
		}
		if (n == 0)
			r->eof = 1;
		r->end += (size_t)n;
		r->left -= (uint64_t)n;
	}
	return (long)(r->end - r->pos);
}

static unsigned long long
at(const struct mr_reader *r)
{
	return (unsigned long long)(r->off + r->pos);
}

static int
read_header(struct mr_reader *r)
{
	const unsigned char *p;
	size_t len, metalen;
	long avail;

	if ((avail = fill(r, HEADER_FIXED)) < 0)
		return -1;
	p = r->buf + r->pos;
	if ((size_t)avail < HEADER_FIXED)
		return fail(r, "truncated stream header at byte %llu", at(r));
	if (!version_ok(p[9]))
		return fail(r, "unsupported format version %u at byte %llu",
		    p[9], at(r));
	metalen = (size_t)(p[11] | p[12] << 8);
	if (metalen > MR_META_MAX)
		return fail(r, "metadata length %zu over the limit of %d at "
		    "byte %llu", metalen, MR_META_MAX, at(r));
	len = HEADER_MIN + metalen;
	if ((avail = fill(r, len)) < 0)
		return -1;
	p = r->buf + r->pos;
	if ((size_t)avail < len)
		return fail(r, "truncated stream header at byte %llu", at(r));
	if (mr_crc32c(0, p, len - 4) != get32(p + len - 4))
		return fail(r, "bad stream header checksum at byte %llu",
		    at(r));
	if (p[10] != 0)
		return fail(r, "unknown stream flags 0x%02x at byte %llu",
		    p[10], at(r));
	if (!r->started) {
		memcpy(r->meta, p + HEADER_FIXED, metalen);
		r->metalen = metalen;
	} else if (metalen != r->metalen ||
	    memcmp(r->meta, p + HEADER_FIXED, metalen) != 0)
		return fail(r, "stream at byte %llu has other metadata than "
		    "the first stream", at(r));
	r->version = p[9];
	r->pos += len;
	r->state = IN_STREAM;
	r->stream_count = 0;
	return 0;
}

/*
 * Counts the bytes of the first n (at most 9) that match the magic.  An
 * input that matches it in all but one or two of at least five bytes is a
 * framed stream with a damaged header, not text.
 */
static size_t
magic_matches(const unsigned char *p, size_t n)
{
	size_t i, m = 0;

	for (i = 0; i < n; i++)
		m += p[i] == (i < MR_SYNC_LEN ? mr_sync[i] : FRAME_HEADER);
	return m;
}

int
mr_detect(const unsigned char *p, size_t n)
{
	size_t m;

	if (n > MR_MAGIC_LEN)
		n = MR_MAGIC_LEN;
	m = magic_matches(p, n);
	if (n > 0 && m == n)
		return n < MR_MAGIC_LEN ? -1 : 1;
	if (m >= 5 && n - m <= 2)
		return -2;
	return 0;
}

int
mr_reader_start(struct mr_reader *r)
{
	long avail;
	int kind;

	if (r->failed)
		return -1;
	if (r->started)
		return 0;
	/* its first line is checked for the magic as every other is */
	if (r->part) {
		if (fill(r, 1) < 0)
			return -1;
		r->started = 1;
		return 0;
	}
	if ((avail = fill(r, MR_MAGIC_LEN)) < 0)
		return -1;
	kind = mr_detect(r->buf + r->pos, (size_t)avail);
	if (kind == -1)
		return fail(r, "truncated stream header at byte %llu", at(r));
	if (kind == -2)
		return fail(r, "damaged stream header at byte %llu", at(r));
	if (kind == 1) {
		if (read_header(r) < 0)
			return -1;
		r->framed = 1;
	}
	r->started = 1;
	return 0;
}

static void
split_line(const struct mr_reader *r, const unsigned char *line, size_t len,
    struct mr_rec *rec)
{
	const unsigned char *sep;

	rec->key = line;
	sep = memchr(line, r->fmt.sep, len);
	if (sep == NULL) {
		rec->klen = len;
		rec->val = line + len;
		rec->vlen = 0;
	} else {
		rec->klen = (size_t)(sep - line);
		rec->val = sep + 1;
		rec->vlen = len - rec->klen - 1;
	}
}

/*
 * The common case of short lines: one 16-byte load, or two for a line of
 * 16 to 31 bytes, finds both the line end and the separator.  Returns 0
 * when the line is not wholly inside the first 32 unread bytes.
 */
static int
read_short_line(struct mr_reader *r, struct mr_rec *rec)
{
#ifdef __SSE2__
	const unsigned char *line = r->buf + r->pos;
	unsigned int ends, seps, len;
	__m128i v;

	if (r->end - r->pos < r->short_min || *line == mr_sync[0])
		return 0;
	v = _mm_loadu_si128((const __m128i *)(const void *)line);
	ends = (unsigned int)_mm_movemask_epi8(_mm_cmpeq_epi8(v, r->eolv));
	seps = (unsigned int)_mm_movemask_epi8(_mm_cmpeq_epi8(v, r->sepv));
	if (ends == 0) {
		if (r->end - r->pos < 32)
			return 0;
		v = _mm_loadu_si128((const __m128i *)(const void *)(line + 16));
		ends = (unsigned int)_mm_movemask_epi8(_mm_cmpeq_epi8(v,
		    r->eolv)) << 16;
		if (ends == 0)
			return 0;
		seps |= (unsigned int)_mm_movemask_epi8(_mm_cmpeq_epi8(v,
		    r->sepv)) << 16;
	}
	len = (unsigned int)__builtin_ctz(ends);
	seps &= (1U << len) - 1;
	rec->key = line;
	if (seps == 0) {
		rec->klen = len;
		rec->val = line + len;
		rec->vlen = 0;
	} else {
		rec->klen = (size_t)__builtin_ctz(seps);
		rec->val = line + rec->klen + 1;
		rec->vlen = len - rec->klen - 1;
	}
	r->pos += len + 1;
	r->count++;
	return 1;
#else
	(void)r;
	(void)rec;
	return 0;
#endif
}

/*
 * A line of text input that starts with the framed magic is almost surely
 * a framed stream behind some bytes that hid it, as a damaged or wrongly
 * concatenated file has, not text: reading its frames as lines would give
 * garbage records.  Called for a line of len bytes at pos that starts with
 * the sync marker's first byte: fails when it starts with the whole magic.
 * May move the buffer.
 */
static int
magic_line(struct mr_reader *r)
{
	long avail, had;
	int magic, extended = 0;

	if ((avail = fill(r, MR_MAGIC_LEN)) < 0)
		return -1;
	had = avail;
	/*
	 * A part's last line may start a magic that goes on past the part's
	 * end: those few bytes are read to tell, then dropped.
	 */
	if ((size_t)avail < MR_MAGIC_LEN && r->part && r->left == 0 &&
	    magic_matches(r->buf + r->pos, (size_t)avail) == (size_t)avail) {
		r->left = MR_MAGIC_LEN - (size_t)avail;
		r->eof = 0;
		extended = 1;
		if ((avail = fill(r, MR_MAGIC_LEN)) < 0)
			return -1;
	}
	magic = (size_t)avail >= MR_MAGIC_LEN && magic_matches(r->buf +
	    r->pos, MR_MAGIC_LEN) == MR_MAGIC_LEN;
	if (extended) {
		r->end = r->pos + (size_t)had;
		r->left = 0;
		r->eof = 1;
	}
	if (!magic)
		return 0;
	return fail(r, "framed stream header at byte %llu in text input "
	    "(a damaged framed file? --allow-magic reads it as text)", at(r));
}

/*
 * Moves the end of the key of a text line, split at its first separator,
 * to its key_fields-th separator, or to the end of the line when it has
 * fewer: the value is what follows that separator.
 */
static void
widen_key(const struct mr_reader *r, struct mr_rec *rec)
{
	size_t rest;

	if (rec->key + rec->klen == rec->val)
		return;		/* no separator: all of the line is the key */
	rest = mr_key_fields(rec->val, rec->vlen, r->fmt.sep,
	    r->key_fields - 1);
	if (rest == rec->vlen) {
		rec->klen = (size_t)(rec->val + rec->vlen - rec->key);
		rec->val += rec->vlen;
		rec->vlen = 0;
	} else {
		rec->klen += 1 + rest;
		rec->val += rest + 1;
		rec->vlen -= rest + 1;
	}
}

static int
read_text(struct mr_reader *r, struct mr_rec *rec)
{
	const unsigned char *line, *eol;
	size_t scanned = 0, len;
	long avail;

	if (read_short_line(r, rec))
		return 1;
	for (;;) {
		eol = memchr(r->buf + r->pos + scanned, r->fmt.eol,
		    r->end - r->pos - scanned);
		if (eol != NULL)
			break;
		scanned = r->end - r->pos;
		if (r->eof) {
			if (scanned == 0)
				return 0;
			eol = r->buf + r->end;
			break;
		}
		if (scanned > MR_REC_MAX)
			return fail(r, "line at byte %llu longer than the "
			    "limit of %lu bytes", at(r), MR_REC_MAX);
		if ((avail = fill(r, scanned + 1)) < 0)
			return -1;
	}
	line = r->buf + r->pos;
	len = (size_t)(eol - line);
	if (len > MR_REC_MAX)
		return fail(r, "line at byte %llu longer than the limit of %lu "
		    "bytes", at(r), MR_REC_MAX);
	if (*line == mr_sync[0] && !r->fmt.magic_ok) {
		if (magic_line(r) < 0)
			return -1;
		line = r->buf + r->pos;
		eol = line + len;
	}
	r->pos += len + (eol < r->buf + r->end);
	split_line(r, line, len, rec);
	if (r->key_fields > 1)
		widen_key(r, rec);
	r->count++;
	return 1;
}

static int
read_block(struct mr_reader *r)
{
	const unsigned char *p;
	const char *bad;
	char why[96];
	uint32_t count, len;
	uint64_t first;
	size_t hdr = block_hdr(r->version);
	long avail;

	if ((avail = fill(r, hdr)) < 0)
		return -1;
	p = r->buf + r->pos;
	if ((size_t)avail < hdr)
		return fail(r, "truncated block header at byte %llu", at(r));
	if ((bad = block_check(p, r->version, &count, &len, &first, why,
	    sizeof(why))) != NULL)
		return fail(r, "%s at byte %llu", bad, at(r));
	if (r->version != 1 && first != r->stream_count)
		return fail(r, "block at byte %llu starts at record %llu of "
		    "its stream, after %llu (a block is missing or repeated)",
		    at(r), (unsigned long long)first,
		    (unsigned long long)r->stream_count);
	if ((avail = fill(r, hdr + (size_t)len + 4)) < 0)
		return -1;
	p = r->buf + r->pos;
	if ((size_t)avail < hdr + (size_t)len + 4)
		return fail(r, "truncated block at byte %llu (%ld of %lu "
		    "bytes)", at(r), avail, (unsigned long)(hdr + len + 4));
	if (mr_crc32c(0, p + hdr, len) != get32(p + hdr + len))
		return fail(r, "bad block checksum at byte %llu", at(r));
	r->block_off = r->off + r->pos;
	r->bp = p + hdr;
	r->bend = r->bp + len;
	r->bleft = count;
	r->pos += hdr + (size_t)len + 4;
	return 0;
}

static int
read_trailer(struct mr_reader *r)
{
	const unsigned char *p;
	long avail;

	if ((avail = fill(r, MR_TRAILER_LEN)) < 0)
		return -1;
	p = r->buf + r->pos;
	if ((size_t)avail < MR_TRAILER_LEN)
		return fail(r, "truncated trailer at byte %llu", at(r));
	if (mr_crc32c(0, p, MR_TRAILER_LEN - 4) !=
	    get32(p + MR_TRAILER_LEN - 4))
		return fail(r, "bad trailer checksum at byte %llu", at(r));
	if (get64(p + 9) != r->stream_count)
		return fail(r, "trailer at byte %llu counts %llu records, "
		    "the stream has %llu", at(r),
		    (unsigned long long)get64(p + 9),
		    (unsigned long long)r->stream_count);
	r->pos += MR_TRAILER_LEN;
	r->state = AFTER_TRAILER;
	return 0;
}

/* Reads frames until a block with records is at hand; 0 at the end. */
static int
next_block(struct mr_reader *r)
{
	const unsigned char *p;
	long avail;
	size_t n;

	for (;;) {
		if ((avail = fill(r, MR_SYNC_LEN + 1)) < 0)
			return -1;
		p = r->buf + r->pos;
		if (avail == 0) {
			if (r->state == AFTER_TRAILER)
				return 0;
			return fail(r, "missing trailer at byte %llu "
			    "(truncated stream)", at(r));
		}
		n = (size_t)avail < MR_SYNC_LEN ? (size_t)avail : MR_SYNC_LEN;
		if (memcmp(p, mr_sync, n) != 0) {
			if (r->state == AFTER_TRAILER)
				return fail(r, "unexpected data after the "
				    "trailer at byte %llu", at(r));
			return fail(r, "bad sync marker at byte %llu", at(r));
		}
		if ((size_t)avail <= MR_SYNC_LEN)
			return fail(r, "truncated %s at byte %llu",
			    r->state == AFTER_TRAILER ? "stream header" :
			    "frame", at(r));
		switch (p[MR_SYNC_LEN]) {
		case FRAME_HEADER:
			if (r->state != AFTER_TRAILER)
				return fail(r, "stream header inside a stream "
				    "at byte %llu", at(r));
			if (read_header(r) < 0)
				return -1;
			break;
		case FRAME_BLOCK:
			if (r->state != IN_STREAM)
				return fail(r, "block after the trailer at "
				    "byte %llu", at(r));
			return read_block(r) < 0 ? -1 : 1;
		case FRAME_TRAILER:
			if (r->state != IN_STREAM)
				return fail(r, "second trailer at byte %llu",
				    at(r));
			if (read_trailer(r) < 0)
				return -1;
			break;
		default:
			return fail(r, "unknown frame type 0x%02x at byte %llu",
			    p[MR_SYNC_LEN], at(r));
		}
	}
}

static int
read_framed(struct mr_reader *r, struct mr_rec *rec)
{
	const unsigned char *p;
	size_t klen, vlen;
	int rc;

	if (r->bleft == 0) {
		if ((rc = next_block(r)) <= 0)
			return rc;
	}
	p = r->raw = r->bp;
	if (p < r->bend && *p < 0x80 && p + 1 < r->bend && p[1] < 0x80) {
		klen = p[0];
		vlen = p[1];
		p += 2;
	} else if (get_varint(&p, r->bend, &klen) < 0 ||
	    get_varint(&p, r->bend, &vlen) < 0 || klen > MR_REC_MAX ||
	    vlen > MR_REC_MAX - klen)
		return fail(r, "corrupt record length in block at byte %llu",
		    (unsigned long long)r->block_off);
	if (klen > (size_t)(r->bend - p) || vlen > (size_t)(r->bend - p) -
	    klen)
		return fail(r, "record longer than its block at byte %llu",
		    (unsigned long long)r->block_off);
	rec->key = p;
	rec->klen = klen;
	rec->val = p + klen;
	rec->vlen = vlen;
	r->bp = p + klen + vlen;
	if (--r->bleft == 0 && r->bp != r->bend)
		return fail(r, "block at byte %llu has bytes after its last "
		    "record", (unsigned long long)r->block_off);
	if (r->bleft > 0 && r->bp == r->bend)
		return fail(r, "block at byte %llu holds fewer records than "
		    "it counts", (unsigned long long)r->block_off);
	r->stream_count++;
	r->count++;
	return 1;
}

int
mr_read(struct mr_reader *r, struct mr_rec *rec)
{
	if (r->failed)
		return -1;
	if (!r->started && mr_reader_start(r) < 0)
		return -1;
	return r->framed ? read_framed(r, rec) : read_text(r, rec);
}

const unsigned char *
mr_reader_meta(struct mr_reader *r, size_t *len)
{
	*len = r->metalen;
	return r->meta;
}

int
mr_reader_raw(const struct mr_reader *r, const unsigned char **p,
    size_t *len)
{
	if (!r->framed)
		return 0;
	*p = r->raw;
	*len = (size_t)(r->bp - r->raw);
	return 1;
}

int
mr_reader_stable(const struct mr_reader *r)
{
	return r->framed && r->bleft > 0;
}

int
mr_reader_framed(const struct mr_reader *r)
{
	return r->framed;
}

uint64_t
mr_reader_count(const struct mr_reader *r)
{
	return r->count;
}

uint64_t
mr_reader_offset(const struct mr_reader *r)
{
	return r->off + r->pos;
}

int
mr_reader_fd(const struct mr_reader *r)
{
	return r->fd;
}

const char *
mr_reader_name(const struct mr_reader *r)
{
	return r->name;
}

const char *
mr_reader_errmsg(const struct mr_reader *r)
{
	return r->err;
}
