/*
 * fuzz_reader.c: the libFuzzer target of the record reader, the writer it
 * round-trips through, mr_sync_find() and mr_crc32c().  Built by `make
 * fuzz`, run by scripts/fuzz.
 *
 * Each input is read by two readers in step: one reads it from a file
 * into the smallest buffer with '\n' lines, the other from a
 * SOCK_SEQPACKET socket in pieces of 1 to 21 bytes, one piece a read(),
 * into the default buffer with '\0' lines.  Text must split as a plain
 * reference splitter says.  Framed input must give both the same records
 * and the same error, and agree with a reference decoder on the records,
 * on valid or not, and on the offset of the error; the encoded records
 * of mr_reader_raw() must decode to the records, and a record must not
 * move while mr_reader_stable() says it stays.  The records read are
 * written again, framed and as text, with mr_write() and mr_write_raw(),
 * and must read back identical.  A framed input that reads cleanly must
 * fail once cut short or once a byte after the magic is changed.
 *
 * Each input is also read with its frame checksums made right, so that
 * the fuzzer reaches what they guard, and one in FILLER_EVERY after a
 * buffer's worth of other input, so that the reader moves and grows its
 * buffer.  A broken invariant aborts: libFuzzer reports a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mr.h"
#include "frame.h"

#define PIECES		64		/* short pieces, then the rest */
#define PIECE_MAX	65536		/* a piece no read() cuts off */
#define PIECES_LEN_MAX	(256 * 1024)	/* in pieces: well inside 2 MiB */
#define FILLER_EVERY	16
#define SMALL_BUF	(64 * 1024)	/* the smallest reader buffer */

int	LLVMFuzzerTestOneInput(const unsigned char *, size_t);

/* The records of the input, copied, to compare what is read back with. */
struct saved {
	size_t koff, klen, voff, vlen;
};

static unsigned char *bytes;
static size_t nbytes, bytes_cap;
static struct saved *recs;
static size_t nrecs, recs_cap;
static int as_text;		/* every record can be a text line */

static int in_fd, in2_fd, out_fd, txt_fd, raw_fd, rawtxt_fd;
static const struct mr_textfmt nl = { '\t', '\n', 0 },
    nul = { '\t', '\0', 0 };
/* records written as text may form the framed magic across lines */
static const struct mr_textfmt nl_magic = { '\t', '\n', 1 };

static _Noreturn void
bad(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz_reader: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static void *
xrealloc(void *p, size_t size)
{
	if ((p = realloc(p, size)) == NULL)
		bad("out of memory");
	return p;
}

static int
tmp_fd(void)
{
	char path[4096];
	const char *dir;
	int fd;

	if ((dir = getenv("TMPDIR")) == NULL || *dir == '\0')
		dir = "/tmp";
	snprintf(path, sizeof(path), "%s/fuzz_reader.XXXXXX", dir);
	if ((fd = mkstemp(path)) < 0)
		bad("mkstemp %s: %s", path, strerror(errno));
	unlink(path);
	return fd;
}

/* Makes the file at fd hold the len bytes at p, and rewinds it. */
static void
put_file(int fd, const unsigned char *p, size_t len)
{
	ssize_t n;

	if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		bad("truncating a temp file: %s", strerror(errno));
	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			bad("writing a temp file: %s", strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) < 0)
		bad("rewinding a temp file: %s", strerror(errno));
}

/*
 * Returns a socket that reads as the len bytes at p: PIECES pieces of 1
 * to 21 bytes as h says, then the rest, one piece a read().  Returns -1
 * when the socket buffer cannot hold them all, or when len is so large
 * that the reader could ask for fewer bytes than a piece holds, which a
 * SOCK_SEQPACKET socket would cut off: below PIECES_LEN_MAX its default
 * buffer (2 MiB) never runs that short.
 */
static int
put_pieces(const unsigned char *p, size_t len, uint64_t h)
{
	static const size_t size[8] = { 1, 2, 3, 5, 8, 9, 13, 21 };
	int sv[2], bufsize = 1 << 20, i;
	size_t n;

	if (len > PIECES_LEN_MAX)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
		bad("socketpair: %s", strerror(errno));
	(void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &bufsize,
	    sizeof(bufsize));
	if (fcntl(sv[1], F_SETFL, O_NONBLOCK) < 0)
		bad("fcntl: %s", strerror(errno));
	for (i = 0; len > 0; i++) {
		n = i < PIECES ? size[(h >> i % 61) & 7] : PIECE_MAX;
		if (n > len)
			n = len;
		while (send(sv[1], p, n, 0) < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != ENOBUFS && errno != EMSGSIZE)
				bad("send: %s", strerror(errno));
			close(sv[0]);
			close(sv[1]);
			return -1;
		}
		p += n;
		len -= n;
	}
	close(sv[1]);
	return sv[0];
}

static int
same(const unsigned char *a, size_t alen, const unsigned char *b,
    size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static int
same_rec(const struct mr_rec *a, const struct mr_rec *b)
{
	return same(a->key, a->klen, b->key, b->klen) &&
	    same(a->val, a->vlen, b->val, b->vlen);
}

static void
save(const struct mr_rec *rec)
{
	struct saved *s;
	size_t need = rec->klen + rec->vlen;

	if (need > bytes_cap - nbytes) {
		bytes_cap = 2 * (nbytes + need);
		bytes = xrealloc(bytes, bytes_cap);
	}
	if (nrecs == recs_cap) {
		recs_cap = 2 * recs_cap + 64;
		recs = xrealloc(recs, recs_cap * sizeof(*recs));
	}
	s = &recs[nrecs++];
	s->koff = nbytes;
	s->klen = rec->klen;
	if (rec->klen > 0)
		memcpy(bytes + nbytes, rec->key, rec->klen);
	nbytes += rec->klen;
	s->voff = nbytes;
	s->vlen = rec->vlen;
	if (rec->vlen > 0)
		memcpy(bytes + nbytes, rec->val, rec->vlen);
	nbytes += rec->vlen;
	if ((rec->klen > 0 && (memchr(rec->key, '\t', rec->klen) != NULL ||
	    memchr(rec->key, '\n', rec->klen) != NULL)) ||
	    (rec->vlen > 0 && memchr(rec->val, '\n', rec->vlen) != NULL))
		as_text = 0;
}

static void
saved(size_t i, struct mr_rec *rec)
{
	rec->key = bytes + recs[i].koff;
	rec->klen = recs[i].klen;
	rec->val = bytes + recs[i].voff;
	rec->vlen = recs[i].vlen;
}

static struct mr_reader *
reader(int fd, const char *name, const struct mr_textfmt *fmt)
{
	struct mr_reader *r;

	if ((r = mr_reader_new(fd, name, fmt)) == NULL)
		bad("mr_reader_new: out of memory");
	if (mr_reader_fd(r) != fd || mr_reader_name(r) != name)
		bad("%s: mr_reader_fd or mr_reader_name is wrong", name);
	return r;
}

/*
 * Checks a reader whose last mr_read() gave rc after n records: -1 comes
 * with a message that names the input, and an ended reader stays ended.
 */
static void
check_end(struct mr_reader *r, int rc, uint64_t n)
{
	struct mr_rec rec;
	const char *name = mr_reader_name(r), *msg = mr_reader_errmsg(r);
	size_t len = strlen(name);
	int again;

	if (rc != 0 && rc != -1)
		bad("%s: mr_read gave %d", name, rc);
	if (rc == -1 && (strncmp(msg, name, len) != 0 ||
	    strncmp(msg + len, ": ", 2) != 0 || msg[len + 2] == '\0'))
		bad("%s: error message \"%s\"", name, msg);
	if ((again = mr_read(r, &rec)) != rc)
		bad("%s: mr_read gave %d, then %d", name, rc, again);
	if (mr_reader_count(r) != n)
		bad("%s: %llu records read, mr_reader_count says %llu", name,
		    (unsigned long long)n,
		    (unsigned long long)mr_reader_count(r));
}

static int	names_offset(const char *, size_t);

/* The reference text splitter: the bytes left to split, and how. */
struct split {
	const unsigned char *p, *end;
	const struct mr_textfmt *fmt;
};

/*
 * The next line of s as a record; 0 at the end, -1 at a line that starts
 * with the framed magic (mr-format(5): an error unless allowed).
 */
static int
split_next(struct split *s, struct mr_rec *rec)
{
	const unsigned char *eol, *sep;
	size_t len;

	if (s->p == s->end)
		return 0;
	if (!s->fmt->magic_ok && s->end - s->p >= MR_MAGIC_LEN &&
	    memcmp(s->p, mr_sync, MR_SYNC_LEN) == 0 &&
	    s->p[MR_SYNC_LEN] == FRAME_HEADER)
		return -1;
	eol = memchr(s->p, s->fmt->eol, (size_t)(s->end - s->p));
	len = eol != NULL ? (size_t)(eol - s->p) : (size_t)(s->end - s->p);
	sep = memchr(s->p, s->fmt->sep, len);
	rec->key = s->p;
	rec->klen = sep != NULL ? (size_t)(sep - s->p) : len;
	rec->val = sep != NULL ? sep + 1 : s->p + len;
	rec->vlen = sep != NULL ? len - rec->klen - 1 : 0;
	s->p += len + (eol != NULL);
	return 1;
}

/* Reads text input with r and checks it against the reference split. */
static void
read_text(struct mr_reader *r, const unsigned char *p, size_t len,
    const struct mr_textfmt *fmt, int keep)
{
	struct split s = { p, p + len, fmt };
	struct mr_rec rec, want;
	const unsigned char *raw;
	size_t rawlen;
	uint64_t n;
	int rc, more;

	for (n = 0;; n++) {
		rc = mr_read(r, &rec);
		more = split_next(&s, &want);
		if (rc != more)
			bad("%s: line %llu: mr_read gave %d, want %d (%s)",
			    mr_reader_name(r), (unsigned long long)n + 1, rc,
			    more, rc < 0 ? mr_reader_errmsg(r) : "");
		if (rc < 0) {
			if (!names_offset(mr_reader_errmsg(r),
			    (size_t)(s.p - p)))
				bad("\"%s\": the line is at byte %zu",
				    mr_reader_errmsg(r), (size_t)(s.p - p));
			check_end(r, -1, n);
			return;
		}
		if (rc == 0)
			break;
		if (!same_rec(&rec, &want))
			bad("%s: line %llu split wrong", mr_reader_name(r),
			    (unsigned long long)n + 1);
		if (mr_reader_raw(r, &raw, &rawlen) != 0)
			bad("%s: mr_reader_raw gave 1 for text",
			    mr_reader_name(r));
		if (keep)
			save(&rec);
	}
	check_end(r, 0, n);
}

/* A length as the reference decodes it: LEB128, at most VARINT_MAX bytes. */
static int
ref_varint(const unsigned char **pp, const unsigned char *end, size_t *v)
{
	const unsigned char *p = *pp;
	int i;

	*v = 0;
	for (i = 0; i < VARINT_MAX && p < end; i++) {
		*v |= (size_t)(*p & 0x7f) << 7 * i;
		if ((*p++ & 0x80) == 0) {
			*pp = p;
			return 0;
		}
	}
	return -1;
}

/*
 * ref_framed() decodes framed input as frame.h and mr-format(5) have it,
 * apart from the reader: streams of a header, blocks and a trailer, each
 * checked whole.  The records it decodes must be the ones saved; *n is
 * their number, *at the offset of the frame where it stopped.  Returns 1
 * when the whole input is valid, 0 otherwise.
 */
static int
ref_framed(const unsigned char *p, size_t len, size_t *n, size_t *at)
{
	const unsigned char *q, *rp, *rend, *meta = NULL;
	struct mr_rec rec, want;
	size_t off, left, flen, hdr, metalen, metalen0 = 0;
	uint64_t count = 0;
	uint32_t bcount, blen, i;
	int in_stream = 0, version = 0;

	*n = 0;
	for (off = 0; off < len; off += flen) {
		*at = off;
		q = p + off;
		left = len - off;
		if (left <= MR_SYNC_LEN || memcmp(q, mr_sync, MR_SYNC_LEN) != 0)
			return 0;
		switch (q[MR_SYNC_LEN]) {
		case FRAME_HEADER:
			if (in_stream || left < HEADER_FIXED)
				return 0;
			metalen = (size_t)(q[11] | q[12] << 8);
			flen = HEADER_MIN + metalen;
			if ((q[9] != 1 && q[9] != MR_FORMAT_VERSION) ||
			    q[10] != 0 ||
			    metalen > MR_META_MAX || left < flen ||
			    mr_crc32c(0, q, flen - 4) != get32(q + flen - 4))
				return 0;
			if (meta == NULL) {
				meta = q + HEADER_FIXED;
				metalen0 = metalen;
			} else if (!same(meta, metalen0, q + HEADER_FIXED,
			    metalen))
				return 0;
			in_stream = 1;
			version = q[9];
			count = 0;
			break;
		case FRAME_BLOCK:
			/* version 1: no first field, the checksum at 17 */
			hdr = version == 1 ? 21 : 29;
			if (!in_stream || left < hdr ||
			    mr_crc32c(0, q, hdr - 4) != get32(q + hdr - 4))
				return 0;
			if (version != 1 && get64(q + 17) != count)
				return 0;
			bcount = get32(q + 9);
			blen = get32(q + 13);
			if (bcount == 0 || blen > MR_BLOCK_MAX ||
			    left - hdr < 4 || left - hdr - 4 < blen ||
			    mr_crc32c(0, q + hdr, blen) != get32(q + hdr + blen))
				return 0;
			rp = q + hdr;
			rend = rp + blen;
			for (i = 0; i < bcount; i++) {
				if (ref_varint(&rp, rend, &rec.klen) < 0 ||
				    ref_varint(&rp, rend, &rec.vlen) < 0 ||
				    rec.klen > MR_REC_MAX ||
				    rec.vlen > MR_REC_MAX - rec.klen ||
				    rec.klen > (size_t)(rend - rp) ||
				    rec.vlen > (size_t)(rend - rp) - rec.klen)
					return 0;
				rec.key = rp;
				rec.val = rp + rec.klen;
				rp += rec.klen + rec.vlen;
				if (*n < nrecs) {
					saved(*n, &want);
					if (!same_rec(&rec, &want))
						bad("record %zu: reader and "
						    "reference differ", *n + 1);
				}
				++*n;
				count++;
			}
			if (rp != rend)
				return 0;
			flen = hdr + (size_t)blen + 4;
			break;
		case FRAME_TRAILER:
			flen = MR_TRAILER_LEN;
			if (!in_stream || left < flen ||
			    mr_crc32c(0, q, flen - 4) != get32(q + flen - 4) ||
			    get64(q + 9) != count)
				return 0;
			in_stream = 0;
			break;
		default:
			return 0;
		}
	}
	*at = len;
	return meta != NULL && !in_stream;
}

/* Returns 1 when msg says "at byte off". */
static int
names_offset(const char *msg, size_t off)
{
	char want[64];
	const char *s;
	int n;

	n = snprintf(want, sizeof(want), "at byte %zu", off);
	for (s = msg; (s = strstr(s, want)) != NULL; s++)
		if (s[n] < '0' || s[n] > '9')
			return 1;
	return 0;
}

/* The encoded record at p must decode to rec. */
static void
check_raw(const unsigned char *p, size_t len, const struct mr_rec *rec,
    uint64_t n)
{
	const unsigned char *end = p + len;
	struct mr_rec dec;

	if (ref_varint(&p, end, &dec.klen) < 0 ||
	    ref_varint(&p, end, &dec.vlen) < 0 ||
	    dec.klen > (size_t)(end - p) ||
	    dec.vlen != (size_t)(end - p) - dec.klen)
		bad("record %llu: mr_reader_raw gives %zu bytes that are no "
		    "record", (unsigned long long)n + 1, len);
	dec.key = p;
	dec.val = p + dec.klen;
	if (!same_rec(&dec, rec))
		bad("record %llu: mr_reader_raw gives another record",
		    (unsigned long long)n + 1);
}

/*
 * Reads framed input with a and b in step; they must agree throughout.
 * Each record also goes, encoded, to the framed writer wf and the text
 * writer wt.
 */
static int
read_framed(struct mr_reader *a, struct mr_reader *b, struct mr_writer *wf,
    struct mr_writer *wt)
{
	struct mr_rec ra, rb, prev, want;
	const unsigned char *raw;
	size_t rawlen;
	uint64_t n;
	int rc, rcb, stable;

	for (n = 0;; n++) {
		stable = n > 0 && mr_reader_stable(a);
		rc = mr_read(a, &ra);
		if (stable) {
			saved((size_t)n - 1, &want);
			if (!same_rec(&prev, &want))
				bad("record %llu moved, though "
				    "mr_reader_stable said it would not",
				    (unsigned long long)n);
		}
		rcb = mr_read(b, &rb);
		if (rc != rcb)
			bad("record %llu: mr_read gave %d whole, %d in pieces "
			    "(%s | %s)", (unsigned long long)n + 1, rc, rcb,
			    rc < 0 ? mr_reader_errmsg(a) : "",
			    rcb < 0 ? mr_reader_errmsg(b) : "");
		if (rc != 1)
			break;
		if (!same_rec(&ra, &rb))
			bad("record %llu differs whole and in pieces",
			    (unsigned long long)n + 1);
		if (mr_reader_raw(a, &raw, &rawlen) != 1)
			bad("record %llu: mr_reader_raw gave 0 for framed "
			    "input", (unsigned long long)n + 1);
		check_raw(raw, rawlen, &ra, n);
		if (mr_write_raw(wf, raw, rawlen) < 0)
			bad("mr_write_raw: %s", mr_writer_errmsg(wf));
		if (mr_write_raw(wt, raw, rawlen) < 0)
			bad("mr_write_raw: %s", mr_writer_errmsg(wt));
		save(&ra);
		prev = ra;
	}
	if (rc < 0 && strcmp(mr_reader_errmsg(a), mr_reader_errmsg(b)) != 0)
		bad("errors differ whole and in pieces: \"%s\" | \"%s\"",
		    mr_reader_errmsg(a), mr_reader_errmsg(b));
	check_end(a, rc, n);
	check_end(b, rc, n);
	return rc;
}

static struct mr_writer *
writer(int fd, int text, const unsigned char *meta, size_t metalen)
{
	struct mr_writer *w;

	put_file(fd, NULL, 0);
	if ((w = mr_writer_new(fd, "out", text, &nl, meta, metalen)) == NULL)
		bad("mr_writer_new: out of memory");
	mr_writer_bufsize(w, 4096);
	return w;
}

static void
finish(struct mr_writer *w)
{
	if (mr_writer_finish(w) < 0)
		bad("mr_writer_finish: %s", mr_writer_errmsg(w));
	if (mr_writer_count(w) != nrecs)
		bad("mr_writer_count is %llu, not %zu",
		    (unsigned long long)mr_writer_count(w), nrecs);
	mr_writer_free(w);
}

/*
 * Reads back what a writer wrote to fd, framed with metadata meta or as
 * text lines: the saved records must come back as they were.  Text that
 * starts like the magic reads as framed or fails; that is no round trip.
 */
static void
read_back(int fd, int text, const unsigned char *meta, size_t metalen,
    const char *what)
{
	struct mr_reader *r;
	struct mr_rec rec, want;
	const unsigned char *m;
	size_t i, mlen;
	int rc;

	if (lseek(fd, 0, SEEK_SET) < 0)
		bad("rewinding a temp file: %s", strerror(errno));
	r = reader(fd, "out", text ? &nl_magic : &nl);
	mr_reader_bufsize(r, 1);
	if (mr_reader_start(r) < 0 || mr_reader_framed(r) == text) {
		if (!text)
			bad("%s: %s", what, mr_reader_framed(r) ?
			    "read as text" : mr_reader_errmsg(r));
		mr_reader_free(r);
		return;
	}
	m = mr_reader_meta(r, &mlen);
	if (!same(m, mlen, meta, text ? 0 : metalen))
		bad("%s: metadata differs", what);
	for (i = 0; (rc = mr_read(r, &rec)) == 1; i++) {
		if (i == nrecs)
			bad("%s: more records than written", what);
		saved(i, &want);
		if (!same_rec(&rec, &want))
			bad("%s: record %zu differs", what, i + 1);
	}
	if (rc != 0 || i != nrecs)
		bad("%s: %zu of %zu records, then %d: %s", what, i, nrecs, rc,
		    rc < 0 ? mr_reader_errmsg(r) : "");
	check_end(r, 0, nrecs);
	mr_reader_free(r);
}

/* Writes the saved records with mr_write() and reads them back. */
static void
round_trip(int text, const unsigned char *meta, size_t metalen)
{
	struct mr_writer *w;
	struct mr_rec rec;
	size_t i;
	int fd = text ? txt_fd : out_fd;

	w = writer(fd, text, meta, metalen);
	for (i = 0; i < nrecs; i++) {
		saved(i, &rec);
		if (mr_write(w, &rec) < 0)
			bad("mr_write: %s", mr_writer_errmsg(w));
	}
	finish(w);
	read_back(fd, text, meta, metalen, text ? "text round trip" :
	    "framed round trip");
}

/*
 * Reads the len bytes at p, damaged copies of a clean framed input: the
 * records before the damage may come out, then it must fail.
 */
static void
must_fail(const unsigned char *p, size_t len, const char *what)
{
	struct mr_reader *r;
	struct mr_rec rec, want;
	size_t i;
	int rc;

	put_file(in_fd, p, len);
	r = reader(in_fd, "in", &nl);
	mr_reader_bufsize(r, 1);
	for (i = 0; (rc = mr_read(r, &rec)) == 1; i++) {
		if (i == nrecs)
			bad("%s: more records than the clean input", what);
		saved(i, &want);
		if (!same_rec(&rec, &want))
			bad("%s: record %zu differs from the clean input",
			    what, i + 1);
	}
	if (rc != -1)
		bad("%s: read cleanly", what);
	check_end(r, -1, i);
	mr_reader_free(r);
}

/*
 * The length of the valid frame at p, which must lie inside the input, in
 * a stream of *version, which a stream header sets.
 */
static size_t
frame_len(const unsigned char *p, int *version)
{
	switch (p[MR_SYNC_LEN]) {
	case FRAME_HEADER:
		*version = p[9];
		return HEADER_MIN + (size_t)(p[11] | p[12] << 8);
	case FRAME_BLOCK:
		return block_hdr(*version) + (size_t)get32(p + 13) + 4;
	default:
		return MR_TRAILER_LEN;
	}
}

/*
 * Damages a framed input that read cleanly: cut short at the last byte
 * and at an offset h picks that is no end of a stream, and one byte
 * after the magic changed.
 */
static void
damage(const unsigned char *p, size_t len, uint64_t h)
{
	unsigned char *copy;
	size_t cut, off, flen;
	int version = MR_FORMAT_VERSION;

	if (mr_sync_find(p, len) != 0)
		bad("clean framed input, but mr_sync_find gave %zu",
		    mr_sync_find(p, len));
	must_fail(p, len - 1, "cut short by one byte");
	cut = 1 + (size_t)(h % (len - 1));
	for (off = 0; off < cut; off += flen) {
		flen = frame_len(p + off, &version);
		if (off + flen == cut && p[off + MR_SYNC_LEN] == FRAME_TRAILER)
			break;
	}
	if (off >= cut)
		must_fail(p, cut, "cut short");
	if (len <= MR_SYNC_LEN + 1)
		return;
	copy = xrealloc(NULL, len);
	memcpy(copy, p, len);
	off = MR_SYNC_LEN + 1 + (size_t)(h >> 32) % (len - MR_SYNC_LEN - 1);
	copy[off] ^= (unsigned char)(1 + (h >> 16) % 255);
	must_fail(copy, len, "one byte changed");
	free(copy);
}

/*
 * mr_sync_find() must give the first offset where a whole frame header
 * checks, or len when there is none before the first sync marker (or
 * prefix of one) that the end of the input cuts short.
 */
static void
check_sync(const unsigned char *p, size_t len)
{
	const unsigned char *q, *end = p + len;
	size_t off, need, avail;
	long n;

	off = mr_sync_find(p, len);
	if (off > len)
		bad("mr_sync_find gave %zu of %zu bytes", off, len);
	if (off < len && (len - off < MR_SYNC_LEN ||
	    memcmp(p + off, mr_sync, MR_SYNC_LEN) != 0))
		bad("mr_sync_find gave %zu, no sync marker there", off);
	for (q = p; q < end; q++) {
		if ((q = memchr(q, mr_sync[0], (size_t)(end - q))) == NULL)
			break;
		if ((n = frame_check(q, (size_t)(end - q), &need)) > 0) {
			if ((size_t)(q - p) != off)
				bad("mr_sync_find gave %zu, the first frame is "
				    "at %zu", off, (size_t)(q - p));
			return;
		}
		avail = (size_t)(end - q);
		if (n == 0 && memcmp(q, mr_sync, avail < MR_SYNC_LEN ? avail :
		    MR_SYNC_LEN) == 0) {
			if (off != len)
				bad("mr_sync_find gave %zu past a frame cut "
				    "short at %zu", off, (size_t)(q - p));
			return;
		}
	}
	if (off != len)
		bad("mr_sync_find gave %zu, there is no frame", off);
}

/* CRC-32C a byte at a time, apart from checksum.c and its tables. */
static uint32_t
crc_ref(uint32_t crc, const unsigned char *p, size_t len)
{
	static uint32_t table[256];
	uint32_t c;
	int i, j;

	if (table[1] == 0)
		for (i = 0; i < 256; i++) {
			c = (uint32_t)i;
			for (j = 0; j < 8; j++)
				c = c >> 1 ^ (c & 1 ? 0x82F63B78U : 0);
			table[i] = c;
		}
	c = ~crc;
	while (len-- > 0)
		c = c >> 8 ^ table[(c ^ *p++) & 0xff];
	return ~c;
}

/*
 * mr_crc32c() must agree with crc_ref() on the input and on the input
 * repeated to any length up to past six stripes of the SSE4.2 path
 * (4 KiB each), from any alignment, whole and in two pieces.
 */
static void
check_crc(const unsigned char *p, size_t len, uint64_t h)
{
	static unsigned char buf[6 * 4096 + 16];
	const unsigned char *b;
	size_t n, i, cut;
	uint32_t want;

	if (mr_crc32c(0, "123456789", 9) != 0xE3069283U)
		bad("mr_crc32c(\"123456789\") is 0x%08lx",
		    (unsigned long)mr_crc32c(0, "123456789", 9));
	if (mr_crc32c(0, p, len) != crc_ref(0, p, len))
		bad("mr_crc32c of the input is wrong");
	if (len == 0)
		return;
	b = buf + h % 16;
	n = (size_t)(h >> 8) % (sizeof(buf) - 16 + 1);
	for (i = 0; i < n; i++)
		buf[h % 16 + i] = p[i % len];
	want = crc_ref(0, b, n);
	cut = (size_t)(h >> 32) % (n + 1);
	if (mr_crc32c(0, b, n) != want ||
	    mr_crc32c(mr_crc32c(0, b, cut), b + cut, n - cut) != want)
		bad("mr_crc32c of %zu bytes (cut at %zu) is wrong", n, cut);
}

static int
u64cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * Cuts the framed input of len bytes in the file at in_fd into 1 to 4 ranges at
 * points that h picks, copies them with mr_split_copy() into one stream,
 * as mrsplit does, and reads that back.  When every range and the read
 * back succeed, the input must be valid and give the records that the
 * whole reader saved: ranges never lose, repeat or invent a record.
 */
static void
check_ranges(size_t len, uint64_t h, int valid)
{
	struct mr_split *s;
	struct mr_reader *r;
	struct mr_rec rec, want;
	uint64_t cut[5], from, to, count = 0;
	size_t n = 0;
	int ncut = 1 + (int)(h % 4), i, ok = 1, rc;

	if ((s = mr_split_new(in_fd, "in", &nl)) == NULL)
		bad("out of memory");
	if (mr_split_start(s) < 0 || !mr_split_framed(s)) {
		mr_split_free(s);
		return;
	}
	cut[0] = 0;
	for (i = 1; i < ncut; i++)
		cut[i] = (h >> (13 * i)) % (len + 1);
	cut[ncut] = len;
	qsort(cut, (size_t)ncut + 1, sizeof(cut[0]), u64cmp);
	if (ftruncate(out_fd, 0) < 0 || lseek(out_fd, 0, SEEK_SET) < 0)
		bad("truncating a temp file: %s", strerror(errno));
	if (mr_split_head(s, out_fd, "out") < 0)
		bad("%s", mr_split_errmsg(s));
	for (i = 0; i < ncut && ok; i++)
		ok = mr_split_bound(s, cut[i], &from) == 0 &&
		    mr_split_bound(s, cut[i + 1], &to) == 0 &&
		    mr_split_copy(s, from, to, out_fd, "out", &count) == 0;
	if (ok && mr_split_tail(s, out_fd, "out", count) < 0)
		bad("%s", mr_split_errmsg(s));
	mr_split_free(s);
	if (!ok)
		return;
	if (lseek(out_fd, 0, SEEK_SET) < 0)
		bad("rewinding a temp file: %s", strerror(errno));
	r = reader(out_fd, "out", &nl);
	while ((rc = mr_read(r, &rec)) == 1) {
		if (n >= nrecs)
			bad("ranges: more records than the whole input");
		saved(n++, &want);
		if (!same_rec(&rec, &want))
			bad("ranges: record %zu differs", n);
	}
	if (rc == 0 && (!valid || n != nrecs))
		bad("ranges gave %zu records of %s input, the whole reader "
		    "%zu", n, valid ? "a valid" : "an invalid", nrecs);
	mr_reader_free(r);
}

/* Reads the len bytes at p every way there is; see the top comment. */
static void
check_input(const unsigned char *p, size_t len)
{
	struct mr_reader *a, *b;
	const unsigned char *meta, *metab;
	struct mr_writer *wf, *wt;
	size_t metalen, metalenb, n, at;
	uint64_t h;
	int rc, rcb, framed, sfd, valid = 0;

	h = mr_hash64(p, len);
	nbytes = nrecs = 0;
	as_text = 1;

	put_file(in_fd, p, len);
	a = reader(in_fd, "in", &nl);
	mr_reader_bufsize(a, 1);
	if ((sfd = put_pieces(p, len, h)) < 0) {
		put_file(in2_fd, p, len);
		sfd = in2_fd;
	}
	b = reader(sfd, "in", &nul);
	rc = mr_reader_start(a);
	rcb = mr_reader_start(b);
	if (rc != rcb)
		bad("mr_reader_start gave %d whole, %d in pieces (%s | %s)",
		    rc, rcb, mr_reader_errmsg(a), mr_reader_errmsg(b));
	if (rc < 0) {
		if (strcmp(mr_reader_errmsg(a), mr_reader_errmsg(b)) != 0)
			bad("errors differ whole and in pieces: \"%s\" | "
			    "\"%s\"", mr_reader_errmsg(a),
			    mr_reader_errmsg(b));
		check_end(a, -1, 0);
		check_end(b, -1, 0);
		goto done;
	}
	framed = mr_reader_framed(a);
	meta = mr_reader_meta(a, &metalen);
	metab = mr_reader_meta(b, &metalenb);
	if (framed != mr_reader_framed(b) || !same(meta, metalen, metab,
	    metalenb) || (!framed && metalen != 0))
		bad("framed %d (%zu bytes of metadata) whole, %d (%zu) in "
		    "pieces", framed, metalen, mr_reader_framed(b), metalenb);
	if (framed) {
		wf = writer(raw_fd, 0, meta, metalen);
		wt = writer(rawtxt_fd, 1, NULL, 0);
		if (mr_writer_begin(wf) < 0)
			bad("mr_writer_begin: %s", mr_writer_errmsg(wf));
		if (mr_writer_begin(wt) < 0)
			bad("mr_writer_begin: %s", mr_writer_errmsg(wt));
		rc = read_framed(a, b, wf, wt);
		finish(wf);
		finish(wt);
		read_back(raw_fd, 0, meta, metalen, "raw framed round trip");
		if (as_text)
			read_back(rawtxt_fd, 1, NULL, 0, "raw text round trip");
		valid = ref_framed(p, len, &n, &at);
		if (valid != (rc == 0) || (valid && n != nrecs) || n < nrecs)
			bad("the reader read %zu records and %s, the reference "
			    "%zu and %s", nrecs, rc == 0 ? "ended" :
			    mr_reader_errmsg(a), n, valid ? "ended" :
			    "failed");
		if (!valid && !names_offset(mr_reader_errmsg(a), at))
			bad("\"%s\": the reference stopped at byte %zu",
			    mr_reader_errmsg(a), at);
	} else {
		read_text(a, p, len, &nl, 1);
		read_text(b, p, len, &nul, 0);
	}
	round_trip(0, meta, metalen);
	if (as_text)
		round_trip(1, NULL, 0);
	if (framed) {
		put_file(in_fd, p, len);
		check_ranges(len, h, valid);
	}
	if (framed && rc == 0)
		damage(p, len, h);
done:
	mr_reader_free(a);
	mr_reader_free(b);
	if (sfd != in2_fd)
		close(sfd);
}

/*
 * Returns a copy of the len bytes at p with the checksum of every frame
 * made right, as far as the frames can be followed, so that the fuzzer
 * gets past the checksums to what they guard.  NULL when that changes
 * nothing.  A block cut short keeps its header checksum made right.
 */
static unsigned char *
fix_crcs(const unsigned char *p, size_t len)
{
	unsigned char *q, *f;
	size_t off, flen, plen, hdr = MR_BLOCK_HDR;
	uint64_t count = 0;

	if (len < MR_SYNC_LEN + 1)
		return NULL;
	q = xrealloc(NULL, len);
	memcpy(q, p, len);
	for (off = 0; len - off > MR_SYNC_LEN; off += flen) {
		f = q + off;
		if (memcmp(f, mr_sync, MR_SYNC_LEN) != 0)
			break;
		if (f[MR_SYNC_LEN] == FRAME_HEADER) {
			if (len - off < HEADER_FIXED)
				break;
			flen = HEADER_MIN + (size_t)(f[11] | f[12] << 8);
			if (flen > len - off)
				break;
			put32(f + flen - 4, mr_crc32c(0, f, flen - 4));
			hdr = block_hdr(f[9]);
			count = 0;
		} else if (f[MR_SYNC_LEN] == FRAME_TRAILER) {
			flen = MR_TRAILER_LEN;
			if (len - off < flen)
				break;
			put32(f + flen - 4, mr_crc32c(0, f, flen - 4));
		} else if (f[MR_SYNC_LEN] == FRAME_BLOCK) {
			flen = hdr;
			if (len - off < flen)
				break;
			/* the block's place too, but one time in four */
			if (hdr == MR_BLOCK_HDR && (count & 3) != 3)
				put64(f + 17, count);
			count += get32(f + 9);
			put32(f + flen - 4, mr_crc32c(0, f, flen - 4));
			plen = get32(f + 13);
			if (plen > len - off - hdr || len - off - hdr - plen < 4)
				break;
			put32(f + hdr + plen, mr_crc32c(0, f + hdr, plen));
			flen += plen + 4;
		} else
			break;
	}
	if (memcmp(p, q, len) == 0) {
		free(q);
		return NULL;
	}
	return q;
}

/*
 * Returns the len bytes at p after about SMALL_BUF bytes of other input,
 * *outlen bytes in all, so that the reader must move and grow its buffer
 * with p's frames and lines on the way.  Framed input comes after a stream of
 * one big record with the same metadata, text after long lines.
 */
static unsigned char *
after_filler(const unsigned char *p, size_t len, uint64_t h,
    size_t *outlen)
{
	unsigned char *q, *f;
	size_t flen, metalen = 0, hlen, vlen, i;

	flen = SMALL_BUF - 64 + (size_t)(h >> 40) % 128;
	q = xrealloc(NULL, flen + len);
	if (len >= HEADER_FIXED && memcmp(p, mr_sync, MR_SYNC_LEN) == 0 &&
	    p[MR_SYNC_LEN] == FRAME_HEADER) {
		metalen = (size_t)(p[11] | p[12] << 8);
		if (metalen > MR_META_MAX || len < HEADER_FIXED + metalen)
			metalen = 0;
		hlen = HEADER_MIN + metalen;
		memcpy(q, p, HEADER_FIXED);
		q[9] = MR_FORMAT_VERSION;
		q[10] = 0;
		q[11] = (unsigned char)metalen;
		q[12] = (unsigned char)(metalen >> 8);
		memcpy(q + HEADER_FIXED, p + HEADER_FIXED, metalen);
		put32(q + hlen - 4, mr_crc32c(0, q, hlen - 4));
		/* block: key length 0, value length in 3 bytes, value */
		f = q + hlen;
		vlen = flen - hlen - MR_BLOCK_HDR - 4 - 4 - MR_TRAILER_LEN;
		memcpy(f, mr_sync, MR_SYNC_LEN);
		f[MR_SYNC_LEN] = FRAME_BLOCK;
		put32(f + 9, 1);
		put32(f + 13, (uint32_t)(vlen + 4));
		put64(f + 17, 0);
		put32(f + 25, mr_crc32c(0, f, MR_BLOCK_HDR - 4));
		f += MR_BLOCK_HDR;
		f[0] = 0;
		f[1] = (unsigned char)(vlen | 0x80);
		f[2] = (unsigned char)(vlen >> 7 | 0x80);
		f[3] = (unsigned char)(vlen >> 14);
		memset(f + 4, 'v', vlen);
		put32(f + 4 + vlen, mr_crc32c(0, f, vlen + 4));
		f += 4 + vlen + 4;
		memcpy(f, mr_sync, MR_SYNC_LEN);
		f[MR_SYNC_LEN] = FRAME_TRAILER;
		put64(f + 9, 1);
		put32(f + 17, mr_crc32c(0, f, MR_TRAILER_LEN - 4));
	} else {
		/* lines of up to 4 KiB, the last ends just before p */
		memset(q, 'x', flen);
		for (i = 4095; i < flen; i += 4096)
			q[i] = '\n';
		q[flen - 1] = '\n';
	}
	memcpy(q + flen, p, len);
	*outlen = flen + len;
	return q;
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static int ready;
	unsigned char *q;
	size_t len;

	if (!ready) {
		in_fd = tmp_fd();
		in2_fd = tmp_fd();
		out_fd = tmp_fd();
		txt_fd = tmp_fd();
		raw_fd = tmp_fd();
		rawtxt_fd = tmp_fd();
		bytes_cap = 4096;
		bytes = xrealloc(NULL, bytes_cap);
		ready = 1;
	}
	check_sync(data, size);
	check_crc(data, size, mr_hash64(data, size));
	check_input(data, size);
	if ((q = fix_crcs(data, size)) != NULL) {
		check_sync(q, size);
		check_input(q, size);
		free(q);
	}
	/* The slow case, for one input in FILLER_EVERY. */
	if (mr_hash64(data, size) % FILLER_EVERY == 0) {
		q = after_filler(data, size, mr_hash64(data, size), &len);
		check_input(q, len);
		free(q);
	}
	return 0;
}
