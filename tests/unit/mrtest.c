/*
 * mrtest: a test helper that makes what the bats suites cannot make with
 * standard tools: random binary framed streams, framed streams that are
 * invalid in one precise way, hex dumps of records, and an exhaustive
 * check of mr_sync_find().
 *
 *   mrtest gen SEED COUNT MAXLEN [META]   random records, framed, stdout
 *   mrtest embed SEED COUNT FILE          records, every third with FILE's
 *                                         bytes as its value, framed, stdout
 *   mrtest dump                           stdin's records as hex lines
 *   mrtest craft KIND                     an invalid stream, stdout
 *   mrtest sync FILE                      writes FILE, checks every offset
 *   mrtest crc                            mr_crc32c() against a bitwise CRC
 *   mrtest agg OP [partial|merge] [SEP]   stdin's lines as values of OP (or,
 *                                         with merge, its partial states):
 *                                         the result or partial state
 *   mrtest cut OP SEED ROUNDS [SEP]       stdin's lines as values of OP, cut
 *                                         at random points: the merged
 *                                         partial states of the pieces give
 *                                         the result of the whole
 *   mrtest frame META                     stdin's text records, framed with
 *                                         metadata META (\n for a newline)
 *   mrtest block drop|dup N               stdin's framed stream without its
 *                                         Nth block frame (from 0), or with
 *                                         it twice, stdout: every checksum
 *                                         still holds
 */
#include <fcntl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mr.h"
#include "frame.h"

static const struct mr_textfmt fmt = MR_TEXTFMT_DEFAULT;

static uint64_t seed;

static uint64_t
rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static void
check(int rc, const char *msg)
{
	if (rc < 0) {
		fprintf(stderr, "mrtest: %s\n", msg);
		exit(1);
	}
}

static int
gen(int argc, char *argv[])
{
	static unsigned char key[1 << 16], val[1 << 16];
	struct mr_writer *w;
	struct mr_rec rec;
	const char *meta = argc > 5 ? argv[5] : "";
	long i, count, maxlen;
	size_t j;

	if (argc < 5)
		return 2;
	seed = strtoull(argv[2], NULL, 10) * 2654435761ULL + 1;
	count = atol(argv[3]);
	maxlen = atol(argv[4]);
	if (maxlen <= 0 || maxlen > (long)sizeof(key))
		return 2;
	w = mr_writer_new(1, "stdout", 0, &fmt, meta, strlen(meta));
	mr_writer_bufsize(w, 4096);
	for (i = 0; i < count; i++) {
		rec.klen = (size_t)(rnd() % (uint64_t)(maxlen + 1));
		rec.vlen = (size_t)(rnd() % (uint64_t)(maxlen + 1));
		for (j = 0; j < rec.klen; j++)
			key[j] = (unsigned char)rnd();
		for (j = 0; j < rec.vlen; j++)
			val[j] = (unsigned char)rnd();
		rec.key = key;
		rec.val = val;
		check(mr_write(w, &rec), mr_writer_errmsg(w));
	}
	check(mr_writer_finish(w), mr_writer_errmsg(w));
	return 0;
}

/*
 * Records whose values are, one in three, the whole of a file (a framed
 * stream, for a copy of frames inside a record) and otherwise random.
 */
static int
embed(int argc, char *argv[])
{
	static unsigned char key[32], val[64], file[1 << 20];
	struct mr_writer *w;
	struct mr_rec rec;
	size_t flen, j;
	long i, count;
	FILE *f;

	if (argc != 5 || (f = fopen(argv[4], "rb")) == NULL)
		return 2;
	flen = fread(file, 1, sizeof(file), f);
	fclose(f);
	seed = strtoull(argv[2], NULL, 10) * 2654435761ULL + 1;
	count = atol(argv[3]);
	w = mr_writer_new(1, "stdout", 0, &fmt, "", 0);
	mr_writer_bufsize(w, 4096);
	for (i = 0; i < count; i++) {
		rec.klen = (size_t)snprintf((char *)key, sizeof(key), "k%ld",
		    i);
		rec.key = key;
		if (i % 3 == 1) {
			rec.val = file;
			rec.vlen = flen;
		} else {
			rec.vlen = (size_t)(rnd() % sizeof(val));
			for (j = 0; j < rec.vlen; j++)
				val[j] = (unsigned char)rnd();
			rec.val = val;
		}
		check(mr_write(w, &rec), mr_writer_errmsg(w));
	}
	check(mr_writer_finish(w), mr_writer_errmsg(w));
	return 0;
}

static void
hex(const unsigned char *p, size_t n)
{
	while (n-- > 0)
		printf("%02x", *p++);
}

static int
dump(void)
{
	struct mr_reader *r;
	struct mr_rec rec;
	int rc;

	r = mr_reader_new(0, "stdin", &fmt);
	while ((rc = mr_read(r, &rec)) > 0) {
		hex(rec.key, rec.klen);
		putchar(' ');
		hex(rec.val, rec.vlen);
		putchar('\n');
	}
	check(rc, mr_reader_errmsg(r));
	return 0;
}

static void
out(const unsigned char *p, size_t n)
{
	fwrite(p, 1, n, stdout);
}

/* Writes a stream header with metalen declared and meta bytes given. */
static void
header_v(int version, size_t metalen, const char *meta)
{
	unsigned char h[HEADER_MIN + 65536];

	memcpy(h, mr_sync, MR_SYNC_LEN);
	h[8] = FRAME_HEADER;
	h[9] = (unsigned char)version;
	h[10] = 0;
	h[11] = (unsigned char)metalen;
	h[12] = (unsigned char)(metalen >> 8);
	memset(h + HEADER_FIXED, 'x', metalen);
	memcpy(h + HEADER_FIXED, meta, strlen(meta));
	put32(h + HEADER_FIXED + metalen, mr_crc32c(0, h, HEADER_FIXED +
	    metalen));
	out(h, HEADER_MIN + metalen);
}

static void
header(size_t metalen, const char *meta)
{
	header_v(MR_FORMAT_VERSION, metalen, meta);
}

/*
 * Writes a block header declaring count and len, after first records of
 * its stream (none in version 1), with a valid checksum.
 */
static void
block_header(int version, uint64_t first, uint32_t count, uint32_t len)
{
	unsigned char h[MR_BLOCK_HDR];
	size_t hdr = block_hdr(version);

	memcpy(h, mr_sync, MR_SYNC_LEN);
	h[8] = FRAME_BLOCK;
	put32(h + 9, count);
	put32(h + 13, len);
	if (version != 1)
		put64(h + 17, first);
	put32(h + hdr - 4, mr_crc32c(0, h, hdr - 4));
	out(h, hdr);
}

static void
payload(const unsigned char *p, size_t len)
{
	unsigned char c[4];

	out(p, len);
	put32(c, mr_crc32c(0, p, len));
	out(c, 4);
}

static void
trailer(uint64_t count)
{
	unsigned char t[MR_TRAILER_LEN];

	memcpy(t, mr_sync, MR_SYNC_LEN);
	t[8] = FRAME_TRAILER;
	put64(t + 9, count);
	put32(t + 17, mr_crc32c(0, t, MR_TRAILER_LEN - 4));
	out(t, MR_TRAILER_LEN);
}

static int
craft(const char *kind)
{
	/* klen 2^31 as a varint, then a tiny value */
	static const unsigned char huge[] = { 0x80, 0x80, 0x80, 0x80, 0x08,
	    0x01, 'a', 'b' };
	static const unsigned char rec[] = { 0x01, 0x01, 'a', '1' };

	if (strcmp(kind, "oversize-block") == 0) {
		header(0, "");
		block_header(MR_FORMAT_VERSION, 0, 1, 0x7fffffffU);
	} else if (strcmp(kind, "oversize-meta") == 0) {
		header(5000, "values=");
		trailer(0);
	} else if (strcmp(kind, "huge-record") == 0) {
		header(0, "");
		block_header(MR_FORMAT_VERSION, 0, 1, sizeof(huge));
		payload(huge, sizeof(huge));
		trailer(1);
	} else if (strcmp(kind, "bad-count") == 0) {
		header(0, "");
		block_header(MR_FORMAT_VERSION, 0, 1, sizeof(rec));
		payload(rec, sizeof(rec));
		trailer(2);
	} else if (strcmp(kind, "short-block") == 0) {
		header(0, "");
		block_header(MR_FORMAT_VERSION, 0, 2, sizeof(rec));
		payload(rec, sizeof(rec));
		trailer(2);
	} else if (strcmp(kind, "forged") == 0) {
		/*
		 * One record whose value is a block header, with a valid
		 * checksum, whose length reaches exactly to the trailer: a
		 * copy of a frame that a search from inside the block takes
		 * for a boundary.  Key "k", value 29 + 4 bytes.
		 */
		unsigned char r[3 + MR_BLOCK_HDR + 4] = { 1, MR_BLOCK_HDR + 4,
		    'k' };

		memcpy(r + 3, mr_sync, MR_SYNC_LEN);
		r[3 + 8] = FRAME_BLOCK;
		put32(r + 3 + 9, 1);
		put32(r + 3 + 13, 4);
		put64(r + 3 + 17, 0);
		put32(r + 3 + 25, mr_crc32c(0, r + 3, MR_BLOCK_HDR - 4));
		header(0, "");
		block_header(MR_FORMAT_VERSION, 0, 1, sizeof(r));
		payload(r, sizeof(r));
		trailer(1);
	} else if (strcmp(kind, "v1") == 0) {
		/* a valid stream of format version 1: three blocks */
		header_v(1, 0, "");
		block_header(1, 0, 1, sizeof(rec));
		payload(rec, sizeof(rec));
		block_header(1, 0, 1, sizeof(rec));
		payload(rec, sizeof(rec));
		block_header(1, 0, 1, sizeof(rec));
		payload(rec, sizeof(rec));
		trailer(3);
	} else if (strcmp(kind, "version") == 0) {
		unsigned char h[HEADER_MIN];

		memcpy(h, mr_sync, MR_SYNC_LEN);
		h[8] = FRAME_HEADER;
		h[9] = 9;
		h[10] = h[11] = h[12] = 0;
		put32(h + HEADER_FIXED, mr_crc32c(0, h, HEADER_FIXED));
		out(h, sizeof(h));
		trailer(0);
	} else
		return 2;
	return fflush(stdout) == 0 ? 0 : 1;
}

/* The length of the frame of the current version at p, by its header. */
static size_t
frame_length(const unsigned char *p)
{
	if (p[MR_SYNC_LEN] == FRAME_HEADER)
		return HEADER_MIN + (size_t)(p[11] | p[12] << 8);
	if (p[MR_SYNC_LEN] == FRAME_BLOCK)
		return MR_BLOCK_HDR + get32(p + 13) + 4;
	return MR_TRAILER_LEN;
}

static int
sync_check(const char *path)
{
	static unsigned char buf[1 << 22];
	struct mr_writer *w;
	struct mr_rec rec;
	unsigned char key[64];
	size_t len, off, found, nstarts = 0, j, want, *starts;
	FILE *f;
	int i, fd;

	/* Many small blocks, with the sync marker itself in some values. */
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600)) < 0)
		return 1;
	w = mr_writer_new(fd, path, 0, &fmt, "values=plain\n", 13);
	mr_writer_bufsize(w, 4096);
	for (i = 0; i < 5000; i++) {
		len = (size_t)snprintf((char *)key, sizeof(key), "key%05d", i);
		rec.key = key;
		rec.klen = len;
		rec.val = i % 7 == 0 ? mr_sync : key;
		rec.vlen = i % 7 == 0 ? MR_SYNC_LEN : len;
		check(mr_write(w, &rec), mr_writer_errmsg(w));
	}
	check(mr_writer_finish(w), mr_writer_errmsg(w));
	mr_writer_free(w);
	close(fd);
	if ((f = fopen(path, "rb")) == NULL)
		return 1;
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	/* The true frame starts, by walking the chain of frame lengths. */
	starts = malloc(len * sizeof(*starts));
	for (off = 0; off < len; off += frame_length(buf + off))
		starts[nstarts++] = off;
	/* From every offset the scan finds the first true start after it. */
	for (off = 0, j = 0; off < len; off++) {
		while (j < nstarts && starts[j] < off)
			j++;
		want = j < nstarts ? starts[j] : len;
		found = off + mr_sync_find(buf + off, len - off);
		if (found != want) {
			printf("offset %zu: found %zu, want %zu\n", off, found,
			    want);
			return 1;
		}
	}
	printf("%zu frames in %zu bytes, every offset checked\n", nstarts,
	    len);
	free(starts);
	return nstarts > 20 ? 0 : 1;
}

/* CRC-32C one bit at a time, the definition itself. */
static uint32_t
crc_bitwise(const unsigned char *p, size_t len)
{
	uint32_t c = 0xFFFFFFFFU;
	int k;

	while (len-- > 0) {
		c ^= *p++;
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82F63B78U & (0U - (c & 1)));
	}
	return ~c;
}

static int
crc_check(void)
{
	static unsigned char buf[100000];
	size_t i, len, split;
	uint32_t want, got;

	seed = 42;
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)rnd();
	if (mr_crc32c(0, "123456789", 9) != 0xE3069283U) {
		printf("check value: %08x\n", mr_crc32c(0, "123456789", 9));
		return 1;
	}
	for (len = 0; len <= sizeof(buf); len += len < 64 ? 1 : 997) {
		want = crc_bitwise(buf, len);
		split = len / 3;
		got = mr_crc32c(mr_crc32c(0, buf, split), buf + split,
		    len - split);
		if (mr_crc32c(0, buf, len) != want || got != want) {
			printf("length %zu: %08x, want %08x\n", len, got, want);
			return 1;
		}
	}
	printf("crc ok\n");
	return 0;
}

/* The values of agg and cut: stdin's lines, without their newlines. */
struct values {
	unsigned char **p;
	size_t *len;
	size_t n;
};

static void
read_values(struct values *vs)
{
	char *line = NULL;
	size_t cap = 0, size = 0;
	ssize_t n;

	vs->n = 0;
	vs->p = NULL;
	vs->len = NULL;
	while ((n = getline(&line, &cap, stdin)) >= 0) {
		if (n > 0 && line[n - 1] == '\n')
			n--;
		if (vs->n == size) {
			size = size ? 2 * size : 1024;
			vs->p = realloc(vs->p, size * sizeof(*vs->p));
			vs->len = realloc(vs->len, size * sizeof(*vs->len));
			if (vs->p == NULL || vs->len == NULL)
				check(-1, "out of memory");
		}
		if ((vs->p[vs->n] = malloc((size_t)n + 1)) == NULL)
			check(-1, "out of memory");
		memcpy(vs->p[vs->n], line, (size_t)n);
		vs->len[vs->n++] = (size_t)n;
	}
	free(line);
}

static void
free_values(struct values *vs)
{
	size_t i;

	for (i = 0; i < vs->n; i++)
		free(vs->p[i]);
	free(vs->p);
	free(vs->len);
}

static void
op_arg(struct mr_op *op, const char *name, const char *sep)
{
	if (mr_op_parse(op, name) < 0)
		check(-1, "not an op");
	if (sep != NULL) {
		op->sep = (const unsigned char *)sep;
		op->seplen = strlen(sep);
	}
}

static void
agg_check(int rc, const char *what, size_t i)
{
	if (rc != 0) {
		printf("%s %zu: error %d\n", what, i + 1, rc);
		exit(1);
	}
}

static int
agg(int argc, char *argv[])
{
	const char *mode = argc > 3 ? argv[3] : "result";
	struct mr_buf out = { NULL, 0, 0 };
	struct values vs;
	struct mr_agg a;
	struct mr_op op;
	size_t i;

	op_arg(&op, argv[2], argc > 4 ? argv[4] : NULL);
	read_values(&vs);
	mr_agg_init(&a);
	for (i = 0; i < vs.n; i++)
		agg_check(strcmp(mode, "merge") == 0 ?
		    mr_agg_merge(&op, &a, vs.p[i], vs.len[i]) :
		    mr_agg_add(&op, &a, vs.p[i], vs.len[i]), "value", i);
	agg_check(strcmp(mode, "partial") == 0 ? mr_agg_partial(&op, &a, &out) :
	    mr_agg_result(&op, &a, &out), "result", vs.n);
	fwrite(out.p, 1, out.len, stdout);
	putchar('\n');
	mr_agg_free(&a);
	free(out.p);
	free_values(&vs);
	return 0;
}

/* The partial state of values [from, to) into out. */
static void
piece_state(const struct mr_op *op, const struct values *vs, size_t from,
    size_t to, struct mr_buf *out)
{
	struct mr_agg a;
	size_t i;

	mr_agg_init(&a);
	for (i = from; i < to; i++)
		agg_check(mr_agg_add(op, &a, vs->p[i], vs->len[i]), "value", i);
	agg_check(mr_agg_partial(op, &a, out), "partial", to);
	mr_agg_free(&a);
}

static int
cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

/*
 * One way of reducing the values in pieces: cut them at k - 1 random
 * points, take the partial state of each piece that has values (as every
 * group in a stream does), and merge them in order; with two levels, the
 * states are merged a few at a time into partial states of their own
 * first.  Returns 0 when the result equals want.
 */
static int
cut_once(const struct mr_op *op, const struct values *vs, size_t k,
    int levels, const struct mr_buf *want)
{
	struct mr_buf st = { NULL, 0, 0 }, out = { NULL, 0, 0 };
	struct mr_agg top, mid;
	size_t *cuts, i, j, np;
	int rc;

	cuts = malloc((k + 1) * sizeof(*cuts));
	cuts[0] = 0;
	cuts[k] = vs->n;
	for (i = 1; i < k; i++)
		cuts[i] = (size_t)(rnd() % (vs->n + 1));
	qsort(cuts, k + 1, sizeof(*cuts), cmp_size);
	for (np = 0, i = 1; i <= k; i++)
		if (cuts[i] > cuts[np])
			cuts[++np] = cuts[i];
	mr_agg_init(&top);
	mr_agg_init(&mid);
	for (j = 0; j < np; j++) {
		piece_state(op, vs, cuts[j], cuts[j + 1], &st);
		if (levels == 1) {
			agg_check(mr_agg_merge(op, &top, st.p, st.len),
			    "merge", j);
			continue;
		}
		agg_check(mr_agg_merge(op, &mid, st.p, st.len), "merge", j);
		if (rnd() % 3 == 0 || j == np - 1) {
			agg_check(mr_agg_partial(op, &mid, &st), "partial", j);
			agg_check(mr_agg_merge(op, &top, st.p, st.len),
			    "merge", j);
			mr_agg_clear(&mid);
		}
	}
	agg_check(mr_agg_result(op, &top, &out), "result", k);
	rc = out.len != want->len || memcmp(out.p, want->p, out.len) != 0;
	if (rc) {
		printf("%zu pieces, %d levels: got '%.*s', want '%.*s'\n", np,
		    levels, (int)out.len, out.p, (int)want->len, want->p);
		for (j = 0; j <= np; j++)
			printf("cut %zu\n", cuts[j]);
	}
	mr_agg_free(&top);
	mr_agg_free(&mid);
	free(cuts);
	free(st.p);
	free(out.p);
	return rc;
}

/* The ops whose result does not depend on the order of the values. */
static int
commutes(const struct mr_op *op)
{
	return op->code != MR_OP_FIRST && op->code != MR_OP_LAST &&
	    op->code != MR_OP_COLLECT;
}

static int
cut(int argc, char *argv[])
{
	struct mr_buf want = { NULL, 0, 0 }, got = { NULL, 0, 0 };
	struct values vs;
	struct mr_agg a;
	struct mr_op op;
	unsigned char *tp;
	size_t i, j, k, tl;
	long r, rounds;

	op_arg(&op, argv[2], argc > 5 ? argv[5] : NULL);
	seed = strtoull(argv[3], NULL, 10) * 2654435761ULL + 1;
	rounds = atol(argv[4]);
	read_values(&vs);
	mr_agg_init(&a);
	for (i = 0; i < vs.n; i++)
		agg_check(mr_agg_add(&op, &a, vs.p[i], vs.len[i]), "value", i);
	agg_check(mr_agg_result(&op, &a, &want), "result", vs.n);
	mr_agg_free(&a);
	for (r = 0; r < rounds; r++) {
		/* one piece, each value alone, then random numbers of pieces */
		k = r == 0 ? 1 : r == 1 ? (vs.n > 0 ? vs.n : 1) :
		    1 + (size_t)(rnd() % (r % 2 ? 4 : 64));
		if (mr_op_combinable(&op) &&
		    cut_once(&op, &vs, k, 1 + (int)(r % 2), &want) != 0)
			return 1;
		if (!commutes(&op) || vs.n < 2)
			continue;
		/* a shuffle of the values gives the same result */
		for (i = vs.n - 1; i > 0; i--) {
			j = (size_t)(rnd() % (i + 1));
			tp = vs.p[i];
			vs.p[i] = vs.p[j];
			vs.p[j] = tp;
			tl = vs.len[i];
			vs.len[i] = vs.len[j];
			vs.len[j] = tl;
		}
		mr_agg_init(&a);
		for (i = 0; i < vs.n; i++)
			agg_check(mr_agg_add(&op, &a, vs.p[i], vs.len[i]),
			    "value", i);
		agg_check(mr_agg_result(&op, &a, &got), "result", vs.n);
		mr_agg_free(&a);
		if (got.len != want.len || memcmp(got.p, want.p, got.len)) {
			printf("shuffled: got '%.*s', want '%.*s'\n",
			    (int)got.len, got.p, (int)want.len, want.p);
			return 1;
		}
	}
	printf("%s: %zu values, %ld rounds: '%.*s'\n", argv[2], vs.n, rounds,
	    want.len > 60 ? 60 : (int)want.len, want.p);
	free(want.p);
	free(got.p);
	free_values(&vs);
	return 0;
}

static int
frame_text(const char *arg)
{
	unsigned char meta[MR_META_MAX];
	struct mr_reader *r;
	struct mr_writer *w;
	struct mr_rec rec;
	size_t len = 0;
	int rc;

	for (; *arg != '\0' && len < sizeof(meta); arg++)
		if (arg[0] == '\\' && arg[1] == 'n') {
			meta[len++] = '\n';
			arg++;
		} else
			meta[len++] = (unsigned char)*arg;
	r = mr_reader_new(0, "stdin", &fmt);
	w = mr_writer_new(1, "stdout", 0, &fmt, meta, len);
	while ((rc = mr_read(r, &rec)) > 0)
		check(mr_write(w, &rec), mr_writer_errmsg(w));
	check(rc, mr_reader_errmsg(r));
	check(mr_writer_finish(w), mr_writer_errmsg(w));
	return 0;
}

/*
 * Copies stdin's framed stream (of the current version) to stdout frame by
 * frame, leaving out block n, or writing it twice.
 */
static int
block_edit(const char *how, const char *nth)
{
	static unsigned char buf[1 << 26];
	size_t len, off, flen;
	long n = atol(nth), k = 0;
	int dup = strcmp(how, "dup") == 0;

	if (!dup && strcmp(how, "drop") != 0)
		return 2;
	len = fread(buf, 1, sizeof(buf), stdin);
	for (off = 0; off + MR_SYNC_LEN < len; off += flen) {
		flen = frame_length(buf + off);
		if (flen > len - off)
			flen = len - off;
		if (buf[off + 8] == FRAME_BLOCK && k++ == n) {
			if (dup)
				out(buf + off, flen);
			if (!dup)
				continue;
		}
		out(buf + off, flen);
	}
	out(buf + off, len - off);
	return fflush(stdout) == 0 && k > n ? 0 : 1;
}

int
main(int argc, char *argv[])
{
	if (argc >= 2 && strcmp(argv[1], "gen") == 0)
		return gen(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "embed") == 0)
		return embed(argc, argv);
	if (argc == 2 && strcmp(argv[1], "dump") == 0)
		return dump();
	if (argc == 3 && strcmp(argv[1], "craft") == 0)
		return craft(argv[2]);
	if (argc == 3 && strcmp(argv[1], "sync") == 0)
		return sync_check(argv[2]);
	if (argc == 2 && strcmp(argv[1], "crc") == 0)
		return crc_check();
	if (argc >= 3 && argc <= 5 && strcmp(argv[1], "agg") == 0)
		return agg(argc, argv);
	if (argc >= 5 && argc <= 6 && strcmp(argv[1], "cut") == 0)
		return cut(argc, argv);
	if (argc == 3 && strcmp(argv[1], "frame") == 0)
		return frame_text(argv[2]);
	if (argc == 4 && strcmp(argv[1], "block") == 0)
		return block_edit(argv[2], argv[3]);
	fputs("usage: mrtest gen SEED COUNT MAXLEN [META] | "
	    "embed SEED COUNT FILE | dump |\n"
	    "       craft KIND | sync FILE | crc | "
	    "agg OP [partial|merge] [SEP] |\n"
	    "       cut OP SEED ROUNDS [SEP] | frame META | "
	    "block drop|dup N\n", stderr);
	return 2;
}
