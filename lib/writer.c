/*
 * writer.c: writing records as text lines or as one framed stream.  Each
 * writer has two buffers: while the caller fills one, the background
 * thread checksums and writes the other.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mr.h"
#include "frame.h"
#include "pool.h"

#define DEFAULT_BUFSIZE	(256 * 1024)
#define MIN_BUFSIZE	4096

/* A full buffer on its way to the file. */
struct flush_job {
	struct pool_job job;	/* first, so a pool_job * is a flush_job * */
	int fd, framed, busy, err;
	int (*sink)(void *, const void *, size_t);
	void *sink_arg;
	unsigned char *p;
	size_t len, cap;
};

struct mr_writer {
	int fd;
	const char *name;
	int text, failed, header_done;
	struct mr_textfmt fmt;
	struct flush_job spare;	/* the buffer not being filled */
	unsigned char *buf;
	size_t cap, len, limit;	/* framed: buf[0, MR_BLOCK_HDR) is reserved */
	uint32_t bcount;	/* records in the block being built */
	uint64_t count;
	unsigned char meta[MR_META_MAX];
	size_t metalen;
	int (*sink)(void *, const void *, size_t);	/* or NULL: fd */
	void *sink_arg;
	int errnum;		/* of the write that failed */
	char err[512];
};

static int
fail(struct mr_writer *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(w->err, sizeof(w->err), "%s: ", w->name);
	if (n < 0 || (size_t)n >= sizeof(w->err))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(w->err + n, sizeof(w->err) - (size_t)n, fmt, ap);
	va_end(ap);
	w->failed = 1;
	return -1;
}

struct mr_writer *
mr_writer_new(int fd, const char *name, int text,
    const struct mr_textfmt *fmt, const void *meta, size_t metalen)
{
	struct mr_writer *w;

	if (metalen > MR_META_MAX || (w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->fd = fd;
	w->name = name;
	w->text = text;
	w->fmt = *fmt;
	if (metalen > 0)
		memcpy(w->meta, meta, metalen);
	w->metalen = metalen;
	w->limit = DEFAULT_BUFSIZE;
	w->len = text ? 0 : MR_BLOCK_HDR;
	return w;
}

void
mr_writer_bufsize(struct mr_writer *w, size_t size)
{
	w->limit = size < MIN_BUFSIZE ? MIN_BUFSIZE : size;
}

int
write_full(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void
mr_writer_sink(struct mr_writer *w, int (*fn)(void *, const void *, size_t),
    void *arg)
{
	w->sink = fn;
	w->sink_arg = arg;
}

/* Writes len bytes at p to fd, or hands them to sink; returns 0 or errno. */
static int
put_bytes(int fd, int (*sink)(void *, const void *, size_t), void *arg,
    const void *p, size_t len)
{
	return sink != NULL ? sink(arg, p, len) : write_full(fd, p, len);
}

static int
write_failed(struct mr_writer *w, int err)
{
	w->errnum = err;
	return fail(w, "write error: %s", strerror(err));
}

static int
write_all(struct mr_writer *w, const unsigned char *p, size_t len)
{
	int err;

	if ((err = put_bytes(w->fd, w->sink, w->sink_arg, p, len)) != 0)
		return write_failed(w, err);
	return 0;
}

/* Runs on the pool's thread: checksums a block, then writes the buffer. */
static void
flush_run(struct pool_job *job)
{
	struct flush_job *f = (struct flush_job *)job;
	size_t plen;

	if (f->framed) {
		plen = f->len - MR_BLOCK_HDR - 4;
		put32(f->p + MR_BLOCK_HDR - 4, mr_crc32c(0, f->p,
		    MR_BLOCK_HDR - 4));
		put32(f->p + MR_BLOCK_HDR + plen, mr_crc32c(0, f->p +
		    MR_BLOCK_HDR, plen));
	}
	f->err = put_bytes(f->fd, f->sink, f->sink_arg, f->p, f->len);
}

/* Waits for the spare buffer's write; returns 0 or -1 if it failed. */
static int
spare_wait(struct mr_writer *w)
{
	if (!w->spare.busy)
		return 0;
	pool_wait(&w->spare.job);
	w->spare.busy = 0;
	if (w->spare.err != 0)
		return write_failed(w, w->spare.err);
	return 0;
}

/*
 * Hands the current buffer, len bytes, to the pool's thread (or, with a
 * sink, writes it here) and makes the spare buffer current, once its own
 * write is done.
 */
static int
hand_off(struct mr_writer *w, size_t len)
{
	struct flush_job out;

	if (spare_wait(w) < 0)
		return -1;
	out = w->spare;
	w->spare.p = w->buf;
	w->spare.cap = w->cap;
	w->spare.len = len;
	w->spare.fd = w->fd;
	w->spare.sink = w->sink;
	w->spare.sink_arg = w->sink_arg;
	w->spare.framed = !w->text;
	w->spare.err = 0;
	w->spare.busy = 1;
	w->spare.job.run = flush_run;
	w->buf = out.p;
	w->cap = out.cap;
	if (w->sink == NULL) {
		pool_submit(&w->spare.job);
		return 0;
	}
	/*
	 * A sink may block on a reader that waits for another writer: it
	 * must not hold up the background thread that all writers share.
	 */
	flush_run(&w->spare.job);
	w->spare.busy = 0;
	return w->spare.err != 0 ? write_failed(w, w->spare.err) : 0;
}

void
mr_writer_free(struct mr_writer *w)
{
	if (w == NULL)
		return;
	if (w->spare.busy)
		pool_wait(&w->spare.job);
	free(w->spare.p);
	free(w->buf);
	free(w);
}

static int
write_header(struct mr_writer *w)
{
	unsigned char h[HEADER_MIN + MR_META_MAX];
	size_t len = HEADER_MIN + w->metalen;

	memcpy(h, mr_sync, MR_SYNC_LEN);
	h[8] = FRAME_HEADER;
	h[9] = MR_FORMAT_VERSION;
	h[10] = 0;
	h[11] = (unsigned char)w->metalen;
	h[12] = (unsigned char)(w->metalen >> 8);
	memcpy(h + HEADER_FIXED, w->meta, w->metalen);
	put32(h + len - 4, mr_crc32c(0, h, len - 4));
	w->header_done = 1;
	return write_all(w, h, len);
}

static int
flush_block(struct mr_writer *w)
{
	size_t plen = w->len - MR_BLOCK_HDR;
	unsigned char *h = w->buf;

	if (!w->header_done && write_header(w) < 0)
		return -1;
	if (w->bcount == 0)
		return 0;
	memcpy(h, mr_sync, MR_SYNC_LEN);
	h[8] = FRAME_BLOCK;
	put32(h + 9, w->bcount);
	put32(h + 13, (uint32_t)plen);
	put64(h + 17, w->count - w->bcount);
	if (hand_off(w, w->len + 4) < 0)
		return -1;
	w->len = MR_BLOCK_HDR;
	w->bcount = 0;
	return 0;
}

static int
flush_text(struct mr_writer *w)
{
	if (hand_off(w, w->len) < 0)
		return -1;
	w->len = 0;
	return 0;
}

/* Makes room for need more bytes in buf, flushing first if it is full. */
static int
reserve(struct mr_writer *w, size_t need)
{
	unsigned char *nbuf;
	size_t ncap, base = w->text ? 0 : MR_BLOCK_HDR;

	if (w->len + need > w->limit && w->len > base) {
		if ((w->text ? flush_text(w) : flush_block(w)) < 0)
			return -1;
	}
	/* 4 more for the block checksum, written after the payload */
	if (w->len + need + 4 > w->cap) {
		ncap = w->cap ? w->cap : w->limit + MR_BLOCK_HDR + 64;
		while (ncap < w->len + need + 4)
			ncap *= 2;
		if ((nbuf = realloc(w->buf, ncap)) == NULL)
			return fail(w, "out of memory");
		w->buf = nbuf;
		w->cap = ncap;
	}
	return 0;
}

static unsigned char *
put_varint(unsigned char *p, size_t v)
{
	while (v >= 0x80) {
		*p++ = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	*p++ = (unsigned char)v;
	return p;
}

int
mr_write(struct mr_writer *w, const struct mr_rec *rec)
{
	struct mr_field val;
	unsigned char *p;
	size_t need;

	/* the common case: a small record into a framed block with room */
	need = 2 + rec->klen + rec->vlen;
	if (!w->text && rec->klen < 0x80 && rec->vlen < 0x80 &&
	    w->len + need <= w->limit && w->len + need + 4 <= w->cap &&
	    !w->failed) {
		p = w->buf + w->len;
		p[0] = (unsigned char)rec->klen;
		p[1] = (unsigned char)rec->vlen;
		memcpy(p + 2, rec->key, rec->klen);
		memcpy(p + 2 + rec->klen, rec->val, rec->vlen);
		w->len += need;
		w->bcount++;
		w->count++;
		return 0;
	}
	val.p = rec->val;
	val.len = rec->vlen;
	return mr_write_fields(w, rec->key, rec->klen, &val, 1);
}

int
mr_write_fields(struct mr_writer *w, const unsigned char *key, size_t klen,
    const struct mr_field *field, size_t n)
{
	unsigned char *p;
	size_t vlen = n > 0 ? n - 1 : 0, need, i;

	if (w->failed)
		return -1;
	for (i = 0; i < n && vlen <= MR_REC_MAX; i++)
		vlen += field[i].len;
	if (klen > MR_REC_MAX || vlen > MR_REC_MAX - klen)
		return fail(w, "record of %zu bytes over the limit of %lu",
		    klen + vlen, MR_REC_MAX);
	need = 2 * VARINT_MAX + klen + vlen;
	if ((w->len + need > w->limit || w->len + need + 4 > w->cap) &&
	    reserve(w, need) < 0)
		return -1;
	p = w->buf + w->len;
	if (!w->text && klen < 0x80 && vlen < 0x80) {
		p[0] = (unsigned char)klen;
		p[1] = (unsigned char)vlen;
		p += 2;
	} else if (!w->text) {
		p = put_varint(p, klen);
		p = put_varint(p, vlen);
	}
	memcpy(p, key, klen);
	p += klen;
	if (w->text && vlen > 0)
		*p++ = w->fmt.sep;
	for (i = 0; i < n; i++) {
		if (i > 0)
			*p++ = w->fmt.sep;
		if (field[i].len > 0)
			memcpy(p, field[i].p, field[i].len);
		p += field[i].len;
	}
	if (w->text)
		*p++ = w->fmt.eol;
	else
		w->bcount++;
	w->len = (size_t)(p - w->buf);
	w->count++;
	return 0;
}

int
mr_write_raw(struct mr_writer *w, const unsigned char *p, size_t len)
{
	const unsigned char *end = p + len;
	struct mr_rec rec;

	if (w->failed)
		return -1;
	if (w->text) {
		if (get_varint(&p, end, &rec.klen) < 0 ||
		    get_varint(&p, end, &rec.vlen) < 0 ||
		    rec.klen + rec.vlen != (size_t)(end - p))
			return fail(w, "bad encoded record");
		rec.key = p;
		rec.val = p + rec.klen;
		return mr_write(w, &rec);
	}
	if (w->len + len > w->limit || w->len + len + 4 > w->cap) {
		if (len > MR_REC_MAX + 2 * VARINT_MAX)
			return fail(w, "record of %zu bytes over the limit of "
			    "%lu", len, MR_REC_MAX);
		if (reserve(w, len) < 0)
			return -1;
	}
	memcpy(w->buf + w->len, p, len);
	w->len += len;
	w->bcount++;
	w->count++;
	return 0;
}

int
mr_writer_finish(struct mr_writer *w)
{
	unsigned char t[MR_TRAILER_LEN];

	if (w->failed)
		return -1;
	if (w->text) {
		if (w->len > 0 && flush_text(w) < 0)
			return -1;
		return spare_wait(w);
	}
	if (w->buf == NULL && reserve(w, 0) < 0)
		return -1;
	if (flush_block(w) < 0 || spare_wait(w) < 0)
		return -1;
	memcpy(t, mr_sync, MR_SYNC_LEN);
	t[8] = FRAME_TRAILER;
	put64(t + 9, w->count);
	put32(t + 17, mr_crc32c(0, t, MR_TRAILER_LEN - 4));
	return write_all(w, t, MR_TRAILER_LEN);
}

int
mr_writer_begin(struct mr_writer *w)
{
	if (w->failed)
		return -1;
	if (w->text || w->header_done)
		return 0;
	return write_header(w);
}

uint64_t
mr_writer_count(const struct mr_writer *w)
{
	return w->count;
}

int
mr_writer_errno(const struct mr_writer *w)
{
	return w->errnum;
}

const char *
mr_writer_errmsg(const struct mr_writer *w)
{
	return w->err;
}
