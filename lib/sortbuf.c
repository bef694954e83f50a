/*
 * sortbuf.c: records held in memory and sorted there, the in-memory half
 * of mrsort.  Record bytes go to one arena; the sort moves 24-byte entries
 * (8 key bytes as a big-endian integer, the record's arena offset and its
 * lengths), never records.  Bytewise order is a stable MSD radix sort on
 * those 8 bytes that scatters between the entries and a second array of
 * the same size; a group that shares all 8 loads the next 8 key bytes and
 * goes on, and small groups are insertion sorted.  Being stable, it keeps
 * equal keys in input order without ever comparing positions.  -n is a
 * merge sort through the same second array.
 *
 * The arena and both arrays are reserved whole at the budget with mmap,
 * so they never move and only the pages written become resident.
 */
#define _DEFAULT_SOURCE		/* MAP_ANONYMOUS, MAP_NORESERVE, madvise */
#include <sys/mman.h>

#include <stdlib.h>
#include <string.h>

#include "mr.h"
#include "worker.h"

#define SMALL		24	/* groups this small are insertion sorted */
#define PAR_MIN		50000	/* fewer entries than this use one thread */

struct entry {
	uint64_t prefix;	/* key bytes 0-7, big-endian, inverted for -r */
	uint64_t off;		/* of key then value in the arena */
	uint32_t klen, vlen;
};

struct mr_sortbuf {
	struct mr_order order;
	uint64_t flip;
	size_t budget;
	unsigned char *arena;
	size_t alen, acap;
	struct entry *ent, *tmp;	/* tmp: where the sort scatters */
	size_t n, ecap;
};

/* Reserves len bytes of address space; NULL on failure. */
static void *
reserve(size_t len)
{
	void *p;
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;

#ifdef MAP_NORESERVE
	flags |= MAP_NORESERVE;
#endif
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

struct mr_sortbuf *
mr_sortbuf_new(const struct mr_order *o, size_t budget)
{
	struct mr_sortbuf *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->order = *o;
	b->flip = o->reverse ? ~(uint64_t)0 : 0;
	b->budget = budget;
	b->acap = budget + 8;	/* room for an 8-byte load past the end */
	b->ecap = budget / (2 * sizeof(struct entry)) + 1;
	b->arena = reserve(b->acap);
	b->ent = reserve(b->ecap * sizeof(struct entry));
	b->tmp = reserve(b->ecap * sizeof(struct entry));
	if (b->arena == NULL || b->ent == NULL || b->tmp == NULL) {
		mr_sortbuf_free(b);
		return NULL;
	}
	return b;
}

void
mr_sortbuf_free(struct mr_sortbuf *b)
{
	if (b == NULL)
		return;
	if (b->arena != NULL)
		munmap(b->arena, b->acap);
	if (b->ent != NULL)
		munmap(b->ent, b->ecap * sizeof(struct entry));
	if (b->tmp != NULL)
		munmap(b->tmp, b->ecap * sizeof(struct entry));
	free(b);
}

void
mr_sortbuf_clear(struct mr_sortbuf *b)
{
	b->alen = 0;
	b->n = 0;
}

void
mr_sortbuf_release(struct mr_sortbuf *b)
{
	mr_sortbuf_clear(b);
#ifdef MADV_DONTNEED
	madvise(b->arena, b->acap, MADV_DONTNEED);
	madvise(b->ent, b->ecap * sizeof(struct entry), MADV_DONTNEED);
	madvise(b->tmp, b->ecap * sizeof(struct entry), MADV_DONTNEED);
#endif
}

size_t
mr_sortbuf_count(const struct mr_sortbuf *b)
{
	return b->n;
}

/* Bytes held for n entries (twice) and alen arena bytes. */
static size_t
held(size_t n, size_t alen)
{
	return n * 2 * sizeof(struct entry) + alen;
}

/* The 8 bytes at p as a big-endian integer. */
static inline uint64_t
load_be64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap64(v);
#elif !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_BIG_ENDIAN__
	{
		const unsigned char *q = p;

		v = (uint64_t)q[0] << 56 | (uint64_t)q[1] << 48 |
		    (uint64_t)q[2] << 40 | (uint64_t)q[3] << 32 |
		    (uint64_t)q[4] << 24 | (uint64_t)q[5] << 16 |
		    (uint64_t)q[6] << 8 | (uint64_t)q[7];
	}
#endif
	return v;
}

/*
 * The first min(len, 8) bytes at k as a big-endian integer, zero-padded.
 * When len > 0 the 8 bytes at k must be readable, as they are in the
 * arena, which has room past its last record.
 */
static inline uint64_t
prefix_of(const unsigned char *k, size_t len)
{
	uint64_t v;

	if (len == 0)
		return 0;
	v = load_be64(k);
	return len >= 8 ? v : v & ~(~(uint64_t)0 >> (8 * len));
}

int
mr_sortbuf_add(struct mr_sortbuf *b, const struct mr_rec *rec)
{
	size_t len = rec->klen + rec->vlen;
	struct entry *e;
	unsigned char *p;

	if (b->n > 0 && (held(b->n + 1, b->alen + len) > b->budget ||
	    b->n == b->ecap))
		return 1;
	if (b->n == 0 && len + 8 > b->acap) {
		/* one record larger than the budget: an arena to fit */
		if ((p = reserve(len + 8)) == NULL)
			return -1;
		munmap(b->arena, b->acap);
		b->arena = p;
		b->acap = len + 8;
	}
	e = &b->ent[b->n++];
	e->off = b->alen;
	e->klen = (uint32_t)rec->klen;
	e->vlen = (uint32_t)rec->vlen;
	memcpy(b->arena + b->alen, rec->key, rec->klen);
	memcpy(b->arena + b->alen + rec->klen, rec->val, rec->vlen);
	e->prefix = prefix_of(b->arena + b->alen, rec->klen) ^ b->flip;
	/* a byte even for an empty record, so that offsets are unique */
	b->alen += len > 0 ? len : 1;
	return 0;
}

static int
bytecmp(const unsigned char *a, size_t alen, const unsigned char *b,
    size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	return c != 0 ? c : (alen > blen) - (alen < blen);
}

/*
 * What the comparisons within one group need: the buffer, and how many
 * key bytes, shared by the whole group, come before the 8 bytes that the
 * entries' prefixes now hold.
 */
struct cmp {
	const struct mr_sortbuf *b;
	size_t base;
};

/* The full order of two entries: key, value if asked, input position. */
static int
entry_cmp(const struct cmp *k, const struct entry *x, const struct entry *y)
{
	const unsigned char *kx = k->b->arena + x->off;
	const unsigned char *ky = k->b->arena + y->off;
	size_t end = k->base + 8;
	int c;

	if (k->b->order.numeric) {
		c = mr_keycmp(&k->b->order, kx, x->klen, ky, y->klen);
	} else {
		if (x->prefix != y->prefix)
			return x->prefix < y->prefix ? -1 : 1;
		/*
		 * Equal prefixes: the first min(klen, base + 8) bytes are
		 * equal, the base bytes before the prefix being shared.
		 */
		if (x->klen <= end || y->klen <= end)
			c = (x->klen > y->klen) - (x->klen < y->klen);
		else
			c = bytecmp(kx + end, x->klen - end, ky + end,
			    y->klen - end);
		if (k->b->order.reverse)
			c = -c;
	}
	if (c == 0 && k->b->order.values) {
		c = bytecmp(kx + x->klen, x->vlen, ky + y->klen, y->vlen);
		if (k->b->order.reverse)
			c = -c;
	}
	if (c != 0)
		return c;
	return (x->off > y->off) - (x->off < y->off);
}

static void
insertion_sort(const struct cmp *k, struct entry *a, size_t n)
{
	struct entry t;
	size_t i, j;

	for (i = 1; i < n; i++) {
		t = a[i];
		for (j = i; j > 0 && entry_cmp(k, &t, &a[j - 1]) < 0; j--)
			a[j] = a[j - 1];
		a[j] = t;
	}
}

/* Merges the sorted halves a[0, h) and a[h, n) through tmp. */
static void
merge_halves(const struct cmp *k, struct entry *a, struct entry *tmp,
    size_t h, size_t n)
{
	size_t i = 0, j = h, o = 0;

	while (i < h && j < n)
		tmp[o++] = entry_cmp(k, &a[j], &a[i]) < 0 ? a[j++] : a[i++];
	while (i < h)
		tmp[o++] = a[i++];
	memcpy(a, tmp, o * sizeof(*a));
}

/* Sorts a[0, n) stably by comparison, with tmp[0, n) as scratch. */
static void
merge_sort(const struct cmp *k, struct entry *a, struct entry *tmp,
    size_t n)
{
	size_t h = n / 2;

	if (n <= SMALL) {
		insertion_sort(k, a, n);
		return;
	}
	merge_sort(k, a, tmp, h);
	merge_sort(k, a + h, tmp + h, n - h);
	if (entry_cmp(k, &a[h - 1], &a[h]) > 0)
		merge_halves(k, a, tmp, h, n);
}

/*
 * Counts the entries by byte d (below 8) of their prefixes, and finds the
 * shortest and the longest key among them; with d 8, only the lengths.
 */
static void
histogram(const struct entry *a, size_t n, int d, size_t count[256],
    size_t *minlen, size_t *maxlen)
{
	int shift = d < 8 ? 56 - 8 * d : 0;
	size_t i, lo = a[0].klen, hi = a[0].klen, one[256];

	if (d == 8)
		count = one;	/* counted, not used: one loop for both */
	memset(count, 0, 256 * sizeof(count[0]));
	for (i = 0; i < n; i++) {
		count[(a[i].prefix >> shift) & 0xff]++;
		if (a[i].klen < lo)
			lo = a[i].klen;
		if (a[i].klen > hi)
			hi = a[i].klen;
	}
	*minlen = lo;
	*maxlen = hi;
}

/* Moves src to dst grouped by byte d, keeping the order within groups. */
static void
scatter(const struct entry *src, struct entry *dst, size_t n, int d,
    const size_t count[256])
{
	size_t next[256], pos = 0, i;
	int shift = 56 - 8 * d, c;

	for (c = 0; c < 256; c++) {
		next[c] = pos;
		pos += count[c];
	}
	for (i = 0; i < n; i++)
		dst[next[(src[i].prefix >> shift) & 0xff]++] = src[i];
}

/*
 * Sorts the n entries at src from byte d of the prefixes on, stably,
 * leaving them at fin, which is src or dst; the other is scratch.
 */
static void
radix_sort(const struct cmp *k, struct entry *src, struct entry *dst,
    struct entry *fin, size_t n, int d)
{
	struct entry *other = fin == src ? dst : src;
	size_t count[256], start = 0, i, minlen, maxlen;
	struct cmp next;
	int c;

	if (n > SMALL)
		histogram(src, n, d, count, &minlen, &maxlen);
	else
		minlen = maxlen = 0;
	/*
	 * Small groups are insertion sorted.  Keys that end within the
	 * base + d bytes the group shares are equal or differ in length
	 * alone: being in input order already, they need a stable sort
	 * only if values or lengths differ.
	 */
	if (n <= SMALL || maxlen <= k->base + (size_t)d) {
		if (fin != src)
			memcpy(fin, src, n * sizeof(*src));
		if (n <= SMALL)
			insertion_sort(k, fin, n);
		else if (minlen != maxlen || k->b->order.values)
			merge_sort(k, fin, other, n);
		return;
	}
	if (d == 8) {
		/* all 8 bytes shared: load the next 8 bytes of each key */
		next.b = k->b;
		next.base = k->base + 8;
		for (i = 0; i < n; i++)
			src[i].prefix = (src[i].klen > next.base ?
			    prefix_of(k->b->arena + src[i].off + next.base,
			    src[i].klen - next.base) : 0) ^ k->b->flip;
		radix_sort(&next, src, dst, fin, n, 0);
		return;
	}
	for (c = 0; c < 256; c++)
		if (count[c] == n) {
			/* one group: nothing to move */
			radix_sort(k, src, dst, fin, n, d + 1);
			return;
		}
	scatter(src, dst, n, d, count);
	for (c = 0; c < 256; c++) {
		if (count[c] > 0)
			radix_sort(k, dst + start, src + start, fin + start,
			    count[c], d + 1);
		start += count[c];
	}
}

struct task {
	struct cmp k;
	struct entry *src, *dst, *fin;
	size_t n;
	int numeric;
};

struct par {
	struct task task[256];
	int ntasks, nthreads;
};

static void
run_task(const struct task *t)
{
	if (t->numeric)
		merge_sort(&t->k, t->fin, t->dst, t->n);
	else
		radix_sort(&t->k, t->src, t->dst, t->fin, t->n, 1);
}

/* Thread i takes the tasks i, i + nthreads, ... (largest first). */
static void
par_main(void *arg, int i)
{
	struct par *p = arg;
	int k;

	for (k = i; k < p->ntasks; k += p->nthreads)
		run_task(&p->task[k]);
}

static int
task_larger(const void *x, const void *y)
{
	const struct task *a = x, *b = y;

	return (a->n < b->n) - (a->n > b->n);
}

int
mr_sortbuf_sort(struct mr_sortbuf *b, int threads)
{
	size_t count[256], start = 0, h, minlen, maxlen;
	struct cmp k = { b, 0 };
	struct task *t;
	struct par p;
	int c;

	if (b->n <= SMALL) {
		insertion_sort(&k, b->ent, b->n);
		return 0;
	}
	if (threads < 1 || b->n < PAR_MIN)
		threads = 1;
	p.ntasks = 0;
	if (b->order.numeric) {
		h = threads > 1 ? b->n / 2 : b->n;
		p.task[p.ntasks++] = (struct task){ k, NULL, b->tmp, b->ent,
		    h, 1 };
		if (h < b->n)
			p.task[p.ntasks++] = (struct task){ k, NULL,
			    b->tmp + h, b->ent + h, b->n - h, 1 };
		p.nthreads = p.ntasks;
		worker_parallel(p.nthreads, par_main, &p);
		if (h < b->n)
			merge_halves(&k, b->ent, b->tmp, h, b->n);
		return 0;
	}
	/* the first pass here, the groups it makes on the threads */
	histogram(b->ent, b->n, 0, count, &minlen, &maxlen);
	scatter(b->ent, b->tmp, b->n, 0, count);
	for (c = 0; c < 256; c++) {
		if (count[c] > 0) {
			t = &p.task[p.ntasks++];
			*t = (struct task){ k, b->tmp + start, b->ent + start,
			    b->ent + start, count[c], 0 };
		}
		start += count[c];
	}
	qsort(p.task, (size_t)p.ntasks, sizeof(p.task[0]), task_larger);
	p.nthreads = threads < p.ntasks ? threads : p.ntasks;
	worker_parallel(p.nthreads, par_main, &p);
	return 0;
}

void
mr_sortbuf_get(const struct mr_sortbuf *b, size_t i, struct mr_rec *rec)
{
	const struct entry *e = &b->ent[i];

#ifdef __GNUC__
	/* records are read in sorted order, all over the arena */
	if (i + 16 < b->n) {
		const struct entry *f = &b->ent[i + 16];

		__builtin_prefetch(b->arena + f->off);
		__builtin_prefetch(b->arena + f->off + f->klen + f->vlen);
	}
#endif
	rec->key = b->arena + e->off;
	rec->klen = e->klen;
	rec->val = rec->key + e->klen;
	rec->vlen = e->vlen;
}
