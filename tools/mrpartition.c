/*
 * mrpartition: route records to N outputs by the hash of their key, or by
 * sampled split points for a total order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "proc.h"

#define MAX_PARTS	65536
#define SAMPLE_MAX	100000
#define WRITE_BUDGET	(64 << 20)	/* bytes of block buffers in all */

enum { OPT_COUNTERS = 256, OPT_NUMERIC, OPT_REVERSE, OPT_SAMPLE, OPT_POINTS,
    OPT_TEXT };

static const char usage_text[] =
    "usage: mrpartition -n N -o TEMPLATE [-z] [-k K] [-t SEP]\n"
    "           [--allow-magic] [--counters FILE] [--numeric] [--reverse]\n"
    "           [--split-points FILE] [--text] [FILE ...]\n"
    "       mrpartition -n N --sample FILE [-z] [-t SEP] [--allow-magic]\n"
    "           [--numeric] [--reverse] [--text] [FILE ...]\n";

static const struct cli_opt options[] = {
	{ 'k', "partition-fields", "K",
	    "hash the first K fields of the key only" },
	{ 'n', "partitions", "N", "route the records to N partitions" },
	{ 'o', "output", "TEMPLATE",
	    "write partition i to TEMPLATE with i for its %d" },
	CLI_OPT_SEP,
	CLI_OPT_ZERO,
	CLI_OPT_MAGIC,
	{ OPT_COUNTERS, "counters", "FILE", "write the counters to FILE" },
	CLI_OPT_HELP,
	{ OPT_NUMERIC, "numeric", NULL, "keys in ranges compare as numbers" },
	{ OPT_REVERSE, "reverse", NULL,
	    "ranges go from the greatest key down" },
	{ OPT_SAMPLE, "sample", "FILE",
	    "write N-1 split points sampled from the input" },
	{ OPT_POINTS, "split-points", "FILE",
	    "route by key ranges, split at the keys in FILE" },
	{ OPT_TEXT, "text", NULL, "write text lines, not framed records" },
	CLI_OPT_VERSION,
	{ 0, NULL, NULL, NULL }
};

static const struct cli_tool tool = {
	"mrpartition", "Route records to N outputs by key hash or key range.",
	usage_text, options, 0
};

struct key {
	unsigned char *p;
	size_t len;
};

static struct mr_order order;
static struct mr_textfmt fmt = MR_TEXTFMT_DEFAULT;

static struct key
key_copy(const unsigned char *p, size_t len)
{
	struct key k;

	k.p = xmalloc(len);
	memcpy(k.p, p, len);
	k.len = len;
	return k;
}

static int
key_order(const void *a, const void *b)
{
	const struct key *x = a, *y = b;

	return mr_keycmp(&order, x->p, x->len, y->p, y->len);
}

/* A fixed-seed xorshift, so that the same input gives the same sample. */
static uint64_t
next_random(void)
{
	static uint64_t s = 0x9E3779B97F4A7C15ULL;

	s ^= s << 13;
	s ^= s >> 7;
	s ^= s << 17;
	return s;
}

/* Writes n-1 split points drawn from a sample of the input keys. */
static void
sample(char **files, int nfiles, long n, const char *out, int text)
{
	unsigned char meta[MR_META_MAX];
	struct key *keys;
	struct mr_reader *r;
	struct mr_writer *w;
	struct mr_rec rec;
	struct outfile of;
	uint64_t seen = 0, j;
	size_t nkeys = 0, i;
	size_t metalen = 0;
	int f, rc;

	keys = xmalloc(SAMPLE_MAX * sizeof(*keys));
	for (f = 0; f < nfiles; f++) {
		r = open_input(files[f], &fmt, 0, f == 0, meta, &metalen);
		while ((rc = mr_read(r, &rec)) > 0) {
			seen++;
			if (nkeys < SAMPLE_MAX) {
				keys[nkeys++] = key_copy(rec.key, rec.klen);
				continue;
			}
			j = next_random() % seen;
			if (j < SAMPLE_MAX) {
				free(keys[j].p);
				keys[j] = key_copy(rec.key, rec.klen);
			}
		}
		if (rc < 0)
			die("%s", mr_reader_errmsg(r));
		close_reader(r);
	}
	qsort(keys, nkeys, sizeof(*keys), key_order);
	out_open(&of, out);
	w = open_writer(&of, text, &fmt, NULL, 0);
	for (i = 1; nkeys > 0 && i < (size_t)n; i++) {
		rec.key = keys[i * nkeys / (size_t)n].p;
		rec.klen = keys[i * nkeys / (size_t)n].len;
		rec.val = rec.key;
		rec.vlen = 0;
		if (mr_write(w, &rec) < 0)
			die("%s", mr_writer_errmsg(w));
	}
	if (mr_writer_finish(w) < 0)
		die("%s", mr_writer_errmsg(w));
	mr_writer_free(w);
	out_commit(&of);
}

static struct key *
load_points(const char *path, long n, size_t *npoints)
{
	struct mr_reader *r;
	struct mr_rec rec;
	struct key *pts;
	size_t np = 0;
	int rc;

	pts = xmalloc((size_t)n * sizeof(*pts));
	r = open_reader(path, &fmt, 0);
	while ((rc = mr_read(r, &rec)) > 0) {
		if (np == (size_t)n - 1)
			die("%s: more than %ld split points for %ld partitions",
			    path, n - 1, n);
		if (np > 0 && mr_keycmp(&order, pts[np - 1].p, pts[np - 1].len,
		    rec.key, rec.klen) > 0)
			die("%s: split point %zu is out of order", path,
			    np + 1);
		pts[np++] = key_copy(rec.key, rec.klen);
	}
	if (rc < 0)
		die("%s", mr_reader_errmsg(r));
	close_reader(r);
	*npoints = np;
	return pts;
}

/* The partition of a key: how many split points are at or below it. */
static size_t
range_part(const struct key *pts, size_t np, const unsigned char *key,
    size_t klen)
{
	size_t lo = 0, hi = np, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (mr_keycmp(&order, pts[mid].p, pts[mid].len, key, klen) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct args {
	const char *template, *sample_file, *points_file, *counters;
	long n, fields;
	int text;
};

/* The records routed and the bytes of input read, for --counters. */
static void
write_counters(const char *path, uint64_t records, uint64_t bytes)
{
	const struct proc_count mine[] = {
		{ "PARTITION_INPUT_RECORDS", records },
		{ "PARTITION_INPUT_BYTES", bytes },
	};
	struct outfile o;

	out_open(&o, path);
	proc_counters_save(&o, mine, sizeof(mine) / sizeof(mine[0]));
	out_close(&o);
	out_commit(&o);
}

static void
partition(char **files, int nfiles, const struct args *a)
{
	unsigned char meta[MR_META_MAX];
	struct outfile *outs;
	struct mr_writer **ws;
	struct mr_reader *r;
	struct key *pts = NULL;
	struct mr_rec rec;
	size_t np = 0, metalen = 0, bufsize, p;
	long i, n = a->n, fields = a->fields;
	uint64_t h, mask = (n & (n - 1)) == 0 ? (uint64_t)n - 1 : 0;
	uint64_t records = 0, bytes = 0;
	int f, rc;

	want_open_files(n);
	if (a->points_file != NULL)
		pts = load_points(a->points_file, n, &np);
	r = open_input(files[0], &fmt, 0, 1, meta, &metalen);
	outs = xmalloc((size_t)n * sizeof(*outs));
	ws = xmalloc((size_t)n * sizeof(*ws));
	bufsize = WRITE_BUDGET / (size_t)n;
	for (i = 0; i < n; i++) {
		char *name = template_name(a->template, i);

		out_open(&outs[i], name);
		free(name);
		ws[i] = open_writer(&outs[i], a->text, &fmt, meta, metalen);
		if (bufsize < 256 * 1024)
			mr_writer_bufsize(ws[i], bufsize);
	}
	for (f = 0;;) {
		while ((rc = mr_read(r, &rec)) > 0) {
			if (pts != NULL)
				p = range_part(pts, np, rec.key, rec.klen);
			else {
				h = mr_hash64(rec.key, fields ? mr_key_fields(
				    rec.key, rec.klen, fmt.sep, fields) :
				    rec.klen);
				/* a division costs more than the hash */
				p = (size_t)(mask ? h & mask : h % (uint64_t)n);
			}
			if (copy_record(ws[p], r, &rec) < 0)
				die("%s", mr_writer_errmsg(ws[p]));
		}
		if (rc < 0)
			die("%s", mr_reader_errmsg(r));
		records += mr_reader_count(r);
		bytes += mr_reader_offset(r);
		close_reader(r);
		if (++f == nfiles)
			break;
		r = open_input(files[f], &fmt, 0, 0, meta, &metalen);
	}
	for (i = 0; i < n; i++) {
		if (mr_writer_finish(ws[i]) < 0)
			die("%s", mr_writer_errmsg(ws[i]));
		mr_writer_free(ws[i]);
		out_close(&outs[i]);
	}
	if (a->counters != NULL)
		write_counters(a->counters, records, bytes);
	for (i = 0; i < n; i++)
		out_commit(&outs[i]);
}

/*
 * Parses the options into a and the file-scope settings and returns the
 * file operands, *argc many.
 */
static char **
parse_args(int *argc, char *argv[], struct args *a)
{
	int c;

	cli_start(&tool, *argc, argv);
	while ((c = cli_getopt(*argc, argv, &fmt)) != -1) {
		switch (c) {
		case 'k':
			if (parse_count(optarg, 1, 1000000, &a->fields) < 0)
				usage_error(usage_text, "bad field count: %s",
				    optarg);
			break;
		case 'n':
			if (parse_count(optarg, 1, MAX_PARTS, &a->n) < 0)
				usage_error(usage_text, "bad partition count: "
				    "%s (1 to %d)", optarg, MAX_PARTS);
			break;
		case 'o':
			a->template = optarg;
			break;
		case OPT_COUNTERS:
			a->counters = optarg;
			break;
		case OPT_NUMERIC:
			order.numeric = 1;
			break;
		case OPT_REVERSE:
			order.reverse = 1;
			break;
		case OPT_SAMPLE:
			a->sample_file = optarg;
			break;
		case OPT_POINTS:
			a->points_file = optarg;
			break;
		case OPT_TEXT:
			a->text = 1;
			break;
		}
	}
	return operands(usage_text, argc, argv);
}

/* Exits 2 unless the options make one of the two forms of the usage. */
static void
check_args(const struct args *a)
{
	if (a->n == 0)
		usage_error(usage_text, "-n N is required");
	if (a->sample_file != NULL) {
		if (a->template != NULL || a->points_file != NULL ||
		    a->fields != 0 || a->counters != NULL)
			usage_error(usage_text, "--sample takes no -o, -k, "
			    "--counters or --split-points");
		return;
	}
	if ((order.numeric || order.reverse) && a->points_file == NULL)
		usage_error(usage_text, "--numeric and --reverse go with "
		    "--sample or --split-points");
	if (a->template == NULL)
		usage_error(usage_text, "-o TEMPLATE is required");
	opt_template(usage_text, a->template);
	if (a->points_file != NULL && a->fields != 0)
		usage_error(usage_text, "-k and --split-points exclude each "
		    "other");
}

int
main(int argc, char *argv[])
{
	struct args a = { NULL, NULL, NULL, NULL, 0, 0, 0 };

	argv = parse_args(&argc, argv, &a);
	check_args(&a);
	if (a.sample_file != NULL)
		sample(argv, argc, a.n, a.sample_file, a.text);
	else
		partition(argv, argc, &a);
	return 0;
}
