/*
 * mrmerge: merge inputs that are each sorted into one sorted stream.
 */
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"

enum { OPT_TEXT = 256, OPT_VALUES };

static const char usage_text[] =
    "usage: mrmerge [-nrz] [--allow-magic] [--text] [--values[=KEYDEF]]\n"
    "           [-o FILE] [-T DIR] [-t SEP] [FILE ...]\n";

static const struct cli_opt options[] = {
	{ 'n', "numeric", NULL, "the inputs are sorted by numeric keys" },
	{ 'o', "output", "FILE", "write to FILE, complete or not at all" },
	{ 'r', "reverse", NULL, "the inputs are sorted in reverse order" },
	{ 'T', "tmpdir", "DIR", "put temporary files in DIR, not $TMPDIR" },
	CLI_OPT_SEP,
	CLI_OPT_ZERO,
	CLI_OPT_MAGIC,
	CLI_OPT_HELP,
	{ OPT_TEXT, "text", NULL, "write text lines, not framed records" },
	{ OPT_VALUES, "values", "[KEYDEF]",
	    "equal keys are sorted by value (by sort -k KEYDEF)" },
	CLI_OPT_VERSION,
	{ 0, NULL, NULL, NULL }
};

static const struct cli_tool tool = {
	"mrmerge", "Merge sorted record streams into one sorted stream.",
	usage_text, options, 0
};

struct args {
	struct mr_textfmt fmt;
	struct mr_order order;
	const char *output, *tmpdir;
	int text;
};

/* Parses the options into a and returns the file operands, *argc many. */
static char **
parse_args(int *argc, char *argv[], struct args *a)
{
	int c;

	cli_start(&tool, *argc, argv);
	while ((c = cli_getopt(*argc, argv, &a->fmt)) != -1) {
		switch (c) {
		case 'n':
			a->order.numeric = 1;
			break;
		case 'o':
			a->output = optarg;
			break;
		case 'r':
			a->order.reverse = 1;
			break;
		case 'T':
			a->tmpdir = optarg;
			break;
		case OPT_TEXT:
			a->text = 1;
			break;
		case OPT_VALUES:
			opt_values(usage_text, optarg, &a->order);
			break;
		}
	}
	a->order.sep = a->fmt.sep;
	return operands(usage_text, argc, argv);
}

int
main(int argc, char *argv[])
{
	struct args a = { MR_TEXTFMT_DEFAULT, { 0 }, "-", NULL, 0 };
	struct mr_reader **in;
	struct mr_writer *w;
	struct outfile out;
	unsigned char meta[MR_META_MAX];
	size_t metalen = 0, n;

	argv = parse_args(&argc, argv, &a);
	in = open_sorted(argv, argc, &a.fmt, &a.order, temp_dir(a.tmpdir),
	    meta, &metalen, &n);
	out_open(&out, a.output);
	w = open_writer(&out, a.text, &a.fmt, meta, metalen);
	merge_into(in, n, &a.order, w);
	if (mr_writer_finish(w) < 0)
		die("%s", mr_writer_errmsg(w));
	mr_writer_free(w);
	out_commit(&out);
	close_sorted(in, n);
	return 0;
}
