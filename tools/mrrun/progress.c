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

/* The progress of the phase that runs, in line; "" before the first. */
static void
progress_line(struct mrrun *r, char *line, size_t size)
{
	const struct phase *cur = r->cur;
	double secs, rate;
	size_t len;

	line[0] = '\0';
	if (cur == NULL)
		return;
	secs = since(&cur->started);
	rate = secs > 0 ? (double)cur->bytes_done / secs : 0;
	snprintf(line, size, "mrrun: %s %d/%d tasks, %.1f of %.1f MB, "
	    "%.1f MB/s", cur->name, cur->done, cur->n, cur->bytes_done / 1e6,
	    cur->bytes / 1e6, rate / 1e6);
	if (rate > 0 && cur->bytes > cur->bytes_done) {
		len = strlen(line);
		snprintf(line + len, size - len, ", ETA %.0fs",
		    (double)(cur->bytes - cur->bytes_done) / rate);
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
