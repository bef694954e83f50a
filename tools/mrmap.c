/*
 * mrmap: run a command as the mapper.  The command gets the input as text
 * lines (or, with --framed-input, as framed records) and prints
 * key<TAB>value lines (or framed records), which become records,
 * optionally combined by key with a built-in op on the way.  NONE maps
 * each record to itself, with no command.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "proc.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define FEED_BUFSIZE	(1 << 20)	/* text read for the command */
#define MAX_ENV		16
#define DEFAULT_MEMORY	(128 << 20)

enum { OPT_COMBINE = 256, OPT_COUNTERS, OPT_FRAMED_INPUT, OPT_KEY_FIELDS,
    OPT_SKIP_BAD, OPT_TEXT };

static const char usage_text[] =
    "usage: mrmap [-z] [--allow-magic] [--combine OP] [--counters FILE]\n"
    "             [--framed-input] [--key-fields K] [--skip-bad] [--text]\n"
    "             [-o FILE] [-S SIZE] [-t SEP] COMMAND|NONE [FILE ...]\n";

static const struct cli_opt options[] = {
	{ 'o', "output", "FILE", "write to FILE, complete or not at all" },
	{ 'S', "memory", "SIZE",
	    "combine in SIZE of memory (128M by default)" },
	CLI_OPT_SEP,
	CLI_OPT_ZERO,
	CLI_OPT_MAGIC,
	{ OPT_COMBINE, "combine", "OP",
	    "aggregate by key with the built-in OP as a combiner" },
	{ OPT_COUNTERS, "counters", "FILE", "write the counters to FILE" },
	{ OPT_FRAMED_INPUT, "framed-input", NULL,
	    "give the command framed records, not text lines" },
	CLI_OPT_HELP,
	{ OPT_KEY_FIELDS, "key-fields", "K",
	    "make the first K fields of an output line its key" },
	{ OPT_SKIP_BAD, "skip-bad", NULL,
	    "skip values that are not numbers, count them, exit 1" },
	{ OPT_TEXT, "text", NULL, "write text lines, not framed records" },
	CLI_OPT_VERSION,
	{ 0, NULL, NULL, NULL }
};

/* The options end at COMMAND, as they do for env(1) and xargs(1). */
static const struct cli_tool tool = {
	"mrmap",
	"Run a command as the mapper and turn its output into records.",
	usage_text, options, CLI_IN_ORDER
};

static struct mr_textfmt fmt = MR_TEXTFMT_DEFAULT;
static struct mr_op op;
static struct mr_combine *table;	/* NULL unless --combine */
static int skip_bad;
static int framed_input;		/* --framed-input */
static long key_fields = 1;		/* --key-fields */
static struct outfile out;
static struct mr_writer *w;		/* made when the first output starts */
static unsigned char meta[MR_META_MAX];
static size_t metalen;
static uint64_t in_records, in_bytes, map_records, skipped;

/* The command's input, fed from a thread of its own. */
struct feed {
	struct proc *p;
	const char *name;
	int fd;
	uint64_t records, bytes;
	int failed;
	char err[600];
};

static void
feed_fail(struct feed *f, const char *msg)
{
	snprintf(f->err, sizeof(f->err), "%s", msg);
	f->failed = 1;
	proc_kill(f->p);
}

/*
 * A write to the command failed.  EPIPE means that the command stopped
 * reading, which is its right (`head -100` as a sampler): whether that
 * was an error its exit status says.
 */
static void
write_failed(struct feed *f)
{
	char msg[300];

	if (errno == EPIPE)
		return;
	snprintf(msg, sizeof(msg), "writing to the command: %s",
	    strerror(errno));
	feed_fail(f, msg);
}

/*
 * Counts the terminators in a buffer; a memchr() a line costs as much as
 * the whole of combining short words.
 */
static uint64_t
count_lines(const unsigned char *p, size_t len)
{
	uint64_t n = 0;
	size_t i = 0;
#ifdef __SSE2__
	__m128i eol = _mm_set1_epi8((char)fmt.eol), v;

	for (; i + 16 <= len; i += 16) {
		v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		n += (uint64_t)__builtin_popcount((unsigned int)
		    _mm_movemask_epi8(_mm_cmpeq_epi8(v, eol)));
	}
#endif
	for (; i < len; i++)
		n += p[i] == fmt.eol;
	return n;
}

/*
 * Text input goes to the command byte for byte, but for a line that
 * starts with the framed magic (mr-format(5)), which fails the input.
 */
static void
feed_text(struct feed *f, struct mr_reader *r)
{
	unsigned char *buf = xmalloc(FEED_BUFSIZE);
	struct mr_magic_scan magic = { fmt.eol, 1, 0, 0, 0 };
	const unsigned char *p;
	size_t len;
	ssize_t n;
	int64_t at;
	int last = fmt.eol;
	char msg[300];

	mr_reader_take(r, &p, &len);
	for (;;) {
		if (len > 0 && !fmt.magic_ok &&
		    (at = mr_magic_scan(&magic, p, len)) >= 0) {
			snprintf(msg, sizeof(msg), "%s: framed stream header at "
			    "byte %lld in text input (a damaged framed file? "
			    "--allow-magic reads it as text)", f->name,
			    (long long)at);
			feed_fail(f, msg);
			break;
		}
		if (len > 0) {
			if (proc_write(f->p, p, len) < 0) {
				write_failed(f);
				break;
			}
			f->records += count_lines(p, len);
			f->bytes += len;
			last = p[len - 1];
		}
		while ((n = read(f->fd, buf, FEED_BUFSIZE)) < 0 &&
		    errno == EINTR)
			;
		if (n < 0) {
			snprintf(msg, sizeof(msg), "%s: read error: %s",
			    f->name, strerror(errno));
			feed_fail(f, msg);
			break;
		}
		if (n == 0) {
			f->records += last != fmt.eol;
			break;
		}
		p = buf;
		len = (size_t)n;
	}
	free(buf);
}

/* Framed input goes to the command as key<TAB>value lines. */
static void
feed_records(struct feed *f, struct mr_reader *r)
{
	struct mr_rec rec;
	int n;

	while ((n = mr_read(r, &rec)) > 0)
		if (proc_write_rec(f->p, &rec, &fmt) < 0)
			break;
	if (n < 0)
		feed_fail(f, mr_reader_errmsg(r));
	else if (n > 0 || proc_flush(f->p) < 0)
		write_failed(f);
	f->records = mr_reader_count(r);
	f->bytes = mr_reader_offset(r);
}

/*
 * With --framed-input, the input goes to the command as one framed
 * stream, each record as it is, whatever bytes it holds.
 */
static void
feed_framed(struct feed *f, struct mr_reader *r)
{
	const unsigned char *m;
	struct mr_writer *in;
	struct mr_rec rec;
	size_t len;
	int n;

	m = mr_reader_meta(r, &len);
	in = proc_framed_in(f->p, &fmt, m, len);
	while ((n = mr_read(r, &rec)) > 0)
		if (copy_record(in, r, &rec) < 0)
			break;
	if (n < 0)
		feed_fail(f, mr_reader_errmsg(r));
	else if ((n > 0 || mr_writer_finish(in) < 0) &&
	    mr_writer_errno(in) != EPIPE)
		feed_fail(f, mr_writer_errmsg(in));
	f->records = mr_reader_count(r);
	f->bytes = mr_reader_offset(r);
	mr_writer_free(in);
}

static void *
feed(void *arg)
{
	struct feed *f = arg;
	struct mr_reader *r;

	if ((r = mr_reader_new(f->fd, f->name, &fmt)) == NULL)
		feed_fail(f, "out of memory");
	else if (mr_reader_start(r) < 0)
		feed_fail(f, mr_reader_errmsg(r));
	else if (framed_input)
		feed_framed(f, r);
	else if (mr_reader_framed(r))
		feed_records(f, r);
	else
		feed_text(f, r);
	mr_reader_free(r);
	proc_close_in(f->p);
	return NULL;
}

/*
 * The environment Hadoop Streaming gives a mapper, in both generations of
 * its names.  Standard input leaves what the caller set (mrrun does).
 */
static void
task_env(char **env, const char *path, int fd)
{
	static const char *const names[][2] = {
		{ "map_input_file", "mapreduce_map_input_file" },
		{ "map_input_start", "mapreduce_map_input_start" },
		{ "map_input_length", "mapreduce_map_input_length" },
	};
	char length[32];
	struct stat st;
	int i;

	proc_env(env, MAX_ENV, "mapreduce_task_ismap", "true");
	proc_env(env, MAX_ENV, "mapred_task_is_map", "true");
	if (strcmp(path, "-") == 0)
		return;
	snprintf(length, sizeof(length), "%lld", fstat(fd, &st) == 0 &&
	    S_ISREG(st.st_mode) ? (long long)st.st_size : 0LL);
	for (i = 0; i < 2; i++) {
		proc_env(env, MAX_ENV, names[0][i], path);
		proc_env(env, MAX_ENV, names[1][i], "0");
		proc_env(env, MAX_ENV, names[2][i], length);
	}
}

static void
add_combined(const struct mr_rec *rec, const struct mr_reader *r)
{
	int e;

	while ((e = mr_combine_add(table, rec)) == 1)
		if (mr_combine_flush(table, w) != 0)
			die("%s", mr_writer_errmsg(w));
	if (e == MR_AGG_NAN && skip_bad)
		skipped++;
	else if (e == MR_AGG_NAN)
		die("%s: record %llu: key %s: value %s is not a number "
		    "(--skip-bad skips such values)", mr_reader_name(r),
		    (unsigned long long)mr_reader_count(r),
		    shown(rec->key, rec->klen, 0),
		    shown(rec->val, rec->vlen, 1));
	else if (e == MR_AGG_OVERFLOW)
		die("%s: record %llu: key %s: value %s has more than %d digits "
		    "before or after its point", mr_reader_name(r),
		    (unsigned long long)mr_reader_count(r),
		    shown(rec->key, rec->klen, 0),
		    shown(rec->val, rec->vlen, 1), MR_AGG_DIGITS);
	else if (e != 0)
		die("out of memory");
}

/*
 * Takes the metadata of the records that r gives, the command's output or
 * (NONE) the input, or checks it.
 */
static void
output_meta(struct mr_reader *r, int first)
{
	const unsigned char *m;
	size_t len;

	m = mr_reader_meta(r, &len);
	if (table != NULL && len > 0)
		die("%s: framed records with metadata cannot be combined",
		    mr_reader_name(r));
	if (table != NULL)
		return;
	if (first) {
		memcpy(meta, m, len);
		metalen = len;
	} else
		check_meta(r, meta, metalen);
}

/* Takes a record that becomes output: combined, or written. */
static void
take(const struct mr_rec *rec, const struct mr_reader *r)
{
	if (table != NULL)
		add_combined(rec, r);
	else if (copy_record(w, r, rec) < 0)
		die("%s", mr_writer_errmsg(w));
}

/*
 * The identity mapper, NONE: the input's records are the output's, with
 * no command and no text between, framed records as they are.
 */
static void
map_identity(const char *path, int first, int text)
{
	struct mr_reader *r;
	struct mr_rec rec;
	int n;

	r = open_reader(path, &fmt, 0);
	mr_reader_key_fields(r, key_fields);
	output_meta(r, first);
	if (w == NULL)
		w = open_writer(&out, text, &fmt, meta, metalen);
	while ((n = mr_read(r, &rec)) > 0)
		take(&rec, r);
	if (n < 0)
		die("%s", mr_reader_errmsg(r));
	in_records += mr_reader_count(r);
	map_records += mr_reader_count(r);
	in_bytes += mr_reader_offset(r);
	close_reader(r);
}

/* Runs the command over one input and takes its output. */
static void
map_input(const char *cmd, const char *path, int first, int text)
{
	struct proc p;
	struct feed f;
	pthread_t feeder;
	char *env[MAX_ENV] = { NULL };
	char msg[128];
	struct mr_reader *r;
	struct mr_rec rec;
	int n;

	memset(&f, 0, sizeof(f));
	f.name = strcmp(path, "-") == 0 ? "stdin" : path;
	f.fd = in_open(path);
	f.p = &p;
	task_env(env, path, f.fd);
	proc_start(&p, cmd, env, PROC_PIPE);
	proc_thread(&feeder, feed, &f);
	if ((r = mr_reader_new(p.out, "the command's output", &fmt)) == NULL)
		die("out of memory");
	mr_reader_key_fields(r, key_fields);
	if (mr_reader_start(r) < 0) {
		proc_kill(&p);
		die("%s", mr_reader_errmsg(r));
	}
	output_meta(r, first);
	if (w == NULL)
		w = open_writer(&out, text, &fmt, meta, metalen);
	while ((n = mr_read(r, &rec)) > 0)
		take(&rec, r);
	if (n < 0) {
		proc_kill(&p);
		die("%s", mr_reader_errmsg(r));
	}
	map_records += mr_reader_count(r);
	mr_reader_free(r);
	pthread_join(feeder, NULL);
	n = proc_wait(&p, msg, sizeof(msg));
	if (f.failed)
		die("%s", f.err);
	if (n < 0)
		die("command %s %s", shown((const unsigned char *)cmd,
		    strlen(cmd), 0), msg);
	in_records += f.records;
	in_bytes += f.bytes;
	if (f.fd != 0)
		close(f.fd);
}

static void
write_counters(struct outfile *o)
{
	const struct proc_count mine[] = {
		{ "MAP_INPUT_RECORDS", in_records },
		{ "MAP_INPUT_BYTES", in_bytes },
		{ "MAP_OUTPUT_RECORDS", map_records },
		{ "COMBINE_INPUT_RECORDS",
		    table != NULL ? mr_combine_inputs(table) : 0 },
		{ "COMBINE_OUTPUT_RECORDS",
		    table != NULL ? mr_combine_outputs(table) : 0 },
		{ "SKIPPED_VALUES", skipped },
	};

	proc_counters_save(o, mine, sizeof(mine) / sizeof(mine[0]));
}

struct args {
	const char *output, *combine, *counters;
	size_t memory;
	int text;
};

/*
 * Parses the options into a and the file-scope settings and returns
 * COMMAND, the file operands that follow it in *files and their number
 * in *nfiles.
 */
static char *
parse_args(int argc, char *argv[], struct args *a, char ***files,
    int *nfiles)
{
	char *cmd;
	int c;

	cli_start(&tool, argc, argv);
	while ((c = cli_getopt(argc, argv, &fmt)) != -1) {
		switch (c) {
		case 'o':
			a->output = optarg;
			break;
		case 'S':
			if (parse_size(optarg, &a->memory) < 0)
				usage_error(usage_text, "bad memory size: %s",
				    optarg);
			break;
		case OPT_COMBINE:
			a->combine = optarg;
			break;
		case OPT_COUNTERS:
			a->counters = optarg;
			break;
		case OPT_FRAMED_INPUT:
			framed_input = 1;
			break;
		case OPT_KEY_FIELDS:
			key_fields = opt_key_fields(usage_text, optarg);
			break;
		case OPT_SKIP_BAD:
			skip_bad = 1;
			break;
		case OPT_TEXT:
			a->text = 1;
			break;
		}
	}
	if (optind == argc)
		usage_error(usage_text, "no command given");
	cmd = argv[optind++];
	if (framed_input && strcmp(cmd, "NONE") == 0)
		usage_error(usage_text, "--framed-input needs a command: NONE "
		    "reads records itself");
	*nfiles = argc;
	*files = operands(usage_text, nfiles, argv);
	return cmd;
}

/* Sets up --combine OP: the op, the output's metadata, the table. */
static void
combine_start(const char *name, size_t memory)
{
	if (mr_op_parse(&op, name) < 0)
		usage_error(usage_text, "--combine %s: not a built-in op (see "
		    "mrreduce(1))", name);
	/*
	 * collect's partial state is its values joined, and would grow with
	 * the data in the table as distinct's would.
	 */
	if (!mr_op_combinable(&op) || op.code == MR_OP_COLLECT)
		usage_error(usage_text, "--combine %s: its state grows with "
		    "the data; reduce without combining", name);
	metalen = mr_op_meta(&op, meta, sizeof(meta));
	if ((table = mr_combine_new(&op, memory)) == NULL)
		die("out of memory");
}

int
main(int argc, char *argv[])
{
	struct args a = { "-", NULL, NULL, DEFAULT_MEMORY, 0 };
	struct outfile counters;
	char *cmd, **files;
	int i, nfiles;

	cmd = parse_args(argc, argv, &a, &files, &nfiles);
	if (a.combine != NULL)
		combine_start(a.combine, a.memory);
	/* a bad name for either output fails before any work */
	out_open(&out, a.output);
	if (a.counters != NULL)
		out_open(&counters, a.counters);
	for (i = 0; i < nfiles; i++)
		if (strcmp(cmd, "NONE") == 0)
			map_identity(files[i], i == 0, a.text);
		else
			map_input(cmd, files[i], i == 0, a.text);
	if (table != NULL && mr_combine_flush(table, w) != 0)
		die("%s", mr_writer_errmsg(w));
	if (mr_writer_finish(w) < 0)
		die("%s", mr_writer_errmsg(w));
	mr_writer_free(w);
	out_close(&out);
	if (a.counters != NULL) {
		write_counters(&counters);
		out_close(&counters);
		out_commit(&counters);
	} else
		proc_counters_report();
	out_commit(&out);
	mr_combine_free(table);
	if (skipped > 0) {
		warnx("skipped %llu values that are not numbers",
		    (unsigned long long)skipped);
		return 1;
	}
	return 0;
}
