/*
 * cli.c: the command line, messages, exits, signal-safe temp file removal
 * and atomic output files for the mr tools.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define MAX_TEMPS 70000
#define MAX_CHILDREN 8
#define MERGE_READ_BUDGET (128 << 20)	/* read buffers of a merge in all */
#define MERGE_BUFSIZE	(2 << 20)	/* for each of a few inputs */
#define OPEN_RESERVE	16	/* descriptors for all but a merge's inputs */
#define FANIN_LEAST	4	/* the fewest inputs of a merge in passes */
#define SHOWN_MAX 40	/* bytes of a string shown in a message */
#define TEMPLATE_WIDTH	99	/* the widest field of a template */

const char *progname = "mr";

/*
 * Temp file names live in a fixed table so that the signal handler can
 * walk it without locks: a slot is filled before it is counted, and
 * signals are blocked while the table changes.
 */
static char *temps[MAX_TEMPS];
static volatile sig_atomic_t ntemps;

static void block_signals(sigset_t *old);

/* The process groups of the commands running, for the same handler. */
static volatile pid_t children[MAX_CHILDREN];

/*
 * Runs at exit and on the signals: a tool that ends before its commands
 * kills them, so that none goes on to print a result of part of its input.
 */
static void
remove_temps(void)
{
	sig_atomic_t i;
	size_t c;

	for (c = 0; c < MAX_CHILDREN; c++)
		if (children[c] > 0)
			kill(-children[c], SIGKILL);
	for (i = 0; i < ntemps; i++)
		if (temps[i] != NULL)
			unlink(temps[i]);
}

void
cli_child(pid_t pgid, int add)
{
	sigset_t old;
	size_t c;

	block_signals(&old);
	for (c = 0; c < MAX_CHILDREN; c++)
		if (children[c] == (add ? 0 : pgid)) {
			children[c] = add ? pgid : 0;
			break;
		}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (c == MAX_CHILDREN && add)
		die("too many commands at once");
}

static void
on_signal(int sig)
{
	remove_temps();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
block_signals(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, old);
}

static void
temp_add(char *path)
{
	sigset_t old;
	sig_atomic_t i;

	block_signals(&old);
	for (i = 0; i < ntemps && temps[i] != NULL; i++)
		;
	if (i == MAX_TEMPS) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		unlink(path);
		die("too many temporary files");
	}
	temps[i] = path;
	if (i == ntemps)
		ntemps++;
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void
temp_forget(const char *path)
{
	sigset_t old;
	sig_atomic_t i;

	block_signals(&old);
	for (i = 0; i < ntemps; i++)
		if (temps[i] == path)
			temps[i] = NULL;
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/*
 * A task of mrrun gets the read end of a pipe whose write end mrrun alone
 * holds (MR_LIFELINE, its descriptor), and the lock file of the job's
 * work directory (MR_WORK_LOCK); see mrrun's work.c.  Its end of file
 * says that mrrun is gone, however it died, and the tool stops as it does
 * on SIGTERM.  The shared lock on byte 1 of the lock file, held while the
 * tool lives, makes the next mrrun in that directory wait for it.
 */
static int lifeline = -1;

/* Waits for the end of the lifeline, then stops the tool. */
static void *
watch_lifeline(void *arg)
{
	ssize_t n;
	char c;

	(void)arg;
	while ((n = read(lifeline, &c, 1)) != 0)
		if (n < 0 && errno != EINTR)
			break;
	/*
	 * kill(), not raise(): a thread that lets the signal in takes it,
	 * not this one, which blocks all, and one that holds it off while it
	 * changes the table of temp files takes it after.
	 */
	kill(getpid(), SIGTERM);
	return NULL;
}

/*
 * Stops the tool, before it started work, when its mrrun is gone: as
 * SIGTERM does, or with status 1 when SIGTERM is blocked or ignored.
 */
static void
controller_gone(void)
{
	kill(getpid(), SIGTERM);
	die("the mrrun that started this task is gone");
}

/*
 * Takes the shared lock of a task on byte 1 of the lock file path.  A
 * later mrrun holds that byte only once ours is gone: then the tool
 * stops at once.
 */
static void
lock_work(const char *path)
{
	struct flock fl;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		die("%s: %s", path, strerror(errno));
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_RDLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = 1;
	fl.l_len = 1;
	/* fd stays open: closing any descriptor of the file drops the lock */
	if (fcntl(fd, F_SETLK, &fl) == 0)
		return;
	if (errno == EACCES || errno == EAGAIN)
		controller_gone();
	die("%s: lock: %s", path, strerror(errno));
}

/*
 * Takes MR_WORK_LOCK and MR_LIFELINE out of the environment, so that no
 * command of the tool sees them, and when they are there locks the work
 * directory and watches the lifeline from a thread.  The lifeline is
 * looked at once after the lock is held: a task whose mrrun died before
 * never starts, and one that starts holds the lock before mrrun can die.
 */
static void
lifeline_take(void)
{
	const char *lock = getenv("MR_WORK_LOCK");
	const char *line = getenv("MR_LIFELINE");
	struct pollfd pfd;
	struct stat st;
	sigset_t all, old;
	pthread_t tid;
	long fd = -1;

	if (line != NULL && (parse_count(line, 3, INT_MAX, &fd) < 0 ||
	    fstat((int)fd, &st) < 0 || !S_ISFIFO(st.st_mode)))
		die("MR_LIFELINE=%s: not the descriptor of a pipe", line);
	if (lock != NULL)
		lock_work(lock);
	unsetenv("MR_WORK_LOCK");
	unsetenv("MR_LIFELINE");
	if (fd < 0)
		return;
	lifeline = (int)fd;
	if (fcntl(lifeline, F_SETFD, FD_CLOEXEC) < 0)
		die("MR_LIFELINE: %s", strerror(errno));
	pfd.fd = lifeline;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 0) > 0)
		controller_gone();
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (pthread_create(&tid, NULL, watch_lifeline, NULL) != 0)
		die("cannot start a thread");
	pthread_detach(tid);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void
cli_init(const char *name)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa, old;
	size_t i;
	int fd;

	progname = name;
	/*
	 * A closed standard descriptor would be reused by the next file
	 * opened, and output meant for stdout would go there: hold them
	 * with /dev/null opened for reading, so that writes fail.
	 */
	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF &&
		    open("/dev/null", O_RDONLY) != fd)
			exit(1);
	atexit(remove_temps);
	/* STYLE: SIGPIPE at its default, whatever the parent left */
	signal(SIGPIPE, SIG_DFL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
	}
	lifeline_take();
}

static void
vmessage(const char *fmt, va_list ap)
{
	/* one line, whatever other threads print meanwhile */
	flockfile(stderr);
	fprintf(stderr, "%s: ", progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	exit(1);
}

void
warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
}

/*
 * Prints the names of the built-in ops to fp, after prefix, in lines of
 * at most 79 columns that start with indent when wrap is set.
 */
static void
print_ops(FILE *fp, const char *prefix, int wrap, const char *indent)
{
	const char *name;
	size_t col = strlen(prefix);
	int i;

	fputs(prefix, fp);
	for (i = 0; (name = mr_op_name(i)) != NULL; i++) {
		if (i > 0)
			fputc(',', fp);
		col += i > 0 ? 2 + strlen(name) : strlen(name);
		if (wrap && i > 0 && col + 1 > 79) {
			fprintf(fp, "\n%s", indent);
			col = strlen(indent) + strlen(name);
		} else if (i > 0)
			fputc(' ', fp);
		fputs(name, fp);
	}
}

/* The tool that cli_start() readied, and its getopt_long() options. */
static const struct cli_tool *tool;
static struct option *longopts;
static char *optstring;

/* Does option o take an argument: no_argument, or which kind? */
static int
opt_has_arg(const struct cli_opt *o)
{
	if (o->arg == NULL)
		return no_argument;
	return o->arg[0] == '[' ? optional_argument : required_argument;
}

void
cli_start(const struct cli_tool *t, int argc, char *argv[])
{
	const struct cli_opt *o;
	size_t n = 0, i = 0;
	char *s;

	cli_init(t->name);
	tool = t;
	/* getopt names the tool by argv[0], which may be build/bin/mrsort */
	if (argc > 0)
		argv[0] = (char *)t->name;
	for (o = t->opts; o->code != 0; o++)
		n++;
	longopts = xmalloc((n + 1) * sizeof(*longopts));
	s = optstring = xmalloc(3 * n + 2);
	if (t->flags & CLI_IN_ORDER)
		*s++ = '+';
	else if (t->flags & CLI_OPERANDS)
		*s++ = '-';
	for (o = t->opts; o->code != 0; o++) {
		if (o->code < 256) {
			*s++ = (char)o->code;
			if (opt_has_arg(o) != no_argument)
				*s++ = ':';
			if (opt_has_arg(o) == optional_argument)
				*s++ = ':';
		}
		if (o->name == NULL)
			continue;
		longopts[i].name = o->name;
		longopts[i].has_arg = opt_has_arg(o);
		longopts[i].flag = NULL;
		longopts[i++].val = o->code;
	}
	*s = '\0';
	memset(&longopts[i], 0, sizeof(longopts[i]));
}

int
cli_getopt(int argc, char *argv[], struct mr_textfmt *fmt)
{
	int c;

	for (;;) {
		c = getopt_long(argc, argv, optstring, longopts, NULL);
		switch (c) {
		case 't':
			if (fmt == NULL)
				return c;
			opt_separator(tool->usage, optarg, fmt);
			break;
		case 'z':
			if (fmt == NULL)
				return c;
			fmt->eol = '\0';
			break;
		case CLI_ALLOW_MAGIC:
			if (fmt == NULL)
				return c;
			fmt->magic_ok = 1;
			break;
		case CLI_HELP:
			cli_help(stdout);
			if (fflush(stdout) == EOF || ferror(stdout))
				die("stdout: %s", strerror(errno));
			exit(0);
		case CLI_VERSION:
			cli_version();
		case '?':
		case ':':
			/* getopt_long() said what is wrong */
			fputs(tool->usage, stderr);
			exit(2);
		default:
			return c;
		}
	}
}

/*
 * Writes the left column of o's help line, "-o, --output=FILE", to buf:
 * "--values[=KEYDEF]" or "-X[KEYDEF]" for an optional argument.
 */
static int
opt_form(char *buf, size_t size, const struct cli_opt *o)
{
	const char *arg = o->arg != NULL ? o->arg : "", *open = "";
	const char *eq = o->arg != NULL ? "=" : "";
	const char *sp = o->arg != NULL ? " " : "";

	if (opt_has_arg(o) == optional_argument) {
		/* "[KEYDEF]" is "[=KEYDEF]" after a long name */
		open = "[";
		arg++;
		sp = "";
	}
	if (o->code < 256 && o->name != NULL)
		return snprintf(buf, size, "  -%c, --%s%s%s%s", o->code,
		    o->name, open, eq, arg);
	if (o->code < 256)
		return snprintf(buf, size, "  -%c%s%s%s", o->code, sp, open,
		    arg);
	return snprintf(buf, size, "      --%s%s%s%s", o->name, open, eq,
	    arg);
}

void
cli_help(FILE *fp)
{
	const struct cli_opt *o;
	char form[128];
	int width = 0, n;

	fputs(tool->usage, fp);
	fprintf(fp, "\n%s\n\n", tool->about);
	for (o = tool->opts; o->code != 0; o++)
		if ((n = opt_form(form, sizeof(form), o)) > width)
			width = n;
	for (o = tool->opts; o->code != 0; o++) {
		opt_form(form, sizeof(form), o);
		fprintf(fp, "%-*s  %s\n", width, form, o->help);
	}
	if (tool->flags & CLI_OPS) {
		fputs("\nThe built-in ops (NONE, or identity, passes the "
		    "records through):\n", fp);
		print_ops(fp, "  ", 1, "  ");
		fputc('\n', fp);
	}
	fprintf(fp, "\nSee %s(1) for the whole manual.\n", tool->name);
}

void
usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	fputs(usage, stderr);
	exit(2);
}

/*
 * Turns the argument of -t into a separator byte: one byte, or the
 * escapes \t, \0 and \\.  Returns 0, or -1 when arg is none of these.
 */
static int
parse_sep(const char *arg, unsigned char *sep)
{
	if (arg[0] != '\0' && arg[1] == '\0') {
		*sep = (unsigned char)arg[0];
		return 0;
	}
	if (strcmp(arg, "\\t") == 0)
		*sep = '\t';
	else if (strcmp(arg, "\\0") == 0)
		*sep = '\0';
	else if (strcmp(arg, "\\\\") == 0)
		*sep = '\\';
	else
		return -1;
	return 0;
}

long
opt_key_fields(const char *usage, const char *arg)
{
	long k;

	if (parse_count(arg, 1, MAX_KEY_FIELDS, &k) < 0)
		usage_error(usage, "bad number of key fields: %s (1 to %d)",
		    arg, MAX_KEY_FIELDS);
	return k;
}

void
opt_separator(const char *usage, const char *arg, struct mr_textfmt *fmt)
{
	if (parse_sep(arg, &fmt->sep) < 0)
		usage_error(usage, "bad separator: %s (one byte, \\t, \\0 or "
		    "\\\\)", arg);
}

void
opt_values(const char *usage, const char *arg, struct mr_order *o)
{
	char err[128];

	o->values = 1;
	if (arg != NULL && mr_order_parse_values(o, arg, err,
	    sizeof(err)) < 0)
		usage_error(usage, "bad KEYDEF in --values=%s: %s", arg, err);
}

int
parse_count(const char *arg, long min, long max, long *out)
{
	char *end;
	long v;

	if (arg[0] < '0' || arg[0] > '9')
		return -1;
	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* The multiplier of a size suffix, 0 for a bad one; see parse_size(). */
static unsigned long long
size_unit(const char *suffix)
{
	long pages, pagesize;

	if (suffix[0] != '\0' && suffix[1] != '\0')
		return 0;
	switch (suffix[0]) {
	case '\0':
	case 'K': case 'k':
		return 1024;
	case 'b':
		return 1;
	case 'M': case 'm':
		return 1ULL << 20;
	case 'G': case 'g':
		return 1ULL << 30;
	case 'T': case 't':
		return 1ULL << 40;
	case '%':
		pages = sysconf(_SC_PHYS_PAGES);
		pagesize = sysconf(_SC_PAGESIZE);
		if (pages <= 0 || pagesize <= 0)
			return 0;
		return (unsigned long long)pages *
		    (unsigned long long)pagesize / 100;
	default:
		return 0;
	}
}

int
parse_size(const char *arg, size_t *out)
{
	unsigned long long v, unit;
	char *end;

	if (arg[0] < '0' || arg[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno != 0 || (unit = size_unit(end)) == 0)
		return -1;
	if (*end == '%' && v > 100)
		return -1;
	if (v == 0 || v > (unsigned long long)SIZE_MAX / unit)
		return -1;
	*out = (size_t)(v * unit);
	return 0;
}

/*
 * The reserved words of the shell, and the utilities that dash or bash
 * build in: a command that starts with one runs with /bin/sh, even when
 * a program of the same name is in the PATH.
 */
static const char *const shell_words[] = {
	".", ":", "alias", "bg", "bind", "break", "builtin", "caller",
	"case", "cd", "chdir", "command", "compgen", "complete", "compopt",
	"continue", "coproc", "declare", "dirs", "disown", "do", "done",
	"echo", "elif", "else", "enable", "esac", "eval", "exec", "exit",
	"export", "false", "fc", "fg", "fi", "for", "function", "getopts",
	"hash", "help", "history", "if", "in", "jobs", "kill", "let",
	"local", "logout", "mapfile", "newgrp", "popd", "printf", "pushd",
	"pwd", "read", "readarray", "readonly", "return", "select", "set",
	"shift", "shopt", "source", "suspend", "test", "then", "time",
	"times", "trap", "true", "type", "typeset", "ulimit", "umask",
	"unalias", "unset", "until", "wait", "while",
};

int
shell_word(const char *word)
{
	size_t i;

	for (i = 0; i < sizeof(shell_words) / sizeof(shell_words[0]); i++)
		if (strcmp(word, shell_words[i]) == 0)
			return 1;
	return 0;
}

int
program_on_path(const char *word)
{
	const char *path = getenv("PATH"), *p, *end;
	struct stat st;
	size_t len, dlen;
	char *file;
	int found = 0;

	if (path == NULL)
		path = "/usr/bin:/bin";
	len = strlen(path) + strlen(word) + 3;
	file = xmalloc(len);
	for (p = path; !found; p = end + 1) {
		end = p + strcspn(p, ":");
		dlen = (size_t)(end - p);
		/* an empty entry is the current directory */
		snprintf(file, len, "%.*s%s%s", (int)dlen, p,
		    dlen == 0 || p[dlen - 1] == '/' ? "" : "/", word);
		found = stat(file, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(file, X_OK) == 0;
		if (*end == '\0')
			break;
	}
	free(file);
	return found;
}

int
opt_reducer(const char *usage, const char *opt, const char *arg,
    struct mr_op *op)
{
	static const char word[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+.,:%@";

	/* the comma lists of ops to come parse here, before any command */
	if (mr_op_parse(op, arg) == 0)
		return 1;
	if (arg[0] == '\0' || arg[strspn(arg, word)] != '\0')
		return 0;
	if (shell_word(arg) || program_on_path(arg))
		return 0;
	fprintf(stderr, "%s: %s%s%s: neither a built-in op nor a command on "
	    "PATH\n", progname, opt != NULL ? opt : "", opt != NULL ? " " :
	    "", arg);
	fprintf(stderr, "%s: ", progname);
	print_ops(stderr, "the ops are ", 0, NULL);
	fputc('\n', stderr);
	fputs(usage, stderr);
	exit(2);
}

/*
 * Is t a template that names an output by one integer conversion, with
 * the flags 0 and - and a width of at most TEMPLATE_WIDTH, and %% for a
 * percent sign?  A wider field would make a name too long to open, and
 * one over INT_MAX makes snprintf() fail.
 */
static int
template_ok(const char *t)
{
	int convs = 0, width;

	for (; *t != '\0'; t++) {
		if (*t != '%')
			continue;
		if (*++t == '%')
			continue;
		while (*t == '0' || *t == '-')
			t++;
		for (width = 0; *t >= '0' && *t <= '9'; t++)
			if ((width = width * 10 + (*t - '0')) > TEMPLATE_WIDTH)
				return 0;
		if (*t == '\0' || strchr("diuoxX", *t) == NULL)
			return 0;
		convs++;
	}
	return convs == 1;
}

/*
 * The argument arg as shown() shows it, without the quotes, as the other
 * usage errors show theirs: "p%s" stays p%s, and a long or binary one is
 * cut and escaped.
 */
static const char *
shown_arg(const char *arg)
{
	static char buf[4 * SHOWN_MAX + 8];
	const char *s = shown((const unsigned char *)arg, strlen(arg), 0);
	const char *close = strrchr(s, '"');	/* before any "..." */

	snprintf(buf, sizeof(buf), "%.*s%s", (int)(close - s - 1), s + 1,
	    close + 1);
	return buf;
}

void
opt_template(const char *usage, const char *arg)
{
	if (!template_ok(arg))
		usage_error(usage, "bad template: %s (it needs one integer "
		    "conversion such as %%d or %%05d, of width at most %d)",
		    shown_arg(arg), TEMPLATE_WIDTH);
}

char *
template_name(const char *template, long i)
{
	char *s;
	int n;

	n = snprintf(NULL, 0, template, (int)i);
	/* opt_template() keeps this from happening */
	if (n < 0)
		die("bad template: %s", shown_arg(template));
	s = xmalloc((size_t)n + 1);
	snprintf(s, (size_t)n + 1, template, (int)i);
	return s;
}

char **
operands(const char *usage, int *argc, char **argv)
{
	static char *stdin_only[] = { "-", NULL };
	int i, nstdin = 0;

	*argc -= optind;
	argv += optind;
	if (*argc == 0) {
		*argc = 1;
		return stdin_only;
	}
	for (i = 0; i < *argc; i++)
		if (strcmp(argv[i], "-") == 0 && ++nstdin > 1)
			usage_error(usage, "standard input named twice");
	return argv;
}

void
cli_version(void)
{
	printf("%s (mr) %s\n", progname, MR_VERSION_STRING);
	exit(0);
}

void *
xmalloc(size_t size)
{
	void *p;

	if ((p = malloc(size ? size : 1)) == NULL)
		die("out of memory");
	return p;
}

void *
xrealloc(void *p, size_t size)
{
	if ((p = realloc(p, size ? size : 1)) == NULL)
		die("out of memory");
	return p;
}

char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

void
out_open(struct outfile *o, const char *path)
{
	const char *base;
	struct stat st;
	size_t dirlen;
	char *tmp;

	o->path = xstrdup(path);
	o->tmp = NULL;
	if (strcmp(path, "-") == 0) {
		o->fd = STDOUT_FILENO;
		return;
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if ((o->fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
			die("%s: %s", path, strerror(errno));
		return;
	}
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	dirlen = (size_t)(base - path);
	tmp = xmalloc(dirlen + strlen(base) + 10);
	memcpy(tmp, path, dirlen);
	sprintf(tmp + dirlen, ".%s.XXXXXX", base);
	if ((o->fd = mkstemp(tmp)) < 0)
		die("%s: cannot create a temporary file beside it: %s", path,
		    strerror(errno));
	/* a command run by the tool must not write into the output */
	fcntl(o->fd, F_SETFD, FD_CLOEXEC);
	temp_add(tmp);
	o->tmp = tmp;
}

void
out_close(struct outfile *o)
{
	mode_t mask;

	if (o->fd < 0)
		return;
	if (o->tmp != NULL) {
		mask = umask(0);
		umask(mask);
		if (fchmod(o->fd, 0666 & ~mask) < 0)
			die("%s: %s", o->tmp, strerror(errno));
	}
	if (close(o->fd) < 0)
		die("%s: close: %s", o->fd == STDOUT_FILENO ? "stdout" :
		    o->path, strerror(errno));
	o->fd = -1;
}

void
out_commit(struct outfile *o)
{
	out_close(o);
	if (o->tmp == NULL) {
		free(o->path);
		o->path = NULL;
		return;
	}
	if (rename(o->tmp, o->path) < 0)
		die("%s: rename: %s", o->path, strerror(errno));
	temp_forget(o->tmp);
	free(o->tmp);
	o->tmp = NULL;
	free(o->path);
	o->path = NULL;
}

int
in_open(const char *path)
{
	int fd;

	if (strcmp(path, "-") == 0)
		return STDIN_FILENO;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		die("%s: %s", path, strerror(errno));
	return fd;
}

void
check_meta(struct mr_reader *r, const unsigned char *meta, size_t len)
{
	const unsigned char *m;
	size_t n;

	m = mr_reader_meta(r, &n);
	if (n != len || memcmp(m, meta, n) != 0)
		die("%s: stream metadata differs from the first input's "
		    "(partial aggregation states cannot be mixed with other "
		    "values)", mr_reader_name(r));
}

struct mr_reader *
open_reader(const char *path, const struct mr_textfmt *fmt, size_t bufsize)
{
	struct mr_reader *r;
	const char *name = strcmp(path, "-") == 0 ? "stdin" : path;

	if ((r = mr_reader_new(in_open(path), name, fmt)) == NULL)
		die("out of memory");
	if (bufsize > 0)
		mr_reader_bufsize(r, bufsize);
	if (mr_reader_start(r) < 0)
		die("%s", mr_reader_errmsg(r));
	return r;
}

struct mr_reader *
open_input(const char *path, const struct mr_textfmt *fmt, size_t bufsize,
    int first, unsigned char *meta, size_t *metalen)
{
	struct mr_reader *r = open_reader(path, fmt, bufsize);
	const unsigned char *m;

	if (first) {
		m = mr_reader_meta(r, metalen);
		memcpy(meta, m, *metalen);
	} else
		check_meta(r, meta, *metalen);
	return r;
}

struct mr_writer *
open_writer(struct outfile *o, int text, const struct mr_textfmt *fmt,
    const unsigned char *meta, size_t metalen)
{
	struct mr_writer *w;
	const char *name = o->fd == STDOUT_FILENO ? "stdout" : o->path;

	if (!text && isatty(o->fd))
		text = 1;
	w = mr_writer_new(o->fd, name, text, fmt, meta, metalen);
	if (w == NULL)
		die("out of memory");
	if (mr_writer_begin(w) < 0)
		die("%s", mr_writer_errmsg(w));
	return w;
}

char *
join_path(const char *dir, const char *name)
{
	size_t dlen = strlen(dir), len;
	char *p;

	while (dlen > 1 && dir[dlen - 1] == '/')
		dlen--;
	while (dlen > 0 && name[0] == '/')
		name++;
	len = dlen + strlen(name) + 2;
	p = xmalloc(len);
	snprintf(p, len, "%.*s%s%s", (int)dlen, dir,
	    dlen == 0 || dir[dlen - 1] == '/' ? "" : "/", name);
	return p;
}

int
anon_temp(const char *dir)
{
	char *name = xmalloc(strlen(progname) + 8), *path;
	sigset_t old;
	int fd, err = 0;

	sprintf(name, "%s.XXXXXX", progname);
	path = join_path(dir, name);
	free(name);
	block_signals(&old);
	if ((fd = mkstemp(path)) < 0 || unlink(path) < 0)
		err = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	free(path);
	if (err != 0)
		die("%s: cannot create a temporary file: %s", dir,
		    strerror(err));
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

void
time_text(char *buf, size_t size, long long sec, long nsec)
{
	if (sec < 0 && nsec > 0)
		snprintf(buf, size, "-%lld.%09ld", -(sec + 1),
		    1000000000L - nsec);
	else if (sec < 0)	/* unsigned: -2^63 has no positive twin */
		snprintf(buf, size, "-%llu.%09ld", 0ULL -
		    (unsigned long long)sec, nsec);
	else
		snprintf(buf, size, "%lld.%09ld", sec, nsec);
}

int
copy_record(struct mr_writer *w, const struct mr_reader *r,
    const struct mr_rec *rec)
{
	const unsigned char *raw;
	size_t rawlen;

	if (mr_reader_raw(r, &raw, &rawlen))
		return mr_write_raw(w, raw, rawlen);
	return mr_write(w, rec);
}

void
merge_into(struct mr_reader **in, size_t n, const struct mr_order *o,
    struct mr_writer *w)
{
	struct mr_merge *m;
	struct mr_rec rec;
	size_t src;
	int rc;

	if ((m = mr_merge_new(in, n, o)) == NULL)
		die("out of memory");
	while ((rc = mr_merge_next(m, &rec, &src)) > 0)
		if (copy_record(w, in[src], &rec) < 0)
			die("%s", mr_writer_errmsg(w));
	if (rc < 0)
		die("%s", mr_merge_errmsg(m));
	mr_merge_free(m);
}

/*
 * An input of a merge: a file, or a temp file that holds the merge of
 * files lo to hi.  Temp files are unlinked at once, so each holds a
 * descriptor until it is read.
 */
struct source {
	int lo, hi;		/* the files it holds, by number */
	int fd;			/* the temp file, or -1 for file lo */
	int level;		/* 0 for a merge of files, 1 + for merges */
};

/* A merge in passes: the files, and the temp files made so far. */
struct passes {
	char **files;
	int nfiles;
	int next;		/* the first file in no temp file yet */
	const struct mr_textfmt *fmt;
	const struct mr_order *order;
	const char *tmpdir;
	unsigned char *meta;
	size_t *metalen;
	struct source *temps;	/* in the order of their files */
	size_t ntemps;
	size_t fanin;		/* the most inputs open at once */
};

/*
 * The names of temp files in messages: "FIRST ... LAST (merged)", where a
 * record number counts in the merge of those files.  They live until
 * close_sorted().
 */
static char **merged_names;
static size_t nmerged;

static const char *
file_name(const char *path)
{
	return strcmp(path, "-") == 0 ? "stdin" : path;
}

static const char *
merged_name(const struct passes *p, const struct source *src)
{
	const char *lo = file_name(p->files[src->lo]);
	const char *hi = file_name(p->files[src->hi]);
	size_t len = strlen(lo) + strlen(hi) + 16;
	char *name = xmalloc(len);

	snprintf(name, len, "%s ... %s (merged)", lo, hi);
	merged_names = xrealloc(merged_names, (nmerged + 1) *
	    sizeof(*merged_names));
	return merged_names[nmerged++] = name;
}

/* Opens src to read with a buffer of bufsize bytes, or dies. */
static struct mr_reader *
source_open(const struct passes *p, const struct source *src,
    size_t bufsize)
{
	struct mr_reader *r;

	if (src->fd < 0)
		return open_input(p->files[src->lo], p->fmt, bufsize,
		    src->lo == 0, p->meta, p->metalen);
	if ((r = mr_reader_new(src->fd, merged_name(p, src), p->fmt)) == NULL)
		die("out of memory");
	mr_reader_bufsize(r, bufsize);
	if (mr_reader_start(r) < 0)
		die("%s", mr_reader_errmsg(r));
	check_meta(r, p->meta, *p->metalen);
	return r;
}

size_t
merge_bufsize(size_t n)
{
	size_t size = MERGE_READ_BUDGET / n;

	return size < MERGE_BUFSIZE ? size : MERGE_BUFSIZE;
}

/*
 * Merges the n sources at src, which hold consecutive files, into a new
 * temp file, which replaces them in src[0].  The merge is the one that
 * merging them at the end would do, ties going to the earlier file, so
 * the final output is the same bytes.
 */
static void
merge_sources(const struct passes *p, struct source *src, size_t n)
{
	struct mr_reader **in = xmalloc(n * sizeof(*in));
	struct mr_writer *w;
	size_t i, bufsize = merge_bufsize(n);
	int fd, level = 0;

	for (i = 0; i < n; i++) {
		in[i] = source_open(p, &src[i], bufsize);
		if (src[i].fd >= 0 && src[i].level + 1 > level)
			level = src[i].level + 1;
	}
	fd = anon_temp(p->tmpdir);
	w = mr_writer_new(fd, p->tmpdir, 0, p->fmt, p->meta, *p->metalen);
	if (w == NULL)
		die("out of memory");
	merge_into(in, n, p->order, w);
	if (mr_writer_finish(w) < 0)
		die("%s (temporary file)", mr_writer_errmsg(w));
	mr_writer_free(w);
	if (lseek(fd, 0, SEEK_SET) < 0)
		die("%s: temporary file: %s", p->tmpdir, strerror(errno));
	for (i = 0; i < n; i++)
		close_reader(in[i]);
	free(in);
	src[0].hi = src[n - 1].hi;
	src[0].fd = fd;
	src[0].level = level;
}

/* Merges the newest n temp files into one. */
static void
merge_temps(struct passes *p, size_t n)
{
	merge_sources(p, &p->temps[p->ntemps - n], n);
	p->ntemps -= n - 1;
}

/* Merges the next n files into a new temp file. */
static void
merge_files(struct passes *p, size_t n)
{
	struct source *src;
	size_t i;

	p->temps = xrealloc(p->temps, (p->ntemps + n) * sizeof(*p->temps));
	src = &p->temps[p->ntemps];
	for (i = 0; i < n; i++) {
		src[i].lo = src[i].hi = p->next + (int)i;
		src[i].fd = -1;
		src[i].level = 0;
	}
	merge_sources(p, src, n);
	p->next += (int)n;
	p->ntemps++;
}

/* How many of the newest temp files share the newest one's level. */
static size_t
top_level(const struct passes *p)
{
	size_t n = 0;

	while (n < p->ntemps && p->temps[p->ntemps - 1 - n].level ==
	    p->temps[p->ntemps - 1].level)
		n++;
	return n;
}

/*
 * Merges groups of files into temp files, left to right, until the temp
 * files and the files left are few enough to be open at once.  A temp
 * file holds a descriptor, so at most fanin - 1 files are merged at once
 * less the temp files made; as mrsort does with its runs, group temp
 * files of one level are merged into one of the next level, so that a
 * record is copied about log(n) / log(group) times however many files.
 */
static void
merge_passes(struct passes *p)
{
	size_t group = p->fanin / 2, total, n, room;

	for (;;) {
		total = (size_t)(p->nfiles - p->next) + p->ntemps;
		if (total <= p->fanin)
			return;
		/* merging n inputs into one makes n - 1 fewer */
		n = total - p->fanin + 1;
		room = p->fanin - 1 - p->ntemps;
		if (top_level(p) >= group)
			merge_temps(p, group < n ? group : n);
		else if (room >= 2 && (size_t)(p->nfiles - p->next) >= 2) {
			n = n < group ? n : group;
			n = n < room ? n : room;
			if (n > (size_t)(p->nfiles - p->next))
				n = (size_t)(p->nfiles - p->next);
			merge_files(p, n);
		} else
			merge_temps(p, p->ntemps);
	}
}

struct mr_reader **
open_sorted(char **files, int n, const struct mr_textfmt *fmt,
    const struct mr_order *o, const char *tmpdir, unsigned char *meta,
    size_t *metalen, size_t *nin)
{
	struct passes p;
	struct mr_reader **in;
	struct source src;
	size_t i, bufsize;
	long limit;

	memset(&p, 0, sizeof(p));
	p.files = files;
	p.nfiles = n;
	p.fmt = fmt;
	p.order = o;
	p.tmpdir = tmpdir;
	p.meta = meta;
	p.metalen = metalen;
	limit = raise_open_files((long)n + OPEN_RESERVE) - OPEN_RESERVE;
	if (limit < (long)n && limit < FANIN_LEAST)
		die("%d files to merge, and too few open files allowed "
		    "(ulimit -n) to merge them in passes", n);
	p.fanin = limit < (long)n ? (size_t)limit : (size_t)n;
	merge_passes(&p);
	*nin = p.ntemps + (size_t)(n - p.next);
	bufsize = merge_bufsize(*nin);
	in = xmalloc(*nin * sizeof(*in));
	for (i = 0; i < p.ntemps; i++)
		in[i] = source_open(&p, &p.temps[i], bufsize);
	for (; i < *nin; i++) {
		src.lo = src.hi = p.next++;
		src.fd = -1;
		in[i] = source_open(&p, &src, bufsize);
	}
	free(p.temps);
	return in;
}

void
close_sorted(struct mr_reader **in, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		close_reader(in[i]);
	free(in);
	for (i = 0; i < nmerged; i++)
		free(merged_names[i]);
	free(merged_names);
	merged_names = NULL;
	nmerged = 0;
}

const char *
temp_dir(const char *dir)
{
	if (dir == NULL || *dir == '\0')
		dir = getenv("TMPDIR");
	return dir != NULL && *dir != '\0' ? dir : "/tmp";
}

void
close_reader(struct mr_reader *r)
{
	int fd = mr_reader_fd(r);

	mr_reader_free(r);
	if (fd != STDIN_FILENO)
		close(fd);
}

long
raise_open_files(long want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 0;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)want) {
		rl.rlim_cur = rl.rlim_max != RLIM_INFINITY &&
		    rl.rlim_max < (rlim_t)want ? rl.rlim_max : (rlim_t)want;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0 &&
		    getrlimit(RLIMIT_NOFILE, &rl) < 0)
			return 0;
	}
	return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (rlim_t)want ?
	    want : (long)rl.rlim_cur;
}

void
want_open_files(long n)
{
	long need = n + 16;

	if (raise_open_files(need) < need)
		die("%ld files need %ld open, over the limit on open files "
		    "(ulimit -n)", n, need);
}

const char *
shown(const unsigned char *p, size_t len, int slot)
{
	static char buf[2][4 * SHOWN_MAX + 8];
	char *s = buf[slot != 0];
	size_t i;

	*s++ = '"';
	for (i = 0; i < len && i < SHOWN_MAX; i++) {
		if (p[i] == '"' || p[i] == '\\')
			s += sprintf(s, "\\%c", p[i]);
		else if (p[i] == '\t')
			s += sprintf(s, "\\t");
		else if (p[i] == '\n')
			s += sprintf(s, "\\n");
		else if (p[i] < 0x20 || p[i] >= 0x7f)
			s += sprintf(s, "\\x%02x", p[i]);
		else
			*s++ = (char)p[i];
	}
	*s++ = '"';
	if (len > SHOWN_MAX)
		s += sprintf(s, "...");
	*s = '\0';
	return buf[slot != 0];
}
