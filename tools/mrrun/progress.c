/*
 * progress.c: the progress line on stderr, a few times a second: on a
 * terminal one line redrawn in place, else a line a second.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "mrrun.h"

/*
 * The bytes of their splits that the map tasks still running have read:
 * what the first program of each attempt here has passed on so far, the
 * most of a task's attempts, never more than its split; under lock.
 */
static uint64_t
map_reading(struct mrrun *r)
{
	const struct tstate *ts;
	const struct split *s;
	const struct attempt *a;
	uint64_t sum = 0, most, n;
	int i;

	for (i = 0; i < r->map.n; i++) {
		ts = &r->map.ts[i];
		if (ts->state != RUNNING && ts->state != COMMITTING)
			continue;
		most = 0;
		for (a = ts->runs; a != NULL; a = a->next)
			if (a->h == NULL && a->t != NULL &&
			    (n = task_bytes_read(a->t)) > most)
				most = n;
		s = &r->job.splits[i];
		sum += most < s->end - s->start ? most : s->end - s->start;
	}
	return sum;
}

/* The progress of the phase that runs, in line; "" before the first. */
static void
progress_line(struct mrrun *r, char *line, size_t size)
{
	const struct phase *cur = r->cur;
	uint64_t done;
	double secs, rate;
	size_t len;

	line[0] = '\0';
	if (cur == NULL)
		return;
	done = cur->bytes_done;
	if (cur == &r->map)
		done += map_reading(r);
	secs = since(&cur->started);
	rate = secs > 0 ? (double)done / secs : 0;
	snprintf(line, size, "mrrun: %s %d/%d tasks, %.1f of %.1f MB, "
	    "%.1f MB/s", cur->name, cur->done, cur->n, done / 1e6,
	    cur->bytes / 1e6, rate / 1e6);
	if (rate > 0 && cur->bytes > done) {
		len = strlen(line);
		snprintf(line + len, size - len, ", ETA %.0fs",
		    (double)(cur->bytes - done) / rate);
	}
}

/* Prints the phase's progress on stderr until the job is finished. */
static void *
progress(void *arg)
{
	const struct timespec tick = { 0, 250 * 1000 * 1000 };
	struct mrrun *r = arg;
	int tty = isatty(STDERR_FILENO), ticks = 0;
	char line[200];

	for (;;) {
		nanosleep(&tick, NULL);
		pthread_mutex_lock(&r->lock);
		if (r->finished) {
			pthread_mutex_unlock(&r->lock);
			break;
		}
		progress_line(r, line, sizeof(line));
		pthread_mutex_unlock(&r->lock);
		if (line[0] == '\0')
			continue;
		if (tty)
			fprintf(stderr, "\r%s\033[K", line);
		else if (++ticks % 4 == 0)
			fprintf(stderr, "%s\n", line);
	}
	if (tty)
		fputs("\r\033[K", stderr);
	return NULL;
}

/*
 * Starts the thread of the progress line, in *t; it ends once r is
 * finished.
 */
void
progress_start(struct mrrun *r, pthread_t *t)
{
	if (pthread_create(t, NULL, progress, r) != 0)
		die("cannot start a thread");
}
