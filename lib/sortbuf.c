/*
 * sortbuf.c: records held in memory and sorted there, the in-memory half
 * of mrsort.  Record bytes go to one arena; the sort moves 24-byte entries
 * (the key's first 8 bytes as a big-endian integer, the record's arena
 * offset and its lengths), never records.  Bytewise order is an MSD radix
 * sort on those 8 bytes, then comparisons within groups that share them;
 * -n is a merge sort.  The arena offset grows with input order, so ties
 * broken by it make every sort stable.
 *
 * The arena and the entries are reserved whole at the budget with mmap,
 * so they never move and only the pages written become resident; where
 * Linux offers it they ask for huge pages, since faulting in 4 KiB pages
 * one by one costs more than the sort.
 */
#define _DEFAULT_SOURCE		/* MAP_ANONYMOUS, madvise */
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
	struct entry *ent;
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
	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	madvise(p, len, MADV_HUGEPAGE);
#endif
	return p;
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
	b->acap = budget;
	b->ecap = budget / sizeof(struct entry) + 1;
	b->arena = reserve(b->acap);
	b->ent = reserve(b->ecap * sizeof(struct entry));
	if (b->arena == NULL || b->ent == NULL) {
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
#endif
}

size_t
mr_sortbuf_count(const struct mr_sortbuf *b)
{
	return b->n;
}

/* Bytes held for n entries and alen arena bytes, as the budget counts. */
static size_t
held(const struct mr_sortbuf *b, size_t n, size_t alen)
{
	size_t per = sizeof(struct entry) * (b->order.numeric ? 2 : 1);

	return n * per + alen;
}

static uint64_t
prefix_of(const unsigned char *k, size_t len)
{
	unsigned char b[8] = { 0 };

	memcpy(b, k, len < 8 ? len : 8);
	return (uint64_t)b[0] << 56 | (uint64_t)b[1] << 48 |
	    (uint64_t)b[2] << 40 | (uint64_t)b[3] << 32 |
	    (uint64_t)b[4] << 24 | (uint64_t)b[5] << 16 |
	    (uint64_t)b[6] << 8 | (uint64_t)b[7];
}

int
mr_sortbuf_add(struct mr_sortbuf *b, const struct mr_rec *rec)
{
	size_t len = rec->klen + rec->vlen;
	struct entry *e;
	unsigned char *p;

	if (b->n > 0 && (held(b, b->n + 1, b->alen + len) > b->budget ||
	    b->n == b->ecap))
		return 1;
	if (b->n == 0 && len > b->acap) {
		/* one record larger than the budget: an arena to fit */
		if ((p = reserve(len)) == NULL)
			return -1;
		munmap(b->arena, b->acap);
		b->arena = p;
		b->acap = len;
	}
	e = &b->ent[b->n++];
	e->prefix = prefix_of(rec->key, rec->klen) ^ b->flip;
	e->off = b->alen;
	e->klen = (uint32_t)rec->klen;
	e->vlen = (uint32_t)rec->vlen;
	memcpy(b->arena + b->alen, rec->key, rec->klen);
	memcpy(b->arena + b->alen + rec->klen, rec->val, rec->vlen);
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
entry_cmp(const struct cmp *k, const struct entry *x,
    const struct entry *y)
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

/* Sorts a[0, n) by comparison, with tmp[0, n) as scratch. */
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

static void
swap(struct entry *x, struct entry *y)
{
	struct entry t = *x;

	*x = *y;
	*y = t;
}

static void
sift_down(const struct cmp *k, struct entry *a, size_t i, size_t n)
{
	size_t c;

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && entry_cmp(k, &a[c], &a[c + 1]) < 0)
			c++;
		if (entry_cmp(k, &a[i], &a[c]) >= 0)
			return;
		swap(&a[i], &a[c]);
		i = c;
	}
}

static void
heap_sort(const struct cmp *k, struct entry *a, size_t n)
{
	size_t i;

	for (i = n / 2; i-- > 0;)
		sift_down(k, a, i, n);
	for (i = n; i-- > 1;) {
		swap(&a[0], &a[i]);
		sift_down(k, a, 0, i);
	}
}

static int
depth_limit(size_t n)
{
	int d = 0;

	while (n > 1) {
		n >>= 1;
		d++;
	}
	return 2 * d;
}

/*
 * In-place quicksort, heapsort past the depth limit, for groups whose
 * prefixes are all equal; the order is total, so stability is no issue.
 */
static void
quick_sort(const struct cmp *k, struct entry *a, size_t n, int depth)
{
	size_t i, j, m;

	while (n > SMALL) {
		if (depth-- == 0) {
			heap_sort(k, a, n);
			return;
		}
		m = n / 2;
		if (entry_cmp(k, &a[m], &a[0]) < 0)
			swap(&a[m], &a[0]);
		if (entry_cmp(k, &a[n - 1], &a[0]) < 0)
			swap(&a[n - 1], &a[0]);
		if (entry_cmp(k, &a[n - 1], &a[m]) < 0)
			swap(&a[n - 1], &a[m]);
		swap(&a[m], &a[n - 2]);	/* the median of three as pivot */
		for (i = 0, j = n - 2;;) {
			while (entry_cmp(k, &a[++i], &a[n - 2]) < 0)
				;
			while (entry_cmp(k, &a[--j], &a[n - 2]) > 0)
				;
			if (i >= j)
				break;
			swap(&a[i], &a[j]);
		}
		swap(&a[i], &a[n - 2]);
		if (i < n - i) {
			quick_sort(k, a, i, depth);
			a += i + 1;
			n -= i + 1;
		} else {
			quick_sort(k, a + i + 1, n - i - 1, depth);
			n = i;
		}
	}
	insertion_sort(k, a, n);
}

static void
swap_off(struct entry *a, size_t i, size_t j)
{
	swap(&a[i], &a[j]);
}

/*
 * Sorts a group of equal keys by input position alone: an introsort on
 * the arena offsets, with no key comparison at all.
 */
static void
sort_by_off(struct entry *a, size_t n, int depth)
{
	struct entry t;
	uint64_t pivot;
	size_t i, j, k;

	while (n > SMALL) {
		if (depth-- == 0) {
			/* heapsort on the offsets */
			for (k = n / 2; k-- > 0;)
				for (i = k; (j = 2 * i + 1) < n; i = j) {
					if (j + 1 < n && a[j].off < a[j + 1].off)
						j++;
					if (a[i].off >= a[j].off)
						break;
					swap_off(a, i, j);
				}
			for (k = n; k-- > 1;) {
				swap_off(a, 0, k);
				for (i = 0; (j = 2 * i + 1) < k; i = j) {
					if (j + 1 < k && a[j].off < a[j + 1].off)
						j++;
					if (a[i].off >= a[j].off)
						break;
					swap_off(a, i, j);
				}
			}
			return;
		}
		pivot = a[n / 2].off;
		for (i = 0, j = n - 1;;) {
			while (a[i].off < pivot)
				i++;
			while (a[j].off > pivot)
				j--;
			if (i >= j)
				break;
			swap_off(a, i, j);
			i++;
			j--;
		}
		/* a[0, j] <= pivot <= a[j + 1, n) */
		if (j + 1 < n - j - 1) {
			sort_by_off(a, j + 1, depth);
			a += j + 1;
			n -= j + 1;
		} else {
			sort_by_off(a + j + 1, n - j - 1, depth);
			n = j + 1;
		}
	}
	for (i = 1; i < n; i++) {
		t = a[i];
		for (j = i; j > 0 && a[j - 1].off > t.off; j--)
			a[j] = a[j - 1];
		a[j] = t;
	}
}

/*
 * One in-place MSD radix pass on byte d of the prefixes (0 is the most
 * significant): afterwards a is grouped by that byte, count[c] entries
 * with byte c, in byte order.
 */
static void
radix_pass(struct entry *a, size_t n, int d, size_t count[256])
{
	size_t start[256], next[256], pos, i;
	int shift = 56 - 8 * d, c, tc;
	struct entry t, u;

	memset(count, 0, 256 * sizeof(count[0]));
	for (i = 0; i < n; i++)
		count[(a[i].prefix >> shift) & 0xff]++;
	for (pos = 0, c = 0; c < 256; c++) {
		start[c] = next[c] = pos;
		pos += count[c];
	}
	for (c = 0; c < 256; c++) {
		while (next[c] < start[c] + count[c]) {
			t = a[next[c]];
			while ((tc = (int)((t.prefix >> shift) & 0xff)) != c) {
				u = a[next[tc]];
				a[next[tc]++] = t;
				t = u;
			}
			a[next[c]++] = t;
		}
	}
}

/*
 * MSD radix sort from byte d of the prefixes on; small groups, and groups
 * of keys that end within the bytes they share, are sorted by comparison.
 */
static void
radix_sort(const struct cmp *k, struct entry *a, size_t n, int d)
{
	size_t count[256], start = 0, i, minlen, maxlen;
	struct cmp next;
	int c;

	if (n <= SMALL) {
		insertion_sort(k, a, n);
		return;
	}
	/*
	 * Keys no longer than the base + d bytes all entries share are all
	 * equal (their lengths equal too), or differ only in length: the
	 * bytes left in the prefixes are padding.  Values, if they count,
	 * need comparing then.
	 */
	minlen = maxlen = a[0].klen;
	for (i = 1; i < n; i++) {
		if (a[i].klen < minlen)
			minlen = a[i].klen;
		if (a[i].klen > maxlen)
			maxlen = a[i].klen;
	}
	if (maxlen <= k->base + (size_t)d) {
		if (minlen == maxlen && !k->b->order.values)
			sort_by_off(a, n, depth_limit(n));
		else
			quick_sort(k, a, n, depth_limit(n));
		return;
	}
	if (d == 8) {
		/*
		 * All 8 bytes shared: load the next 8 bytes of each key into
		 * its prefix and go on, so that comparisons seldom read keys.
		 */
		next.b = k->b;
		next.base = k->base + 8;
		for (i = 0; i < n; i++)
			a[i].prefix = prefix_of(k->b->arena + a[i].off +
			    next.base, a[i].klen > next.base ? a[i].klen -
			    next.base : 0) ^ k->b->flip;
		radix_sort(&next, a, n, 0);
		return;
	}
	radix_pass(a, n, d, count);
	for (c = 0; c < 256; c++) {
		if (count[c] > 1)
			radix_sort(k, a + start, count[c], d + 1);
		start += count[c];
	}
}

struct task {
	struct cmp k;
	struct entry *a, *tmp;
	size_t n;
};

struct par {
	struct task task[256];
	int ntasks, nthreads;
};

static void
run_task(const struct task *t)
{
	if (t->tmp != NULL)
		merge_sort(&t->k, t->a, t->tmp, t->n);
	else
		radix_sort(&t->k, t->a, t->n, 1);
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
	size_t count[256], start = 0, h;
	struct cmp k = { b, 0 };
	struct entry *tmp;
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
		if ((tmp = malloc(b->n * sizeof(*tmp))) == NULL)
			return -1;
		h = threads > 1 ? b->n / 2 : b->n;
		p.task[p.ntasks++] = (struct task){ k, b->ent, tmp, h };
		if (h < b->n)
			p.task[p.ntasks++] = (struct task){ k, b->ent + h,
			    tmp + h, b->n - h };
		p.nthreads = p.ntasks;
		worker_parallel(p.nthreads, par_main, &p);
		if (h < b->n)
			merge_halves(&k, b->ent, tmp, h, b->n);
		free(tmp);
		return 0;
	}
	/* the first radix pass here, the groups it makes on the threads */
	radix_pass(b->ent, b->n, 0, count);
	for (c = 0; c < 256; c++) {
		if (count[c] > 1)
			p.task[p.ntasks++] = (struct task){ k, b->ent + start,
			    NULL, count[c] };
		start += count[c];
	}
	qsort(p.task, (size_t)p.ntasks, sizeof(p.task[0]), task_larger);
	p.nthreads = threads < p.ntasks ? threads : p.ntasks;
	if (p.nthreads > 0)
		worker_parallel(p.nthreads, par_main, &p);
	return 0;
}

void
mr_sortbuf_get(const struct mr_sortbuf *b, size_t i, struct mr_rec *rec)
{
	const struct entry *e = &b->ent[i];

#ifdef __GNUC__
	if (i + 16 < b->n)
		__builtin_prefetch(b->arena + b->ent[i + 16].off);
#endif
	rec->key = b->arena + e->off;
	rec->klen = e->klen;
	rec->val = rec->key + e->klen;
	rec->vlen = e->vlen;
}
