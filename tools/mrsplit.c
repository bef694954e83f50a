/*
 * mrsplit: cut files into record-aligned splits, list byte ranges of files
 * for separate tasks, or copy the records of one such range.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define MAX_SPLITS	65536

enum { OPT_EXPECT = 256, OPT_RANGE, OPT_RANGES };

static const char usage_text[] =
    "usage: mrsplit -n N -o TEMPLATE [-z] [-t SEP] [--allow-magic] FILE ...\n"
    "       mrsplit --range START:END [--expect STAT] [-z] [-t SEP] "
    "[--allow-magic]\n"
    "               FILE\n"
    "       mrsplit --ranges -n N [-z] [-t SEP] [--allow-magic] FILE ...\n";

static const struct cli_opt options[] = {
	{ 'n', "number", "N", "cut the input into N splits" },
	{ 'o', "output", "TEMPLATE", "write split i to TEMPLATE with i for "
	    "its %d" },
	CLI_OPT_SEP,
	CLI_OPT_ZERO,
	CLI_OPT_MAGIC,
	{ OPT_EXPECT, "expect", "STAT", "fail unless the file is the one "
	    "STAT describes" },
	CLI_OPT_HELP,
	{ OPT_RANGE, "range", "START:END",
	    "copy the records that start in this byte range" },
	{ OPT_RANGES, "ranges", NULL, "list N byte ranges of the input, "
	    "one a line" },
	CLI_OPT_VERSION,
	{ 0, NULL, NULL, NULL }
};

static const struct cli_tool tool = {
	"mrsplit", "Cut files into record-aligned splits or byte ranges.",
	usage_text, options, 0
};

/* An input of -o, and the last bound asked of it. */
struct input {
	const char *path;
	uint64_t off;		/* its first byte in all the inputs */
	uint64_t size;
	uint64_t cut, at;	/* the bound of byte cut is at */
};

static struct mr_textfmt fmt = MR_TEXTFMT_DEFAULT;

/*
 * What a file is: its size, and unless only the size is known (full is
 * 0), its modification time, device and inode.  A file that differs in
 * any of them is another file, or the same one changed.
 */
struct stamp {
	uint64_t size;
	int full;
	long long sec;
	long nsec;
	uintmax_t dev, ino;
};

/* Parses the decimal number from p to end, at most max. */
static int
parse_dec(const char *p, const char *end, uintmax_t max, uintmax_t *out)
{
	uintmax_t v = 0;
	unsigned int d;

	if (p == end)
		return -1;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		d = (unsigned int)(*p - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* Parses the decimal byte offset from p to end, at most 2^63 - 1. */
static int
parse_offset(const char *p, const char *end, uint64_t *out)
{
	uintmax_t v;

	if (parse_dec(p, end, INT64_MAX, &v) < 0)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

static void
opt_range(const char *arg, uint64_t *start, uint64_t *end)
{
	const char *colon = strchr(arg, ':');

	if (colon == NULL || parse_offset(arg, colon, start) < 0 ||
	    parse_offset(colon + 1, colon + strlen(colon), end) < 0 ||
	    *start > *end)
		usage_error(usage_text, "bad range: %s (START:END, two byte "
		    "offsets, START at most END)", arg);
}

/* Parses the time SECONDS.NANOSECONDS, nine digits of them, to end. */
static int
parse_time(const char *p, const char *end, long long *sec, long *nsec)
{
	const char *dot = memchr(p, '.', (size_t)(end - p));
	int neg = p < end && *p == '-';
	uintmax_t s, ns;

	/* the least time is -2^63 seconds, with no fraction */
	if (dot == NULL || end - dot != 10 ||
	    parse_dec(p + neg, dot, (uintmax_t)LLONG_MAX + neg, &s) < 0 ||
	    parse_dec(dot + 1, end, 999999999, &ns) < 0 ||
	    (s > LLONG_MAX && ns > 0))
		return -1;
	/* -1.5 is a second and a half before the epoch: -2 and 0.5 */
	*sec = !neg ? (long long)s : s > LLONG_MAX ? LLONG_MIN :
	    -(long long)s - (ns > 0);
	*nsec = neg && ns > 0 ? 1000000000L - (long)ns : (long)ns;
	return 0;
}

/* Parses --expect's SIZE or SIZE:MTIME:DEV:INO into *want. */
static void
opt_expect(const char *arg, struct stamp *want)
{
	const char *f[5], *p = arg;
	int n = 0;

	f[0] = arg;
	while (n < 4 && (p = strchr(p, ':')) != NULL)
		f[++n] = ++p;
	memset(want, 0, sizeof(*want));
	want->full = n == 3;
	if (n == 0 || n == 3)
		f[n + 1] = arg + strlen(arg) + 1;
	if ((n != 0 && n != 3) ||
	    parse_offset(f[0], f[1] - 1, &want->size) < 0 ||
	    (want->full && (parse_time(f[1], f[2] - 1, &want->sec,
	    &want->nsec) < 0 ||
	    parse_dec(f[2], f[3] - 1, UINTMAX_MAX, &want->dev) < 0 ||
	    parse_dec(f[3], f[4] - 1, UINTMAX_MAX, &want->ino) < 0)))
		usage_error(usage_text, "bad --expect: %s (SIZE, or "
		    "SIZE:MTIME:DEV:INO with MTIME as SECONDS.NANOSECONDS)",
		    arg);
}

/*
 * a * b / c rounded down, and its remainder in *rem, for a <= c < 2^63,
 * without overflow: the product is built from the bits of b as a quotient
 * and a remainder of c.
 */
static uint64_t
muldiv(uint64_t a, uint64_t b, uint64_t c, uint64_t *rem)
{
	uint64_t q = 0, r = 0;
	int i;

	for (i = 63; i >= 0; i--) {
		q <<= 1;
		r <<= 1;
		if (r >= c) {
			r -= c;
			q++;
		}
		if (b >> i & 1) {
			r += a;
			if (r >= c) {
				r -= c;
				q++;
			}
		}
	}
	if (rem != NULL)
		*rem = r;
	return q;
}

static const char *
display_name(const char *path)
{
	return strcmp(path, "-") == 0 ? "stdin" : path;
}

/* The size of the regular file path, by stat alone. */
static uint64_t
stat_size(const char *path)
{
	struct stat st;
	int rc;

	rc = strcmp(path, "-") == 0 ? fstat(STDIN_FILENO, &st) :
	    stat(path, &st);
	if (rc < 0)
		die("%s: %s", display_name(path), strerror(errno));
	if (S_ISDIR(st.st_mode))
		die("%s: %s", display_name(path), strerror(EISDIR));
	if (!S_ISREG(st.st_mode))
		die("%s: not a regular file", display_name(path));
	return (uint64_t)st.st_size;
}

/*
 * Prints the ranges of the files, none longer than 1/n of their total:
 * each file is cut into the fewest equal ranges that allows.
 */
static void
list_ranges(char **files, int nfiles, long n)
{
	uint64_t *size, total = 0, m, j, rem;
	int f;

	size = xmalloc((size_t)nfiles * sizeof(*size));
	for (f = 0; f < nfiles; f++) {
		if (strpbrk(files[f], "\t\n") != NULL)
			die("%s: the name holds a TAB or newline, which a "
			    "range line cannot show", files[f]);
		size[f] = stat_size(files[f]);
		if (size[f] > INT64_MAX - total)
			die("the files hold more than 2^63 bytes in all");
		total += size[f];
	}
	for (f = 0; f < nfiles; f++) {
		if (size[f] == 0)
			continue;
		m = muldiv(size[f], (uint64_t)n, total, &rem) + (rem > 0);
		if (m > size[f])
			m = size[f];
		for (j = 0; j < m; j++)
			printf("%s\t%llu\t%llu\n", files[f],
			    (unsigned long long)muldiv(j, size[f], m, NULL),
			    (unsigned long long)muldiv(j + 1, size[f], m,
			    NULL));
	}
	if (fclose(stdout) == EOF)
		die("stdout: %s", strerror(errno));
	free(size);
}

/* Starts reading the split of the open file fd of path. */
static struct mr_split *
start_split(const char *path, int fd)
{
	struct mr_split *s;

	if ((s = mr_split_new(fd, display_name(path), &fmt)) == NULL)
		die("out of memory");
	if (mr_split_start(s) < 0)
		die("%s", mr_split_errmsg(s));
	return s;
}

static struct mr_split *
open_split(const char *path, int *fd)
{
	/* opening a FIFO would wait for a writer */
	stat_size(path);
	*fd = in_open(path);
	return start_split(path, *fd);
}

/* The stamp of the open file fd of path. */
static void
stamp_of(int fd, const char *path, struct stamp *st)
{
	struct stat sb;

	if (fstat(fd, &sb) < 0)
		die("%s: %s", display_name(path), strerror(errno));
	st->size = (uint64_t)sb.st_size;
	st->full = 1;
	st->sec = (long long)sb.st_mtim.tv_sec;
	st->nsec = (long)sb.st_mtim.tv_nsec;
	st->dev = (uintmax_t)sb.st_dev;
	st->ino = (uintmax_t)sb.st_ino;
}

/*
 * Dies unless the open file fd of path is still the file that want
 * describes; when says since when it should have been.
 */
static void
check_stamp(int fd, const char *path, const struct stamp *want,
    const char *when)
{
	const char *name = display_name(path);
	struct stamp now;
	char at[32], was[32];

	stamp_of(fd, path, &now);
	if (want->full && (now.dev != want->dev || now.ino != want->ino))
		die("%s: changed %s (another file: device %ju inode %ju, "
		    "was device %ju inode %ju)", name, when, now.dev, now.ino,
		    want->dev, want->ino);
	if (now.size != want->size)
		die("%s: changed %s (size %llu, was %llu)", name, when,
		    (unsigned long long)now.size,
		    (unsigned long long)want->size);
	if (want->full && (now.sec != want->sec || now.nsec != want->nsec)) {
		time_text(at, sizeof(at), now.sec, now.nsec);
		time_text(was, sizeof(was), want->sec, want->nsec);
		die("%s: changed %s (modified at %s, was %s)", name, when, at,
		    was);
	}
}

static void
close_split(struct mr_split *s, int fd)
{
	mr_split_free(s);
	if (fd != STDIN_FILENO)
		close(fd);
}

static uint64_t
bound(struct mr_split *s, uint64_t off)
{
	uint64_t at;

	if (mr_split_bound(s, off, &at) < 0)
		die("%s", mr_split_errmsg(s));
	return at;
}

static void
copy(struct mr_split *s, uint64_t from, uint64_t to, struct outfile *o,
    uint64_t *count)
{
	const char *name = o->fd == STDOUT_FILENO ? "stdout" : o->path;

	if (mr_split_copy(s, from, to, o->fd, name, count) < 0)
		die("%s", mr_split_errmsg(s));
}

/* Writes the framed stream's header (head) or trailer of count records. */
static void
frame_end(struct mr_split *s, struct outfile *o, int head, uint64_t count)
{
	const char *name = o->fd == STDOUT_FILENO ? "stdout" : o->path;
	int rc;

	rc = head ? mr_split_head(s, o->fd, name) :
	    mr_split_tail(s, o->fd, name, count);
	if (rc < 0)
		die("%s", mr_split_errmsg(s));
}

/*
 * Writes the records of the range [start, end) of path to stdout,
 * checking that the file is the one that want describes (NULL: the one
 * opened) before it reads a byte and after it has read the last.
 */
static void
copy_range(const char *path, uint64_t start, uint64_t end,
    const struct stamp *want)
{
	const char *when = "while the job ran";
	struct mr_split *s;
	struct outfile out;
	struct stamp was;
	uint64_t from, to, count = 0, size;
	int fd, framed;

	stat_size(path);
	fd = in_open(path);
	if (want != NULL)
		check_stamp(fd, path, want, when);
	else {
		stamp_of(fd, path, &was);
		want = &was;
		when = "while being read";
	}
	s = start_split(path, fd);
	if (end > (size = mr_split_size(s)))
		die("%s: range %llu:%llu is past its end (%llu bytes)",
		    display_name(path), (unsigned long long)start,
		    (unsigned long long)end, (unsigned long long)size);
	framed = mr_split_framed(s);
	if (framed && isatty(STDOUT_FILENO))
		die("stdout: framed records are not written to a terminal "
		    "(pipe them to mrmerge --text)");
	from = bound(s, start);
	to = bound(s, end);
	out_open(&out, "-");
	if (framed)
		frame_end(s, &out, 1, 0);
	copy(s, from, to, &out, &count);
	/* bytes read from a file that changed meanwhile may be any bytes */
	check_stamp(fd, path, want, when);
	if (framed)
		frame_end(s, &out, 0, count);
	out_commit(&out);
	close_split(s, fd);
}

static void
put_eol(struct outfile *o)
{
	ssize_t n;

	while ((n = write(o->fd, &fmt.eol, 1)) != 1)
		if (n < 0 && errno != EINTR)
			die("%s: write error: %s", o->path, strerror(errno));
}

/*
 * Checks every input before any output is made: each is a regular file,
 * framed or text like the others (an empty file goes with either), with
 * the same metadata.  Returns the first nonempty input, still open, whose
 * stream header the framed splits take; NULL when all are empty.
 */
static struct mr_split *
check_inputs(struct input *in, int nfiles, int *first_fd, uint64_t *total)
{
	const unsigned char *m, *meta = NULL;
	struct mr_split *s, *first = NULL;
	size_t len, metalen = 0;
	int f, fd;

	*total = 0;
	for (f = 0; f < nfiles; f++) {
		s = open_split(in[f].path, &fd);
		in[f].off = *total;
		in[f].size = mr_split_size(s);
		in[f].cut = in[f].at = 0;
		if (in[f].size > INT64_MAX - *total)
			die("the files hold more than 2^63 bytes in all");
		*total += in[f].size;
		if (in[f].size == 0) {
			close_split(s, fd);
			continue;
		}
		if (first == NULL) {
			first = s;
			*first_fd = fd;
			meta = mr_split_meta(s, &metalen);
			continue;
		}
		if (mr_split_framed(s) != mr_split_framed(first))
			die("%s: %s input after %s input (the inputs must be "
			    "all text or all framed)", display_name(in[f].path),
			    mr_split_framed(s) ? "framed" : "text",
			    mr_split_framed(first) ? "framed" : "text");
		if (mr_split_version(s) != mr_split_version(first))
			die("%s: format version %d input after version %d "
			    "input (rewrite the older one with any mr tool)",
			    display_name(in[f].path), mr_split_version(s),
			    mr_split_version(first));
		m = mr_split_meta(s, &len);
		if (len != metalen || memcmp(m, meta, len) != 0)
			die("%s: stream metadata differs from the first "
			    "input's (partial aggregation states cannot be "
			    "mixed with other values)",
			    display_name(in[f].path));
		close_split(s, fd);
	}
	return first;
}

/*
 * Writes n splits named by template: the bytes of all the inputs, one
 * after the other, are cut into n parts of about equal size, and each
 * part is read from each input it covers as a range is.
 */
static void
split(char **files, int nfiles, long n, const char *template)
{
	struct mr_split *first, *s = NULL;
	struct outfile *outs;
	struct input *in;
	uint64_t total, a, b, lo, hi, from, to, count;
	long j;
	int f, k, cur = -1, fd = -1, first_fd = -1, framed, pending;
	char *name;

	in = xmalloc((size_t)nfiles * sizeof(*in));
	for (f = 0; f < nfiles; f++)
		in[f].path = files[f];
	first = check_inputs(in, nfiles, &first_fd, &total);
	framed = first != NULL && mr_split_framed(first);
	outs = xmalloc((size_t)n * sizeof(*outs));
	for (j = 0, f = 0; j < n; j++) {
		a = muldiv((uint64_t)j, total, (uint64_t)n, NULL);
		b = muldiv((uint64_t)j + 1, total, (uint64_t)n, NULL);
		name = template_name(template, j);
		out_open(&outs[j], name);
		free(name);
		if (framed)
			frame_end(first, &outs[j], 1, 0);
		count = 0;
		pending = 0;
		for (k = f; k < nfiles && in[k].off < b; k++) {
			lo = a > in[k].off ? a - in[k].off : 0;
			hi = b - in[k].off < in[k].size ? b - in[k].off :
			    in[k].size;
			if (lo >= hi)
				continue;
			if (cur != k) {
				if (s != NULL)
					close_split(s, fd);
				s = open_split(in[k].path, &fd);
				cur = k;
				if (mr_split_size(s) != in[k].size)
					die("%s: changed size while being "
					    "split", display_name(in[k].path));
			}
			from = in[k].cut == lo ? in[k].at : bound(s, lo);
			to = bound(s, hi);
			in[k].cut = hi;
			in[k].at = to;
			if (from < to && pending)
				put_eol(&outs[j]);
			copy(s, from, to, &outs[j], &count);
			if (from < to)
				pending = to == in[k].size &&
				    mr_split_unterminated(s);
		}
		if (framed)
			frame_end(first, &outs[j], 0, count);
		out_close(&outs[j]);
		while (f < nfiles && in[f].off + in[f].size <= b)
			f++;
	}
	for (j = 0; j < n; j++)
		out_commit(&outs[j]);
	if (s != NULL)
		close_split(s, fd);
	if (first != NULL)
		close_split(first, first_fd);
	free(outs);
	free(in);
}

struct args {
	const char *template, *range, *expect;
	uint64_t start, end;
	struct stamp want;	/* of --expect */
	long n;
	int ranges;
};

/*
 * Exits 2 unless the options make one of the three forms of the usage,
 * with argc - optind file operands.
 */
static void
check_args(int argc, const struct args *a)
{
	if (a->range != NULL && a->ranges)
		usage_error(usage_text, "--range and --ranges exclude each "
		    "other");
	if (a->range != NULL && (a->n != 0 || a->template != NULL))
		usage_error(usage_text, "--range takes no -n or -o");
	if (a->expect != NULL && a->range == NULL)
		usage_error(usage_text, "--expect goes with --range");
	if (a->ranges && a->template != NULL)
		usage_error(usage_text, "--ranges takes no -o");
	if (a->range == NULL && a->n == 0)
		usage_error(usage_text, "-n N is required");
	if (a->range == NULL && !a->ranges) {
		if (a->template == NULL)
			usage_error(usage_text, "-o TEMPLATE is required");
		opt_template(usage_text, a->template);
	}
	if (optind == argc)
		usage_error(usage_text, "a FILE is required");
	if (a->range != NULL && argc - optind > 1)
		usage_error(usage_text, "--range takes one FILE");
}

/* Parses the options into a and returns the file operands, *argc many. */
static char **
parse_args(int *argc, char *argv[], struct args *a)
{
	int c;

	cli_start(&tool, *argc, argv);
	while ((c = cli_getopt(*argc, argv, &fmt)) != -1) {
		switch (c) {
		case 'n':
			if (parse_count(optarg, 1, MAX_SPLITS, &a->n) < 0)
				usage_error(usage_text, "bad split count: %s "
				    "(1 to %d)", optarg, MAX_SPLITS);
			break;
		case 'o':
			a->template = optarg;
			break;
		case OPT_EXPECT:
			a->expect = optarg;
			opt_expect(a->expect, &a->want);
			break;
		case OPT_RANGE:
			a->range = optarg;
			opt_range(a->range, &a->start, &a->end);
			break;
		case OPT_RANGES:
			a->ranges = 1;
			break;
		}
	}
	check_args(*argc, a);
	return operands(usage_text, argc, argv);
}

int
main(int argc, char *argv[])
{
	struct args a;

	memset(&a, 0, sizeof(a));
	argv = parse_args(&argc, argv, &a);
	if (a.range != NULL)
		copy_range(argv[0], a.start, a.end,
		    a.expect != NULL ? &a.want : NULL);
	else if (a.ranges)
		list_ranges(argv, argc, a.n);
	else
		split(argv, argc, a.n, a.template);
	return 0;
}
