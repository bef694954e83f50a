/*
 * ahead.c: records read ahead on the background thread of pool.h, so
 * that parsing an input takes the time of another core.  A ring of
 * batches: while the caller walks the records of one, the thread fills
 * the others in turn, copying each record into a batch's bytes as the
 * lengths of its key and value, 4 bytes each in the host's order, then
 * the key and the value, so that the caller reads a batch from start to
 * end.  Several batches ahead, the caller seldom waits when the thread
 * is held up a while.
 */
#include <stdlib.h>
#include <string.h>

#include "mr.h"
#include "pool.h"

#define BATCH_BYTES	(256 << 10)	/* of records in a batch */
#define BATCH_RECS	8192		/* records in a batch */
#define NBATCH		4		/* batches in the ring */
#define LINE		64		/* a cache line */

#define HEAD	(2 * sizeof(uint32_t))	/* the lengths of a record */

/*
 * Each batch has cache lines of its own: the thread fills one while the
 * caller walks another, and neither slows the other by writing to a line
 * that both read.
 */
struct batch {
	_Alignas(LINE) struct pool_job job;	/* first: it is the batch */
	struct mr_ahead *a;
	unsigned char *bytes;
	size_t len, cap;
	size_t n;		/* records */
	size_t at;		/* the next record to give */
	int rc;			/* the source's last answer, or -2 */
	int busy;		/* submitted, not yet waited for */
};

struct mr_ahead {
	int (*next)(void *, struct mr_rec *);
	void *arg;
	int end;		/* the source ended, with end_rc (thread's) */
	int end_rc;
	struct batch b[NBATCH];
	int cur;		/* the batch being walked */
};

/* Copies rec to the end of b; 0, or -1 when out of memory. */
static int
add(struct batch *b, const struct mr_rec *rec)
{
	uint32_t len[2] = { (uint32_t)rec->klen, (uint32_t)rec->vlen };
	size_t need = HEAD + rec->klen + rec->vlen, ncap;
	unsigned char *p;

	if (b->len + need > b->cap) {
		ncap = b->cap == 0 ? BATCH_BYTES + BATCH_BYTES / 4 : b->cap;
		while (ncap < b->len + need)
			ncap *= 2;
		if ((p = realloc(b->bytes, ncap)) == NULL)
			return -1;
		b->bytes = p;
		b->cap = ncap;
	}
	p = b->bytes + b->len;
	memcpy(p, len, HEAD);
	if (rec->klen > 0)
		memcpy(p + HEAD, rec->key, rec->klen);
	if (rec->vlen > 0)
		memcpy(p + HEAD + rec->klen, rec->val, rec->vlen);
	b->len += need;
	b->n++;
	return 0;
}

/*
 * Runs on the pool's thread: fills a batch from the source.  The batches
 * are filled in turn, one at a time, so a batch after the end of the
 * source gets its last answer and the source is not called again.
 */
static void
fill(struct pool_job *job)
{
	struct batch *b = (struct batch *)job;
	struct mr_ahead *a = b->a;
	struct mr_rec rec;

	b->len = b->n = b->at = 0;
	b->rc = a->end_rc;
	while (!a->end && b->len < BATCH_BYTES && b->n < BATCH_RECS) {
		if ((b->rc = a->next(a->arg, &rec)) > 0 && add(b, &rec) < 0)
			b->rc = -2;
		if (b->rc <= 0) {
			a->end = 1;
			a->end_rc = b->rc;
		}
	}
}

static void
submit(struct batch *b)
{
	b->job.run = fill;
	b->busy = 1;
	pool_submit(&b->job);
}

static void
wait_for(struct batch *b)
{
	if (b->busy) {
		pool_wait(&b->job);
		b->busy = 0;
	}
}

struct mr_ahead *
mr_ahead_new(int (*next)(void *, struct mr_rec *), void *arg)
{
	struct mr_ahead *a;
	int i;

	if (posix_memalign((void **)&a, LINE, sizeof(*a)) != 0)
		return NULL;
	memset(a, 0, sizeof(*a));
	a->next = next;
	a->arg = arg;
	for (i = 0; i < NBATCH; i++) {
		a->b[i].a = a;
		submit(&a->b[i]);
	}
	return a;
}

/*
 * Waits for the batch to walk, moving on to the next when the caller is
 * done with the current one, which is refilled.  Returns 1, or the
 * source's last answer when no record is left.
 */
static int
turn(struct mr_ahead *a)
{
	struct batch *b = &a->b[a->cur];

	wait_for(b);
	while (b->at == b->len) {
		if (b->rc <= 0)
			return b->rc;
		submit(b);
		a->cur = (a->cur + 1) % NBATCH;
		b = &a->b[a->cur];
		wait_for(b);
	}
	return 1;
}

int
mr_ahead_read(struct mr_ahead *a, struct mr_rec *rec)
{
	struct batch *b = &a->b[a->cur];
	uint32_t len[2];
	unsigned char *p;
	int rc;

	if (b->busy || b->at == b->len) {
		if ((rc = turn(a)) <= 0)
			return rc;
		b = &a->b[a->cur];
	}
	p = b->bytes + b->at;
	memcpy(len, p, HEAD);
	rec->key = p + HEAD;
	rec->klen = len[0];
	rec->val = rec->key + len[0];
	rec->vlen = len[1];
	b->at += HEAD + len[0] + len[1];
	return 1;
}

void
mr_ahead_free(struct mr_ahead *a)
{
	int i;

	if (a == NULL)
		return;
	for (i = 0; i < NBATCH; i++) {
		wait_for(&a->b[i]);
		free(a->b[i].bytes);
	}
	free(a);
}
