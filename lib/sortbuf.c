/*
 * sortbuf.c: records held in memory and sorted there, the in-memory half
 * of mrsort.  Records go to one arena as key, value length (LEB128) and
 * value; the sort moves 16-byte entries (8 key bytes as a big-endian
 * integer, the key's arena offset and its length), never records.
 * Bytewise order is a stable MSD radix sort on those 8 bytes that
 * scatters between the entries and a second array of the same size; a
 * group that shares all 8 loads the next 8 key bytes and goes on, and
 * small groups are insertion sorted.  Being stable, it keeps
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
#include "frame.h"
#include "pool.h"

#define SMALL		24	/* groups this small are insertion sorted */
#define PAR_MIN		50000	/* fewer entries than this use one thread */
#define MAX_DEPTH	64	/* radix splits before a merge sort */

struct entry {
	uint64_t prefix;	/* key bytes 0-7, big-endian, inverted for -r */
	uint64_t pos;		/* key offset << 24 | key length, or LONGKEY */
};

/*
 * A key of LONGKEY bytes or more has LONGKEY in its entry and its length
 * in the 8 bytes before it in the arena.
 */
#define LONGKEY		0xFFFFFFU
#define OFF_MAX		((uint64_t)1 << 40)	/* arena bytes */

static inline size_t
e_off(const struct entry *e)
{
	return (size_t)(e->pos >> 24);
}

static inline size_t
e_klen(const unsigned char *arena, const struct entry *e)
{
	size_t k = (size_t)(e->pos & LONGKEY);

	return k != LONGKEY ? k : (size_t)get64(arena + e_off(e) - 8);
}

struct mr_sortbuf {
	struct mr_order order;
	uint64_t flip;
	size_t budget;
	unsigned char *arena;
	size_t alen, acap;
	struct entry *ent, *tmp;	/* tmp: where the sort scatters */
	size_t n, ecap;
	size_t lane_budget;	/* the budget, while a lane takes half */
	int borrowed;		/* a lane: its memory is another buffer's */
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
	if (b == NULL || b->borrowed) {
		free(b);
		return;
	}
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

struct mr_sortbuf *
mr_sortbuf_lane(struct mr_sortbuf *b)
{
	struct mr_sortbuf *l;
	size_t half = (b->acap / 2) & ~(size_t)15;

	if (b->n > 0 || b->lane_budget || (l = malloc(sizeof(*l))) == NULL)
		return NULL;
	*l = *b;
	l->borrowed = 1;
	l->arena = b->arena + half;
	l->acap = b->acap - half;
	l->ent = b->tmp;
	l->tmp = NULL;
	l->budget = half - 16;
	b->lane_budget = b->budget;
	b->budget = half - 16;
	return l;
}

void
mr_sortbuf_join(struct mr_sortbuf *b, struct mr_sortbuf *l)
{
	uint64_t shift = (uint64_t)(l->arena - b->arena) << 24;
	size_t i;

	for (i = 0; i < l->n; i++) {
		b->ent[b->n + i].prefix = l->ent[i].prefix;
		b->ent[b->n + i].pos = l->ent[i].pos + shift;
	}
	b->n += l->n;
	if (l->n > 0)
		b->alen = (size_t)(l->arena - b->arena) + l->alen;
	b->budget = b->lane_budget;
	b->lane_budget = 0;
	free(l);
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

static size_t
varint_len(size_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
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
	size_t len, v;
	struct entry *e;
	unsigned char *p;
	int longkey = rec->klen >= LONGKEY;

	len = (longkey ? 8 : 0) + rec->klen + varint_len(rec->vlen) +
	    rec->vlen;
	if (b->n > 0 && (held(b->n + 1, b->alen + len) > b->budget ||
	    b->n == b->ecap || b->alen + len > OFF_MAX))
		return 1;
	if (b->n == 0 && len + 16 > b->budget && (b->borrowed ||
	    b->lane_budget))
		return 1;	/* no room to grow with two buffers at work */
	if (b->n == 0 && len + 8 > b->acap) {
		/* one record larger than the budget: an arena to fit */
		if ((p = reserve(len + 8)) == NULL)
			return -1;
		munmap(b->arena, b->acap);
		b->arena = p;
		b->acap = len + 8;
	}
	p = b->arena + b->alen;
	if (longkey) {
		for (v = 0; v < 8; v++)
			p[v] = (unsigned char)((uint64_t)rec->klen >> (8 * v));
		p += 8;
	}
	e = &b->ent[b->n++];
	e->pos = (uint64_t)(p - b->arena) << 24 |
	    (longkey ? LONGKEY : (uint64_t)rec->klen);
	memcpy(p, rec->key, rec->klen);
	e->prefix = prefix_of(p, rec->klen) ^ b->flip;
	p += rec->klen;
	for (v = rec->vlen; v >= 0x80; v >>= 7)
		*p++ = (unsigned char)(v | 0x80);
	*p++ = (unsigned char)v;
	memcpy(p, rec->val, rec->vlen);
	b->alen += len;
	return 0;
}

/* Points rec at the record of entry e. */
static void
entry_rec(const unsigned char *arena, const struct entry *e,
    struct mr_rec *rec)
{
	const unsigned char *p;
	size_t v = 0;
	int shift = 0;

	rec->key = arena + e_off(e);
	rec->klen = e_klen(arena, e);
	p = rec->key + rec->klen;
	do
		v |= (size_t)(*p & 0x7f) << shift, shift += 7;
	while (*p++ & 0x80);
	rec->val = p;
	rec->vlen = v;
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
	const unsigned char *arena = k->b->arena;
	size_t end = k->base + 8, xl, yl;
	struct mr_rec rx, ry;
	int c;

	if (!k->b->order.numeric && x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	xl = e_klen(arena, x);
	yl = e_klen(arena, y);
	if (k->b->order.numeric) {
		c = mr_keycmp(&k->b->order, arena + e_off(x), xl,
		    arena + e_off(y), yl);
	} else {
		/*
		 * Equal prefixes: the first min(klen, base + 8) bytes are
		 * equal, the base bytes before the prefix being shared.
		 */
		if (xl <= end || yl <= end)
			c = (xl > yl) - (xl < yl);
		else
			c = bytecmp(arena + e_off(x) + end, xl - end,
			    arena + e_off(y) + end, yl - end);
		if (k->b->order.reverse)
			c = -c;
	}
	if (c == 0 && k->b->order.values) {
		entry_rec(arena, x, &rx);
		entry_rec(arena, y, &ry);
		c = mr_valcmp(&k->b->order, rx.val, rx.vlen, ry.val, ry.vlen);
	}
	if (c != 0)
		return c;
	return (x->pos > y->pos) - (x->pos < y->pos);
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
 * shortest and the longest key among them; with count NULL, only that.
 */
static void
histogram(const unsigned char *arena, const struct entry *a, size_t n, int d,
    size_t count[256], size_t *minlen, size_t *maxlen)
{
	int shift = d < 8 ? 56 - 8 * d : 0;
	size_t i, len, lo = SIZE_MAX, hi = 0, one[256];

	if (count == NULL)
		count = one;	/* counted, not used: one loop for both */
	memset(count, 0, 256 * sizeof(count[0]));
	for (i = 0; i < n; i++) {
		count[(a[i].prefix >> shift) & 0xff]++;
		len = (size_t)(a[i].pos & LONGKEY);
		if (len == LONGKEY)
			len = e_klen(arena, &a[i]);
		if (len < lo)
			lo = len;
		if (len > hi)
			hi = len;
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
 * leaving them at fin, which is src or dst; the other is scratch.  Where
 * all entries share the byte, or all 8, it goes on in the same call, so
 * that the stack grows only where groups split; past MAX_DEPTH splits the
 * group is merge sorted instead.
 */
static void
radix_sort(const struct cmp *k0, struct entry *src, struct entry *dst,
    struct entry *fin, size_t n, int d, int depth)
{
	struct entry *other = fin == src ? dst : src;
	size_t count[256], start = 0, i, minlen = 0, maxlen = 0;
	struct cmp k = *k0;
	int c;

	for (;;) {
		if (n > SMALL && d < 8)
			histogram(k.b->arena, src, n, d, count, &minlen,
			    &maxlen);
		else if (n > SMALL)
			histogram(k.b->arena, src, n, 8, NULL, &minlen,
			    &maxlen);
		/*
		 * Small groups are insertion sorted.  Keys that end within
		 * the base + d bytes the group shares are equal or differ in
		 * length alone: being in input order already, they need a
		 * stable sort only if values or lengths differ.
		 */
		if (n <= SMALL || maxlen <= k.base + (size_t)d) {
			if (fin != src)
				memcpy(fin, src, n * sizeof(*src));
			if (n <= SMALL)
				insertion_sort(&k, fin, n);
			else if (minlen != maxlen || k.b->order.values)
				merge_sort(&k, fin, other, n);
			return;
		}
		if (depth > MAX_DEPTH) {
			if (fin != src)
				memcpy(fin, src, n * sizeof(*src));
			merge_sort(&k, fin, other, n);
			return;
		}
		if (d == 8) {
			/* all 8 bytes shared: load the next 8 of each key */
			k.base += 8;
			for (i = 0; i < n; i++) {
				size_t len = e_klen(k.b->arena, &src[i]);

				src[i].prefix = (len > k.base ?
				    prefix_of(k.b->arena + e_off(&src[i]) +
				    k.base, len - k.base) : 0) ^ k.b->flip;
			}
			d = 0;
			continue;
		}
		for (c = 0; c < 256 && count[c] != n; c++)
			;
		if (c == 256)
			break;
		d++;	/* one group: nothing to move */
	}
	scatter(src, dst, n, d, count);
	for (c = 0; c < 256; c++) {
		if (count[c] > 0)
			radix_sort(&k, dst + start, src + start, fin + start,
			    count[c], d + 1, depth + 1);
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
		radix_sort(&t->k, t->src, t->dst, t->fin, t->n, 1, 1);
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
		mr_parallel(p.nthreads, par_main, &p);
		if (h < b->n)
			merge_halves(&k, b->ent, b->tmp, h, b->n);
		return 0;
	}
	/* the first pass here, the groups it makes on the threads */
	histogram(b->arena, b->ent, b->n, 0, count, &minlen, &maxlen);
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
	mr_parallel(p.nthreads, par_main, &p);
	return 0;
}

void
mr_sortbuf_get(const struct mr_sortbuf *b, size_t i, struct mr_rec *rec)
{
#ifdef __GNUC__
	/* records are read in sorted order, all over the arena */
	if (i + 16 < b->n) {
		const unsigned char *f = b->arena + e_off(&b->ent[i + 16]);

		__builtin_prefetch(f);
		__builtin_prefetch(f + 64);
	}
#endif
	entry_rec(b->arena, &b->ent[i], rec);
}
