/*
 * commit.c: what a task commits (its output's size and checksum in the
 * manifest, its counters), the output parts sent to stdout as they
 * commit, and the output directory that appears whole, with _counters
 * and _SUCCESS, or not at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "mrrun.h"
#include "proc.h"
#include "work.h"

/*
 * Puts the size and CRC of the map output of task i in *bytes and *crc;
 * returns 0, or -1 with errno set when a file of it cannot be read.
 */
int
map_output(struct mrrun *r, int i, uint32_t *crc, uint64_t *bytes)
{
	char *p;
	int k, rc = 0;

	*crc = 0;
	*bytes = 0;
	if (r->job.reducers == 0) {
		p = plan_file(&r->job, PLAN_OUT_PART, 0, i);
		rc = file_sum(p, crc, bytes);
		free(p);
	}
	for (k = 0; k < r->job.reducers && rc == 0; k++) {
		p = plan_file(&r->job, PLAN_MAP_PART, i, k);
		rc = file_sum(p, crc, bytes);
		free(p);
	}
	return rc;
}

/* Output part i is complete: stdout may have it. */
static void
part_committed(struct mrrun *r, int i)
{
	pthread_mutex_lock(&r->lock);
	r->committed[i] = 1;
	pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->lock);
}

/* Commits map task i of a job over hosts: its output stays there. */
static int
commit_map_remote(struct mrrun *r, int i, uint64_t *bytes_out)
{
	int k;

	*bytes_out = 0;
	for (k = 0; k < r->job.reducers; k++)
		*bytes_out += r->part_bytes[(size_t)i *
		    (size_t)r->job.reducers + (size_t)k];
	if (map_counters(r, i, *bytes_out, 1) < 0) {
		warnx("map task %d: %s", i, strerror(errno));
		return -1;
	}
	if (r->job.reducers == 0)
		part_committed(r, i);
	return 0;
}

/*
 * The commits of the phases: each takes the output of task i, puts its
 * bytes in *bytes_out, and returns 0; or -1, with a warning, when the
 * output is not all there.
 */
int
commit_map(struct mrrun *r, int i, uint64_t *bytes_out)
{
	long long records;
	char id[24];
	uint32_t crc;

	if (r->nhosts > 0)
		return commit_map_remote(r, i, bytes_out);
	if (map_output(r, i, &crc, bytes_out) < 0 ||
	    (records = map_counters(r, i, *bytes_out, 1)) < 0) {
		warnx("map task %d: %s", i, strerror(errno));
		return -1;
	}
	snprintf(id, sizeof(id), "m-%05d", i);
	manifest_add(id, (uint64_t)records, crc, *bytes_out);
	if (r->job.reducers == 0)
		part_committed(r, i);
	return 0;
}

/*
 * The split points, or the broadcast group's records: in the manifest,
 * and copied to every host up.
 */
int
commit_points(struct mrrun *r, int i, uint64_t *bytes_out)
{
	enum plan_file f;
	uint32_t crc = 0;
	char *p;
	int k;

	(void)i;
	*bytes_out = 0;
	f = plan_gathered(&r->job);
	p = plan_file(&r->job, f, 0, 0);
	if (file_sum(p, &crc, bytes_out) < 0) {
		warnx("%s: %s", p, strerror(errno));
		free(p);
		return -1;
	}
	manifest_add("points", 0, crc, *bytes_out);
	for (k = 0; k < r->nhosts; k++) {
		struct host *h = &r->hosts[k];
		char *dest = plan_file(&r->host_job[k], f, 0, 0);

		if (h->up)
			copy_to_host(h, p, on_host(h, dest));
		free(dest);
	}
	free(p);
	return 0;
}

/*
 * A sample task: its pieces are read by the points task.  A broadcast
 * task's counters are those of a map task.
 */
int
commit_sample(struct mrrun *r, int i, uint64_t *bytes_out)
{
	char *p;
	int rc = 0;

	*bytes_out = 0;
	if (r->job.broadcast == 0)
		return 0;
	p = plan_file(&r->job, PLAN_BROADCAST_COUNTERS, i, 0);
	if (read_counters(r, p, COUNTS_TASK, NULL, 1) < 0) {
		warnx("%s: %s", p, strerror(errno));
		rc = -1;
	}
	free(p);
	return rc;
}

/* Reduce task i: its counters, and its output part, which stdout may have. */
int
commit_reduce(struct mrrun *r, int i, uint64_t *bytes_out)
{
	struct stat st;
	char *p = plan_file(&r->job, PLAN_OUT_PART, 0, i), *c;
	long long lines;

	if (stat(p, &st) < 0) {
		warnx("%s: %s", p, strerror(errno));
		free(p);
		return -1;
	}
	*bytes_out = (uint64_t)st.st_size;
	c = plan_file(&r->job, PLAN_REDUCE_COUNTERS, 0, i);
	if (read_counters(r, c, COUNTS_TASK, NULL, 1) < 0) {
		warnx("%s: %s", c, strerror(errno));
		free(c);
		free(p);
		return -1;
	}
	free(c);
	lines = r->count_output ? count_lines(r, p) : 0;
	pthread_mutex_lock(&r->lock);
	if (r->count_output)
		proc_count_add("mr", "REDUCE_OUTPUT_RECORDS", lines);
	r->committed[i] = 1;
	pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->lock);
	free(p);
	return 0;
}

/* Returns the bytes reduce task i reads: its partition of every map output. */
uint64_t
reduce_input(struct mrrun *r, int i)
{
	struct stat st;
	uint64_t n = 0;
	char *p;
	int k;

	for (k = 0; k < r->job.nsplits; k++) {
		if (r->nhosts > 0) {
			n += r->part_bytes[(size_t)k *
			    (size_t)r->job.reducers + (size_t)i];
			continue;
		}
		p = plan_file(&r->job, PLAN_MAP_PART, k, i);
		if (stat(p, &st) == 0)
			n += (uint64_t)st.st_size;
		free(p);
	}
	return n;
}

/*
 * Writes len bytes to stdout.  Returns -1 when its reader went away, and
 * the job is to end as a filter ends on SIGPIPE.
 */
static int
write_out(const char *buf, size_t len)
{
	ssize_t w;

	for (; len > 0; buf += w, len -= (size_t)w) {
		if ((w = write(STDOUT_FILENO, buf, len)) >= 0)
			continue;
		w = 0;
		if (errno == EINTR)
			continue;
		if (errno != EPIPE)
			die("stdout: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Framed output on stdout is one stream: its header before any part, so
 * that a job that fails before its first part leaves a truncated stream
 * rather than an empty input; each part's blocks, numbered on for the
 * stream; and the trailer only once the whole job has committed, so that
 * a reader of a failed job's output fails too.  Returns 0, or -1 when
 * stdout's reader went away.
 */
static int
framed_begin(struct mrrun *r)
{
	struct mr_textfmt fmt = MR_TEXTFMT_DEFAULT;
	struct mr_writer *w;
	int rc;

	if (r->out_begun)
		return 0;
	/* mrrun's output holds plain values: its header has no metadata */
	if ((w = mr_writer_new(STDOUT_FILENO, "stdout", 0, &fmt, NULL,
	    0)) == NULL)
		die("out of memory");
	errno = 0;
	if ((rc = mr_writer_begin(w)) < 0 && errno != EPIPE)
		die("%s", mr_writer_errmsg(w));
	mr_writer_free(w);
	r->out_begun = 1;
	return rc;
}

/*
 * Copies the blocks of the framed part p, open on fd, to stdout.  Returns
 * 0, or -1 when stdout's reader went away; dies on a damaged part.
 */
static int
framed_part(struct mrrun *r, const char *p, int fd)
{
	struct mr_textfmt fmt = MR_TEXTFMT_DEFAULT;
	struct mr_split *s;
	size_t metalen;
	int rc = 0;

	if ((s = mr_split_new(fd, p, &fmt)) == NULL)
		die("out of memory");
	if (mr_split_start(s) < 0)
		die("%s", mr_split_errmsg(s));
	if (mr_split_size(s) > 0 && !mr_split_framed(s))
		die("%s: not a framed stream", p);
	mr_split_meta(s, &metalen);
	if (metalen != 0)
		die("%s: stream metadata where plain values were due", p);
	/* an older mrreduce on a host: its blocks cannot go under our header */
	if (mr_split_framed(s) && mr_split_version(s) != MR_FORMAT_VERSION)
		die("%s: format version %d where %d was due (the tools on the "
		    "hosts are older)", p, mr_split_version(s),
		    MR_FORMAT_VERSION);
	errno = 0;
	if (mr_split_size(s) > 0 && mr_split_copy(s, 0, mr_split_size(s),
	    STDOUT_FILENO, "stdout", &r->out_records) < 0) {
		/* a part read back whole cannot give EPIPE; stdout can */
		if (errno != EPIPE)
			die("%s", mr_split_errmsg(s));
		rc = -1;
	}
	mr_split_free(s);
	return rc;
}

/*
 * Ends the framed stream on stdout with the trailer that counts every
 * part's records: the mark that the job committed whole.  A job of no
 * parts writes an empty stream.  Returns 0, or -1 when stdout's reader
 * went away.
 */
static int
framed_end(struct mrrun *r)
{
	struct mr_textfmt fmt = MR_TEXTFMT_DEFAULT;
	struct mr_writer *w;
	struct mr_split *s;
	char *p;
	int fd, rc;

	errno = 0;
	if (!r->out_begun) {
		if ((w = mr_writer_new(STDOUT_FILENO, "stdout", 0, &fmt, NULL,
		    0)) == NULL)
			die("out of memory");
		if ((rc = mr_writer_finish(w)) < 0 && errno != EPIPE)
			die("%s", mr_writer_errmsg(w));
		mr_writer_free(w);
		return rc;
	}
	/* the splitter of the last part, whose stream the trailer ends */
	p = plan_file(&r->job, PLAN_OUT_PART, 0, r->job.reducers > 0 ?
	    r->job.reducers - 1 : r->map.n - 1);
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
		die("%s: %s", p, strerror(errno));
	if ((s = mr_split_new(fd, p, &fmt)) == NULL)
		die("out of memory");
	if (mr_split_start(s) < 0)
		die("%s", mr_split_errmsg(s));
	errno = 0;
	if ((rc = mr_split_tail(s, STDOUT_FILENO, "stdout",
	    r->out_records)) < 0 && errno != EPIPE)
		die("%s", mr_split_errmsg(s));
	mr_split_free(s);
	close(fd);
	free(p);
	return rc;
}

/*
 * Ends the output on stdout: the framed stream's trailer, then the close,
 * whose error a full disk gives.  A reader gone before the trailer ends
 * the job as reader_gone() in schedule.c does, quietly by SIGPIPE.
 */
static void
stdout_end(struct mrrun *r)
{
	if (r->job.framed && framed_end(r) < 0) {
		if (!r->keep_temp)
			rm_rf(r->work);
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
		_exit(1);
	}
	if (fflush(stdout) != 0 || close(STDOUT_FILENO) < 0)
		die("stdout: %s", strerror(errno));
}

/*
 * Copies the text part p, open on fd, to stdout.  A part whose last line
 * a reducer command left unterminated gets its terminator, so that it
 * does not run into the next part's first line.  Returns 0, or -1 when
 * stdout's reader went away.
 */
static int
text_part(struct mrrun *r, const char *p, int fd)
{
	char buf[1 << 16], last = 0, eol = r->job.zero ? '\0' : '\n';
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("%s: %s", p, strerror(errno));
		}
		if (write_out(buf, (size_t)n) < 0)
			return -1;
		last = buf[n - 1];
	}
	if (lseek(fd, 0, SEEK_CUR) > 0 && last != eol &&
	    write_out(&eol, 1) < 0)
		return -1;
	return 0;
}

/*
 * Writes part i of the output to stdout once it is committed: as text,
 * or the blocks of a framed part (see framed_begin()).  Returns 0; -1
 * when the job failed first, -2 when stdout's reader went away.
 */
int
emit_part(struct mrrun *r, int i)
{
	char *p;
	int fd, rc;

	if (r->job.framed && framed_begin(r) < 0)
		return -2;
	pthread_mutex_lock(&r->lock);
	while (!r->committed[i] && !r->failed)
		pthread_cond_wait(&r->changed, &r->lock);
	pthread_mutex_unlock(&r->lock);
	if (!r->committed[i])
		return -1;
	p = plan_file(&r->job, PLAN_OUT_PART, 0, i);
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
		die("%s: %s", p, strerror(errno));
	rc = r->job.framed ? framed_part(r, p, fd) : text_part(r, p, fd);
	close(fd);
	free(p);
	return rc == 0 ? 0 : -2;
}

/*
 * Writes to fp what _SUCCESS records of the job, for a run of it again
 * (see inputs_check()) and for its reader: the hashes of its command and
 * of all its output depends on, its commands, and each input file, with
 * its size and modification time; returns fflush()'s result.
 */
static int
write_success(const struct mrrun *r, FILE *fp)
{
	const struct job *j = &r->job;
	const struct split *s;
	char when[64];
	int g, i;

	fprintf(fp, "mrrun\t1\njob\t%016llx\nidentity\t%016llx\n",
	    (unsigned long long)r->name, (unsigned long long)j->identity);
	for (g = 0; g < j->ngroups; g++)
		fprintf(fp, "mapper\t%s\n", j->groups[g].mapper);
	if (j->combiner != NULL)
		fprintf(fp, "combiner\t%s\n", j->combiner);
	fprintf(fp, "reducer\t%s\n", j->reducer);
	for (i = 0; i < j->nsplits; i++) {
		s = &j->splits[i];
		if (i > 0 && strcmp(s->path, j->splits[i - 1].path) == 0)
			continue;
		time_text(when, sizeof(when), s->stamp.sec, s->stamp.nsec);
		fprintf(fp, "input\t%s\t%llu\t%s\n", s->path,
		    (unsigned long long)s->stamp.size, s->stamp.full ? when :
		    "-");
	}
	return fflush(fp);
}

/* Writes _counters and _SUCCESS into the staged output and renames it. */
static void
commit_output(struct mrrun *r)
{
	struct stat st;
	char *p, *old, why[600];
	mode_t mask;
	FILE *fp;
	int fd;

	p = path_join(r->staged, "_counters");
	if ((fp = fopen(p, "w")) == NULL || write_counters(fp) != 0 ||
	    fclose(fp) != 0)
		die("%s: %s", p, strerror(errno));
	free(p);
	p = path_join(r->staged, "_SUCCESS");
	if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0666)) < 0 ||
	    (fp = fdopen(fd, "w")) == NULL || write_success(r, fp) != 0 ||
	    fclose(fp) != 0)
		die("%s: %s", p, strerror(errno));
	free(p);
	mask = umask(022);
	umask(mask);
	if (chmod(r->staged, 0777 & ~mask) < 0)
		die("%s: %s", r->staged, strerror(errno));
	old = path_join(r->work, "old");
	/* what appeared at -o since the start is no output to replace */
	if (r->force && lstat(r->outpath, &st) == 0 && !S_ISDIR(st.st_mode))
		die("%s: exists and is not a directory (--force replaces only "
		    "an output directory)", r->outdir);
	/* a run killed while it removed the output it replaced left some */
	if (r->force && rm_rf_why(old, why, sizeof(why)) < 0)
		die("%s", why);
	if (r->force && rename(r->outpath, old) < 0 && errno != ENOENT)
		die("%s: cannot move it aside to %s: %s", r->outdir, old,
		    strerror(errno));
	if (rename(r->staged, r->outpath) < 0)
		die("%s: %s", r->outdir, strerror(errno));
	rm_rf(old);
	free(old);
}

/*
 * Waits for the threads to end once the slots have, and says how the job
 * went: exits 1 for a job that failed (the work directory kept for
 * --resume in local mode); else commits the output, prints the counters
 * for --stats, removes the work directory, and returns 0.
 */
int
job_finish(struct mrrun *r)
{
	pthread_mutex_lock(&r->lock);
	r->finished = 1;
	pthread_mutex_unlock(&r->lock);
	stop_hosts(r);
	if (r->show_progress)
		pthread_join(r->progthread, NULL);
	pthread_mutex_lock(&r->lock);
	if (r->interrupted) {
		/* the signal thread ends the process */
		for (;;)
			pthread_cond_wait(&r->changed, &r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	if (r->failed && r->nhosts > 0) {
		fprintf(stderr, "%s: %s\n", progname, r->failure);
		if (!r->keep_temp)
			rm_rf(r->work);
		exit(1);
	}
	if (r->failed) {
		fprintf(stderr, "%s: %s\n%s: the work directory %s is kept "
		    "for --resume\n", progname, r->failure, progname, r->work);
		exit(1);
	}
	if (r->map.done != r->map.n || r->reduce.done != r->reduce.n)
		die("%d of %d map and %d of %d reduce tasks committed; the "
		    "work directory %s is kept", r->map.done, r->map.n,
		    r->reduce.done, r->reduce.n, r->work);
	if (r->outdir != NULL)
		commit_output(r);
	else
		stdout_end(r);
	if (r->stats)
		write_counters(stderr);
	if (r->joblog != NULL && fclose(r->joblog) != 0)
		die("%s: %s", r->joblog_path, strerror(errno));
	if (r->keep_temp)
		warnx("the work directory %s is kept", r->work);
	else if (rm_rf(r->work) < 0)
		warnx("%s: %s", r->work, strerror(errno));
	return 0;
}
