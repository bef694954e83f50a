/*
 * cli.h: what the mr tools share that a library must not do: parse the
 * command line, print messages and help, exit, handle signals, and own
 * the temporary files that signals must remove.
 */
#ifndef MR_CLI_H
#define MR_CLI_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "mr.h"

extern const char *progname;

/*
 * cli_init() names the tool for messages and installs handlers that remove
 * registered temporary files on SIGINT, SIGTERM and SIGHUP (a signal that
 * was ignored when the tool started stays ignored) and at exit.  In a task
 * of mrrun, whose environment holds MR_LIFELINE (the descriptor of the
 * read end of a pipe that mrrun alone writes to) and MR_WORK_LOCK (the
 * lock file of the job's work directory), it takes a shared lock on byte
 * 1 of that file for the life of the process, and a thread stops the tool
 * as SIGTERM does when the pipe ends, that is when mrrun is gone; a task
 * whose mrrun is gone already stops at once.  Both variables are taken
 * out of the environment, and the pipe is made close-on-exec, so that no
 * command of the tool sees them.  Dies when MR_LIFELINE does not name a
 * pipe or the lock file cannot be opened.  Call it before any thread.
 */
void cli_init(const char *name);

/*
 * cli_child() records (add 1) or forgets (add 0) the process group of a
 * command the tool runs.  A tool that exits or is killed by SIGINT,
 * SIGTERM or SIGHUP before it forgot a command kills its group with
 * SIGKILL.
 */
void cli_child(pid_t pgid, int add);

/* die() prints "progname: message" and exits 1, removing temp files. */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* warnx() prints "progname: message" and returns. */
void warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * An option of a tool.  One table of them, in the order of the man page,
 * makes the options that getopt_long() takes and the lines of --help.
 * code is the option's letter (-X), or for an option with a long name
 * alone a number above 255 of the tool's choosing.  An argument whose
 * name is in brackets ("[KEYDEF]") is optional: it is given in the same
 * word as the option (--values=KEYDEF, -XKEYDEF), optarg is NULL without
 * it, and --help shows it as "--values[=KEYDEF]".
 */
struct cli_opt {
	int code;
	const char *name;	/* the long name, without "--", or NULL */
	const char *arg;	/* the argument's name ("FILE"), or NULL */
	const char *help;	/* what it does, in a few words */
};

/* The codes of the options that cli_getopt() handles itself. */
#define CLI_HELP	0x10001
#define CLI_VERSION	0x10002
#define CLI_ALLOW_MAGIC	0x10003

/* The options every tool has, worded once. */
#define CLI_OPT_MAGIC	{ CLI_ALLOW_MAGIC, "allow-magic", NULL, \
	"read lines starting with the framed magic as text" }
#define CLI_OPT_HELP	{ CLI_HELP, "help", NULL, \
	"print this help and exit" }
#define CLI_OPT_SEP	{ 't', "separator", "SEP", \
	"separate key and value in text by SEP, not TAB" }
#define CLI_OPT_VERSION	{ CLI_VERSION, "version", NULL, \
	"print the version and exit" }
#define CLI_OPT_ZERO	{ 'z', "zero-terminated", NULL, \
	"text lines end with NUL instead of newline" }

/* cli_tool.flags */
#define CLI_IN_ORDER	0x1	/* options end at the first operand */
#define CLI_OPS		0x2	/* --help lists the built-in ops */
#define CLI_OPERANDS	0x4	/* cli_getopt() returns each operand, as 1 */

/* A tool's command line: what cli_start() and --help need. */
struct cli_tool {
	const char *name;	/* "mrsort", for messages */
	const char *about;	/* what the tool does, one line */
	const char *usage;	/* "usage: ...\n", the man page's SYNOPSIS */
	const struct cli_opt *opts; /* ends with an entry of code 0 */
	int flags;
};

/*
 * cli_start() does what cli_init() does for tool t and readies
 * cli_getopt() for its options.  It names the tool t->name in argv[0]
 * too, so that getopt's own messages say "mrsort:" however the tool was
 * invoked.
 */
void cli_start(const struct cli_tool *t, int argc, char *argv[]);

/*
 * cli_getopt() returns the next option of the tool that cli_start()
 * readied, as getopt_long() does (optarg is set), and -1 after the last.
 * It handles the options that every tool has itself: -t, -z and
 * --allow-magic set fmt (which may be NULL when the tool has none of
 * them), --help prints the help and --version the version, both exiting
 * 0; an unknown option or a missing argument prints the usage and exits
 * 2.  For a tool with CLI_OPERANDS it returns each operand among the
 * options as 1, in its place, with optarg the operand; those after "--"
 * are left in argv from optind on.
 */
int cli_getopt(int argc, char *argv[], struct mr_textfmt *fmt);

/*
 * cli_help() prints the help of the tool that cli_start() readied to fp:
 * the usage, what the tool does, one line for each option, the built-in
 * ops for a tool with CLI_OPS, and where the manual is.
 */
void cli_help(FILE *fp);

/*
 * usage_error() prints "progname: message", then the usage text and exits
 * 2.  usage is the tool's usage text.
 */
void usage_error(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/*
 * program_on_path() is 1 when word, with no slash, is an executable file
 * in a directory of PATH.
 */
int program_on_path(const char *word);

/*
 * opt_key_fields() is the argument of --key-fields, the fields of a
 * command's text line that make its key, from 1 to MAX_KEY_FIELDS (as
 * mrpartition's -k); a bad one exits 2.
 */
#define MAX_KEY_FIELDS	1000000
long opt_key_fields(const char *usage, const char *arg);

/* opt_separator() sets fmt->sep from the argument of -t, or exits 2. */
void opt_separator(const char *usage, const char *arg, struct mr_textfmt *fmt);

/*
 * opt_values() sets o from --values (arg NULL), which orders equal keys
 * by value, or --values=KEYDEF (mr_order_parse_values()), which adds a
 * key within values; a KEYDEF that does not parse is a usage error.  The
 * caller sets o->sep, from -t, once all options are read.
 */
void opt_values(const char *usage, const char *arg, struct mr_order *o);

/*
 * parse_count() parses a decimal count in [min, max] into *out.  Returns
 * 0, or -1 when arg is not such a number.
 */
int parse_count(const char *arg, long min, long max, long *out);

/*
 * parse_size() parses a memory size as GNU sort's -S does: a positive
 * decimal number with an optional suffix, b for bytes, K (the default),
 * M, G or T for powers of 1024, or % of physical memory.  Returns 0, or
 * -1 when arg is not such a size.
 */
int parse_size(const char *arg, size_t *out);

/*
 * opt_reducer() tells what arg, a reducer or a combiner, is: returns 1
 * when it names a built-in op, to which it sets op, and 0 when it is a
 * shell command.  A single word (letters, digits and "_-+.,:%@" only)
 * that is neither a built-in op, nor a word the shell runs itself, nor an
 * executable file in a directory of PATH, is a misspelt op rather than a
 * command: a usage error naming opt ("--reducer"; NULL for an operand)
 * and listing the ops.  "NONE" is not an op: callers that take it check
 * it first.
 */
int opt_reducer(const char *usage, const char *opt, const char *arg,
    struct mr_op *op);

/*
 * opt_template() checks the argument of -o for an output name template:
 * exactly one integer conversion (%d, %i, %u, %o, %x or %X, with the flags
 * 0 and - and a width of at most 99) and no other conversion but %%, so
 * that it is safe to give to printf and makes names of a sane length.
 * Exits 2 otherwise, showing the template bounded (shown()).
 */
void opt_template(const char *usage, const char *arg);

/*
 * template_name() returns the name of output i from a template that
 * opt_template() accepted, allocated; the caller frees it.
 */
char *template_name(const char *template, long i);

/*
 * operands() returns the file operands that follow the options at optind
 * and sets *argc to their number: "-" (standard input) alone when there
 * are none.  Standard input named twice is a usage error.
 */
char **operands(const char *usage, int *argc, char **argv);

/*
 * shell_word() is 1 when word is a reserved word of the shell or a utility
 * that dash or bash builds in, which the shell runs itself whatever the
 * PATH holds; 0 otherwise.
 */
int shell_word(const char *word);

/* cli_version() prints the version line for --version and exits 0. */
void cli_version(void) __attribute__((noreturn));

/* xmalloc(), xrealloc() and xstrdup() die when memory runs out. */
void *xmalloc(size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);

/*
 * An output file that appears under its name only when complete.  A
 * regular file (or a name that does not exist yet) is written to a temp
 * file beside it, mode 0600 until the commit; anything else (/dev/null, a
 * FIFO, a terminal) is written directly.  "-" is standard output.
 */
struct outfile {
	char *path;	/* the final name */
	char *tmp;	/* the temp file, or NULL when written directly */
	int fd;
};

/* out_open() opens o for path, or dies with a message. */
void out_open(struct outfile *o, const char *path);

/*
 * out_close() sets the permissions a new file gets (0666 less umask) and
 * closes o, checking the close; out_commit() then renames it.  Dies on
 * error.  Closing every output before renaming any keeps a late error
 * from leaving some outputs renamed.
 */
void out_close(struct outfile *o);

/*
 * out_commit() closes o, frees its names, checking the close, and renames
 * the temp file to the final name with the permissions a new file gets
 * (0666 less umask).  Dies on error, removing the temp file.
 */
void out_commit(struct outfile *o);

/*
 * in_open() opens path for reading ("-" is standard input) and returns the
 * descriptor, or dies naming the file.
 */
int in_open(const char *path);

/*
 * check_meta() dies unless the metadata of reader r equals the metadata
 * (meta, len) of the first input, so that streams of partial aggregation
 * states are never mixed with plain values.
 */
void check_meta(struct mr_reader *r, const unsigned char *meta, size_t len);

/*
 * open_reader() opens path and starts a reader on it with fmt and a read
 * buffer of bufsize bytes (0 for the default), or dies with the reader's
 * message.
 */
struct mr_reader *open_reader(const char *path, const struct mr_textfmt *fmt,
    size_t bufsize);

/*
 * open_input() opens path as open_reader() does.  The first input's
 * metadata is copied to meta (MR_META_MAX bytes) and *metalen; every later
 * input must have the same (check_meta()).
 */
struct mr_reader *open_input(const char *path, const struct mr_textfmt *fmt,
    size_t bufsize, int first, unsigned char *meta, size_t *metalen);

/*
 * open_writer() makes a writer to the output o, framed unless text is set
 * or o is a terminal (mr never writes binary to a terminal), and writes
 * the stream header at once.  Dies on error.
 */
struct mr_writer *open_writer(struct outfile *o, int text,
    const struct mr_textfmt *fmt, const unsigned char *meta, size_t metalen);

/*
 * time_text() writes to buf (of size bytes, 32 are enough) the time sec
 * seconds and nsec nanoseconds after the epoch as stat -c %.9Y prints it:
 * SECONDS.NANOSECONDS, nine digits of them, with a minus sign before the
 * epoch ("-1.500000000" for sec -2, nsec 500000000).
 */
void time_text(char *buf, size_t size, long long sec, long nsec);

/*
 * copy_record() writes rec, the record last read from r, to w: as it was
 * encoded, in one piece, when r is framed and w is too.  Returns as
 * mr_write() does.
 */
int copy_record(struct mr_writer *w, const struct mr_reader *r,
    const struct mr_rec *rec);

/*
 * raise_open_files() raises the soft limit on open files toward want, as
 * far as the hard limit allows, and returns the limit it got (at most
 * want).  want_open_files() makes room for n files plus a few, or dies.
 */
long raise_open_files(long want);
void want_open_files(long n);

/*
 * join_path() returns dir and name joined by one slash, allocated (the
 * caller frees it): slashes that end dir or start name are not repeated,
 * so that a path shown in a message never has "//".  An empty dir gives
 * name itself.
 */
char *join_path(const char *dir, const char *name);

/*
 * anon_temp() makes a temp file in dir, named after progname, mode 0600,
 * and unlinks it at once (signals held off in between), so that nothing
 * is left behind however the tool ends.  Returns its descriptor, open for
 * reading and writing, or dies naming dir.
 */
int anon_temp(const char *dir);

/*
 * merge_into() merges the n sorted readers in, in order o, into w, copying
 * framed records whole; it dies with a message on any error.
 */
void merge_into(struct mr_reader **in, size_t n, const struct mr_order *o,
    struct mr_writer *w);

/*
 * shown() quotes the first 40 of the len bytes at p for a message, in
 * double quotes with C escapes for bytes that are not printable ASCII,
 * and "..." after a longer string.  The result lives in one of two static
 * buffers, chosen by slot (0 or 1), so that one message can show two
 * strings.
 */
const char *shown(const unsigned char *p, size_t len, int slot);

/*
 * merge_bufsize() is the read buffer of each of n inputs read at once, so
 * that their buffers share a fixed budget however many they are.
 */
size_t merge_bufsize(size_t n);

/*
 * open_sorted() opens the n files of a merge in order o as open_input()
 * does, the first one's metadata going to meta and *metalen, and returns
 * readers for the merge, *nin of them; their read buffers share a fixed
 * budget, so that any fan-in fits in memory.  When the limit on open
 * files (raised as far as it goes) is too low for n, it first merges
 * groups of consecutive files into temp files in tmpdir (mode 0600,
 * unlinked at once, so that none is left however the tool ends), in
 * passes, until the temp files and the files left fit: merging the
 * readers then gives the same records in the same order, byte for byte,
 * as merging the n files would.  An error in a file, such as a record out
 * of order, is reported as the merge would report it; a record of a temp
 * file is named "FIRST ... LAST (merged)" and numbered in the merge of
 * those files.  Free the readers with close_sorted().  Dies on error.
 */
struct mr_reader **open_sorted(char **files, int n,
    const struct mr_textfmt *fmt, const struct mr_order *o,
    const char *tmpdir, unsigned char *meta, size_t *metalen, size_t *nin);

/*
 * close_sorted() closes the n readers that open_sorted() returned, frees
 * them, the array and the names of temp files.
 */
void close_sorted(struct mr_reader **in, size_t n);

/*
 * temp_dir() returns the directory for temp files: dir (the argument of
 * -T), or when that is NULL or empty $TMPDIR if set and not empty, or
 * /tmp.
 */
const char *temp_dir(const char *dir);

/* close_reader() frees r and closes its descriptor unless it is stdin. */
void close_reader(struct mr_reader *r);

#endif
