/*
 * counters.c: the job's counters, added up from the files that the tasks'
 * mrmap and mrreduce leave (--counters), and written beside the output.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "mrrun.h"
#include "proc.h"

/*
 * Adds the counters in the --counters file path of mrmap or mrreduce,
 * times sign (-1 takes back those of a map output that was lost), and
 * returns the value of the built-in counter want (NULL for none); -1
 * when the file cannot be read.  Of kind COUNTS_COMBINER, a command
 * combiner's mrreduce counts for the combine counters; of kind
 * COUNTS_PARTITION, the mrpartition of a map task without mrmap counts
 * for the map input; of kind COUNTS_JOIN, the mrjoin --hash of a map
 * task counts its rows alone, since every map task reads the broadcast
 * group again.
 */
long long
read_counters(struct mrrun *r, const char *path, int kind, const char *want,
    int sign)
{
	char line[1024], *group, *name, *val;
	long long found = 0;
	FILE *fp;
	int fd;

	/* close-on-exec: tasks start on other threads meanwhile */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if ((fp = fdopen(fd, "r")) == NULL)
		die("%s: %s", path, strerror(errno));
	pthread_mutex_lock(&r->lock);
	while (fgets(line, sizeof(line), fp) != NULL) {
		group = line;
		if ((name = strchr(group, '\t')) == NULL ||
		    (val = strchr(++name, '\t')) == NULL)
			continue;
		name[-1] = '\0';
		*val++ = '\0';
		if (strcmp(group, "mr") == 0 && kind == COUNTS_PARTITION) {
			if (strcmp(name, "PARTITION_INPUT_RECORDS") == 0)
				name = "MAP_INPUT_RECORDS";
			else if (strcmp(name, "PARTITION_INPUT_BYTES") == 0)
				name = "MAP_INPUT_BYTES";
		}
		if (strcmp(group, "mr") == 0 && kind == COUNTS_COMBINER) {
			if (strcmp(name, "REDUCE_INPUT_RECORDS") == 0)
				name = "COMBINE_INPUT_RECORDS";
			else if (strcmp(name, "REDUCE_OUTPUT_RECORDS") == 0)
				name = "COMBINE_OUTPUT_RECORDS";
			else
				continue;
		}
		if (strcmp(group, "mr") == 0 &&
		    (strcmp(name, "SKIPPED_VALUES") == 0 ||
		    (kind == COUNTS_JOIN &&
		    strcmp(name, "REDUCE_OUTPUT_RECORDS") != 0)))
			continue;
		if (want != NULL && strcmp(group, "mr") == 0 &&
		    strcmp(name, want) == 0)
			found = strtoll(val, NULL, 10);
		proc_count_add(group, name, sign * strtoll(val, NULL, 10));
	}
	pthread_mutex_unlock(&r->lock);
	fclose(fp);
	return found;
}

/* The built-in counters first, in the order they came; then by name. */
static int
by_counter(const void *a, const void *b)
{
	const struct proc_counter *const *x = a, *const *y = b;
	int xmr = strcmp((*x)->group, "mr") == 0;
	int ymr = strcmp((*y)->group, "mr") == 0;
	int c;

	if (xmr || ymr)
		return xmr && ymr ? (*x > *y) - (*x < *y) : ymr - xmr;
	if ((c = strcmp((*x)->group, (*y)->group)) != 0)
		return c;
	return strcmp((*x)->name, (*y)->name);
}

/*
 * Writes the counters, sorted, as GROUP<TAB>NAME<TAB>TOTAL lines to fp,
 * and returns fflush()'s result.
 */
int
write_counters(FILE *fp)
{
	const struct proc_counter *c, **order;
	size_t n, i;

	c = proc_counters(&n);
	order = xmalloc((n + 1) * sizeof(*order));
	for (i = 0; i < n; i++)
		order[i] = &c[i];
	qsort(order, n, sizeof(*order), by_counter);
	for (i = 0; i < n; i++)
		fprintf(fp, "%s\t%s\t%lld\n", order[i]->group,
		    order[i]->name, order[i]->total);
	free(order);
	return fflush(fp);
}

/*
 * The counters of a map task that ran no mrmap (plan_partition_only()),
 * from its mrpartition's: what the identity mapper would have counted.
 */
static long long
partition_counters(struct mrrun *r, const char *path, int sign)
{
	long long records;

	records = read_counters(r, path, COUNTS_PARTITION,
	    "MAP_INPUT_RECORDS", sign);
	if (records < 0)
		return -1;
	pthread_mutex_lock(&r->lock);
	proc_count_add("mr", "MAP_OUTPUT_RECORDS", sign * records);
	proc_count_add("mr", "COMBINE_INPUT_RECORDS", 0);
	proc_count_add("mr", "COMBINE_OUTPUT_RECORDS", 0);
	pthread_mutex_unlock(&r->lock);
	return records;
}

/*
 * Adds the counters of map task i, times sign, from the files it left,
 * and returns the records it wrote, or -1 when a counters file is
 * missing (before adding any).  bytes is its output's size.
 */
long long
map_counters(struct mrrun *r, int i, uint64_t bytes, int sign)
{
	const struct job *j = &r->job;
	long long records, n = 0;
	int k, cmd = j->combiner != NULL && !j->combine_builtin;
	char *p, *joined = NULL;

	for (k = 0; cmd && k < j->reducers; k++) {
		p = plan_file(j, PLAN_COMBINE_COUNTERS, i, k);
		if (access(p, R_OK) < 0)
			n = -1;
		free(p);
	}
	/* a --broadcast map task's mrjoin counts its rows */
	if (j->broadcast > 0) {
		joined = plan_file(j, PLAN_JOIN_COUNTERS, i, 0);
		if (access(joined, R_OK) < 0)
			n = -1;
	}
	p = plan_file(j, PLAN_MAP_COUNTERS, i, 0);
	if (n < 0)
		records = -1;
	else if (plan_partition_only(j, i))
		records = partition_counters(r, p, sign);
	else
		records = read_counters(r, p, COUNTS_TASK, j->combine_builtin ?
		    "COMBINE_OUTPUT_RECORDS" : "MAP_OUTPUT_RECORDS", sign);
	if (records < 0) {
		free(p);
		free(joined);
		return -1;
	}
	free(p);
	for (k = 0; cmd && k < j->reducers; k++) {
		p = plan_file(j, PLAN_COMBINE_COUNTERS, i, k);
		n = read_counters(r, p, COUNTS_COMBINER, "REDUCE_OUTPUT_RECORDS",
		    sign);
		records = k == 0 ? n : records + n;
		free(p);
	}
	if (joined != NULL)
		read_counters(r, joined, COUNTS_JOIN, NULL, sign);
	free(joined);
	if (j->reducers > 0) {
		pthread_mutex_lock(&r->lock);
		proc_count_add("mr", "SPILLED_BYTES", sign * (long long)bytes);
		pthread_mutex_unlock(&r->lock);
	}
	return records;
}

/* Returns the lines of a text part that a reducer command wrote. */
long long
count_lines(const struct mrrun *r, const char *path)
{
	char buf[1 << 16], eol = r->job.zero ? '\0' : '\n', last = 0;
	long long n = 0, bytes = 0;
	ssize_t got, k;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	while ((got = read(fd, buf, sizeof(buf))) > 0) {
		for (k = 0; k < got; k++)
			n += buf[k] == eol;
		last = buf[got - 1];
		bytes += got;
	}
	close(fd);
	return n + (bytes > 0 && last != eol);
}
