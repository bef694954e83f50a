/*
 * mrjoin: join two or more inputs sorted by key: for each key, the rows
 * of every combination of its records in the inputs (inner, or outer with
 * -a), or the records of one input that have no match (-v) or that have
 * one in every other input (--semi).  With --hash, join a small input of
 * any order, held in memory, with a stream of records of any order.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "proc.h"

#define DEFAULT_MEMORY	(128 << 20)
#define SPILL_BUFSIZE	(256 << 10)	/* a spilled group's read buffer */

enum { OPT_COUNTERS = 256, OPT_FRAMED, OPT_HASH, OPT_INPUTS, OPT_SEMI,
    OPT_SMALL_FIRST };

static const char usage_text[] =
    "usage: mrjoin [-nz] [--allow-magic] [--counters FILE] [--framed]\n"
    "           [--inputs N1,N2,...] [--semi] [-a N] [-e STRING] "
    "[-o FILE]\n"
    "           [-S SIZE] [-T DIR] [-t SEP] [-v N] FILE1 FILE2 "
    "[FILE ...]\n"
    "       mrjoin --hash [-nz] [--allow-magic] [--counters FILE] "
    "[--framed]\n"
    "           [--inputs K,M] [--semi] [--small-first] [-a N] [-e STRING]"
    "\n"
    "           [-o FILE] [-S SIZE] [-t SEP] [-v N] SMALL [FILE ...]\n";

static const struct cli_opt options[] = {
	{ 'a', "all", "N", "also write the rows of keys that input N has" },
	{ 'e', "fill", "STRING",
	    "stand for the value of an input that lacks the key" },
	{ 'n', "numeric", NULL, "the keys are sorted as decimal numbers" },
	{ 'o', "output", "FILE", "write to FILE, complete or not at all" },
	{ 'S', "memory", "SIZE",
	    "hold a key's records, or SMALL, in SIZE (128M)" },
	{ 'T', "tmpdir", "DIR", "put temporary files in DIR, not $TMPDIR" },
	CLI_OPT_SEP,
	{ 'v', "only-unmatched", "N",
	    "write only the records of input N without a match" },
	CLI_OPT_ZERO,
	CLI_OPT_MAGIC,
	{ OPT_COUNTERS, "counters", "FILE", "write the counters to FILE" },
	{ OPT_FRAMED, "framed", NULL, "write framed records, not text lines" },
	{ OPT_HASH, "hash", NULL,
	    "join SMALL, held in memory, to FILEs of any order" },
	CLI_OPT_HELP,
	{ OPT_INPUTS, "inputs", "N1,N2,...",
	    "the first N1 files are input 1, the next N2 input 2" },
	{ OPT_SEMI, "semi", NULL,
	    "write input 1's records that match in all inputs" },
	{ OPT_SMALL_FIRST, "small-first", NULL,
	    "with --hash, SMALL is input 1, its values first" },
	CLI_OPT_VERSION,
	{ 0, NULL, NULL, NULL }
};

static const struct cli_tool tool = {
	"mrjoin", "Join inputs sorted by key.", usage_text, options, 0
};

/* A byte buffer that grows. */
struct buf {
	unsigned char *p;
	size_t len, cap;
};

/* Makes b empty, with room: its bytes are never a NULL pointer. */
static void
buf_init(struct buf *b)
{
	b->cap = 256;
	b->p = xmalloc(b->cap);
	b->len = 0;
}

/* Makes room in b for len more bytes. */
static void
buf_grow(struct buf *b, size_t len)
{
	b->cap = b->cap == 0 ? 256 : b->cap;
	while (b->len + len > b->cap)
		b->cap *= 2;
	b->p = xrealloc(b->p, b->cap);
}

static inline void
buf_put(struct buf *b, const void *p, size_t len)
{
	if (len == 0)
		return;
	if (b->len + len > b->cap)
		buf_grow(b, len);
	memcpy(b->p + b->len, p, len);
	b->len += len;
}

/*
 * The values of one key in one input, for replaying: in memory, each as
 * 4 bytes of length, least significant first, then its bytes, while they
 * fit in the group's share of -S; past that, all of them as framed
 * records in a temp file, as mrsort spills its runs, read back by a
 * reader for each replay.
 */
struct group {
	struct buf mem;
	size_t at;		/* replay: offset in mem */
	int fd;			/* the temp file, or -1 */
	struct mr_writer *w;	/* writing it, until the first replay */
	struct mr_reader *r;	/* replaying it */
};

/*
 * One input: its files, merged when there are several, maybe read ahead
 * on another thread; the record read next (its bytes the reader's, until
 * the next read) and a copy of its key, which stays to check the order of
 * the next; and its group.
 */
struct input {
	struct mr_reader **r;
	size_t nr;
	struct mr_merge *m;	/* merging r, or NULL for one file */
	struct mr_ahead *ahead;	/* reading r[0] or m ahead, or NULL */
	int has;		/* rec is the next record */
	int same;		/* its key equals the key of the one before */
	unsigned long long count;	/* records read */
	struct mr_rec rec;
	struct buf key;
	struct group g;
};

static struct mr_textfmt fmt = MR_TEXTFMT_DEFAULT;
static struct mr_order order;
static const char *tmpdir;
static size_t share;		/* bytes of memory for each group */
/* For --counters: the records read, and the keys. */
static unsigned long long in_records, in_groups;

/* The first 4 bytes at p as a little-endian number: a held value's length. */
static inline size_t
get_le32(const unsigned char *p)
{
	return (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 |
	    (size_t)p[3] << 24;
}

/* The first 8 bytes at p as a big-endian number. */
static inline uint64_t
get_be64(const unsigned char *p)
{
	return (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 |
	    (uint64_t)p[2] << 40 | (uint64_t)p[3] << 32 |
	    (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 |
	    (uint64_t)p[6] << 8 | (uint64_t)p[7];
}

/*
 * Compares two keys as mr_keycmp() does.  Bytewise, keys of 8 bytes or
 * more are told apart by their first 8 as two numbers, in the common
 * case, which is cheaper than calling memcmp().
 */
static inline int
keycmp(const unsigned char *a, size_t alen, const unsigned char *b,
    size_t blen)
{
	uint64_t x, y;

	if (order.numeric || alen < 8 || blen < 8)
		return mr_keycmp(&order, a, alen, b, blen);
	x = get_be64(a);
	y = get_be64(b);
	if (x != y)
		return x < y ? -1 : 1;
	if (alen == 8 && blen == 8)
		return 0;
	return mr_keycmp(&order, a + 8, alen - 8, b + 8, blen - 8);
}

/* The sources of records that an input reads ahead. */
static int
next_of_file(void *r, struct mr_rec *rec)
{
	return mr_read(r, rec);
}

static int
next_of_merge(void *m, struct mr_rec *rec)
{
	return mr_merge_next(m, rec, NULL);
}

/*
 * Reads the next record of in into rec: 1, or 0 at its end.  Dies on an
 * error, which the merge of several files reports for each file.
 */
static int
input_read(struct input *in, struct mr_rec *rec)
{
	int rc;

	if (in->ahead != NULL)
		rc = mr_ahead_read(in->ahead, rec);
	else if (in->m != NULL)
		rc = mr_merge_next(in->m, rec, NULL);
	else
		rc = mr_read(in->r[0], rec);
	if (rc == -2)
		die("out of memory");
	if (rc < 0)
		die("%s", in->m != NULL ? mr_merge_errmsg(in->m) :
		    mr_reader_errmsg(in->r[0]));
	if (rc > 0) {
		in->count++;
		in_records++;
	}
	return rc;
}

/*
 * Reads the next record of in, checking that its key is in order, and
 * tells whether it has the key of the record before.  The merge of an
 * input's files checks the order of each file itself.
 */
static void
advance(struct input *in)
{
	struct mr_rec *rec = &in->rec;
	int c = 1;

	in->has = input_read(in, rec);
	in->same = 0;
	if (!in->has)
		return;
	if (in->count > 1 && (c = keycmp(in->key.p, in->key.len, rec->key,
	    rec->klen)) > 0)
		die("%s: record %llu is out of order (sort it with mrsort)",
		    mr_reader_name(in->r[0]), in->count);
	in->same = c == 0;
	if (!in->same) {
		in->key.len = 0;
		buf_put(&in->key, rec->key, rec->klen);
	}
}

/* Appends value v to the temp file of g, as a record with no key. */
static void
spill(struct group *g, const unsigned char *v, size_t len)
{
	struct mr_rec rec = { v, 0, v, len };

	if (mr_write(g->w, &rec) < 0)
		die("%s", mr_writer_errmsg(g->w));
}

static void
group_add(struct group *g, const unsigned char *v, size_t len)
{
	unsigned char *h;
	size_t at, n;

	if (g->w == NULL && g->mem.len + 4 + len > share) {
		g->fd = anon_temp(tmpdir);
		if ((g->w = mr_writer_new(g->fd, "temporary file", 0, &fmt,
		    NULL, 0)) == NULL)
			die("out of memory");
		for (at = 0; at < g->mem.len; at += 4 + n) {
			n = get_le32(g->mem.p + at);
			spill(g, g->mem.p + at + 4, n);
		}
		g->mem.len = 0;
	}
	if (g->w != NULL) {
		spill(g, v, len);
		return;
	}
	if (g->mem.len + 4 + len > g->mem.cap)
		buf_grow(&g->mem, 4 + len);
	h = g->mem.p + g->mem.len;
	h[0] = (unsigned char)len;
	h[1] = (unsigned char)(len >> 8);
	h[2] = (unsigned char)(len >> 16);
	h[3] = (unsigned char)(len >> 24);
	if (len > 0)
		memcpy(h + 4, v, len);
	g->mem.len += 4 + len;
}

/* Makes g ready to replay from its first value. */
static void
group_rewind(struct group *g)
{
	g->at = 0;
	if (g->fd < 0)
		return;
	if (g->w != NULL) {
		if (mr_writer_finish(g->w) < 0)
			die("%s", mr_writer_errmsg(g->w));
		mr_writer_free(g->w);
		g->w = NULL;
	}
	mr_reader_free(g->r);
	if (lseek(g->fd, 0, SEEK_SET) < 0)
		die("%s: temporary file: %s", tmpdir, strerror(errno));
	if ((g->r = mr_reader_new(g->fd, "temporary file", &fmt)) == NULL)
		die("out of memory");
	mr_reader_bufsize(g->r, SPILL_BUFSIZE);
}

/* The next value of a group being replayed; 0 at its end. */
static int
group_next(struct group *g, const unsigned char **v, size_t *len)
{
	const unsigned char *h;
	struct mr_rec rec;
	int rc;

	if (g->r != NULL) {
		if ((rc = mr_read(g->r, &rec)) < 0)
			die("%s", mr_reader_errmsg(g->r));
		*v = rec.val;
		*len = rec.vlen;
		return rc;
	}
	if (g->mem.len - g->at < 4)
		return 0;
	h = g->mem.p + g->at;
	*len = get_le32(h);
	*v = h + 4;
	g->at += 4 + *len;
	return 1;
}

static void
group_clear(struct group *g)
{
	mr_writer_free(g->w);
	mr_reader_free(g->r);
	if (g->fd >= 0)
		close(g->fd);
	g->w = NULL;
	g->r = NULL;
	g->fd = -1;
	g->mem.len = 0;
}

/* What the command line asked for. */
struct args {
	const char *output, *fill, *counters, *inputs;
	size_t memory;
	const char *memory_arg;	/* as -S gave it */
	int *files;		/* the number of files of each input */
	int n;			/* of inputs */
	int *all, *only;	/* -a and -v, by input */
	int semi, framed, hash;
	int small_first;	/* --small-first: SMALL is input 1 */
	int outer, unmatched;	/* an -a, a -v was given */
};

/*
 * The join of one key: the inputs that have it, and the row being made,
 * the value of each input.
 */
struct key {
	struct input *in;
	int n;
	const struct args *a;
	const unsigned char *k;
	size_t klen;
	int *present;
	/* of the inputs present: all of them; one of -a; one of -v */
	int all, kept, only;
	struct mr_field *row;
	struct mr_writer *w;
};

static void
write_rec(struct mr_writer *w, const struct mr_rec *rec)
{
	if (mr_write(w, rec) < 0)
		die("%s", mr_writer_errmsg(w));
}

/* Writes the row of the key whose values are the n fields at row. */
static void
write_row(struct mr_writer *w, const unsigned char *key, size_t klen,
    const struct mr_field *row, size_t n)
{
	if (mr_write_fields(w, key, klen, row, n) < 0)
		die("%s", mr_writer_errmsg(w));
}

static void
put_row(struct key *k)
{
	write_row(k->w, k->k, k->klen, k->row, (size_t)k->n);
}

/* Writes the rows of inputs from i on, after the values in k->row. */
static void
rows(struct key *k, int i)
{
	struct mr_field *p = &k->row[i];
	const unsigned char *v;
	size_t len;
	int last = i == k->n - 1;

	if (!k->present[i]) {
		p->p = k->a->fill;
		p->len = strlen(k->a->fill);
		if (last)
			put_row(k);
		else
			rows(k, i + 1);
		return;
	}
	group_rewind(&k->in[i].g);
	while (group_next(&k->in[i].g, &v, &len)) {
		p->p = v;
		p->len = len;
		if (last)
			put_row(k);
		else
			rows(k, i + 1);
	}
}

/* Writes the record of the key and value v, as it is. */
static void
put_record(struct key *k, const unsigned char *v, size_t len)
{
	struct mr_rec rec;

	rec.key = k->k;
	rec.klen = k->klen;
	rec.val = v;
	rec.vlen = len;
	write_rec(k->w, &rec);
}

/*
 * Joins the records of one key.  The groups of inputs 2 and on are read
 * whole; input 1's records stream past, each joined with their replay.
 */
static void
join_key(struct key *k)
{
	const struct args *a = k->a;
	struct input *first = &k->in[0];
	const unsigned char *v;
	size_t len;
	int i, join, as_is;

	join = !a->semi && !a->unmatched && (k->all || k->kept);
	as_is = (a->semi && k->all) || (a->only[0] && !k->all);
	if (!k->present[0] && join)
		rows(k, 0);
	while (k->present[0]) {
		if (as_is)
			put_record(k, first->rec.val, first->rec.vlen);
		else if (join) {
			k->row[0].p = first->rec.val;
			k->row[0].len = first->rec.vlen;
			rows(k, 1);
		}
		advance(first);
		if (!first->has || !first->same)
			break;
	}
	for (i = 1; i < k->n && !k->all; i++)
		if (k->present[i] && a->only[i]) {
			group_rewind(&k->in[i].g);
			while (group_next(&k->in[i].g, &v, &len))
				put_record(k, v, len);
		}
}

/*
 * Sets what the inputs of k->present are (k->all, k->kept, k->only), and
 * returns whether their key writes anything, a row or a record, so that
 * the records of a key that writes nothing are read past, not held.
 */
static int
classify(struct key *k)
{
	const struct args *a = k->a;
	int i;

	k->all = 1;
	k->kept = k->only = 0;
	for (i = 0; i < k->n; i++) {
		k->all &= k->present[i];
		k->kept |= k->present[i] && a->all[i];
		k->only |= k->present[i] && a->only[i];
	}
	return k->all ? !a->unmatched : k->kept || k->only;
}

/* Reads past the records of in that have the key of its record. */
static void
skip_key(struct input *in)
{
	do
		advance(in);
	while (in->has && in->same);
}

/* Joins the n inputs in into w, key by key. */
static void
join(struct input *in, int n, const struct args *a, struct mr_writer *w)
{
	struct buf cur;
	struct key k;
	int i, lo;

	memset(&k, 0, sizeof(k));
	k.in = in;
	k.n = n;
	k.a = a;
	k.w = w;
	k.present = xmalloc((size_t)n * sizeof(*k.present));
	k.row = xmalloc((size_t)n * sizeof(*k.row));
	buf_init(&cur);
	for (;;) {
		for (lo = -1, i = 0; i < n; i++)
			if (in[i].has && (lo < 0 || keycmp(in[i].key.p,
			    in[i].key.len, in[lo].key.p, in[lo].key.len) < 0))
				lo = i;
		if (lo < 0)
			break;
		for (i = 0; i < n; i++)
			k.present[i] = i == lo || (in[i].has &&
			    keycmp(in[i].key.p, in[i].key.len, in[lo].key.p,
			    in[lo].key.len) == 0);
		in_groups++;
		if (!classify(&k)) {
			for (i = 0; i < n; i++)
				if (k.present[i])
					skip_key(&in[i]);
			continue;
		}
		cur.len = 0;
		buf_put(&cur, in[lo].key.p, in[lo].key.len);
		for (i = 1; i < n; i++) {
			if (!k.present[i])
				continue;
			group_clear(&in[i].g);
			do {
				group_add(&in[i].g, in[i].rec.val,
				    in[i].rec.vlen);
				advance(&in[i]);
			} while (in[i].has && in[i].same);
		}
		k.k = cur.p;
		k.klen = cur.len;
		join_key(&k);
	}
	free(k.present);
	free(k.row);
	free(cur.p);
}

/*
 * Dies for the input name whose metadata of metalen bytes marks partial
 * states of an op (mrmap --combine): they are no values to join.
 */
static void
refuse_partial(const char *name, size_t metalen)
{
	if (metalen > 0)
		die("%s: holds partial states of an op, not values to join",
		    name);
}

/*
 * Opens one file of an input and starts its reader with bufsize bytes
 * of buffer (0 for the default).  Inputs that hold partial states of an
 * op are refused.
 */
static struct mr_reader *
open_file(const char *path, size_t bufsize)
{
	struct mr_reader *r = open_reader(path, &fmt, bufsize);
	size_t metalen;

	if (mr_reader_meta(r, &metalen) == NULL)
		metalen = 0;
	refuse_partial(mr_reader_name(r), metalen);
	return r;
}

/*
 * A reader of the merge of the n files at files, each sorted, made first
 * in a temp file, in passes as mrmerge merges, for a join that cannot
 * hold every file open at once.
 */
static struct mr_reader *
open_merged(char **files, int n, size_t bufsize)
{
	unsigned char meta[MR_META_MAX];
	size_t metalen = 0, nin;
	struct mr_reader **in, *r;
	struct mr_writer *w;
	int fd;

	in = open_sorted(files, n, &fmt, &order, tmpdir, meta, &metalen, &nin);
	refuse_partial(files[0], metalen);
	fd = anon_temp(tmpdir);
	if ((w = mr_writer_new(fd, "temporary file", 0, &fmt, NULL, 0)) ==
	    NULL)
		die("out of memory");
	merge_into(in, nin, &order, w);
	if (mr_writer_finish(w) < 0)
		die("%s (temporary file)", mr_writer_errmsg(w));
	mr_writer_free(w);
	close_sorted(in, nin);
	if (lseek(fd, 0, SEEK_SET) < 0)
		die("%s: temporary file: %s", tmpdir, strerror(errno));
	if ((r = mr_reader_new(fd, "temporary file", &fmt)) == NULL)
		die("out of memory");
	mr_reader_bufsize(r, bufsize);
	return r;
}

/* A file of the hash join, read ahead on another thread. */
struct stream {
	struct mr_reader *r;
	struct mr_ahead *ahead;
};

static void
stream_open(struct stream *s, const char *path)
{
	s->r = open_file(path, 0);
	if ((s->ahead = mr_ahead_new(next_of_file, s->r)) == NULL)
		die("out of memory");
}

/* Reads the next record of s into rec: 1, or 0 at its end.  Dies on error. */
static int
stream_read(struct stream *s, struct mr_rec *rec)
{
	int rc;

	if ((rc = mr_ahead_read(s->ahead, rec)) == -2)
		die("out of memory");
	if (rc < 0)
		die("%s", mr_reader_errmsg(s->r));
	in_records += (unsigned long long)rc;
	return rc;
}

static void
stream_close(struct stream *s)
{
	mr_ahead_free(s->ahead);
	close_reader(s->r);
}

/* Reads the n files of SMALL into a table of at most a->memory bytes. */
static struct mr_table *
load_small(char **files, int n, const struct args *a)
{
	struct mr_table *t;
	struct stream s;
	struct mr_rec rec;
	int i, added;

	if ((t = mr_table_new(a->memory)) == NULL)
		die("out of memory");
	for (i = 0; i < n; i++) {
		stream_open(&s, files[i]);
		while (stream_read(&s, &rec)) {
			if ((added = mr_table_add(t, &rec)) < 0)
				die("out of memory");
			if (added > 0)
				die("%s: SMALL does not fit in -S %s of "
				    "memory; give it more, or join the inputs "
				    "sorted, without --hash",
				    mr_reader_name(s.r), a->memory_arg);
		}
		stream_close(&s);
	}
	return t;
}

/*
 * Joins the record rec of the streamed input with the values of its key
 * in t: a row for each, the value of rec first, or with --small-first
 * last.
 */
static void
hash_record(const struct mr_table *t, const struct mr_rec *rec,
    const struct args *a, struct mr_writer *w)
{
	struct mr_table_iter it;
	struct mr_field row[2];
	const unsigned char *v;
	size_t len;
	int found;

	found = mr_table_find(t, rec->key, rec->klen, &it);
	if (a->semi || a->only[0]) {
		if (found == a->semi)
			write_rec(w, rec);
		return;
	}
	row[a->small_first].p = rec->val;
	row[a->small_first].len = rec->vlen;
	if (!found && a->all[0]) {
		row[!a->small_first].p = a->fill;
		row[!a->small_first].len = strlen(a->fill);
		write_row(w, rec->key, rec->klen, row, 2);
	}
	while (mr_table_next(&it, &v, &len)) {
		row[!a->small_first].p = v;
		row[!a->small_first].len = len;
		write_row(w, rec->key, rec->klen, row, 2);
	}
}

/*
 * The hash join: SMALL, the first a->files[0] files, is read into memory
 * whole; the records of the next a->files[1] files stream past it.
 */
static void
hash_join(char **files, const struct args *a, struct mr_writer *w)
{
	struct mr_table *t = load_small(files, a->files[0], a);
	struct stream s;
	struct mr_rec rec;
	int i;

	for (i = a->files[0]; i < a->files[0] + a->files[1]; i++) {
		stream_open(&s, files[i]);
		while (stream_read(&s, &rec))
			hash_record(t, &rec, a, w);
		stream_close(&s);
	}
	mr_table_free(t);
}

/* Parses an input number of -a or -v; checked against the inputs later. */
static int
input_number(const char *opt, const char *arg)
{
	long v;

	if (parse_count(arg, 1, 1000000, &v) < 0)
		usage_error(usage_text, "%s %s: not an input number", opt,
		    arg);
	return (int)v;
}

/*
 * Parses the argument of --inputs, numbers of files separated by commas,
 * into a->files and a->n, and checks that they add up to nfiles.
 */
static void
parse_inputs(struct args *a, const char *arg, int nfiles)
{
	char *list = xstrdup(arg), *num, *comma;
	long v, sum = 0;

	a->files = xmalloc((strlen(arg) + 1) * sizeof(*a->files));
	a->n = 0;
	for (num = list;; num = comma + 1) {
		if ((comma = strchr(num, ',')) != NULL)
			*comma = '\0';
		if (parse_count(num, 0, 1000000, &v) < 0)
			usage_error(usage_text, "--inputs %s: not numbers of "
			    "files separated by commas", arg);
		if (v == 0)
			usage_error(usage_text, "--inputs %s: an input of no "
			    "files (an empty input is an empty file)", arg);
		a->files[a->n++] = (int)v;
		sum += v;
		if (comma == NULL)
			break;
	}
	free(list);
	if (a->n < 2)
		usage_error(usage_text, "--inputs %s: two inputs or more are "
		    "needed", arg);
	if (sum != nfiles)
		usage_error(usage_text, "--inputs %s: %ld files, but %d %s "
		    "given", arg, sum, nfiles, nfiles == 1 ? "is" : "are");
}

/*
 * Parses the options into a and the file-scope settings, and returns the
 * files, *argc of them.  The numbers of -a and -v go to *nums, each
 * negative for -v, *nnums of them.
 */
static char **
parse_args(int *argc, char *argv[], struct args *a, int **nums, int *nnums)
{
	int c;

	cli_start(&tool, *argc, argv);
	*nums = xmalloc((size_t)*argc * sizeof(**nums));
	*nnums = 0;
	while ((c = cli_getopt(*argc, argv, &fmt)) != -1) {
		switch (c) {
		case 'a':
			(*nums)[(*nnums)++] = input_number("-a", optarg);
			a->outer = 1;
			break;
		case 'e':
			a->fill = optarg;
			break;
		case 'n':
			order.numeric = 1;
			break;
		case 'o':
			a->output = optarg;
			break;
		case 'S':
			if (parse_size(optarg, &a->memory) < 0)
				usage_error(usage_text, "bad memory size: %s",
				    optarg);
			a->memory_arg = optarg;
			break;
		case 'T':
			tmpdir = optarg;
			break;
		case 'v':
			(*nums)[(*nnums)++] = -input_number("-v", optarg);
			a->unmatched = 1;
			break;
		case OPT_COUNTERS:
			a->counters = optarg;
			break;
		case OPT_FRAMED:
			a->framed = 1;
			break;
		case OPT_HASH:
			a->hash = 1;
			break;
		case OPT_INPUTS:
			a->inputs = optarg;
			break;
		case OPT_SEMI:
			a->semi = 1;
			break;
		case OPT_SMALL_FIRST:
			a->small_first = 1;
			break;
		}
	}
	if (a->small_first && (!a->hash || a->semi))
		usage_error(usage_text, "--small-first %s", !a->hash ?
		    "needs --hash" : "and --semi: --semi writes records of "
		    "input 1, which is SMALL");
	if (a->hash && optind == *argc)
		usage_error(usage_text, "--hash needs SMALL");
	return operands(usage_text, argc, argv);
}

/*
 * Sets the files of the inputs of the hash join: SMALL is the first file
 * and the others are streamed, or without any standard input is.  Returns
 * the files, *nfiles of them.
 */
static char **
hash_files(struct args *a, char **files, int *nfiles)
{
	char **all;

	if (a->inputs != NULL) {
		parse_inputs(a, a->inputs, *nfiles);
		if (a->n != 2)
			usage_error(usage_text, "--inputs %s: --hash joins two "
			    "inputs, SMALL and the streamed one", a->inputs);
		return files;
	}
	a->n = 2;
	a->files = xmalloc(2 * sizeof(*a->files));
	a->files[0] = 1;
	a->files[1] = *nfiles - 1;
	if (*nfiles > 1)
		return files;
	if (strcmp(files[0], "-") == 0)
		usage_error(usage_text, "--hash: SMALL is standard input, so "
		    "the FILEs to stream must be named");
	all = xmalloc(2 * sizeof(*all));
	all[0] = files[0];
	all[1] = (char *)"-";
	a->files[1] = 1;
	*nfiles = 2;
	return all;
}

/*
 * Sets the inputs' files from --inputs (one file each without it) unless
 * hash_files() did, and a->all and a->only from the numbers, checked
 * against the inputs.
 */
static void
check_args(struct args *a, const int *nums, int nnums, int nfiles)
{
	int i, k;

	if (a->files == NULL && a->inputs != NULL)
		parse_inputs(a, a->inputs, nfiles);
	else if (a->files == NULL) {
		a->n = nfiles;
		a->files = xmalloc((size_t)nfiles * sizeof(*a->files));
		for (i = 0; i < nfiles; i++)
			a->files[i] = 1;
	}
	if (a->n < 2)
		usage_error(usage_text, "two inputs or more are needed");
	if (a->semi + a->outer + a->unmatched > 1)
		usage_error(usage_text, "-a, -v and --semi exclude each "
		    "other");
	a->all = xmalloc((size_t)a->n * sizeof(*a->all));
	a->only = xmalloc((size_t)a->n * sizeof(*a->only));
	memset(a->all, 0, (size_t)a->n * sizeof(*a->all));
	memset(a->only, 0, (size_t)a->n * sizeof(*a->only));
	for (i = 0; i < nnums; i++) {
		k = nums[i] < 0 ? -nums[i] : nums[i];
		if (k > a->n)
			usage_error(usage_text, "%s %d: there are %d inputs",
			    nums[i] < 0 ? "-v" : "-a", k, a->n);
		if (a->hash && k != 1 + a->small_first)
			usage_error(usage_text, "%s %d: --hash writes the "
			    "unmatched records of input %d, the streamed one, "
			    "alone; for SMALL's, join sorted inputs without "
			    "--hash", nums[i] < 0 ? "-v" : "-a", k,
			    1 + a->small_first);
		/* the hash join keeps the streamed input's at 0 */
		if (a->hash)
			k = 1;
		if (nums[i] < 0)
			a->only[k - 1] = 1;
		else
			a->all[k - 1] = 1;
	}
}

/*
 * Opens the nr files at files as one input, whose records are the merge
 * of theirs, and reads its first record.  With ahead set, its records are
 * read ahead on another thread.
 */
static void
input_open(struct input *in, char **files, size_t nr, size_t bufsize,
    int ahead, int premerge)
{
	size_t i;

	memset(in, 0, sizeof(*in));
	in->r = xmalloc(nr * sizeof(*in->r));
	if (premerge && nr > 1) {
		in->nr = 1;
		in->r[0] = open_merged(files, (int)nr, bufsize);
	} else {
		in->nr = nr;
		for (i = 0; i < nr; i++)
			in->r[i] = open_file(files[i], bufsize);
	}
	if (in->nr > 1 && (in->m = mr_merge_new(in->r, in->nr, &order)) ==
	    NULL)
		die("out of memory");
	if (ahead && (in->ahead = in->m != NULL ?
	    mr_ahead_new(next_of_merge, in->m) :
	    mr_ahead_new(next_of_file, in->r[0])) == NULL)
		die("out of memory");
	in->g.fd = -1;
	buf_init(&in->key);
	advance(in);
}

static void
input_close(struct input *in)
{
	size_t i;

	mr_ahead_free(in->ahead);
	mr_merge_free(in->m);
	for (i = 0; i < in->nr; i++)
		close_reader(in->r[i]);
	free(in->r);
	free(in->key.p);
	group_clear(&in->g);
	free(in->g.mem.p);
}

/*
 * Opens the inputs of the sort-merge join, the nfiles files at files,
 * a->files[i] of them for input i, and sets the share of -S of each
 * group.  When the limit on open files is too low for all of them, the
 * files of each input are merged into a temp file first.
 */
static struct input *
open_inputs(char **files, int nfiles, const struct args *a)
{
	struct input *in;
	size_t bufsize;
	long room;
	int i, at, premerge;

	share = a->memory / (size_t)(a->n - 1);
	/* the files, a temp file for each group, and the reserve */
	room = raise_open_files((long)nfiles + 2 * a->n + 16) - 2 * a->n - 16;
	premerge = room < nfiles;
	if (premerge)
		want_open_files(2 * a->n);
	bufsize = merge_bufsize(premerge ? (size_t)a->n : (size_t)nfiles);
	in = xmalloc((size_t)a->n * sizeof(*in));
	/* input 1 streams past the groups of the others: it is read ahead */
	for (i = at = 0; i < a->n; at += a->files[i++])
		input_open(&in[i], files + at, (size_t)a->files[i], bufsize,
		    i == 0, premerge);
	return in;
}

/*
 * Writes the counters to o, an output opened before the join.  The hash
 * join holds the keys of SMALL alone, so it does not count keys.
 */
static void
write_counters(struct outfile *o, const struct mr_writer *w, int hash)
{
	const struct proc_count mine[] = {
		{ "REDUCE_INPUT_RECORDS", in_records },
		{ "REDUCE_INPUT_GROUPS", in_groups },
		{ "REDUCE_OUTPUT_RECORDS", mr_writer_count(w) },
	};
	const struct proc_count hashed[] = { mine[0], mine[2] };

	if (hash)
		proc_counters_save(o, hashed, 2);
	else
		proc_counters_save(o, mine, 3);
	out_close(o);
}

int
main(int argc, char *argv[])
{
	struct args a;
	struct input *in = NULL;
	struct outfile out, counters;
	struct mr_writer *w;
	char **files;
	int *nums, nnums, i;

	memset(&a, 0, sizeof(a));
	a.output = "-";
	a.fill = "";
	a.memory = DEFAULT_MEMORY;
	a.memory_arg = "128M";
	files = parse_args(&argc, argv, &a, &nums, &nnums);
	if (a.hash)
		files = hash_files(&a, files, &argc);
	check_args(&a, nums, nnums, argc);
	tmpdir = temp_dir(tmpdir);
	if (!a.hash)
		in = open_inputs(files, argc, &a);
	/* a bad name for either output fails before any work */
	out_open(&out, a.output);
	if (a.counters != NULL)
		out_open(&counters, a.counters);
	w = open_writer(&out, !a.framed, &fmt, NULL, 0);
	if (a.hash)
		hash_join(files, &a, w);
	else
		join(in, a.n, &a, w);
	if (mr_writer_finish(w) < 0)
		die("%s", mr_writer_errmsg(w));
	out_close(&out);
	if (a.counters != NULL) {
		write_counters(&counters, w, a.hash);
		out_commit(&counters);
	}
	mr_writer_free(w);
	out_commit(&out);
	for (i = 0; in != NULL && i < a.n; i++)
		input_close(&in[i]);
	return 0;
}
