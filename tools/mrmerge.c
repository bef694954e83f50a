/*
 * mrmerge: merge inputs that are each sorted into one sorted stream.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"


static const char usage_text[] =
    "usage: mrmerge [-nrz] [--text] [--values] [-o FILE] [-t SEP] "
    "[FILE ...]\n";

static void
usage(void)
{
	fputs(usage_text, stderr);
	exit(2);
}

int
main(int argc, char *argv[])
{
	enum { OPT_TEXT = 256, OPT_VALUES, OPT_HELP, OPT_VERSION };
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, OPT_HELP },
		{ "numeric", no_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "reverse", no_argument, NULL, 'r' },
		{ "separator", required_argument, NULL, 't' },
		{ "text", no_argument, NULL, OPT_TEXT },
		{ "values", no_argument, NULL, OPT_VALUES },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "zero-terminated", no_argument, NULL, 'z' },
		{ NULL, 0, NULL, 0 }
	};
	struct mr_textfmt fmt = MR_TEXTFMT_DEFAULT;
	struct mr_order order = { 0, 0, 0 };
	struct mr_reader **in;
	struct mr_writer *w;
	struct outfile out;
	unsigned char meta[MR_META_MAX];
	const char *output = "-";
	size_t metalen = 0;
	int c, i, text = 0;

	cli_init("mrmerge");
	while ((c = getopt_long(argc, argv, "no:rt:z", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			order.numeric = 1;
			break;
		case 'o':
			output = optarg;
			break;
		case 'r':
			order.reverse = 1;
			break;
		case 't':
			opt_separator(usage_text, optarg, &fmt);
			break;
		case 'z':
			fmt.eol = '\0';
			break;
		case OPT_TEXT:
			text = 1;
			break;
		case OPT_VALUES:
			order.values = 1;
			break;
		case OPT_HELP:
			fputs(usage_text, stdout);
			return 0;
		case OPT_VERSION:
			cli_version();
		default:
			usage();
		}
	}
	argv = operands(usage_text, &argc, argv);

	in = open_sorted(argv, argc, &fmt, meta, &metalen);
	out_open(&out, output);
	w = open_writer(&out, text, &fmt, meta, metalen);
	merge_into(in, (size_t)argc, &order, w);
	if (mr_writer_finish(w) < 0)
		die("%s", mr_writer_errmsg(w));
	mr_writer_free(w);
	out_commit(&out);
	for (i = 0; i < argc; i++)
		close_reader(in[i]);
	free(in);
	return 0;
}
