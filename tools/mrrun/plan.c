/*
 * plan.c: the splits and tasks of an mrrun job.  Every path in a task is
 * absolute, so that a task runs the same from any directory; the user's
 * mapper and reducer run in mrrun's own directory, where "./map.sh" is.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "listing.h"
#include "plan.h"

static char *
xasprintf(const char *fmt, const char *a, const char *b)
{
	size_t n = strlen(fmt) + strlen(a) + strlen(b) + 1;
	char *s = xmalloc(n);

	snprintf(s, n, fmt, a, b);
	return s;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The stamp of a file of this machine, from its fstat(). */
static void
stamp_of(const struct stat *sb, struct file_stamp *st)
{
	st->size = (uint64_t)sb->st_size;
	st->full = 1;
	st->sec = (long long)sb->st_mtim.tv_sec;
	st->nsec = (long)sb->st_mtim.tv_nsec;
	st->dev = (unsigned long long)sb->st_dev;
	st->ino = (unsigned long long)sb->st_ino;
}

/*
 * Checks that the file path of this machine (named name in messages) can
 * be read, and takes its stamp from the open file.
 */
static void
stamp_file(const char *path, const char *name, struct file_stamp *st)
{
	struct stat sb;
	int fd;

	/* O_NONBLOCK: a FIFO put there since the listing must not hang */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0 ||
	    fstat(fd, &sb) < 0)
		die("%s: %s", name, strerror(errno));
	close(fd);
	if (!S_ISREG(sb.st_mode))
		die("%s: not a regular file (give a pipe's data as -)", name);
	stamp_of(&sb, st);
}

const char *
plan_codec_program(int codec)
{
	static const char *const programs[] = { NULL, "gzip", "bzip2", "xz",
	    "zstd" };

	return programs[codec];
}

/*
 * The codec of a file whose first n bytes are p: gzip, bzip2 (its
 * header and the magic of its first block, or of its end when it is
 * empty, since "BZh" alone starts text too), xz or zstd; else none.
 */
static int
codec_of(const unsigned char *p, size_t n)
{
	static const unsigned char xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0 };
	static const unsigned char zstd[] = { 0x28, 0xb5, 0x2f, 0xfd };
	static const unsigned char block[] = { 0x31, 0x41, 0x59, 0x26,
	    0x53, 0x59 }, end[] = { 0x17, 0x72, 0x45, 0x38, 0x50, 0x90 };

	if (n >= 3 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 8)
		return CODEC_GZIP;
	if (n >= 10 && memcmp(p, "BZh", 3) == 0 && p[3] >= '1' &&
	    p[3] <= '9' && (memcmp(p + 4, block, 6) == 0 ||
	    memcmp(p + 4, end, 6) == 0))
		return CODEC_BZIP2;
	if (n >= sizeof(xz) && memcmp(p, xz, sizeof(xz)) == 0)
		return CODEC_XZ;
	if (n >= sizeof(zstd) && memcmp(p, zstd, sizeof(zstd)) == 0)
		return CODEC_ZSTD;
	return CODEC_NONE;
}

/*
 * The codec of a file of a host, which the plan does not read: by its
 * name's suffix.
 */
static int
codec_by_name(const char *path)
{
	if (ends_with(path, ".gz"))
		return CODEC_GZIP;
	if (ends_with(path, ".bz2"))
		return CODEC_BZIP2;
	if (ends_with(path, ".xz"))
		return CODEC_XZ;
	if (ends_with(path, ".zst"))
		return CODEC_ZSTD;
	return CODEC_NONE;
}

/*
 * The codec of the file path of this machine, from its first bytes; dies
 * when the program that reads it is not installed.
 */
static int
codec_here(const char *path, const char *name)
{
	static const char *const packages[] = { NULL, "gzip", "bzip2",
	    "xz-utils", "zstd" };
	unsigned char head[10];
	ssize_t n;
	int fd, codec;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		die("%s: %s", name, strerror(errno));
	n = read(fd, head, sizeof(head));
	close(fd);
	codec = codec_of(head, n > 0 ? (size_t)n : 0);
	if (codec != CODEC_NONE &&
	    !program_on_path(plan_codec_program(codec)))
		die("%s: compressed with %s, which is not installed here "
		    "(the package %s)", name, plan_codec_program(codec),
		    packages[codec]);
	return codec;
}

/* Adds the splits of the file path, which host holds, as stamped. */
static void
add_file(struct job *j, int host, const char *path, const char *name,
    const struct file_stamp *st)
{
	uint64_t k, piece, rest, i, at, size = st->size;
	int codec;

	if (size == 0)
		return;
	codec = host < 0 ? codec_here(path, name) : codec_by_name(path);
	k = codec != CODEC_NONE ? 1 : (size + j->split_size - 1) /
	    j->split_size;
	piece = size / k;
	rest = size % k;
	for (i = 0, at = 0; i < k; i++) {
		struct split *s;

		if (j->nsplits % 64 == 0)
			j->splits = xrealloc(j->splits,
			    (size_t)(j->nsplits + 64) * sizeof(*s));
		s = &j->splits[j->nsplits++];
		s->path = xstrdup(path);
		s->name = xstrdup(name);
		s->codec = codec;
		s->host = host;
		s->start = at;
		at += piece + (i < rest);
		s->end = at;
		s->stamp = *st;
	}
}

void
plan_group(struct job *j, int from, int g)
{
	int i;

	for (i = from; i < j->nsplits; i++)
		j->splits[i].group = g;
	if (j->groups[g].n == 0)
		j->groups[g].first = from;
	j->groups[g].n += j->nsplits - from;
}

const struct group *
plan_broadcast_group(const struct job *j)
{
	return j->broadcast > 0 ? &j->groups[j->broadcast - 1] : NULL;
}

int
plan_broadcast_allowed(int type, int n)
{
	return type == JOIN_INNER || (n == 1 && type == JOIN_RIGHT) ||
	    (n == 2 && (type == JOIN_LEFT || type == JOIN_SEMI ||
	    type == JOIN_ANTI));
}

int
plan_samples(const struct job *j)
{
	if (j->broadcast > 0)
		return plan_broadcast_group(j)->n;
	return j->total_order ? j->nsplits : 0;
}

int
plan_sample_split(const struct job *j, int i)
{
	return j->broadcast > 0 ? plan_broadcast_group(j)->first + i : i;
}

int
plan_sample_pieces(const struct split *s)
{
	return s->codec || s->end - s->start <= PLAN_SAMPLE_PIECES *
	    PLAN_SAMPLE_BYTES ? 1 : PLAN_SAMPLE_PIECES;
}

int
plan_gathered(const struct job *j)
{
	return j->broadcast > 0 ? PLAN_BROADCAST : PLAN_POINTS;
}

int
plan_maps(const struct job *j)
{
	return j->broadcast > 0 ? j->nsplits - plan_broadcast_group(j)->n :
	    j->nsplits;
}

void
plan_streamed_first(struct job *j)
{
	struct group *b = &j->groups[0], *st = &j->groups[1];
	struct split *s;

	if (j->broadcast != 1 || b->n == 0 || st->n == 0)
		return;
	s = xmalloc((size_t)j->nsplits * sizeof(*s));
	memcpy(s, &j->splits[st->first], (size_t)st->n * sizeof(*s));
	memcpy(s + st->n, &j->splits[b->first], (size_t)b->n * sizeof(*s));
	free(j->splits);
	j->splits = s;
	st->first = 0;
	b->first = st->n;
}

void
plan_remote_file(struct job *j, int host, const char *path, const char *name,
    uint64_t size)
{
	struct file_stamp st;

	memset(&st, 0, sizeof(st));
	st.size = size;
	add_file(j, host, path, name, &st);
}

void
plan_listed(struct job *j, int host, const char *list, size_t len,
    const char *path, const char *name)
{
	const char *size, *file, *end = list + len;
	size_t plen = strlen(path);
	struct file_stamp st;
	char *shown;

	for (size = list; size < end; size = file + strlen(file) + 1) {
		file = size + strlen(size) + 1;
		if (file >= end || strncmp(file, path, plen) != 0)
			die("%s: a bad listing", name);
		shown = xasprintf("%s%s", name, file + plen);
		if (host < 0) {
			/* what the tasks will check, rather than the listing */
			stamp_file(file, shown, &st);
			add_file(j, host, file, shown, &st);
		} else
			plan_remote_file(j, host, file, shown,
			    strtoull(size, NULL, 10));
		free(shown);
	}
}

void
plan_inputs(struct job *j, char **operands, int n, const char *stdin_copy)
{
	char cwd[4096], err[4096 + 64], *path, *list;
	struct file_stamp st;
	size_t len;
	int i;

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		die("cannot name the current directory: %s", strerror(errno));
	for (i = 0; i < n; i++) {
		const char *name = operands[i];

		if (strcmp(name, "-") == 0 && stdin_copy == NULL)
			continue;
		if (strcmp(name, "-") == 0)
			path = xstrdup(stdin_copy);
		else if (name[0] == '/')
			path = xstrdup(name);
		else
			path = xasprintf("%s/%s", cwd, name);
		if (strcmp(name, "-") == 0) {
			stamp_file(path, "standard input", &st);
			add_file(j, -1, path, "standard input", &st);
		} else if ((list = listing(path, name, &len, err,
		    sizeof(err))) == NULL)
			die("%s", err);
		else {
			plan_listed(j, -1, list, len, path, name);
			free(list);
		}
		free(path);
	}
}

/* Adds len bytes at p to the running hash *h. */
static void
mix(uint64_t *h, const void *p, size_t len)
{
	uint64_t v[2];

	v[0] = *h;
	v[1] = mr_hash64(p, len);
	*h = mr_hash64(v, sizeof(v));
}

static void
mix_str(uint64_t *h, const char *s)
{
	mix(h, s != NULL ? s : "\1(none)", strlen(s != NULL ? s :
	    "\1(none)") + 1);
}

/* Mixes into *h what the output depends on of the options. */
static void
mix_options(uint64_t *h, const struct job *j)
{
	long long v[16];
	int g;

	mix_str(h, "mrrun 1");
	for (g = 0; g < j->ngroups; g++)
		mix_str(h, j->groups[g].mapper);
	mix_str(h, j->reducer);
	mix_str(h, j->combiner);
	mix_str(h, j->sep);
	for (g = 0; g < j->nvalue_keys; g++)
		mix_str(h, j->value_keys[g]);
	for (g = 0; g < j->nenvs; g++)
		mix_str(h, j->envs[g]);
	memset(v, 0, sizeof(v));
	v[0] = j->reducers;
	v[1] = (long long)j->split_size;
	v[2] = j->total_order;
	v[3] = j->framed;
	v[4] = j->zero;
	v[5] = j->numeric;
	v[6] = j->reverse;
	v[7] = j->values;
	v[8] = j->keyfields;
	v[9] = j->framed_input;
	v[10] = j->join;
	v[11] = j->ngroups;
	v[12] = j->broadcast;
	v[13] = j->key_fields;
	mix(h, v, sizeof(v));
}

uint64_t
plan_name(const struct job *j, char **operands, const int *groups, int n,
    const char *cwd)
{
	uint64_t h = 0;
	int i;

	mix_options(&h, j);
	mix_str(&h, cwd);
	for (i = 0; i < n; i++) {
		mix(&h, &groups[i], sizeof(groups[i]));
		mix_str(&h, operands[i]);
	}
	return h;
}

void
plan_identity(struct job *j)
{
	uint64_t h = 0;
	long long v[12];
	int i;

	mix_options(&h, j);
	memset(v, 0, sizeof(v));
	v[0] = j->nsplits;
	mix(&h, v, sizeof(v));
	for (i = 0; i < j->nsplits; i++) {
		const struct split *s = &j->splits[i];

		memset(v, 0, sizeof(v));
		v[7] = s->host;
		v[8] = s->group;
		v[0] = (long long)s->stamp.size;
		v[1] = s->stamp.sec;
		v[2] = s->stamp.nsec;
		v[3] = (long long)s->stamp.ino;
		v[4] = (long long)s->stamp.dev;
		v[5] = (long long)s->start;
		v[6] = (long long)s->end;
		mix(&h, v, sizeof(v));
		mix_str(&h, s->path);
	}
	j->identity = h;
	snprintf(j->jobid, sizeof(j->jobid), "%012llx_0001",
	    (unsigned long long)(h >> 16));
}

void
plan_expect(const struct split *s, char *buf, size_t size)
{
	const struct file_stamp *st = &s->stamp;
	char t[32];

	time_text(t, sizeof(t), st->sec, st->nsec);
	if (st->full)
		snprintf(buf, size, "--expect=%llu:%s:%llu:%llu",
		    (unsigned long long)st->size, t, st->dev, st->ino);
	else
		snprintf(buf, size, "--expect=%llu",
		    (unsigned long long)st->size);
}

int
plan_check(const struct split *s, int fd, char *msg, size_t msgsize)
{
	const struct file_stamp *want = &s->stamp;
	struct file_stamp now;
	struct stat sb;
	char at[32], was[32];

	if (fstat(fd, &sb) < 0) {
		snprintf(msg, msgsize, "%s: %s", s->name, strerror(errno));
		return -1;
	}
	stamp_of(&sb, &now);
	if (want->full && (now.dev != want->dev || now.ino != want->ino))
		snprintf(msg, msgsize, "%s: changed while the job ran "
		    "(another file: device %llu inode %llu, was device %llu "
		    "inode %llu)", s->name, now.dev, now.ino, want->dev,
		    want->ino);
	else if (now.size != want->size)
		snprintf(msg, msgsize, "%s: changed while the job ran (size "
		    "%llu, was %llu)", s->name, (unsigned long long)now.size,
		    (unsigned long long)want->size);
	else if (want->full && (now.sec != want->sec ||
	    now.nsec != want->nsec)) {
		time_text(at, sizeof(at), now.sec, now.nsec);
		time_text(was, sizeof(was), want->sec, want->nsec);
		snprintf(msg, msgsize, "%s: changed while the job ran "
		    "(modified at %s, was %s)", s->name, at, was);
	} else
		return 0;
	return -1;
}

/* s with every % doubled, for a printf template; allocated. */
static char *
percents(const char *s)
{
	char *t = xmalloc(2 * strlen(s) + 1), *p = t;

	for (; *s != '\0'; s++)
		if ((*p++ = *s) == '%')
			*p++ = '%';
	*p = '\0';
	return t;
}

/* Starts a program of t: the mr tool tool, from j->bindir. */
static void
tool(struct task *t, const struct job *j, const char *name)
{
	task_stage(t);
	if (j->bindir[0] != '\0')
		task_argf(t, "%s/%s", j->bindir, name);
	else
		task_arg(t, name);
}

/* The text options, -z, -t and --allow-magic, that every tool takes. */
static void
fmt_args(struct task *t, const struct job *j)
{
	if (j->zero)
		task_arg(t, "-z");
	if (j->sep != NULL) {
		task_arg(t, "-t");
		task_arg(t, j->sep);
	}
	if (j->magic_ok)
		task_arg(t, "--allow-magic");
}

/* The order options of mrsort, mrmerge and mrreduce. */
static void
order_args(struct task *t, const struct job *j, int values)
{
	int k;

	if (j->numeric)
		task_arg(t, "-n");
	if (j->reverse)
		task_arg(t, "-r");
	if (values && j->values && j->nvalue_keys == 0)
		task_arg(t, "--values");
	for (k = 0; values && k < j->nvalue_keys; k++)
		task_argf(t, "--values=%s", j->value_keys[k]);
	fmt_args(t, j);
}

/* The Hadoop Streaming variables that name the job, task and attempt. */
static void
ids(struct task *t, const struct job *j, char kind, int n, int attempt)
{
	char task_id[96], attempt_id[112], num[24];
	int k;

	snprintf(task_id, sizeof(task_id), "task_%s_%c_%06d", j->jobid,
	    kind, n);
	snprintf(attempt_id, sizeof(attempt_id), "attempt_%s_%c_%06d_%d",
	    j->jobid, kind, n, attempt);
	snprintf(num, sizeof(num), "%d", n);
	task_env(t, "mapreduce_job_id", j->jobid);
	task_env(t, "mapreduce_task_id", task_id);
	task_env(t, "mapreduce_task_attempt_id", attempt_id);
	task_env(t, "mapreduce_task_partition", num);
	task_env(t, "mapreduce_task_ismap", kind == 'm' ? "true" : "false");
	task_env(t, "mapred_job_id", j->jobid);
	task_env(t, "mapred_tip_id", task_id);
	task_env(t, "mapred_task_id", attempt_id);
	task_env(t, "mapred_task_partition", num);
	task_env(t, "mapred_task_is_map", kind == 'm' ? "true" : "false");
	for (k = 0; k < j->nenvs; k++)
		task_env_line(t, j->envs[k]);
}

static void
input_env(struct task *t, const struct split *s)
{
	static const char *const names[][3] = {
		{ "map_input_file", "map_input_start", "map_input_length" },
		{ "mapreduce_map_input_file", "mapreduce_map_input_start",
		    "mapreduce_map_input_length" },
	};
	char start[24], length[24];
	int i;

	snprintf(start, sizeof(start), "%llu", (unsigned long long)s->start);
	snprintf(length, sizeof(length), "%llu",
	    (unsigned long long)(s->end - s->start));
	for (i = 0; i < 2; i++) {
		task_env(t, names[i][0], s->path);
		task_env(t, names[i][1], start);
		task_env(t, names[i][2], length);
	}
}

/*
 * Reads bytes [a, b) of split s, or all of a compressed file, through
 * mrsplit, which checks that the file is the one planned before it reads
 * and after: the codec's program reads it from a whole-file range of it.
 */
static void
read_range(struct task *t, const struct job *j, const struct split *s,
    uint64_t a, uint64_t b)
{
	char expect[96];

	plan_expect(s, expect, sizeof(expect));
	tool(t, j, "mrsplit");
	if (s->codec) {
		task_argf(t, "--range=0:%llu",
		    (unsigned long long)s->stamp.size);
		task_arg(t, expect);
		/* its bytes are no text: a magic in them is no damage */
		task_arg(t, "--allow-magic");
		task_arg(t, s->path);
		task_stage(t);
		task_arg(t, plan_codec_program(s->codec));
		task_arg(t, "-dc");
		return;
	}
	task_argf(t, "--range=%llu:%llu", (unsigned long long)a,
	    (unsigned long long)b);
	task_arg(t, expect);
	fmt_args(t, j);
	task_arg(t, s->path);
}

const char *
plan_mapper(const struct job *j, int i)
{
	return j->groups[j->splits[i].group].mapper;
}

/* mrmap, with the options of the mapper of split i. */
static void
mapper(struct task *t, const struct job *j, int i)
{
	tool(t, j, "mrmap");
	fmt_args(t, j);
	if (j->framed_input && strcmp(plan_mapper(j, i), "NONE") != 0)
		task_arg(t, "--framed-input");
	if (j->key_fields > 1)
		task_argf(t, "--key-fields=%ld", j->key_fields);
}

static void
mkdir_p(struct task *t, const char *dir)
{
	task_pipeline(t);
	task_stage(t);
	task_arg(t, "mkdir");
	task_arg(t, "-p");
	task_arg(t, dir);
}

char *
plan_file(const struct job *j, enum plan_file f, int i, int r)
{
	char *s = xmalloc(strlen(j->work) + 64);

	switch (f) {
	case PLAN_MAP_DIR:
		sprintf(s, "%s/map/m-%05d", j->work, i);
		break;
	case PLAN_MAP_PART:
		sprintf(s, "%s/map/m-%05d/part-%05d", j->work, i, r);
		break;
	case PLAN_MAP_COUNTERS:
		sprintf(s, "%s/map/m-%05d/counters", j->work, i);
		break;
	case PLAN_COMBINE_COUNTERS:
		sprintf(s, "%s/map/m-%05d/combine-%05d", j->work, i, r);
		break;
	case PLAN_REDUCE_COUNTERS:
		sprintf(s, "%s/reduce/r-%05d", j->work, r);
		break;
	case PLAN_OUT_PART:
		sprintf(s, "%s/out/part-%05d", j->work, r);
		break;
	case PLAN_POINTS:
		sprintf(s, "%s/sample/points", j->work);
		break;
	case PLAN_SAMPLE:
		sprintf(s, "%s/sample/s-%05d-%d", j->work, i, r);
		break;
	case PLAN_INPUT:
		sprintf(s, "%s/in/m-%05d", j->work, i);
		break;
	case PLAN_FETCHED:
		sprintf(s, "%s/fetch/r-%05d/m-%05d/part-%05d", j->work, r, i,
		    r);
		break;
	case PLAN_BROADCAST_PART:
		sprintf(s, "%s/sample/b-%05d", j->work, i);
		break;
	case PLAN_BROADCAST:
		sprintf(s, "%s/sample/broadcast", j->work);
		break;
	case PLAN_BROADCAST_COUNTERS:
		sprintf(s, "%s/sample/b-%05d.counters", j->work, i);
		break;
	case PLAN_JOIN_COUNTERS:
		sprintf(s, "%s/map/m-%05d/join", j->work, i);
		break;
	}
	return s;
}

/* Adds the argument opt followed by a file of plan_file(). */
static void
file_arg(struct task *t, const char *opt, const struct job *j,
    enum plan_file f, int i, int r)
{
	char *p = plan_file(j, f, i, r);

	task_argf(t, "%s%s", opt, p);
	free(p);
}

/*
 * Writes name to buf, of size bytes, for a task's "what", which is the
 * comment line of the task in --dry-run and names it in messages: with C
 * escapes for "\\" and for the bytes that are not printable ASCII, so
 * that no name ends the comment or the line and the text tells which
 * bytes the name holds.  A name too long for buf is cut at a whole
 * escape, with "..." after it.
 */
static void
what_name(char *buf, size_t size, const char *name)
{
	const unsigned char *p;
	char one[8];
	size_t len = 0, n;

	buf[0] = '\0';
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		if (*p == '\\')
			snprintf(one, sizeof(one), "\\\\");
		else if (*p == '\n')
			snprintf(one, sizeof(one), "\\n");
		else if (*p == '\t')
			snprintf(one, sizeof(one), "\\t");
		else if (*p < 0x20 || *p >= 0x7f)
			snprintf(one, sizeof(one), "\\x%02x", *p);
		else
			snprintf(one, sizeof(one), "%c", *p);
		n = strlen(one);
		/* room for this, and for "..." if more follows */
		if (len + n + (p[1] != '\0' ? 3 : 0) >= size) {
			snprintf(buf + len, size - len, "...");
			return;
		}
		memcpy(buf + len, one, n + 1);
		len += n;
	}
}

/*
 * Starts a pipeline of t with the stage that reads split i whole: from
 * its file, or on a host from the copy that mrrun sent there
 * (PLAN_INPUT), which the codec's program reads for a compressed file.
 * Returns 1 when no stage reads it, and the mapper must name that copy.
 */
static int
split_source(struct task *t, const struct job *j, int i)
{
	const struct split *s = &j->splits[i];
	int sent = j->streamed && s->host < 0;

	task_pipeline(t);
	if (!sent)
		t->counted = t->np;	/* for progress within the split */
	if (sent && s->codec) {
		task_stage(t);
		task_arg(t, plan_codec_program(s->codec));
		task_arg(t, "-dc");
		file_arg(t, "", j, PLAN_INPUT, i, 0);
	} else if (!sent)
		read_range(t, j, s, s->start, s->end);
	return sent && !s->codec;
}

/*
 * Broadcast task i of a --broadcast join: the mapper over split i of the
 * broadcast group, whole, into a framed file.
 */
static struct task *
broadcast_task(const struct job *j, int i, int attempt)
{
	int k = plan_sample_split(j, i), named;
	const struct split *s = &j->splits[k];
	char id[24], what[160], name[84], *dir;
	struct task *t;

	snprintf(id, sizeof(id), "b-%05d", i);
	what_name(name, sizeof(name), s->name);
	snprintf(what, sizeof(what), "broadcast task %d (%s)", i, name);
	t = task_new(id, what);
	t->bytes_in = s->end - s->start;
	ids(t, j, 'm', k, attempt);
	input_env(t, s);
	dir = xasprintf("%s/%s", j->work, "sample");
	mkdir_p(t, dir);
	free(dir);
	named = split_source(t, j, k);
	mapper(t, j, k);
	file_arg(t, "--counters=", j, PLAN_BROADCAST_COUNTERS, i, 0);
	task_arg(t, "-o");
	file_arg(t, "", j, PLAN_BROADCAST_PART, i, 0);
	task_arg(t, plan_mapper(j, k));
	if (named)
		file_arg(t, "", j, PLAN_INPUT, k, 0);
	return t;
}

/* The file of every broadcast task's output, which the map tasks read. */
static struct task *
broadcast_gather(const struct job *j)
{
	struct task *t = task_new("broadcast", "the broadcast group");
	int i, n = plan_broadcast_group(j)->n;

	task_pipeline(t);
	tool(t, j, "mrmap");
	fmt_args(t, j);
	task_arg(t, "-o");
	file_arg(t, "", j, PLAN_BROADCAST, 0, 0);
	task_arg(t, "NONE");
	if (n == 0)
		task_arg(t, "/dev/null");
	for (i = 0; i < n; i++)
		file_arg(t, "", j, PLAN_BROADCAST_PART, i, 0);
	/* that it fits in memory, once, before every map task needs it */
	task_pipeline(t);
	tool(t, j, "mrjoin");
	task_arg(t, "--hash");
	task_arg(t, "--semi");
	if (j->memory != NULL)
		task_argf(t, "-S%s", j->memory);
	file_arg(t, "", j, PLAN_BROADCAST, 0, 0);
	task_arg(t, "/dev/null");
	return t;
}

struct task *
plan_sample(const struct job *j, int i, int attempt)
{
	const struct split *s = &j->splits[i];
	uint64_t len = s->end - s->start, a;
	char id[24], what[160], name[84], *dir;
	struct task *t;
	int k, pieces;

	if (j->broadcast > 0)
		return broadcast_task(j, i, attempt);
	snprintf(id, sizeof(id), "s-%05d", i);
	what_name(name, sizeof(name), s->name);
	snprintf(what, sizeof(what), "sample task %d (%s)", i, name);
	t = task_new(id, what);
	ids(t, j, 'm', i, attempt);
	input_env(t, s);
	dir = xasprintf("%s/%s", j->work, "sample");
	mkdir_p(t, dir);
	free(dir);
	pieces = plan_sample_pieces(s);
	for (k = 0; k < pieces; k++) {
		task_pipeline(t);
		if (pieces == 1)
			read_range(t, j, s, s->start, s->end);
		else {
			a = s->start + len / pieces * (uint64_t)k;
			read_range(t, j, s, a, a + PLAN_SAMPLE_BYTES);
		}
		mapper(t, j, i);
		task_arg(t, "-o");
		file_arg(t, "", j, PLAN_SAMPLE, i, k);
		task_arg(t, plan_mapper(j, i));
	}
	t->bytes_in = pieces == 1 ? len : (uint64_t)pieces * PLAN_SAMPLE_BYTES;
	return t;
}

struct task *
plan_points(const struct job *j)
{
	struct task *t;
	int i, k, pieces;

	if (j->broadcast > 0)
		return broadcast_gather(j);
	t = task_new("points", "the split points");
	task_pipeline(t);
	tool(t, j, "mrpartition");
	task_argf(t, "-n%d", j->reducers);
	task_arg(t, "--sample");
	file_arg(t, "", j, PLAN_POINTS, 0, 0);
	if (j->numeric)
		task_arg(t, "--numeric");
	if (j->reverse)
		task_arg(t, "--reverse");
	fmt_args(t, j);
	if (j->nsplits == 0)
		task_arg(t, "/dev/null");
	for (i = 0; i < j->nsplits; i++) {
		const struct split *s = &j->splits[i];

		pieces = plan_sample_pieces(s);
		for (k = 0; k < pieces; k++)
			file_arg(t, "", j, PLAN_SAMPLE, i, k);
	}
	return t;
}

/*
 * Adds to map task i a pipeline per partition that sorts it in place,
 * through a command combiner when there is one.
 */
static void
sort_partitions(struct task *t, const struct job *j, int i)
{
	int r;

	for (r = 0; r < j->reducers; r++) {
		task_pipeline(t);
		tool(t, j, "mrsort");
		order_args(t, j, 1);
		if (j->memory != NULL)
			task_argf(t, "-S%s", j->memory);
		task_argf(t, "-T%s", j->tmpdir != NULL ? j->tmpdir : j->work);
		task_arg(t, "--parallel=1");
		if (j->combiner == NULL || j->combine_builtin)
			file_arg(t, "-o", j, PLAN_MAP_PART, i, r);
		file_arg(t, "", j, PLAN_MAP_PART, i, r);
		if (j->combiner == NULL || j->combine_builtin)
			continue;
		tool(t, j, "mrreduce");
		order_args(t, j, 0);
		task_arg(t, "--framed");
		if (j->framed_input)
			task_arg(t, "--framed-input");
		if (j->key_fields > 1)
			task_argf(t, "--key-fields=%ld", j->key_fields);
		file_arg(t, "--counters=", j, PLAN_COMBINE_COUNTERS, i, r);
		file_arg(t, "-o", j, PLAN_MAP_PART, i, r);
		task_arg(t, j->combiner);
	}
}

/* The options of mrjoin that give the rows of the job's --join. */
static void
join_type(struct task *t, const struct job *j)
{
	int g;

	switch (j->join) {
	case JOIN_LEFT:
		task_arg(t, "-a1");
		break;
	case JOIN_RIGHT:
		task_argf(t, "-a%d", j->ngroups);
		break;
	case JOIN_FULL:
		for (g = 1; g <= j->ngroups; g++)
			task_argf(t, "-a%d", g);
		break;
	case JOIN_SEMI:
		task_arg(t, "--semi");
		break;
	case JOIN_ANTI:
		task_arg(t, "-v1");
		break;
	}
}

/*
 * mrjoin, with the options that make the rows of the job's --join: its
 * type, the text format, the form of the output and the memory.
 */
static void
join_tool(struct task *t, const struct job *j)
{
	tool(t, j, "mrjoin");
	join_type(t, j);
	fmt_args(t, j);
	if (j->framed)
		task_arg(t, "--framed");
	if (j->memory != NULL)
		task_argf(t, "-S%s", j->memory);
}

/*
 * The hash join of map task i of a --broadcast join: its mapper's
 * records streamed past the broadcast group's, into its output part.
 * With --small-first (--broadcast 1) the broadcast group is input 1 of
 * mrjoin --hash and the streamed one input 2, as the groups are numbered,
 * so the options of the reduce-side join give the same rows.
 */
static void
broadcast_join(struct task *t, const struct job *j, int i)
{
	join_tool(t, j);
	task_arg(t, "--hash");
	if (j->broadcast == 1)
		task_arg(t, "--small-first");
	file_arg(t, "--counters=", j, PLAN_JOIN_COUNTERS, i, 0);
	task_arg(t, "-o");
	file_arg(t, "", j, PLAN_OUT_PART, 0, i);
	file_arg(t, "", j, PLAN_BROADCAST, 0, 0);
	task_arg(t, "-");
}

int
plan_partition_only(const struct job *j, int i)
{
	return strcmp(plan_mapper(j, i), "NONE") == 0 && j->reducers > 0 &&
	    j->key_fields <= 1 &&
	    !(j->combiner != NULL && j->combine_builtin);
}

struct task *
plan_map(const struct job *j, int i, int attempt)
{
	const struct split *s = &j->splits[i];
	char id[24], what[160], name[84], *dir, *tmpl;
	struct task *t;
	int named;

	snprintf(id, sizeof(id), "m-%05d", i);
	what_name(name, sizeof(name), s->name);
	if (s->codec)
		snprintf(what, sizeof(what), "map task %d (%s)", i, name);
	else
		snprintf(what, sizeof(what), "map task %d (%s bytes "
		    "%llu-%llu)", i, name, (unsigned long long)s->start,
		    (unsigned long long)s->end);
	t = task_new(id, what);
	t->bytes_in = s->end - s->start;
	ids(t, j, 'm', i, attempt);
	input_env(t, s);
	dir = plan_file(j, PLAN_MAP_DIR, i, 0);
	/* no file of an earlier attempt on the same host */
	task_pipeline(t);
	task_stage(t);
	task_arg(t, "rm");
	task_arg(t, "-rf");
	task_arg(t, dir);
	mkdir_p(t, dir);
	if (j->reducers == 0) {
		/* and the directory of the output parts, in the same mkdir */
		tmpl = xasprintf("%s/%s", j->work, "out");
		task_arg(t, tmpl);
		free(tmpl);
	}
	named = split_source(t, j, i);
	if (plan_partition_only(j, i)) {
		/* the identity mapper: the split goes to mrpartition */
		tool(t, j, "mrpartition");
		file_arg(t, "--counters=", j, PLAN_MAP_COUNTERS, i, 0);
		if (named)
			file_arg(t, "", j, PLAN_INPUT, i, 0);
	} else {
		mapper(t, j, i);
		if (j->combiner != NULL && j->combine_builtin) {
			task_argf(t, "--combine=%s", j->combiner);
			if (j->memory != NULL)
				task_argf(t, "-S%s", j->memory);
		}
		file_arg(t, "--counters=", j, PLAN_MAP_COUNTERS, i, 0);
		if (j->reducers == 0 && j->broadcast == 0) {
			if (!j->framed)
				task_arg(t, "--text");
			task_arg(t, "-o");
			file_arg(t, "", j, PLAN_OUT_PART, 0, i);
		}
		task_arg(t, plan_mapper(j, i));
		if (named)
			file_arg(t, "", j, PLAN_INPUT, i, 0);
		if (j->broadcast > 0)
			broadcast_join(t, j, i);
		if (j->reducers == 0) {
			free(dir);
			return t;
		}
		tool(t, j, "mrpartition");
	}
	task_argf(t, "-n%d", j->reducers);
	/* the template of plan_file(PLAN_MAP_PART) */
	task_argf(t, "-o%s/part-%%05d", tmpl = percents(dir));
	free(tmpl);
	fmt_args(t, j);
	if (j->keyfields > 0)
		task_argf(t, "-k%d", j->keyfields);
	if (j->total_order) {
		file_arg(t, "--split-points=", j, PLAN_POINTS, 0, 0);
		if (j->numeric)
			task_arg(t, "--numeric");
		if (j->reverse)
			task_arg(t, "--reverse");
	}
	sort_partitions(t, j, i);
	free(dir);
	return t;
}

/* Adds partition r of map task i, where the reduce task reads it. */
static void
map_part(struct task *t, const struct job *j, int i, int r)
{
	file_arg(t, "", j, j->fetched != NULL && j->fetched[i] ?
	    PLAN_FETCHED : PLAN_MAP_PART, i, r);
}

/* The operands of reduce task r: partition r of every map task. */
static void
map_outputs(struct task *t, const struct job *j, int r)
{
	int i;

	if (j->nsplits == 0)
		task_arg(t, "/dev/null");
	for (i = 0; i < j->nsplits; i++)
		map_part(t, j, i, r);
}


/*
 * Reduce task r of a --join: mrjoin of partition r of the map outputs,
 * those of each group one input of the join (/dev/null for a group that
 * had no split).
 */
static void
join_outputs(struct task *t, const struct job *j, int r)
{
	char *counts = xmalloc((size_t)j->ngroups * 12 + 16), *p;
	const struct group *gr;
	int g, i;

	join_tool(t, j);
	if (j->numeric)
		task_arg(t, "-n");
	task_argf(t, "-T%s", j->tmpdir != NULL ? j->tmpdir : j->work);
	file_arg(t, "--counters=", j, PLAN_REDUCE_COUNTERS, 0, r);
	task_arg(t, "-o");
	file_arg(t, "", j, PLAN_OUT_PART, 0, r);
	p = counts + sprintf(counts, "--inputs=");
	for (g = 0; g < j->ngroups; g++)
		p += sprintf(p, "%s%d", g > 0 ? "," : "",
		    j->groups[g].n > 0 ? j->groups[g].n : 1);
	task_arg(t, counts);
	free(counts);
	for (g = 0; g < j->ngroups; g++) {
		gr = &j->groups[g];
		if (gr->n == 0)
			task_arg(t, "/dev/null");
		for (i = gr->first; i < gr->first + gr->n; i++)
			map_part(t, j, i, r);
	}
}

struct task *
plan_reduce(const struct job *j, int r, int attempt)
{
	char id[24], what[64], *dir;
	struct task *t;
	int merged;

	snprintf(id, sizeof(id), "r-%05d", r);
	snprintf(what, sizeof(what), "reduce task %d", r);
	t = task_new(id, what);
	ids(t, j, 'r', r, attempt);
	dir = xasprintf("%s/%s", j->work, "reduce");
	mkdir_p(t, dir);
	free(dir);
	/* and the directory of the output parts, in the same mkdir */
	task_arg(t, dir = xasprintf("%s/%s", j->work, "out"));
	free(dir);
	task_pipeline(t);
	if (j->join != JOIN_NONE) {
		join_outputs(t, j, r);
		return t;
	}
	/*
	 * identity has nothing to do but merge, which mrreduce does itself,
	 * by key alone: --values needs mrmerge's order.
	 */
	merged = strcmp(j->reducer, "identity") == 0 && !j->values;
	if (!merged) {
		tool(t, j, "mrmerge");
		order_args(t, j, 1);
		map_outputs(t, j, r);
	}
	tool(t, j, "mrreduce");
	order_args(t, j, 0);
	if (j->framed)
		task_arg(t, "--framed");
	if (j->framed_input && !j->reduce_builtin)
		task_arg(t, "--framed-input");
	file_arg(t, "--counters=", j, PLAN_REDUCE_COUNTERS, 0, r);
	task_arg(t, "-o");
	file_arg(t, "", j, PLAN_OUT_PART, 0, r);
	task_arg(t, j->reducer);
	if (merged)
		map_outputs(t, j, r);
	return t;
}
