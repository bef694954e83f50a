/*
 * options.c: mrrun's command line: reading the options into the job, and
 * checking that they make a job before anything runs.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "mrrun.h"

const char mrrun_usage[] =
    "usage: mrrun -m CMD|NONE -r OP|CMD|identity|NONE [-c OP|CMD] [-j N]\n"
    "             [-n N] [-o DIR] [-t SEP] [-z] [--allow-magic]"
    " [--broadcast N]\n"
    "             [--dry-run] [--env NAME=VALUE] [--file PATH] [--force]\n"
    "             [--framed] [--framed-input] [--hosts FILE|LIST]"
    " [--join TYPE]\n"
    "             [--joblog FILE] [--keep-temp] [--key-fields K]"
    " [--memory SIZE]\n"
    "             [--numeric] [--partition-fields K] [--progress]"
    " [--quiet]\n"
    "             [--remote-dir DIR] [--remote-path DIR] [--resume]"
    " [--retries N]\n"
    "             [--reverse] [--rsh CMD] [--ship]"
    " [--shuffle relay|direct]\n"
    "             [--speculate] [--split-size SIZE] [--ssh-config FILE]\n"
    "             [--ssh-option OPT] [--stats] [--timeout DURATION]"
    " [--tmpdir DIR]\n"
    "             [--total-order] [--values[=KEYDEF]] [INPUT ...]\n"
    "       mrrun -m CMD|NONE INPUT ... -m CMD|NONE INPUT ... [-m ...]\n"
    "             -r ...|--join TYPE [option ...]\n";

/* mrpartition's limit: a map task writes one file a partition */
#define MAX_REDUCERS	65536

enum { OPT_DRY_RUN = 256, OPT_FORCE, OPT_JOIN, OPT_BROADCAST, OPT_KEY_FIELDS,
    OPT_ENV, OPT_TIMEOUT,
    OPT_FRAMED, OPT_FRAMED_INPUT, OPT_JOBLOG, OPT_KEEP_TEMP, OPT_MEMORY,
    OPT_NUMERIC, OPT_PROGRESS, OPT_QUIET,
    OPT_RESUME, OPT_RETRIES, OPT_REVERSE, OPT_SPLIT_SIZE, OPT_STATS,
    OPT_TMPDIR, OPT_TOTAL_ORDER, OPT_VALUES, OPT_FIELDS, OPT_FILE,
    OPT_HOSTS, OPT_REMOTE_DIR, OPT_REMOTE_PATH, OPT_RSH, OPT_SHIP,
    OPT_SHUFFLE, OPT_SPECULATE, OPT_SSH_CONFIG, OPT_SSH_OPTION };

/* In the order of mrrun(1). */
static const struct cli_opt options[] = {
	CLI_OPT_MAGIC,
	{ OPT_BROADCAST, "broadcast", "N",
	    "join group N in every map task of the other group" },
	{ 'c', "combiner", "OP|CMD",
	    "combine each map task's output with OP or CMD" },
	{ OPT_DRY_RUN, "dry-run", NULL,
	    "print every task as a shell line; run none" },
	{ OPT_ENV, "env", "NAME=VALUE",
	    "set NAME to VALUE for every task (repeatable)" },
	{ OPT_FILE, "file", "PATH",
	    "copy PATH to where the tasks run (repeatable)" },
	{ OPT_FORCE, "force", NULL, "replace an existing output directory" },
	{ OPT_FRAMED, "framed", NULL, "write framed output parts, not text" },
	{ OPT_FRAMED_INPUT, "framed-input", NULL,
	    "give the commands framed records, not text lines" },
	CLI_OPT_HELP,
	{ OPT_HOSTS, "hosts", "FILE|LIST",
	    "run the tasks on these hosts, over ssh" },
	{ 'j', "jobs", "N", "run at most N tasks at once (on each host)" },
	{ OPT_JOIN, "join", "TYPE",
	    "join the input groups by key, as TYPE says" },
	{ OPT_JOBLOG, "joblog", "FILE", "write a line to FILE per attempt" },
	{ OPT_KEY_FIELDS, "key-fields", "K",
	    "a mapper's key is its line's first K fields (1)" },
	{ OPT_KEEP_TEMP, "keep-temp", NULL,
	    "keep the work directory of a job that succeeded" },
	{ 'm', "mapper", "CMD|NONE",
	    "map the inputs after it with a command, or NONE" },
	{ OPT_MEMORY, "memory", "SIZE", "sort in SIZE of memory in each task" },
	{ 'n', "reducers", "N",
	    "run N reduce tasks, for N output parts (1)" },
	{ OPT_NUMERIC, "numeric", NULL, "order keys as decimal numbers" },
	{ 'o', "output", "DIR",
	    "write the output parts to DIR, all or nothing" },
	{ OPT_FIELDS, "partition-fields", "K",
	    "partition by the first K fields of the key" },
	{ OPT_PROGRESS, "progress", NULL,
	    "show the progress even when not on a terminal" },
	{ OPT_QUIET, "quiet", NULL, "show no progress" },
	{ 'r', "reducer", "OP|CMD|NONE",
	    "the reducer: an op, identity, a command, NONE" },
	{ OPT_REMOTE_DIR, "remote-dir", "DIR",
	    "make the scratch directories on the hosts in DIR" },
	{ OPT_REMOTE_PATH, "remote-path", "DIR",
	    "the mr tools are in DIR on the hosts" },
	{ OPT_RESUME, "resume", NULL,
	    "reuse the map tasks of a failed run of this job" },
	{ OPT_RETRIES, "retries", "N", "run a failed task again N times (3)" },
	{ OPT_REVERSE, "reverse", NULL, "order keys in reverse" },
	{ OPT_RSH, "rsh", "CMD", "start a host's worker with CMD, not ssh" },
	{ OPT_SHIP, "ship", NULL,
	    "copy the mr tools to the hosts that lack them" },
	{ OPT_SHUFFLE, "shuffle", "relay|direct",
	    "send map output through here, or host to host" },
	{ OPT_SPECULATE, "speculate", NULL,
	    "run a backup attempt of a slow task" },
	{ OPT_SPLIT_SIZE, "split-size", "SIZE",
	    "cut the inputs into splits of SIZE (64M)" },
	{ OPT_SSH_CONFIG, "ssh-config", "FILE",
	    "give ssh the configuration file FILE" },
	{ OPT_SSH_OPTION, "ssh-option", "OPT",
	    "give ssh the option OPT (repeatable)" },
	{ OPT_STATS, "stats", NULL, "print the counters at the end" },
	CLI_OPT_SEP,
	{ OPT_TIMEOUT, "timeout", "DURATION",
	    "kill an attempt that runs longer, and retry it" },
	{ OPT_TMPDIR, "tmpdir", "DIR",
	    "put the sorts' temporary files in DIR" },
	{ OPT_TOTAL_ORDER, "total-order", NULL,
	    "sample keys so that the parts sort as a whole" },
	{ OPT_VALUES, "values", "[KEYDEF]",
	    "sort equal keys by value (by sort -k KEYDEF)" },
	CLI_OPT_VERSION,
	CLI_OPT_ZERO,
	{ 0, NULL, NULL, NULL }
};

static const struct cli_tool tool = {
	"mrrun", "Run a whole MapReduce job, here or over ssh on hosts.",
	mrrun_usage, options, CLI_OPERANDS
};

/* The names of --join's types, by JOIN_*. */
static const char *const join_names[] = {
	"", "inner", "left", "right", "full", "semi", "anti", NULL
};

/* Starts the input group of mapper cmd, which the inputs after it are in. */
static void
add_group(struct job *j, const char *cmd)
{
	j->groups = xrealloc(j->groups, (size_t)(j->ngroups + 1) *
	    sizeof(*j->groups));
	j->groups[j->ngroups].mapper = cmd;
	j->groups[j->ngroups].first = 0;
	j->groups[j->ngroups++].n = 0;
}

/* Adds the operand op, in the group of the last -m (the first before one). */
static void
add_input(struct mrrun *r, char *op)
{
	r->inputs = xrealloc(r->inputs, (size_t)(r->ninputs + 1) *
	    sizeof(*r->inputs));
	r->input_group = xrealloc(r->input_group, (size_t)(r->ninputs + 1) *
	    sizeof(*r->input_group));
	r->inputs[r->ninputs] = op;
	r->input_group[r->ninputs++] = r->job.ngroups > 0 ?
	    r->job.ngroups - 1 : 0;
}

/*
 * Takes --values, or --values=KEYDEF (arg), whose KEYDEF goes to the
 * tasks' sorts and merges; one that does not parse is a usage error now.
 */
static void
add_value_key(struct job *j, const char *arg)
{
	struct mr_order check;

	memset(&check, 0, sizeof(check));
	opt_values(mrrun_usage, arg, &check);
	mr_order_free(&check);
	j->values = 1;
	if (arg == NULL)
		return;
	j->value_keys = xrealloc(j->value_keys, (size_t)(j->nvalue_keys + 1) *
	    sizeof(*j->value_keys));
	j->value_keys[j->nvalue_keys++] = arg;
}

/*
 * Takes --env NAME=VALUE, for every task; a NAME that the shell would not
 * take is a usage error.
 */
static void
add_env(struct job *j, const char *arg)
{
	const char *p;

	for (p = arg; *p != '=' && *p != '\0'; p++)
		if (!(*p == '_' || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= 'a' && *p <= 'z') || (p > arg && *p >= '0' &&
		    *p <= '9')))
			break;
	if (*p != '=' || p == arg)
		usage_error(mrrun_usage, "--env %s: not NAME=VALUE, with a "
		    "NAME of letters, digits and _", arg);
	if (strncmp(arg, "MR_", 3) == 0 || strncmp(arg, "mapred_", 7) == 0 ||
	    strncmp(arg, "mapreduce_", 10) == 0 ||
	    strncmp(arg, "map_input_", 10) == 0)
		usage_error(mrrun_usage, "--env %.*s: mrrun sets it itself",
		    (int)(p - arg), arg);
	j->envs = xrealloc(j->envs, (size_t)(j->nenvs + 1) * sizeof(*j->envs));
	j->envs[j->nenvs++] = arg;
}

/*
 * Parses a duration of timeout(1): a number of seconds, or of minutes,
 * hours or days with the suffix m, h or d (s for seconds); 0 for none.
 * Returns 0, or -1 when arg is none.
 */
static int
parse_duration(const char *arg, double *secs)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || errno != 0 || !(v >= 0) || v > 1e12 ||
	    (arg[0] != '.' && (arg[0] < '0' || arg[0] > '9')))
		return -1;
	if (*end == 'm')
		v *= 60;
	else if (*end == 'h')
		v *= 3600;
	else if (*end == 'd')
		v *= 86400;
	else if (*end != 's' && *end != '\0')
		return -1;
	if (*end != '\0' && end[1] != '\0')
		return -1;
	*secs = v;
	return 0;
}

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
		add_group(&r->job, arg);
		break;
	case 'n':
		if (parse_count(arg, 1, LONG_MAX, &v) < 0)
			usage_error(mrrun_usage, "bad number of reducers: %s",
			    arg);
		if (v > MAX_REDUCERS)
			usage_error(mrrun_usage, "too many reducers: %s (at "
			    "most %d, one partition file each)", arg,
			    MAX_REDUCERS);
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
	case CLI_ALLOW_MAGIC:
		r->job.magic_ok = 1;
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
	case OPT_FRAMED_INPUT:
		r->job.framed_input = 1;
		break;
	case OPT_KEY_FIELDS:
		r->job.key_fields = opt_key_fields(mrrun_usage, arg);
		break;
	case OPT_BROADCAST:
		if (parse_count(arg, 1, 1000000, &v) < 0)
			usage_error(mrrun_usage, "bad group number: %s", arg);
		r->job.broadcast = (int)v;
		break;
	case OPT_JOIN:
		for (v = 1; join_names[v] != NULL; v++)
			if (strcmp(arg, join_names[v]) == 0)
				break;
		if (join_names[v] == NULL)
			usage_error(mrrun_usage, "--join %s: inner, left, "
			    "right, full, semi or anti", arg);
		r->job.join = (int)v;
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
		add_value_key(&r->job, arg);
		break;
	case OPT_ENV:
		add_env(&r->job, arg);
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
	case OPT_TIMEOUT:
		if (parse_duration(arg, &r->timeout) < 0)
			usage_error(mrrun_usage, "bad duration: %s (a number "
			    "of seconds, or with s, m, h or d)", arg);
		break;
	default:
		return 0;
	}
	return 1;
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
		dir = join_path(cwd, argv0);
	}
	*strrchr(dir, '/') = '\0';
	probe = join_path(dir, "mrmap");
	if (access(probe, X_OK) < 0) {
		free(dir);
		dir = xstrdup("");
	}
	free(probe);
	return dir;
}

/*
 * Reads the options into r, and the operands, each in the input group of
 * the -m before it; exits for --help and --version, and with status 2 on
 * a bad option.  The tools' directory is settled here, from
 * argv[0], before cli_start() names the tool there for getopt's messages.
 */
void
options_parse(struct mrrun *r, int argc, char **argv)
{
	const char *argv0 = argc > 0 ? argv[0] : "mrrun";
	int c;

	cli_start(&tool, argc, argv);
	while ((c = cli_getopt(argc, argv, NULL)) != -1)
		if (c == 1)
			add_input(r, optarg);
		else if (!job_option(r, c, optarg) &&
		    !hosts_option(r, c, optarg) && !run_option(r, c, optarg)) {
			/* an option of the table that nothing takes */
			fputs(mrrun_usage, stderr);
			exit(2);
		}
	/* and those after "--" */
	for (; optind < argc; optind++)
		add_input(r, argv[optind]);
	r->job.bindir = tool_dir(argv0);
}

/*
 * Checks what --broadcast allows: two groups, a join that keeps no
 * unmatched rows of the group sent to every map task, and no option of a
 * reduce.  The job is then map-only.
 */
static void
check_broadcast(struct mrrun *r)
{
	struct job *j = &r->job;
	int n = j->broadcast, t = j->join;

	if (j->ngroups != 2)
		usage_error(mrrun_usage, "--broadcast joins two groups, not %d",
		    j->ngroups);
	if (n > 2)
		usage_error(mrrun_usage, "--broadcast %d: there are 2 groups",
		    n);
	if (!plan_broadcast_allowed(t, n))
		usage_error(mrrun_usage, "--broadcast %d with --join %s: a "
		    "map task cannot know which rows of group %d no other "
		    "map task matched; join without --broadcast", n,
		    join_names[t], n);
	if (r->reducers > 0 || j->total_order || j->keyfields > 0)
		usage_error(mrrun_usage, "--broadcast makes no partitions: it "
		    "takes no --reducers, --total-order or "
		    "--partition-fields");
	j->reducer = "NONE";
}

/*
 * Checks what --join allows: two groups or more to join, and none of the
 * options of a reduce, since the join is the reduce.  Its reducer is the
 * built-in "identity", for the checks that follow.
 */
static void
check_join(struct mrrun *r)
{
	struct job *j = &r->job;

	if (j->ngroups < 2)
		usage_error(mrrun_usage, "--join needs two input groups or "
		    "more: -m CMD INPUT... -m CMD INPUT...");
	if (j->reducer != NULL || j->combiner != NULL)
		usage_error(mrrun_usage, "--join is the reduce: it takes no "
		    "--reducer or --combiner (aggregate its output in a "
		    "second job)");
	if (j->values || j->reverse)
		usage_error(mrrun_usage, "--join takes no --%s: it joins "
		    "keys in ascending order, values in input order",
		    j->values ? "values" : "reverse");
	if (j->join == JOIN_RIGHT && j->ngroups > 2)
		usage_error(mrrun_usage, "--join right joins two groups; "
		    "with %d, left keeps group 1's rows", j->ngroups);
	j->reducer = "identity";
	if (j->broadcast > 0)
		check_broadcast(r);
}

/* Checks the mapper, reducer and combiner, and what they allow. */
static void
check_ops(struct mrrun *r)
{
	struct job *j = &r->job;
	struct mr_op op, rop;
	int rbuiltin, cbuiltin, g, commands = 0;

	if (j->ngroups == 0)
		usage_error(mrrun_usage, "no --mapper given");
	if (j->broadcast > 0 && j->join == JOIN_NONE)
		usage_error(mrrun_usage, "--broadcast needs --join");
	if (j->join != JOIN_NONE)
		check_join(r);
	else if (j->reducer == NULL)
		usage_error(mrrun_usage, "no --reducer given (NONE for a "
		    "map-only job)");
	if (r->show_progress && r->quiet)
		usage_error(mrrun_usage, "--progress and --quiet exclude each "
		    "other");
	/* a misspelt op is a usage error before any task runs */
	rbuiltin = strcmp(j->reducer, "NONE") != 0 &&
	    strcmp(j->reducer, "identity") != 0 &&
	    opt_reducer(mrrun_usage, "--reducer", j->reducer, &rop);
	cbuiltin = j->combiner != NULL &&
	    opt_reducer(mrrun_usage, "--combiner", j->combiner, &op);
	if (strcmp(j->reducer, "NONE") == 0) {
		if (j->combiner != NULL || j->total_order || r->reducers > 0 ||
		    j->values)
			usage_error(mrrun_usage, "a map-only job (--reducer "
			    "NONE) takes no --combiner, --reducers, "
			    "--total-order or --values");
		j->reducers = 0;
	} else
		j->reducers = r->reducers > 0 ? r->reducers : 1;
	j->reduce_builtin = rbuiltin || strcmp(j->reducer, "identity") == 0;
	r->count_output = j->reducers > 0 && !j->framed && !j->reduce_builtin;
	if (cbuiltin) {
		if (!mr_op_combinable(&op) || op.code == MR_OP_COLLECT)
			usage_error(mrrun_usage, "--combiner %s: its state "
			    "grows with the data; use it as the reducer "
			    "alone", j->combiner);
		if (!rbuiltin || rop.code != op.code)
			usage_error(mrrun_usage, "--combiner %s needs "
			    "--reducer %s: a built-in combiner writes partial "
			    "states that only the same op reads", j->combiner,
			    j->combiner);
		j->combine_builtin = 1;
	}
	for (g = 0; g < j->ngroups; g++)
		commands |= strcmp(j->groups[g].mapper, "NONE") != 0;
	if (j->framed_input && !commands &&
	    (j->reducers == 0 || j->reduce_builtin) &&
	    (j->combiner == NULL || cbuiltin))
		usage_error(mrrun_usage, "--framed-input: the job runs no "
		    "command to give records to");
	if (j->total_order && j->keyfields > 0)
		usage_error(mrrun_usage, "--total-order and --partition-fields "
		    "exclude each other");
	if (j->reducers <= 1)
		j->total_order = 0;
}

/* The base name of a --file path, under which the tasks find it. */
static const char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

/*
 * Checks that each --file is a readable file, and that no two share a
 * base name: the tasks would find only one of them.
 */
static void
check_files(struct mrrun *r)
{
	struct stat st;
	int i, k;

	for (i = 0; i < r->nfiles; i++)
		for (k = 0; k < i; k++)
			if (strcmp(base_name(r->files[i]),
			    base_name(r->files[k])) == 0)
				usage_error(mrrun_usage, "--file %s: the tasks "
				    "would find it and --file %s under one "
				    "name, %s", r->files[i], r->files[k],
				    base_name(r->files[i]));
	for (i = 0; i < r->nfiles; i++)
		if (stat(r->files[i], &st) < 0 || !S_ISREG(st.st_mode) ||
		    access(r->files[i], R_OK) < 0)
			die("--file %s: %s", r->files[i], errno != 0 &&
			    !S_ISREG(st.st_mode) ? strerror(errno) :
			    "not a readable file");
}

/* Checks --tmpdir, --hosts and the options that need it, and --file. */
static void
check_places(struct mrrun *r)
{
	const struct reach *re = &r->reach;
	struct stat st;
	char err[1024];

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
	check_files(r);
}

/*
 * The work directory: beside the output directory, so the output is
 * renamed into place; for stdout, under the temp directory, named by a
 * hash of the command, so the same command finds it again for --resume.
 */
static char *
work_path(struct mrrun *r)
{
	char cwd[PATH_MAX], name[64], *p, *slash, *w;
	const char *tmp, *outdir = r->outdir;

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		die("cannot name the current directory: %s", strerror(errno));
	r->name = plan_name(&r->job, r->inputs, r->input_group, r->ninputs,
	    cwd);
	if (outdir != NULL) {
		p = outdir[0] == '/' ? xstrdup(outdir) : join_path(cwd,
		    outdir);
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
	snprintf(name, sizeof(name), "mrrun-%ld-%016llx", (long)geteuid(),
	    (unsigned long long)r->name);
	return join_path(tmp, name);
}

/*
 * Whether the input op is the directory out (its lstat() in *out) or lies
 * under it, so that replacing out would remove it.  The walk goes up by
 * "..", which the kernel takes physically, past symbolic links.
 */
static int
inside(const char *op, const struct stat *out)
{
	char path[PATH_MAX];
	struct stat st;
	dev_t dev;
	ino_t ino;
	const char *slash;
	size_t len;

	/* an operand that is no file here is not ours to protect */
	if (strcmp(op, "-") == 0 || stat(op, &st) < 0)
		return 0;
	if (st.st_dev == out->st_dev && st.st_ino == out->st_ino)
		return 1;
	if (S_ISDIR(st.st_mode))
		snprintf(path, sizeof(path), "%s", op);
	else if ((slash = strrchr(op, '/')) != NULL)
		snprintf(path, sizeof(path), "%.*s/", (int)(slash - op), op);
	else
		snprintf(path, sizeof(path), ".");
	if (stat(path, &st) < 0)
		return 0;
	for (;;) {
		if (st.st_dev == out->st_dev && st.st_ino == out->st_ino)
			return 1;
		dev = st.st_dev;
		ino = st.st_ino;
		if ((len = strlen(path)) + 4 >= sizeof(path))
			return 0;
		snprintf(path + len, sizeof(path) - len, "/..");
		/* the root is its own parent */
		if (stat(path, &st) < 0 || (st.st_dev == dev &&
		    st.st_ino == ino))
			return 0;
	}
}

/*
 * Checks -o before anything runs: no input may be the output or lie under
 * it, which --force would remove (a usage error); and what is there
 * already must be a directory, the only thing --force replaces (exit 1,
 * as for an output that exists without --force).
 */
static void
check_output(struct mrrun *r)
{
	const char *o = r->outdir, *last;
	struct stat st, in;
	size_t len;
	int i;

	if (o == NULL)
		return;
	/* the last name of the path, as rename(2) will see it */
	for (len = strlen(o); len > 1 && o[len - 1] == '/'; len--)
		;
	for (last = o + len; last > o && last[-1] != '/'; last--)
		;
	if (len == 0)
		usage_error(mrrun_usage, "-o '': an empty name");
	if ((o + len - last == 1 && last[0] == '.') ||
	    (o + len - last == 2 && last[0] == '.' && last[1] == '.'))
		usage_error(mrrun_usage, "-o %s: name the output directory "
		    "itself, not . or ..", o);
	if (lstat(o, &st) < 0)
		return;
	for (i = 0; i < r->ninputs; i++) {
		if (inside(r->inputs[i], &st))
			usage_error(mrrun_usage, "-o %s: the output would "
			    "replace the input %s", r->outdir, r->inputs[i]);
		/* a directory input would read the old output, then lose it */
		if (stat(r->inputs[i], &in) == 0 && S_ISDIR(in.st_mode) &&
		    inside(o, &in))
			usage_error(mrrun_usage, "-o %s: the input directory %s "
			    "holds the output, which the job would read and "
			    "replace", r->outdir, r->inputs[i]);
	}
	if (!r->dry_run && !S_ISDIR(st.st_mode))
		die("%s: exists and is not a directory (--force replaces only "
		    "an output directory)", r->outdir);
}

/*
 * Checks that every input group of a job of several has an input: a -m
 * with none after it is a file name forgotten, not an empty input.
 */
static void
check_groups(const struct mrrun *r)
{
	int g, i, n;

	for (g = 0; g < r->job.ngroups && r->job.ngroups > 1; g++) {
		for (n = 0, i = 0; i < r->ninputs; i++)
			n += r->input_group[i] == g;
		if (n == 0)
			usage_error(mrrun_usage, "-m %s (group %d) has no "
			    "input after it", r->job.groups[g].mapper, g + 1);
	}
}

/*
 * Checks that the options make a job, and the operands (standard input
 * when there are none), and settles what the options leave open: the
 * work directory, whether to show progress.  Exits with status 2 on a
 * usage error, 1 on a --file that cannot be read.
 */
void
options_check(struct mrrun *r)
{
	static char stdin_name[] = "-";
	int i;

	check_ops(r);
	check_places(r);
	if (r->ninputs == 0)
		add_input(r, stdin_name);
	for (i = 0; i < r->ninputs; i++)
		if (strcmp(r->inputs[i], "-") == 0 && r->uses_stdin++ > 0)
			usage_error(mrrun_usage, "standard input named twice");
	if (r->uses_stdin && r->job.ngroups > 1)
		usage_error(mrrun_usage, "standard input is for a job of one "
		    "mapper: name the inputs of each group");
	check_groups(r);
	if (r->uses_stdin && (r->dry_run || r->resume))
		usage_error(mrrun_usage, "%s cannot read standard input; name "
		    "the input files", r->dry_run ? "--dry-run" : "--resume");
	check_output(r);
	if (r->job.framed && r->outdir == NULL && !r->dry_run &&
	    isatty(STDOUT_FILENO))
		die("will not write framed records to a terminal; use "
		    "--output DIR or a pipe");
	if (!r->quiet && !r->show_progress)
		r->show_progress = isatty(STDERR_FILENO);
	r->outpath = r->outdir;
	r->work = work_path(r);
	r->job.work = r->work;
}
