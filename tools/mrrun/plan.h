/*
 * plan.h: the plan of an mrrun job.  It turns the inputs into map splits
 * and builds every task of the job as pipelines of the mr tools (see
 * task.h): sample tasks and the split points for a total order, map
 * tasks, reduce tasks.  The plan says what runs and which files it reads
 * and writes under the work directory; it never runs anything.
 */
#ifndef MR_PLAN_H
#define MR_PLAN_H

#include <stdint.h>

#include "task.h"

/*
 * An input file as the plan found it, which every task that reads it
 * checks: its size, and for a file of this machine (full) its
 * modification time, device and inode as well.
 */
struct file_stamp {
	uint64_t size;
	int full;
	long long sec;
	long nsec;
	unsigned long long dev, ino;
};

/* How an input file is compressed, by its first bytes: CODEC_NONE (0) or
 * the program that reads it (plan_codec_program()). */
enum { CODEC_NONE, CODEC_GZIP, CODEC_BZIP2, CODEC_XZ, CODEC_ZSTD };

/* A map split: a byte range of one input file, or a compressed file. */
struct split {
	const char *path;	/* absolute */
	const char *name;	/* as the user named it, for messages */
	uint64_t start, end;
	int codec;		/* CODEC_*: the whole file, decompressed */
	int host;		/* the host that holds it (HOST:PATH), or -1 */
	int group;		/* the input group it belongs to, from 0 */
	struct file_stamp stamp;	/* of the whole file */
};

/*
 * An input group: the inputs that follow one -m on the command line, and
 * its mapper.  Its splits are splits[first] on, n of them: the plan adds
 * the operands in order, and their groups never go back.
 */
struct group {
	const char *mapper;
	int first, n;
};

/* How --join joins the groups: what mrjoin's rows keep. */
enum { JOIN_NONE, JOIN_INNER, JOIN_LEFT, JOIN_RIGHT, JOIN_FULL,
    JOIN_SEMI, JOIN_ANTI };

struct job {
	/* What the user asked for. */
	struct group *groups;	/* one for each -m, in order */
	int ngroups;
	int join;		/* JOIN_*: the reduce is a join of the groups */
	int broadcast;		/* --broadcast: the group, from 1, that every
				 * map task of the other joins; or 0 */
	const char *reducer, *combiner;
	int reducers;		/* 0 for a map-only job (--reducer NONE) */
	int combine_builtin;	/* the combiner is a built-in op */
	int reduce_builtin;	/* the reducer is an op or identity */
	int framed_input;	/* the commands read framed records */
	uint64_t split_size;
	int total_order, framed, zero, numeric, reverse, values;
	const char **value_keys;	/* the KEYDEFs of --values=, in order */
	int nvalue_keys;
	int magic_ok;		/* --allow-magic, for the tasks' tools */
	int keyfields;		/* --partition-fields, or 0 */
	long key_fields;	/* --key-fields: of a mapper's line (1) */
	const char *sep;	/* --separator, or NULL */
	const char *memory;	/* --memory, or NULL */
	const char *tmpdir;	/* --tmpdir, or NULL */
	const char **envs;	/* --env NAME=VALUE, for every task */
	int nenvs;

	const char *bindir;	/* where the mr tools are, or "" for PATH */
	int streamed;		/* the tasks run on a host: a split of a file
				 * on the controller is read from PLAN_INPUT */
	const char *fetched;	/* per map task: its partition is read from
				 * PLAN_FETCHED; or NULL */
	const char *work;	/* the work directory, absolute */
	char jobid[32];		/* job_<hash>_0001 */
	uint64_t identity;	/* the hash of everything the output depends on */

	struct split *splits;
	int nsplits;
};

/* Sample pieces per split for --total-order, and the bytes of each. */
#define PLAN_SAMPLE_PIECES	4
#define PLAN_SAMPLE_BYTES	(64 * 1024)

/*
 * plan_inputs() expands the operands into the job's splits: files as
 * they are, directories recursively in name order without the names that
 * start with "_" or ".", "-" as the file stdin_copy (where the caller has
 * saved standard input), or not at all when stdin_copy is NULL.  Every
 * file must be readable and regular (a compressed one too); dies otherwise,
 * before any work.  Empty files give no split.  Each split keeps its
 * file's stamp, taken from the open file, for its tasks to check.
 */
void plan_inputs(struct job *j, char **operands, int n,
    const char *stdin_copy);

/*
 * plan_group() puts the splits from split from on, the last ones added,
 * in group g, and counts them there.
 */
void plan_group(struct job *j, int from, int g);

/*
 * plan_streamed_first() puts the splits of the group that a --broadcast
 * join streams before those of the group it broadcasts, so that map task
 * i reads split i; the broadcast group's splits are then the sample
 * phase's tasks (plan_sample()).  Nothing for another job.
 */
void plan_streamed_first(struct job *j);

/*
 * plan_broadcast_group() is the group that a --broadcast join sends to
 * every map task; plan_maps() the number of map tasks of j, and
 * plan_samples() that of its sample tasks: of a --total-order every
 * split's, of a --broadcast the broadcast group's, else none.
 * plan_sample_split() is the split that sample task i reads, and
 * plan_sample_pieces() the pieces of split s that it maps.
 * plan_gathered() is the file that the points task gathers the sample
 * tasks' outputs into, which goes to every host: PLAN_POINTS or
 * PLAN_BROADCAST.
 */
const struct group *plan_broadcast_group(const struct job *j);
int plan_maps(const struct job *j);
int plan_samples(const struct job *j);
int plan_sample_split(const struct job *j, int i);
int plan_sample_pieces(const struct split *s);
int plan_gathered(const struct job *j);

/*
 * plan_broadcast_allowed() is 1 when --join type of two groups keeps no
 * unmatched row of group n, which may then be --broadcast.
 */
int plan_broadcast_allowed(int type, int n);

/*
 * plan_codec_program() is the program that decompresses codec, as
 * "PROGRAM -dc" does ("gzip", "bzip2", "xz", "zstd").
 */
const char *plan_codec_program(int codec);

/*
 * plan_remote_file() adds the splits of a file of size bytes that host
 * (an index) holds at path, named name in messages.  Its tasks check the
 * size alone.
 */
void plan_remote_file(struct job *j, int host, const char *path,
    const char *name, uint64_t size);

/*
 * plan_listed() adds the splits of the files of the listing list (len
 * bytes, as listing() makes it) of path, which host holds (-1: this
 * machine, where each must be readable), named in messages as name with
 * the rest of their path after path.
 */
void plan_listed(struct job *j, int host, const char *list, size_t len,
    const char *path, const char *name);

/*
 * plan_name() is a hash of the options that shape the job, the directory
 * cwd and the n operands as given, each with the number of its input
 * group: the same command gives the same hash.
 */
uint64_t plan_name(const struct job *j, char **operands, const int *groups,
    int n, const char *cwd);

/*
 * plan_identity() sets j->identity and j->jobid from the options that
 * change the output and from each input's name and stamp as planned
 * (size, modification time, device, inode), so that a manifest written
 * for one job, or for the same job over inputs since changed, is never
 * used for another.
 */
void plan_identity(struct job *j);

/*
 * plan_expect() writes to buf (of size bytes, 96 are enough) the argument
 * "--expect=STAMP" of mrsplit(1) that makes it check split s's file.
 */
void plan_expect(const struct split *s, char *buf, size_t size);

/*
 * plan_check() checks that the open file fd is split s's file as the
 * plan found it.  Returns 0, or -1 with a message that names the file in
 * msg ("in.txt: changed while the job ran (size 10, was 20)").
 */
int plan_check(const struct split *s, int fd, char *msg, size_t msgsize);

/*
 * The tasks of the job, allocated (free with task_free()); attempt is
 * the attempt number, from 0, that the Hadoop variables carry.
 * plan_sample() runs the mapper over a few pieces of split i for the
 * split points; plan_points() draws the split points from all samples;
 * plan_map() is map task i; plan_reduce() reduce task r.  Of a
 * --broadcast join, plan_sample() maps split i of the broadcast group
 * whole, plan_points() gathers those outputs into one file, and each map
 * task joins its mapper's records with that file (mrjoin --hash).
 */
struct task *plan_sample(const struct job *j, int i, int attempt);
struct task *plan_points(const struct job *j);
struct task *plan_map(const struct job *j, int i, int attempt);
struct task *plan_reduce(const struct job *j, int r, int attempt);

/*
 * plan_mapper() is the mapper of split i.  plan_partition_only() is 1
 * when map task i of j runs no mrmap: the identity mapper (NONE) of a job
 * that reduces, without a built-in combiner, whose split goes to
 * mrpartition as it is.  Its --counters file then holds mrpartition's
 * counters, not mrmap's.
 */
const char *plan_mapper(const struct job *j, int i);
int plan_partition_only(const struct job *j, int i);

/* The files of the work directory that tasks write and mrrun reads. */
enum plan_file {
	PLAN_MAP_DIR,		/* map task i's directory */
	PLAN_MAP_PART,		/* map task i's sorted partition r */
	PLAN_MAP_COUNTERS,	/* map task i's mrmap --counters */
	PLAN_COMBINE_COUNTERS,	/* its command combiner's, of partition r */
	PLAN_REDUCE_COUNTERS,	/* reduce task r's mrreduce --counters */
	PLAN_OUT_PART,		/* output part r (of map task r, map-only) */
	PLAN_POINTS,		/* the split points of a total order */
	PLAN_SAMPLE,		/* sample piece r of split i */
	PLAN_INPUT,		/* split i, as sent to the host of its task */
	PLAN_FETCHED,		/* map task i's partition r, fetched */
	PLAN_BROADCAST_PART,	/* broadcast task i's output */
	PLAN_BROADCAST,		/* all of them, which every map task reads */
	PLAN_BROADCAST_COUNTERS,	/* broadcast task i's mrmap --counters */
	PLAN_JOIN_COUNTERS,	/* map task i's mrjoin --counters */
};

/*
 * plan_file() is the path of file f for map task i and partition r (the
 * numbers that f does not name are ignored), allocated: the one place
 * that names them, for the tasks and for mrrun.
 */
char *plan_file(const struct job *j, enum plan_file f, int i, int r);

#endif
