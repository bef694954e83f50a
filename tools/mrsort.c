/*
 * mrsort: sort records by key in bounded memory on all cores: sort what
 * fits in memory, spill sorted runs to temporary files, merge them.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define DEFAULT_SIZE	(1UL << 30)
#define MAX_THREADS	8
#define RESERVED	(8UL << 20)	/* for buffers outside the records */
#define MERGE_BUFSIZE	(64UL << 10)	/* the least read buffer of a run */
#define BUDGET_MIN	(16UL << 10)
#define FANIN_MIN	16
#define FANIN_MAX	1000
#define SPLIT_MIN	(16UL << 20)	/* smaller inputs are read whole */

enum { OPT_PARALLEL = 256, OPT_TEXT, OPT_VALUES };

static const char usage_text[] =
    "usage: mrsort [-cnrz] [--allow-magic] [--text] [--values[=KEYDEF]]\n"
    "           [-o FILE] [-S SIZE] [-T DIR] [-t SEP] [--parallel N] "
    "[FILE ...]\n";

static const struct cli_opt options[] = {
	{ 'c', "check", NULL, "exit 0 if the input is sorted, 1 if not" },
	{ 'n', "numeric", NULL, "sort keys as decimal numbers" },
	{ 'o', "output", "FILE", "write to FILE, complete or not at all" },
	{ 'r', "reverse", NULL, "sort in reverse order, greatest first" },
	{ 'S', "memory", "SIZE", "sort in SIZE of memory (1G by default)" },
	{ 'T', "tmpdir", "DIR", "put temporary files in DIR, not $TMPDIR" },
	CLI_OPT_SEP,
	CLI_OPT_ZERO,
	CLI_OPT_MAGIC,
	CLI_OPT_HELP,
	{ OPT_PARALLEL, "parallel", "N",
	    "sort on N threads (the cores, at most 8)" },
	{ OPT_TEXT, "text", NULL, "write text lines, not framed records" },
	{ OPT_VALUES, "values", "[KEYDEF]",
	    "sort equal keys by value (by sort -k KEYDEF)" },
	CLI_OPT_VERSION,
	{ 0, NULL, NULL, NULL }
};

static const struct cli_tool tool = {
	"mrsort", "Sort records by key in bounded memory, on all cores.",
	usage_text, options, 0
};

static struct mr_order order;
static struct mr_textfmt fmt = MR_TEXTFMT_DEFAULT;
static const char *tmpdir;
static int threads;

/*
 * The sorted runs spilled so far, unlinked temp files open for reading.
 * A run merged from runs of level L has level L + 1.
 */
struct run {
	int fd;
	int level;
};

static struct run *runs;
static size_t nruns;
static size_t fanin;	/* the most runs merged in one pass */
static size_t budget;	/* memory for records, and for merging runs */
static unsigned char meta[MR_META_MAX];	/* of the input, and every run */
static size_t metalen;

static void
add_run(int fd, int level)
{
	if (lseek(fd, 0, SEEK_SET) < 0)
		die("%s: temporary file: %s", tmpdir, strerror(errno));
	runs = xrealloc(runs, (nruns + 1) * sizeof(*runs));
	runs[nruns].fd = fd;
	runs[nruns++].level = level;
}

/* Starts a run: a new temp file in *fd, and a writer to it. */
static struct mr_writer *
run_start(int *fd)
{
	struct mr_writer *w;

	*fd = anon_temp(tmpdir);
	if ((w = mr_writer_new(*fd, tmpdir, 0, &fmt, meta, metalen)) == NULL)
		die("out of memory");
	return w;
}

/* Ends the run that w writes to fd and adds it to the runs at level. */
static void
run_end(struct mr_writer *w, int fd, int level)
{
	if (mr_writer_finish(w) < 0)
		die("%s (temporary file)", mr_writer_errmsg(w));
	mr_writer_free(w);
	add_run(fd, level);
}

/* Sorts b and writes its records to w; returns 0, or -1 if w fails. */
static int
write_sorted(struct mr_sortbuf *b, struct mr_writer *w)
{
	struct mr_rec rec;
	size_t i, n;

	if (mr_sortbuf_sort(b, threads) < 0)
		die("out of memory");
	n = mr_sortbuf_count(b);
	for (i = 0; i < n; i++) {
		mr_sortbuf_get(b, i, &rec);
		if (mr_write(w, &rec) < 0)
			return -1;
	}
	return 0;
}

/* Writes the records of b, sorted, as a new run, and empties b. */
static void
spill(struct mr_sortbuf *b)
{
	struct mr_writer *w;
	int fd;

	w = run_start(&fd);
	if (write_sorted(b, w) < 0)
		die("%s (temporary file)", mr_writer_errmsg(w));
	mr_sortbuf_clear(b);
	run_end(w, fd, 0);
}

/* Merges the runs from first on into one writer. */
static void
merge_runs(size_t first, size_t count, struct mr_writer *w)
{
	struct mr_reader **in;
	size_t i, bufsize;

	bufsize = budget / count;
	in = xmalloc(count * sizeof(*in));
	for (i = 0; i < count; i++) {
		in[i] = mr_reader_new(runs[first + i].fd, "temporary file",
		    &fmt);
		if (in[i] == NULL)
			die("out of memory");
		mr_reader_bufsize(in[i], bufsize);
	}
	merge_into(in, count, &order, w);
	for (i = 0; i < count; i++) {
		mr_reader_free(in[i]);
		close(runs[first + i].fd);
	}
	free(in);
}

/* Merges the newest count runs into one run of the given level. */
static void
merge_newest(size_t count, int level)
{
	struct mr_writer *w;
	int fd;

	w = run_start(&fd);
	merge_runs(nruns - count, count, w);
	nruns -= count;
	run_end(w, fd, level);
}

/*
 * Keeps the runs few enough for one last merge pass: whenever the newest
 * fanin / 2 runs share a level, they become one run of the next level, so
 * a record is rewritten once a level, about log(n) / log(fanin / 2) times
 * for n runs.  The sort buffer gives back its memory to the merge.
 */
static void
settle_runs(struct mr_sortbuf *b)
{
	size_t group = fanin / 2, i;
	int level;

	for (;;) {
		if (nruns < group)
			return;
		level = runs[nruns - 1].level;
		for (i = nruns - group; i < nruns; i++)
			if (runs[i].level != level)
				return;
		mr_sortbuf_release(b);
		merge_newest(group, level + 1);
	}
}

/*
 * Is the output opened before the input is read?  A regular file (or a
 * new name, or a directory, which fails) is: it is written beside its
 * name, so even an input of the same name is safe.  A FIFO or device is
 * opened last, as sort does.
 */
static int
early_output(const char *path)
{
	struct stat st;

	return strcmp(path, "-") == 0 || stat(path, &st) < 0 ||
	    S_ISREG(st.st_mode) || S_ISDIR(st.st_mode);
}

/* One half of a text file, read into one half of the sort buffer. */
struct half {
	const char *path;
	off_t start, len;
	struct mr_sortbuf *b;
	int full;		/* the half did not fit */
	char err[600];		/* a read error, or empty */
};

static void
read_half(void *arg, int i)
{
	struct half *h = (struct half *)arg + i;
	struct mr_reader *r;
	struct mr_rec rec;
	int fd, rc;

	if ((fd = open(h->path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    lseek(fd, h->start, SEEK_SET) < 0) {
		snprintf(h->err, sizeof(h->err), "%s: %s", h->path,
		    strerror(errno));
		return;
	}
	if ((r = mr_reader_new(fd, h->path, &fmt)) == NULL) {
		snprintf(h->err, sizeof(h->err), "out of memory");
		close(fd);
		return;
	}
	mr_reader_part(r, (uint64_t)h->start, (uint64_t)h->len);
	while ((rc = mr_read(r, &rec)) > 0)
		if ((rc = mr_sortbuf_add(h->b, &rec)) != 0) {
			h->full = 1;
			break;
		}
	if (rc < 0 && !h->full)
		snprintf(h->err, sizeof(h->err), "%s", mr_reader_errmsg(r));
	mr_reader_free(r);
	close(fd);
}

/*
 * The byte after the first line end at or after off, where the second
 * half of the file starts; 0 when there is none.
 */
static off_t
split_point(int fd, off_t off, off_t size)
{
	char buf[65536], *e;
	ssize_t n;

	for (; off < size; off += n) {
		if ((n = pread(fd, buf, sizeof(buf), off)) <= 0)
			return 0;
		if ((e = memchr(buf, fmt.eol, (size_t)n)) == NULL)
			continue;
		off += e - buf + 1;
		return off < size ? off : 0;
	}
	return 0;
}

/*
 * Reads one big regular text file on two threads, each half into half of
 * b, when that is sure to go right: returns 1 when all of it is in b, 0
 * when it is not done (b empty; the caller reads the file itself).
 */
static int
read_parallel(char **files, int nfiles, struct mr_sortbuf *b)
{
	unsigned char sample[65536];
	struct half h[2];
	struct stat st;
	off_t split;
	ssize_t n;
	size_t lines;
	double need;
	int fd, ok;

	if (nfiles != 1 || threads < 2 || strcmp(files[0], "-") == 0 ||
	    stat(files[0], &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size < (off_t)SPLIT_MIN)
		return 0;
	if ((fd = open(files[0], O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	/*
	 * Framed input is read in one piece, and so is input that the lines
	 * at its start say will not fit: each record costs its bytes and
	 * about 34 more.
	 */
	n = pread(fd, sample, sizeof(sample), 0);
	ok = n >= MR_SYNC_LEN && memcmp(sample, mr_sync, 4) != 0;
	if (ok) {
		for (lines = 1, n--; n >= 0; n--)
			lines += sample[n] == fmt.eol;
		need = (double)st.st_size * (1.0 + 34.0 * (double)lines /
		    (double)sizeof(sample));
		ok = need * 1.25 < (double)budget;
	}
	split = ok ? split_point(fd, st.st_size / 2, st.st_size) : 0;
	close(fd);
	if (split == 0)
		return 0;
	memset(h, 0, sizeof(h));
	h[0].path = h[1].path = files[0];
	h[0].len = split;
	h[1].start = split;
	h[1].len = st.st_size - split;
	h[0].b = b;
	if ((h[1].b = mr_sortbuf_lane(b)) == NULL)
		return 0;
	mr_parallel(2, read_half, h);
	mr_sortbuf_join(b, h[1].b);
	if (h[0].err[0] != '\0' && !h[0].full)
		die("%s", h[0].err);
	if (h[1].err[0] != '\0' && !h[1].full)
		die("%s", h[1].err);
	if (h[0].full || h[1].full) {
		mr_sortbuf_release(b);
		return 0;
	}
	return 1;
}

/* -c: exits 0 when the inputs, one after the other, are sorted, else 1. */
static int
check(char **files, int nfiles)
{
	struct mr_reader *r;
	struct mr_rec rec, prev;
	unsigned char *keep = NULL;
	size_t keepcap = 0, need;
	int f, rc, have = 0;

	for (f = 0; f < nfiles; f++) {
		r = open_reader(files[f], &fmt, 0);
		while ((rc = mr_read(r, &rec)) > 0) {
			if (have && mr_compare(&order, &prev, &rec) > 0) {
				warnx("%s: record %llu is out of order",
				    mr_reader_name(r),
				    (unsigned long long)mr_reader_count(r));
				return 1;
			}
			need = rec.klen + rec.vlen;
			if (need > keepcap)
				keep = xrealloc(keep, keepcap = need);
			memcpy(keep, rec.key, rec.klen);
			memcpy(keep + rec.klen, rec.val, rec.vlen);
			prev.key = keep;
			prev.klen = rec.klen;
			prev.val = keep + rec.klen;
			prev.vlen = rec.vlen;
			have = 1;
		}
		if (rc < 0)
			die("%s", mr_reader_errmsg(r));
		close_reader(r);
	}
	free(keep);
	return 0;
}

static void
sort(char **files, int nfiles, const char *output, int text, size_t size)
{
	struct mr_sortbuf *b;
	struct mr_reader *r;
	struct mr_writer *w;
	struct outfile out;
	struct mr_rec rec;
	size_t i;
	int f, rc;

	budget = size > 2 * RESERVED ? size - RESERVED : size / 2;
	if (budget < BUDGET_MIN)
		budget = BUDGET_MIN;
	/* what the system lets us reserve, if less than asked */
	while ((b = mr_sortbuf_new(&order, budget)) == NULL) {
		if (budget == BUDGET_MIN)
			die("out of memory");
		budget = budget / 2 < BUDGET_MIN ? BUDGET_MIN : budget / 2;
	}
	fanin = budget / MERGE_BUFSIZE;
	fanin = fanin < FANIN_MIN ? FANIN_MIN : fanin > FANIN_MAX ? FANIN_MAX :
	    fanin;
	/* as many runs as files may be open, less some for the rest */
	i = (size_t)raise_open_files((long)fanin + 32);
	if (i < FANIN_MIN / 2 + 32)
		die("too few open files allowed (ulimit -n)");
	if (fanin > i - 32)
		fanin = i - 32;
	/* a bad -o is an error before the work, not after */
	if (early_output(output))
		out_open(&out, output);
	f = read_parallel(files, nfiles, b) ? nfiles : 0;
	for (; f < nfiles; f++) {
		r = open_input(files[f], &fmt, 0, f == 0, meta, &metalen);
		while ((rc = mr_read(r, &rec)) > 0) {
			if ((rc = mr_sortbuf_add(b, &rec)) == 0)
				continue;
			if (rc < 0)
				die("out of memory");
			spill(b);
			settle_runs(b);
			if (mr_sortbuf_add(b, &rec) < 0)
				die("out of memory");
		}
		if (rc < 0)
			die("%s", mr_reader_errmsg(r));
		close_reader(r);
	}
	if (nruns > 0 && mr_sortbuf_count(b) > 0)
		spill(b);
	if (nruns > fanin) {
		mr_sortbuf_release(b);
		merge_newest(nruns - fanin + 1, 0);
	}
	if (!early_output(output))
		out_open(&out, output);
	w = open_writer(&out, text, &fmt, meta, metalen);
	if (nruns == 0) {
		if (write_sorted(b, w) < 0)
			die("%s", mr_writer_errmsg(w));
		mr_sortbuf_free(b);
	} else {
		mr_sortbuf_free(b);
		merge_runs(0, nruns, w);
	}
	if (mr_writer_finish(w) < 0)
		die("%s", mr_writer_errmsg(w));
	mr_writer_free(w);
	out_commit(&out);
}

static int
default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > MAX_THREADS ? MAX_THREADS : (int)n;
}

struct args {
	const char *output;
	size_t size;
	int text, checking;
};

/*
 * Parses the options into a and the file-scope settings and returns the
 * file operands, *argc many.
 */
static char **
parse_args(int *argc, char *argv[], struct args *a)
{
	long n;
	int c;

	cli_start(&tool, *argc, argv);
	while ((c = cli_getopt(*argc, argv, &fmt)) != -1) {
		switch (c) {
		case 'c':
			a->checking = 1;
			break;
		case 'n':
			order.numeric = 1;
			break;
		case 'o':
			a->output = optarg;
			break;
		case 'r':
			order.reverse = 1;
			break;
		case 'S':
			if (parse_size(optarg, &a->size) < 0)
				usage_error(usage_text, "bad memory size: %s",
				    optarg);
			break;
		case 'T':
			tmpdir = optarg;
			break;
		case OPT_PARALLEL:
			if (parse_count(optarg, 1, 256, &n) < 0)
				usage_error(usage_text, "bad thread count: %s "
				    "(1 to 256)", optarg);
			threads = (int)n;
			break;
		case OPT_TEXT:
			a->text = 1;
			break;
		case OPT_VALUES:
			opt_values(usage_text, optarg, &order);
			break;
		}
	}
	order.sep = fmt.sep;
	return operands(usage_text, argc, argv);
}

int
main(int argc, char *argv[])
{
	struct args a = { "-", DEFAULT_SIZE, 0, 0 };

	threads = default_threads();
	tmpdir = getenv("TMPDIR");
	if (tmpdir == NULL || *tmpdir == '\0')
		tmpdir = "/tmp";
	argv = parse_args(&argc, argv, &a);
	if (a.checking)
		return check(argv, argc);
	sort(argv, argc, a.output, a.text, a.size);
	return 0;
}
