/*
 * mrreduce: group records sorted by key and reduce each group with a
 * built-in op or a shell command, or pass every record on (NONE, or
 * identity).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "proc.h"

#define SHOW_MAX	40	/* bytes of a key or value in a message */
#define SHOW_SIZE	(4 * SHOW_MAX + 8)

enum { OPT_COUNTERS = 256, OPT_FRAMED, OPT_FRAMED_INPUT, OPT_KEY_FIELDS,
    OPT_PARTIAL, OPT_SKIP_BAD };

static const char usage_text[] =
    "usage: mrreduce [-nrz] [--allow-magic] [--counters FILE] [--framed]\n"
    "           [--framed-input] [--key-fields K] [--partial] [--skip-bad]\n"
    "           [-d STRING] [-o FILE] [-T DIR] [-t SEP] OP|COMMAND|NONE "
    "[FILE ...]\n";

static const struct cli_opt options[] = {
	{ 'd', "delimiter", "STRING",
	    "join the values of collect with STRING, not \",\"" },
	{ 'n', "numeric", NULL, "the keys are sorted as decimal numbers" },
	{ 'o', "output", "FILE", "write to FILE, complete or not at all" },
	{ 'r', "reverse", NULL, "the keys are sorted in reverse order" },
	{ 'T', "tmpdir", "DIR", "put temporary files in DIR, not $TMPDIR" },
	CLI_OPT_SEP,
	CLI_OPT_ZERO,
	CLI_OPT_MAGIC,
	{ OPT_COUNTERS, "counters", "FILE", "write the counters to FILE" },
	{ OPT_FRAMED, "framed", NULL, "write framed records, not text lines" },
	{ OPT_FRAMED_INPUT, "framed-input", NULL,
	    "give the command framed records, not text lines" },
	CLI_OPT_HELP,
	{ OPT_KEY_FIELDS, "key-fields", "K",
	    "with --framed, a command's key is its first K fields" },
	{ OPT_PARTIAL, "partial", NULL,
	    "write partial states of OP for another mrreduce OP" },
	{ OPT_SKIP_BAD, "skip-bad", NULL,
	    "skip values that are not numbers, count them, exit 1" },
	CLI_OPT_VERSION,
	{ 0, NULL, NULL, NULL }
};

static const struct cli_tool tool = {
	"mrreduce",
	"Reduce groups of sorted records with a built-in op or a command.",
	usage_text, options, CLI_OPS
};

/*
 * The records of all inputs, merged when there are several, and the key
 * of the current group, against which each record's key is checked: the
 * same key, or a later one in the order asked for.
 */
struct input {
	struct mr_reader **r;
	size_t n;
	struct mr_merge *m;	/* NULL for one input */
	size_t src, prevsrc;	/* the inputs of the last two records */
	struct mr_order order;
	unsigned char *key;
	size_t klen, kcap;
	int started;		/* a group has begun */
};

static struct mr_textfmt fmt = MR_TEXTFMT_DEFAULT;
static int skip_bad;
static long key_fields = 1;	/* --key-fields: of a command's lines */
static unsigned long long skipped;
/* For --counters: records and groups read, records written. */
static unsigned long long in_records, groups, out_records;
static int out_counted;		/* out_records is known */

static const char *
input_name(const struct input *in, size_t src)
{
	return mr_reader_name(in->r[src]);
}

/* The number of the record last read, in its own input. */
static unsigned long long
input_recno(const struct input *in)
{
	return (unsigned long long)mr_reader_count(in->r[in->src]);
}

/*
 * Reads the next record into rec and sets *newkey when it starts a new
 * group.  Returns 1, or 0 at the end of the input; dies on an error or a
 * record out of order.
 */
static int
input_next(struct input *in, struct mr_rec *rec, int *newkey)
{
	size_t src = 0;
	int rc;

	in->prevsrc = in->src;
	if (in->m == NULL)
		rc = mr_read(in->r[0], rec);
	else
		rc = mr_merge_next(in->m, rec, &src);
	if (rc < 0)
		die("%s", in->m != NULL ? mr_merge_errmsg(in->m) :
		    mr_reader_errmsg(in->r[0]));
	if (rc == 0)
		return 0;
	in->src = src;
	in_records++;
	if (in->started && rec->klen == in->klen &&
	    memcmp(rec->key, in->key, rec->klen) == 0) {
		*newkey = 0;
		return 1;
	}
	if (in->started && mr_keycmp(&in->order, in->key, in->klen, rec->key,
	    rec->klen) > 0)
		die("%s: record %llu is out of order (sort it with mrsort)",
		    input_name(in, src), input_recno(in));
	groups++;
	*newkey = 1;
	return 1;
}

/* Makes rec's key the key of the current group. */
static void
input_setkey(struct input *in, const struct mr_rec *rec)
{
	if (rec->klen > in->kcap) {
		in->kcap = rec->klen * 2;
		in->key = xrealloc(in->key, in->kcap);
	}
	if (rec->klen > 0)
		memcpy(in->key, rec->key, rec->klen);
	in->klen = rec->klen;
	in->started = 1;
}

/* Dies with the reason an op refused the value of rec, or counts a skip. */
static void
value_error(const struct input *in, const struct mr_op *op, int merging,
    const struct mr_rec *rec, int rc)
{
	const char *name = input_name(in, in->src);
	const char *k = shown(rec->key, rec->klen, 0);
	const char *v = shown(rec->val, rec->vlen, 1);
	unsigned long long recno = input_recno(in);

	switch (rc) {
	case MR_AGG_NAN:
		if (skip_bad) {
			skipped++;
			return;
		}
		die("%s: record %llu: key %s: value %s is not a number", name,
		    recno, k, v);
	case MR_AGG_OVERFLOW:
		if (op->code == MR_OP_COLLECT)
			die("%s: record %llu: key %s: the collected values are "
			    "over %lu bytes", name, recno, k, MR_REC_MAX);
		if (merging)
			die("%s: record %llu: key %s: partial state %s "
			    "overflows the %s", name, recno, k, v,
			    mr_op_name(op->code));
		die("%s: record %llu: key %s: value %s has more than %d "
		    "digits before or after its point", name, recno, k, v,
		    MR_AGG_DIGITS);
	case MR_AGG_BADSTATE:
		die("%s: record %llu: key %s: %s is not a partial state of %s",
		    name, recno, k, v, mr_op_name(op->code));
	default:
		die("out of memory");
	}
}

/* Writes the result (or partial state) of the group that just ended. */
static void
emit(const struct input *in, const struct mr_op *op, const struct mr_agg *a,
    int partial, struct mr_buf *out, struct mr_writer *w)
{
	struct mr_rec rec;
	int rc;

	rc = partial ? mr_agg_partial(op, a, out) : mr_agg_result(op, a, out);
	if (rc == MR_AGG_OVERFLOW)
		die("%s: key %s: the %s has more than %d digits",
		    input_name(in, in->prevsrc), shown(in->key, in->klen, 0),
		    mr_op_name(op->code), MR_AGG_DIGITS);
	if (rc < 0)
		die("out of memory");
	/* a numeric op whose every value was skipped has no result */
	if (out->len == 0 && mr_op_numeric(op))
		return;
	rec.key = in->key;
	rec.klen = in->klen;
	rec.val = out->p;
	rec.vlen = out->len;
	out_records++;
	if (mr_write(w, &rec) < 0)
		die("%s", mr_writer_errmsg(w));
}

/*
 * A built-in op: values are added, or partial states merged, group by
 * group; each group's result, or its partial state, is written as it ends.
 */
static void
reduce_builtin(struct input *in, const struct mr_op *op, int merging,
    int partial, struct mr_writer *w)
{
	struct mr_buf out = { NULL, 0, 0 };
	struct mr_agg a;
	struct mr_rec rec;
	int newkey, rc;

	mr_agg_init(&a);
	while (input_next(in, &rec, &newkey)) {
		if (newkey) {
			if (in->started) {
				emit(in, op, &a, partial, &out, w);
				mr_agg_clear(&a);
			}
			input_setkey(in, &rec);
		}
		if (merging)
			rc = mr_agg_merge(op, &a, rec.val, rec.vlen);
		else
			rc = mr_agg_add(op, &a, rec.val, rec.vlen);
		if (rc != 0)
			value_error(in, op, merging, &rec, rc);
	}
	if (in->started)
		emit(in, op, &a, partial, &out, w);
	mr_agg_free(&a);
	free(out.p);
}

/* NONE (or identity): every record as it is, checked for order. */
static void
reduce_none(struct input *in, struct mr_writer *w)
{
	struct mr_rec rec;
	int newkey;

	while (input_next(in, &rec, &newkey)) {
		if (newkey)
			input_setkey(in, &rec);
		out_records++;
		if (copy_record(w, in->r[in->src], &rec) < 0)
			die("%s", mr_writer_errmsg(w));
	}
}

/* A reducer command's output, read back as records for --framed. */
struct pump {
	struct proc *p;
	struct outfile *out;
	struct mr_writer *w;
	int failed;
	char err[600];
};

static void *
pump(void *arg)
{
	struct pump *pu = arg;
	const unsigned char *meta;
	struct mr_reader *r;
	struct mr_rec rec;
	size_t metalen;
	int n = -1;

	if ((r = mr_reader_new(pu->p->out, "the command's output",
	    &fmt)) == NULL)
		die("out of memory");
	mr_reader_key_fields(r, key_fields);
	if (mr_reader_start(r) == 0) {
		meta = mr_reader_meta(r, &metalen);
		pu->w = open_writer(pu->out, 0, &fmt, meta, metalen);
		while ((n = mr_read(r, &rec)) > 0) {
			out_records++;
			if (mr_write(pu->w, &rec) < 0) {
				snprintf(pu->err, sizeof(pu->err), "%s",
				    mr_writer_errmsg(pu->w));
				break;
			}
		}
	}
	if (n < 0 && pu->err[0] == '\0')
		snprintf(pu->err, sizeof(pu->err), "%s", mr_reader_errmsg(r));
	if (pu->err[0] != '\0') {
		pu->failed = 1;
		proc_kill(pu->p);
	}
	mr_reader_free(r);
	return NULL;
}

/*
 * A reducer command: `/bin/sh -c cmd` gets the records, read and checked
 * for order here, as key<TAB>value lines on its standard input, as a
 * Hadoop Streaming reducer does, or with framed_in as one framed stream.
 * Its standard output is the output: the output file itself for text, read
 * back as records with --framed.  A command that exits 0 without reading
 * all its input is not an error.
 */
static void
reduce_command(const char *cmd, struct input *in, struct outfile *out,
    int framed, int framed_in)
{
	char *env[4] = { NULL };
	struct mr_writer *fin = NULL;
	struct pump pu;
	struct proc p;
	struct mr_rec rec;
	pthread_t t;
	char msg[128];
	int newkey, rc = 0;

	proc_env(env, 4, "mapreduce_task_ismap", "false");
	proc_env(env, 4, "mapred_task_is_map", "false");
	memset(&pu, 0, sizeof(pu));
	if (framed) {
		proc_start(&p, cmd, env, PROC_PIPE);
		pu.p = &p;
		pu.out = out;
		proc_thread(&t, pump, &pu);
	} else
		proc_start(&p, cmd, env, out->fd);
	if (framed_in)
		fin = proc_framed_in(&p, &fmt, NULL, 0);
	while (rc == 0 && input_next(in, &rec, &newkey)) {
		if (newkey)
			input_setkey(in, &rec);
		rc = fin != NULL ? copy_record(fin, in->r[in->src], &rec) :
		    proc_write_rec(&p, &rec, &fmt);
	}
	if (rc == 0)
		rc = fin != NULL ? mr_writer_finish(fin) : proc_flush(&p);
	if (rc < 0 && fin != NULL && mr_writer_errno(fin) != EPIPE)
		die("%s", mr_writer_errmsg(fin));
	if (rc < 0 && fin == NULL && errno != EPIPE)
		die("writing to the command: %s", strerror(errno));
	mr_writer_free(fin);
	proc_close_in(&p);
	if (framed)
		pthread_join(t, NULL);
	rc = proc_wait(&p, msg, sizeof(msg));
	if (pu.failed)
		die("%s", pu.err);
	/*
	 * A command writing our stdout met a closed pipe, as in
	 * `mrreduce CMD | head`: the tool ends as if it had written itself.
	 */
	if (rc < 0 && !framed && out->tmp == NULL && proc_sigpipe(&p)) {
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	if (rc < 0)
		die("command %s %s", shown((const unsigned char *)cmd,
		    strlen(cmd), 0), msg);
	if (framed) {
		if (mr_writer_finish(pu.w) < 0)
			die("%s", mr_writer_errmsg(pu.w));
		mr_writer_free(pu.w);
	}
}

/*
 * Opens the inputs, all with the same metadata (copied to meta), and
 * merges them when there are several.
 */
static void
input_open(struct input *in, char **files, int nfiles, const char *tmpdir,
    unsigned char *meta, size_t *metalen)
{
	in->r = open_sorted(files, nfiles, &fmt, &in->order, tmpdir, meta,
	    metalen, &in->n);
	in->m = NULL;
	if (in->n > 1 && (in->m = mr_merge_new(in->r, in->n,
	    &in->order)) == NULL)
		die("out of memory");
	in->src = in->prevsrc = 0;
	in->kcap = 256;
	in->key = xmalloc(in->kcap);
	in->klen = 0;
	in->started = 0;
}

/*
 * Writes the counters to o, or without --counters (o NULL) reports a
 * command's counters on stderr for a runner above.
 */
static void
write_counters(struct outfile *o)
{
	/* a command's text output is its own: its records are not counted */
	const struct proc_count mine[] = {
		{ "REDUCE_INPUT_RECORDS", in_records },
		{ "REDUCE_INPUT_GROUPS", groups },
		{ "SKIPPED_VALUES", skipped },
		{ "REDUCE_OUTPUT_RECORDS", out_records },
	};

	if (o == NULL) {
		proc_counters_report();
		return;
	}
	proc_counters_save(o, mine, sizeof(mine) / sizeof(mine[0]) -
	    !out_counted);
	out_close(o);
}

static void
input_close(struct input *in)
{
	if (in->m != NULL)
		mr_merge_free(in->m);
	close_sorted(in->r, in->n);
	free(in->key);
}

/* The command line, and what its reducer is. */
struct args {
	const char *output, *delim, *counters, *reducer, *tmpdir;
	struct mr_op op;
	int builtin, none, framed, framed_in, partial;
};

/*
 * Parses the options into a, in->order and the file-scope settings, and
 * returns the file operands that follow the reducer, *argc many.
 */
static char **
parse_args(int *argc, char *argv[], struct args *a, struct input *in)
{
	int c;

	cli_start(&tool, *argc, argv);
	while ((c = cli_getopt(*argc, argv, &fmt)) != -1) {
		switch (c) {
		case 'd':
			a->delim = optarg;
			break;
		case 'n':
			in->order.numeric = 1;
			break;
		case 'o':
			a->output = optarg;
			break;
		case 'r':
			in->order.reverse = 1;
			break;
		case 'T':
			a->tmpdir = optarg;
			break;
		case OPT_COUNTERS:
			a->counters = optarg;
			break;
		case OPT_FRAMED:
			a->framed = 1;
			break;
		case OPT_FRAMED_INPUT:
			a->framed_in = 1;
			break;
		case OPT_KEY_FIELDS:
			key_fields = opt_key_fields(usage_text, optarg);
			break;
		case OPT_PARTIAL:
			a->partial = 1;
			break;
		case OPT_SKIP_BAD:
			skip_bad = 1;
			break;
		}
	}
	if (optind >= *argc)
		usage_error(usage_text, "no OP or COMMAND given");
	a->reducer = argv[optind++];
	return operands(usage_text, argc, argv);
}

/* Tells what the reducer is, or exits 2 when it goes with no option. */
static void
check_reducer(struct args *a)
{
	a->none = strcmp(a->reducer, "NONE") == 0 ||
	    strcmp(a->reducer, "identity") == 0;
	a->builtin = !a->none && opt_reducer(usage_text, NULL, a->reducer,
	    &a->op);
	if (a->builtin && a->delim != NULL) {
		a->op.sep = (const unsigned char *)a->delim;
		a->op.seplen = strlen(a->delim);
	}
	if (a->partial && !a->builtin)
		usage_error(usage_text, "--partial needs a built-in op");
	if (key_fields > 1 && (a->builtin || a->none || !a->framed))
		usage_error(usage_text, "--key-fields needs a command and "
		    "--framed: it cuts the keys of the command's lines");
	if (a->framed_in && (a->builtin || a->none))
		usage_error(usage_text, "--framed-input needs a command: %s "
		    "reads records itself", a->reducer);
	if (a->partial && !mr_op_combinable(&a->op))
		usage_error(usage_text, "%s has no partial states",
		    mr_op_name(a->op.code));
}

/*
 * Reads the inputs' metadata: returns 1 when they hold the partial states
 * of the op, 0 for plain values, and dies when the reducer cannot read
 * what they hold.
 */
static int
check_input(const struct input *in, const struct args *a,
    const unsigned char *meta, size_t metalen)
{
	const char *first = input_name(in, 0);
	struct mr_op inop;
	int merging;

	merging = mr_op_from_meta(&inop, meta, metalen);
	if (merging < 0)
		die("%s: unknown stream metadata (mrreduce reads plain values "
		    "or values=partial:OP)", first);
	if (merging && a->builtin && inop.code != a->op.code)
		die("%s: holds partial states of %s (mrmap --combine=%s); "
		    "reduce it with mrreduce %s", first,
		    mr_op_name(inop.code), mr_op_name(inop.code),
		    mr_op_name(inop.code));
	if (merging && !a->builtin && !a->none)
		die("%s: holds partial states of %s, which a command cannot "
		    "read; reduce it with mrreduce %s", first,
		    mr_op_name(inop.code), mr_op_name(inop.code));
	return merging;
}

/* Reduces the input to out with a built-in op or NONE (identity). */
static void
reduce(struct input *in, const struct args *a, int merging,
    struct outfile *out, const unsigned char *meta, size_t metalen)
{
	unsigned char ometa[64];
	struct mr_writer *w;
	size_t ometalen;

	if (a->none)
		w = open_writer(out, !a->framed, &fmt, meta, metalen);
	else if (a->partial) {
		ometalen = mr_op_meta(&a->op, ometa, sizeof(ometa));
		w = open_writer(out, 0, &fmt, ometa, ometalen);
	} else
		w = open_writer(out, !a->framed, &fmt, NULL, 0);
	if (a->none)
		reduce_none(in, w);
	else
		reduce_builtin(in, &a->op, merging, a->partial, w);
	if (mr_writer_finish(w) < 0)
		die("%s", mr_writer_errmsg(w));
	mr_writer_free(w);
}

int
main(int argc, char *argv[])
{
	struct args a = { "-", NULL, NULL, NULL, NULL, { 0 }, 0, 0, 0, 0, 0 };
	struct input in = { 0 };
	struct outfile out, counters;
	unsigned char meta[MR_META_MAX];
	size_t metalen = 0;
	int merging;

	argv = parse_args(&argc, argv, &a, &in);
	check_reducer(&a);
	input_open(&in, argv, argc, temp_dir(a.tmpdir), meta, &metalen);
	merging = check_input(&in, &a, meta, metalen);

	/* a bad name for either output fails before any work */
	out_open(&out, a.output);
	if (a.counters != NULL)
		out_open(&counters, a.counters);
	out_counted = a.builtin || a.none || a.framed;
	if (a.builtin || a.none)
		reduce(&in, &a, merging, &out, meta, metalen);
	else
		reduce_command(a.reducer, &in, &out, a.framed, a.framed_in);
	out_close(&out);
	write_counters(a.counters != NULL ? &counters : NULL);
	if (a.counters != NULL)
		out_commit(&counters);
	out_commit(&out);
	input_close(&in);
	if (skipped > 0) {
		warnx("skipped %llu %s", skipped, skipped == 1 ?
		    "value that is not a number" :
		    "values that are not numbers");
		return 1;
	}
	return 0;
}
