/*
 * options.c: mrrun's command line: reading the options into the job, and
 * checking that they make a job before anything runs.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "mrrun.h"

#define MAX_REDUCERS	100000

const char mrrun_usage[] =
    "usage: mrrun -m CMD -r OP|CMD|NONE [-c OP|CMD] [-j N] [-n N] "
    "[-o DIR] [-t SEP] [-z]\n"
    "             [--dry-run] [--file PATH] [--force] [--framed] "
    "[--hosts FILE|LIST]\n"
    "             [--joblog FILE] [--keep-temp] [--memory SIZE] "
    "[--numeric]\n"
    "             [--partition-fields K] [--progress] [--quiet] "
    "[--remote-dir DIR]\n"
    "             [--remote-path DIR] [--resume] [--retries N] "
    "[--reverse] [--rsh CMD]\n"
    "             [--ship] [--shuffle relay|direct] [--speculate] "
    "[--split-size SIZE]\n"
    "             [--ssh-config FILE] [--ssh-option OPT] [--stats] "
    "[--tmpdir DIR]\n"
    "             [--total-order] [--values] [INPUT ...]\n";

enum { OPT_DRY_RUN = 256, OPT_FORCE, OPT_FRAMED, OPT_HELP,
    OPT_JOBLOG, OPT_KEEP_TEMP, OPT_MEMORY, OPT_NUMERIC,
    OPT_PROGRESS, OPT_QUIET, OPT_RESUME, OPT_RETRIES, OPT_REVERSE,
    OPT_SPLIT_SIZE, OPT_STATS, OPT_TMPDIR, OPT_TOTAL_ORDER,
    OPT_VALUES, OPT_VERSION, OPT_FIELDS, OPT_FILE, OPT_HOSTS,
    OPT_REMOTE_DIR, OPT_REMOTE_PATH, OPT_RSH, OPT_SHIP, OPT_SHUFFLE,
    OPT_SPECULATE, OPT_SSH_CONFIG, OPT_SSH_OPTION };

static const struct option longopts[] = {
	{ "combiner", required_argument, NULL, 'c' },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "file", required_argument, NULL, OPT_FILE },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "framed", no_argument, NULL, OPT_FRAMED },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "hosts", required_argument, NULL, OPT_HOSTS },
	{ "jobs", required_argument, NULL, 'j' },
	{ "joblog", required_argument, NULL, OPT_JOBLOG },
	{ "keep-temp", no_argument, NULL, OPT_KEEP_TEMP },
	{ "mapper", required_argument, NULL, 'm' },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "numeric", no_argument, NULL, OPT_NUMERIC },
	{ "output", required_argument, NULL, 'o' },
	{ "partition-fields", required_argument, NULL, OPT_FIELDS },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "reducer", required_argument, NULL, 'r' },
	{ "reducers", required_argument, NULL, 'n' },
	{ "remote-dir", required_argument, NULL, OPT_REMOTE_DIR },
	{ "remote-path", required_argument, NULL, OPT_REMOTE_PATH },
	{ "resume", no_argument, NULL, OPT_RESUME },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "reverse", no_argument, NULL, OPT_REVERSE },
	{ "rsh", required_argument, NULL, OPT_RSH },
	{ "separator", required_argument, NULL, 't' },
	{ "ship", no_argument, NULL, OPT_SHIP },
	{ "shuffle", required_argument, NULL, OPT_SHUFFLE },
	{ "speculate", no_argument, NULL, OPT_SPECULATE },
	{ "split-size", required_argument, NULL, OPT_SPLIT_SIZE },
	{ "ssh-config", required_argument, NULL, OPT_SSH_CONFIG },
	{ "ssh-option", required_argument, NULL, OPT_SSH_OPTION },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "tmpdir", required_argument, NULL, OPT_TMPDIR },
	{ "total-order", no_argument, NULL, OPT_TOTAL_ORDER },
	{ "values", no_argument, NULL, OPT_VALUES },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "zero-terminated", no_argument, NULL, 'z' },
	{ NULL, 0, NULL, 0 }
};

/*
 * Takes option c, with its argument arg, when it shapes the job's output
 * (what runs, how records are cut and ordered); returns 0 for another.
 */
static int
job_option(struct mrrun *r, int c, char *arg)
{
	struct mr_textfmt fmt = MR_TEXTFMT_DEFAULT;
	size_t size;
	long v;

	switch (c) {
	case 'c':
		r->job.combiner = arg;
		break;
	case 'm':
		r->job.mapper = arg;
		break;
	case 'n':
		if (parse_count(arg, 1, MAX_REDUCERS, &v) < 0)
			usage_error(mrrun_usage, "bad number of reducers: %s",
			    arg);
		r->reducers = (int)v;
		break;
	case 'r':
		r->job.reducer = arg;
		break;
	case 't':
		opt_separator(mrrun_usage, arg, &fmt);
		r->job.sep = arg;
		break;
	case 'z':
		r->job.zero = 1;
		break;
	case OPT_FIELDS:
		if (parse_count(arg, 1, 1000000, &v) < 0)
			usage_error(mrrun_usage, "bad number of fields: %s",
			    arg);
		r->job.keyfields = (int)v;
		break;
	case OPT_FRAMED:
		r->job.framed = 1;
		break;
	case OPT_MEMORY:
		if (parse_size(arg, &size) < 0)
			usage_error(mrrun_usage, "bad memory size: %s", arg);
		r->job.memory = arg;
		break;
	case OPT_NUMERIC:
		r->job.numeric = 1;
		break;
	case OPT_REVERSE:
		r->job.reverse = 1;
		break;
	case OPT_SPLIT_SIZE:
		if (parse_size(arg, &size) < 0)
			usage_error(mrrun_usage, "bad split size: %s", arg);
		r->job.split_size = size;
		break;
	case OPT_TMPDIR:
		r->job.tmpdir = arg;
		break;
	case OPT_TOTAL_ORDER:
		r->job.total_order = 1;
		break;
	case OPT_VALUES:
		r->job.values = 1;
		break;
	default:
		return 0;
	}
	return 1;
}

/* Takes option c when it says how the hosts are reached; 0 for another. */
static int
hosts_option(struct mrrun *r, int c, char *arg)
{
	struct reach *re = &r->reach;

	switch (c) {
	case OPT_FILE:
		r->files = xrealloc(r->files, (size_t)(r->nfiles + 1) *
		    sizeof(*r->files));
		r->files[r->nfiles++] = arg;
		break;
	case OPT_HOSTS:
		r->hosts_arg = arg;
		break;
	case OPT_REMOTE_DIR:
		re->remote_dir = arg;
		break;
	case OPT_REMOTE_PATH:
		re->remote_path = arg;
		break;
	case OPT_RSH:
		re->rsh = arg;
		break;
	case OPT_SHIP:
		re->ship = 1;
		break;
	case OPT_SHUFFLE:
		if (strcmp(arg, "direct") == 0)
			r->direct = 1;
		else if (strcmp(arg, "relay") != 0)
			usage_error(mrrun_usage, "--shuffle %s: relay or "
			    "direct", arg);
		break;
	case OPT_SPECULATE:
		r->speculate = 1;
		break;
	case OPT_SSH_CONFIG:
		re->config = arg;
		break;
	case OPT_SSH_OPTION:
		re->options = xrealloc(re->options, (size_t)(re->noptions +
		    1) * sizeof(*re->options));
		re->options[re->noptions++] = arg;
		break;
	default:
		return 0;
	}
	return 1;
}

/* Takes option c when it says how the job runs and reports; 0 for another. */
static int
run_option(struct mrrun *r, int c, char *arg)
{
	long v;

	switch (c) {
	case 'j':
		if (parse_count(arg, 1, TASK_MAX_RUNNING, &v) < 0)
			usage_error(mrrun_usage, "bad number of jobs: %s",
			    arg);
		r->jobs = (int)v;
		r->jobs_given = 1;
		break;
	case 'o':
		r->outdir = arg;
		break;
	case OPT_DRY_RUN:
		r->dry_run = 1;
		break;
	case OPT_FORCE:
		r->force = 1;
		break;
	case OPT_JOBLOG:
		r->joblog_path = arg;
		break;
	case OPT_KEEP_TEMP:
		r->keep_temp = 1;
		break;
	case OPT_PROGRESS:
		r->show_progress = 1;
		break;
	case OPT_QUIET:
		r->quiet = 1;
		break;
	case OPT_RESUME:
		r->resume = 1;
		break;
	case OPT_RETRIES:
		if (parse_count(arg, 0, 1000, &v) < 0)
			usage_error(mrrun_usage, "bad number of retries: %s",
			    arg);
		r->retries = (int)v;
		break;
	case OPT_STATS:
		r->stats = 1;
		break;
	default:
		return 0;
	}
	return 1;
}

/*
 * Reads the options into r; exits for
 * --help and --version, and with status 2 on a bad option.
 */
void
options_parse(struct mrrun *r, int argc, char **argv)
{
	int c;

	while ((c = getopt_long(argc, argv, "c:j:m:n:o:r:t:z", longopts,
	    NULL)) != -1) {
		if (job_option(r, c, optarg) || hosts_option(r, c, optarg) ||
		    run_option(r, c, optarg))
			continue;
		if (c == OPT_HELP) {
			fputs(mrrun_usage, stdout);
			exit(0);
		}
		if (c == OPT_VERSION)
			cli_version();
		fputs(mrrun_usage, stderr);
		exit(2);
	}
}

/* Checks the mapper, reducer and combiner, and what they allow. */
static void
check_ops(struct mrrun *r)
{
	struct job *j = &r->job;
	struct mr_op op, rop;

	if (j->mapper == NULL)
		usage_error(mrrun_usage, "no --mapper given");
	if (j->reducer == NULL)
		usage_error(mrrun_usage, "no --reducer given (NONE for a "
		    "map-only job)");
	if (r->show_progress && r->quiet)
		usage_error(mrrun_usage, "--progress and --quiet exclude each "
		    "other");
	if (strcmp(j->reducer, "NONE") == 0) {
		if (j->combiner != NULL || j->total_order || r->reducers > 0)
			usage_error(mrrun_usage, "a map-only job (--reducer "
			    "NONE) takes no --combiner, --reducers or "
			    "--total-order");
		j->reducers = 0;
	} else
		j->reducers = r->reducers > 0 ? r->reducers : 1;
	r->count_output = j->reducers > 0 && !j->framed &&
	    mr_op_parse(&rop, j->reducer) < 0;
	if (j->combiner != NULL && mr_op_parse(&op, j->combiner) == 0) {
		if (!mr_op_combinable(&op) || op.code == MR_OP_COLLECT)
			usage_error(mrrun_usage, "--combiner %s: its state "
			    "grows with the data; use it as the reducer "
			    "alone", j->combiner);
		if (mr_op_parse(&rop, j->reducer) < 0 ||
		    rop.code != op.code)
			usage_error(mrrun_usage, "--combiner %s needs "
			    "--reducer %s: a built-in combiner writes partial "
			    "states that only the same op reads", j->combiner,
			    j->combiner);
		j->combine_builtin = 1;
	}
	if (j->total_order && j->keyfields > 0)
		usage_error(mrrun_usage, "--total-order and --partition-fields "
		    "exclude each other");
	if (j->reducers <= 1)
		j->total_order = 0;
}

/* Checks --tmpdir, --hosts and the options that need it, and --file. */
static void
check_places(struct mrrun *r)
{
	const struct reach *re = &r->reach;
	struct stat st;
	char err[1024];
	int i;

	if (r->job.tmpdir != NULL && (stat(r->job.tmpdir, &st) < 0 ||
	    !S_ISDIR(st.st_mode)))
		usage_error(mrrun_usage, "--tmpdir %s: not a directory",
		    r->job.tmpdir);
	if (r->hosts_arg != NULL) {
		if ((r->hosts = hosts_parse(r->hosts_arg, &r->nhosts, err,
		    sizeof(err))) == NULL)
			usage_error(mrrun_usage, "--hosts: %s", err);
		if (r->resume)
			usage_error(mrrun_usage, "--resume works in local mode "
			    "only: the hosts' scratch is gone after a job");
	} else if (re->config != NULL || re->noptions > 0 ||
	    re->rsh != NULL || re->remote_dir != NULL ||
	    re->remote_path != NULL || re->ship || r->speculate || r->direct)
		usage_error(mrrun_usage, "the options of ssh, --ship, "
		    "--shuffle and --speculate need --hosts");
	if (re->ship && re->remote_path != NULL)
		usage_error(mrrun_usage, "--ship and --remote-path exclude "
		    "each other");
	for (i = 0; i < r->nfiles; i++)
		if (stat(r->files[i], &st) < 0 || !S_ISREG(st.st_mode) ||
		    access(r->files[i], R_OK) < 0)
			die("--file %s: %s", r->files[i], errno != 0 &&
			    !S_ISREG(st.st_mode) ? strerror(errno) :
			    "not a readable file");
}

/*
 * Where the mr tools are: beside mrrun when it was run by a path and they
 * are there; otherwise "", for the PATH.
 */
static const char *
tool_dir(const char *argv0)
{
	char cwd[PATH_MAX], *dir, *slash, *probe;

	if ((slash = strrchr(argv0, '/')) == NULL)
		return "";
	if (argv0[0] == '/')
		dir = xstrdup(argv0);
	else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return "";
		dir = path_join(cwd, argv0);
	}
	*strrchr(dir, '/') = '\0';
	probe = path_join(dir, "mrmap");
	if (access(probe, X_OK) < 0) {
		free(dir);
		dir = xstrdup("");
	}
	free(probe);
	return dir;
}

/*
 * The work directory: beside the output directory, so the output is
 * renamed into place; for stdout, under the temp directory, named by a
 * hash of the command, so the same command finds it again for --resume.
 */
static char *
work_path(struct mrrun *r)
{
	char cwd[PATH_MAX], *p, *slash, *w;
	const char *tmp, *outdir = r->outdir;

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		die("cannot name the current directory: %s", strerror(errno));
	if (outdir != NULL) {
		p = xmalloc(strlen(cwd) + strlen(outdir) + 2);
		if (outdir[0] == '/')
			strcpy(p, outdir);
		else
			sprintf(p, "%s/%s", cwd, outdir);
		while (strlen(p) > 1 && p[strlen(p) - 1] == '/')
			p[strlen(p) - 1] = '\0';
		if (strcmp(p, "/") == 0)
			usage_error(mrrun_usage, "-o /: the output must be a "
			    "directory of its own");
		slash = strrchr(p, '/');
		w = xmalloc(strlen(p) + 16);
		sprintf(w, "%.*s/.%s.mrrun", (int)(slash - p), p, slash + 1);
		free(p);
		return w;
	}
	if ((tmp = r->job.tmpdir) == NULL && ((tmp = getenv("TMPDIR")) ==
	    NULL || *tmp == '\0'))
		tmp = "/tmp";
	w = xmalloc(strlen(tmp) + 64);
	sprintf(w, "%s/mrrun-%ld-%016llx", tmp, (long)geteuid(),
	    (unsigned long long)plan_name(&r->job, r->inputs, r->ninputs,
	    cwd));
	return w;
}

/*
 * Checks that the options make a job, takes the operands, and settles
 * what the options leave open: the tools' directory (from argv[0]), the
 * work directory, whether to show progress.  Exits with status 2 on a
 * usage error, 1 on a --file that cannot be read.
 */
void
options_check(struct mrrun *r, int argc, char **argv)
{
	int i;

	check_ops(r);
	check_places(r);
	r->ninputs = argc;
	r->inputs = operands(mrrun_usage, &r->ninputs, argv);
	for (i = 0; i < r->ninputs; i++)
		r->uses_stdin |= strcmp(r->inputs[i], "-") == 0;
	if (r->uses_stdin && (r->dry_run || r->resume))
		usage_error(mrrun_usage, "%s cannot read standard input; name "
		    "the input files", r->dry_run ? "--dry-run" : "--resume");
	if (r->job.framed && r->outdir == NULL && !r->dry_run &&
	    isatty(STDOUT_FILENO))
		die("will not write framed records to a terminal; use "
		    "--output DIR or a pipe");
	if (!r->quiet && !r->show_progress)
		r->show_progress = isatty(STDERR_FILENO);
	r->job.bindir = tool_dir(argv[0]);
	r->outpath = r->outdir;
	r->work = work_path(r);
	r->job.work = r->work;
}
