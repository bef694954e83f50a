/*
 * ops.c: the built-in reduce ops of mrreduce and mrmap --combine.  Each
 * group's state is a struct mr_agg; values are added to it, partial
 * states written by one tool are merged into it by another, and the
 * result is written as text.  Merging the partial states of the pieces of
 * a group, in order, gives the same state, and so the same result bytes,
 * as adding all its values: sums are exact, and every choice (min, max,
 * first, last) depends on the values alone, never on how they were cut.
 */
#include <stdlib.h>
#include <string.h>

#include "mr.h"
#include "decimal.h"

#define AGG_HAS		0x1	/* a value is in */
#define AGG_BYTES	0x2	/* u.b is in use */
#define KEEP_MAX	(64 << 10)	/* bytes mr_agg_clear() keeps */
#define SET_MIN		16	/* distinct's first table size */
#define NUM_MAX		(DEC_TEXT_MAX + 2 * MR_AGG_DIGITS + 32)

_Static_assert(sizeof(struct mr_agg) <= 64, "struct mr_agg is over 64 bytes");

/* A value of distinct's set, at u.b.p + off; len1 is 0 for a free slot. */
struct mr_dent {
	uint64_t hash;
	size_t off;
	size_t len1;		/* length + 1 */
};

static const char *const names[] = {
	"count", "sum", "min", "max", "mean", "first", "last", "collect",
	"distinct"
};

#define NOPS	((int)(sizeof(names) / sizeof(names[0])))

static const char partial_prefix[] = "values=partial:";
static const struct mr_order bytewise = { 0 };

int
mr_op_parse(struct mr_op *op, const char *name)
{
	int i;

	for (i = 0; i < NOPS; i++)
		if (strcmp(name, names[i]) == 0) {
			op->code = i;
			op->sep = (const unsigned char *)",";
			op->seplen = 1;
			return 0;
		}
	return -1;
}

const char *
mr_op_name(int code)
{
	return code >= 0 && code < NOPS ? names[code] : NULL;
}

int
mr_op_combinable(const struct mr_op *op)
{
	return op->code != MR_OP_DISTINCT;
}

int
mr_op_numeric(const struct mr_op *op)
{
	return op->code == MR_OP_SUM || op->code == MR_OP_MEAN ||
	    op->code == MR_OP_MIN || op->code == MR_OP_MAX;
}

size_t
mr_op_meta(const struct mr_op *op, unsigned char *buf, size_t size)
{
	const char *name = mr_op_name(op->code);
	size_t plen = sizeof(partial_prefix) - 1, nlen, len, i;

	nlen = name != NULL ? strlen(name) : 0;
	len = plen + nlen + 1;
	for (i = 0; i < len && i < size; i++)
		buf[i] = (unsigned char)(i < plen ? partial_prefix[i] :
		    i < plen + nlen ? name[i - plen] : '\n');
	return len;
}

int
mr_op_from_meta(struct mr_op *op, const unsigned char *meta, size_t len)
{
	size_t plen = sizeof(partial_prefix) - 1;
	char name[16];

	if (len == 0)
		return 0;
	if (len <= plen + 1 || len - plen - 1 >= sizeof(name) ||
	    memcmp(meta, partial_prefix, plen) != 0 || meta[len - 1] != '\n')
		return -1;
	memcpy(name, meta + plen, len - plen - 1);
	name[len - plen - 1] = '\0';
	if (strlen(name) != len - plen - 1 || mr_op_parse(op, name) < 0 ||
	    !mr_op_combinable(op))
		return -1;
	return 1;
}

/* Makes room for need bytes in the buffer *p of *cap bytes. */
static int
reserve(unsigned char **p, size_t *cap, size_t need)
{
	unsigned char *np;
	size_t n;

	if (need <= *cap)
		return 0;
	for (n = *cap < 64 ? 64 : *cap; n < need; n *= 2)
		;
	if ((np = realloc(*p, n)) == NULL)
		return -1;
	*p = np;
	*cap = n;
	return 0;
}

static int
buf_put(struct mr_buf *b, const void *p, size_t n)
{
	if (reserve(&b->p, &b->cap, b->len + n) < 0)
		return -1;
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

static void
bytes_start(struct mr_agg *a)
{
	if (a->flags & AGG_BYTES)
		return;
	a->u.b.p = NULL;
	a->u.b.len = a->u.b.cap = 0;
	a->u.b.tab = NULL;
	a->u.b.mask = 0;
	a->flags |= AGG_BYTES;
}

static int
bytes_append(struct mr_agg *a, const unsigned char *v, size_t len)
{
	bytes_start(a);
	if (reserve(&a->u.b.p, &a->u.b.cap, a->u.b.len + len) < 0)
		return -1;
	if (len > 0)
		memcpy(a->u.b.p + a->u.b.len, v, len);
	a->u.b.len += len;
	a->flags |= AGG_HAS;
	return 0;
}

static int
bytes_set(struct mr_agg *a, const unsigned char *v, size_t len)
{
	bytes_start(a);
	a->u.b.len = 0;
	return bytes_append(a, v, len);
}

/*
 * Parses a number of at most 18 digits into *v and *scale, the common
 * case that a 64-bit integer holds.  Returns 0 for anything else, which
 * the full parser then takes.
 */
static int
small_number(const unsigned char *p, size_t len, int64_t *v, int *scale)
{
	const unsigned char *end = p + len, *dot = NULL;
	uint64_t m = 0;
	unsigned d;
	int neg = 0, nd = 0;

	if (len == 0 || len > 20)
		return 0;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	for (; p < end; p++) {
		if ((d = (unsigned)*p - '0') < 10) {
			m = m * 10 + d;
			nd++;
		} else if (*p == '.' && dot == NULL)
			dot = p;
		else
			return 0;
	}
	if (nd == 0 || nd > 18)
		return 0;
	*scale = dot != NULL ? (int)(end - dot - 1) : 0;
	*v = neg ? -(int64_t)m : (int64_t)m;
	return 1;
}

/* The whole sum of a, the mantissa and its fast part, into w. */
static int
sum_total(const struct mr_agg *a, uint64_t *w)
{
	memcpy(w, a->u.sum.m, sizeof(a->u.sum.m));
	return a->u.sum.fast != 0 ? dec_add64(w, a->u.sum.fast) : 0;
}

/* Adds n to the sum of a at the larger of the two scales. */
static int
sum_wide(struct mr_agg *a, const struct dec_num *n)
{
	uint64_t m[DEC_LIMBS], v[DEC_LIMBS];
	size_t scale = (size_t)a->scale;

	if (n->scale > scale)
		scale = n->scale;
	if (sum_total(a, m) < 0 ||
	    dec_mul10(m, scale - (size_t)a->scale) < 0 ||
	    dec_set(v, n, scale) < 0 || dec_add(m, v) < 0)
		return MR_AGG_OVERFLOW;
	memcpy(a->u.sum.m, m, sizeof(m));
	a->u.sum.fast = 0;
	a->scale = (int32_t)scale;
	a->flags |= AGG_HAS;
	return 0;
}

static int
sum_add(struct mr_agg *a, const unsigned char *v, size_t len)
{
	struct dec_num n;
	int64_t x, f;
	uint64_t p;
	int scale;

	if (small_number(v, len, &x, &scale) && scale <= a->scale &&
	    a->scale - scale < 19) {
		p = dec_pow10[a->scale - scale];
		if (p == 1 || (x <= INT64_MAX / (int64_t)p &&
		    x >= -(INT64_MAX / (int64_t)p))) {
			x *= (int64_t)p;
			f = a->u.sum.fast;
			if ((x > 0 && f > INT64_MAX - x) ||
			    (x < 0 && f < INT64_MIN - x)) {
				if (dec_add64(a->u.sum.m, f) < 0)
					return MR_AGG_OVERFLOW;
				f = 0;
			}
			a->u.sum.fast = f + x;
			a->flags |= AGG_HAS;
			return 0;
		}
	}
	if (!dec_parse(v, len, &n))
		return MR_AGG_NAN;
	if (n.il > MR_AGG_DIGITS || n.scale > MR_AGG_DIGITS)
		return MR_AGG_OVERFLOW;
	return sum_wide(a, &n);
}

/* min and max: keeps v when it is smaller (min) or greater (max). */
static int
pick(const struct mr_op *op, struct mr_agg *a, const unsigned char *v,
    size_t len, int bad)
{
	struct dec_num x, cur;
	int c;

	if (!dec_parse(v, len, &x))
		return bad;
	if (a->flags & AGG_HAS) {
		dec_parse(a->u.b.p, a->u.b.len, &cur);
		if ((c = dec_cmp(&x, &cur)) == 0)
			c = mr_keycmp(&bytewise, v, len, a->u.b.p,
			    a->u.b.len);
		if (op->code == MR_OP_MAX)
			c = -c;
		if (c >= 0)
			return 0;
	}
	return bytes_set(a, v, len);
}

static int
collect(const struct mr_op *op, struct mr_agg *a, const unsigned char *v,
    size_t len)
{
	size_t have = (a->flags & AGG_HAS) ? a->u.b.len + op->seplen : 0;

	if (have > MR_REC_MAX || len > MR_REC_MAX - have)
		return MR_AGG_OVERFLOW;
	if ((a->flags & AGG_HAS) && bytes_append(a, op->sep, op->seplen) < 0)
		return -1;
	return bytes_append(a, v, len);
}

static int
distinct_grow(struct mr_agg *a)
{
	struct mr_dent *old = a->u.b.tab, *tab;
	size_t oldsize = old != NULL ? a->u.b.mask + 1 : 0;
	size_t size = oldsize ? 2 * oldsize : SET_MIN, i, j;

	if ((tab = calloc(size, sizeof(*tab))) == NULL)
		return -1;
	for (i = 0; i < oldsize; i++) {
		if (old[i].len1 == 0)
			continue;
		for (j = old[i].hash & (size - 1); tab[j].len1 != 0;
		    j = (j + 1) & (size - 1))
			;
		tab[j] = old[i];
	}
	free(old);
	a->u.b.tab = tab;
	a->u.b.mask = size - 1;
	return 0;
}

static int
distinct(struct mr_agg *a, const unsigned char *v, size_t len)
{
	struct mr_dent *e;
	uint64_t h = mr_hash64(v, len);
	size_t i, off;

	bytes_start(a);
	if ((a->u.b.tab == NULL || 2 * (a->n + 1) > a->u.b.mask + 1) &&
	    distinct_grow(a) < 0)
		return -1;
	for (i = h & a->u.b.mask;; i = (i + 1) & a->u.b.mask) {
		e = &a->u.b.tab[i];
		if (e->len1 == 0)
			break;
		if (e->hash == h && e->len1 - 1 == len &&
		    memcmp(a->u.b.p + e->off, v, len) == 0)
			return 0;
	}
	off = a->u.b.len;
	if (bytes_append(a, v, len) < 0)
		return -1;
	e->hash = h;
	e->off = off;
	e->len1 = len + 1;
	a->n++;
	return 0;
}

void
mr_agg_init(struct mr_agg *a)
{
	memset(a, 0, sizeof(*a));
}

int
mr_agg_add(const struct mr_op *op, struct mr_agg *a, const unsigned char *v,
    size_t len)
{
	int rc;

	switch (op->code) {
	case MR_OP_COUNT:
		a->n++;
		return 0;
	case MR_OP_SUM:
		return sum_add(a, v, len);
	case MR_OP_MEAN:
		if (a->n == UINT64_MAX)
			return MR_AGG_OVERFLOW;
		if ((rc = sum_add(a, v, len)) == 0)
			a->n++;
		return rc;
	case MR_OP_MIN:
	case MR_OP_MAX:
		return pick(op, a, v, len, MR_AGG_NAN);
	case MR_OP_FIRST:
		return (a->flags & AGG_HAS) ? 0 : bytes_set(a, v, len);
	case MR_OP_LAST:
		return bytes_set(a, v, len);
	case MR_OP_COLLECT:
		return collect(op, a, v, len);
	case MR_OP_DISTINCT:
		return distinct(a, v, len);
	}
	return MR_AGG_BADSTATE;
}

/* Parses a count state: 1 to 20 digits, at most UINT64_MAX. */
static int
parse_count(const unsigned char *p, size_t len, uint64_t *out)
{
	uint64_t v = 0, d;
	size_t i;

	if (len == 0 || len > 20)
		return -1;
	for (i = 0; i < len; i++) {
		if (!dec_isdigit(p[i]))
			return -1;
		d = (uint64_t)(p[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* Merges a sum state, the exact sum as a number, into a. */
static int
merge_sum(struct mr_agg *a, const unsigned char *p, size_t len)
{
	struct dec_num n;

	if (!dec_parse(p, len, &n) || n.scale > MR_AGG_DIGITS)
		return MR_AGG_BADSTATE;
	return sum_wide(a, &n);
}

static int
merge_mean(struct mr_agg *a, const unsigned char *p, size_t len)
{
	const unsigned char *sp = memchr(p, ' ', len);
	uint64_t count;
	size_t clen;
	int rc;

	if (sp == NULL)
		return MR_AGG_BADSTATE;
	clen = (size_t)(sp - p);
	if (parse_count(p, clen, &count) < 0 || count == 0 ||
	    clen + 1 == len)
		return MR_AGG_BADSTATE;
	if (count > UINT64_MAX - a->n)
		return MR_AGG_OVERFLOW;
	if ((rc = merge_sum(a, sp + 1, len - clen - 1)) == 0)
		a->n += count;
	return rc;
}

int
mr_agg_merge(const struct mr_op *op, struct mr_agg *a,
    const unsigned char *state, size_t len)
{
	uint64_t count;

	switch (op->code) {
	case MR_OP_COUNT:
		if (parse_count(state, len, &count) < 0)
			return MR_AGG_BADSTATE;
		if (count > UINT64_MAX - a->n)
			return MR_AGG_OVERFLOW;
		a->n += count;
		return 0;
	case MR_OP_SUM:
		return len == 0 ? 0 : merge_sum(a, state, len);
	case MR_OP_MEAN:
		return len == 0 ? 0 : merge_mean(a, state, len);
	case MR_OP_MIN:
	case MR_OP_MAX:
		return len == 0 ? 0 : pick(op, a, state, len, MR_AGG_BADSTATE);
	case MR_OP_FIRST:
	case MR_OP_LAST:
	case MR_OP_COLLECT:
		return mr_agg_add(op, a, state, len);
	}
	return MR_AGG_BADSTATE;
}

/* Appends the sum of a, at its scale, to out. */
static int
put_sum(const struct mr_agg *a, const uint64_t *w, struct mr_buf *out)
{
	if (reserve(&out->p, &out->cap, out->len + NUM_MAX) < 0)
		return -1;
	out->len += dec_format(w, (size_t)a->scale, out->p + out->len);
	return 0;
}

static int
put_count(uint64_t n, struct mr_buf *out)
{
	unsigned char buf[24];

	return buf_put(out, buf, dec_u64(n, buf));
}

int
mr_agg_partial(const struct mr_op *op, const struct mr_agg *a,
    struct mr_buf *out)
{
	uint64_t w[DEC_LIMBS];

	out->len = 0;
	switch (op->code) {
	case MR_OP_COUNT:
		return put_count(a->n, out);
	case MR_OP_SUM:
	case MR_OP_MEAN:
		if (!(a->flags & AGG_HAS))
			return 0;
		if (sum_total(a, w) < 0)
			return MR_AGG_OVERFLOW;
		if (op->code == MR_OP_MEAN &&
		    (put_count(a->n, out) < 0 || buf_put(out, " ", 1) < 0))
			return -1;
		return put_sum(a, w, out);
	case MR_OP_MIN:
	case MR_OP_MAX:
	case MR_OP_FIRST:
	case MR_OP_LAST:
	case MR_OP_COLLECT:
		if (!(a->flags & AGG_HAS))
			return 0;
		return buf_put(out, a->u.b.p, a->u.b.len);
	}
	return MR_AGG_BADSTATE;
}

int
mr_agg_result(const struct mr_op *op, const struct mr_agg *a,
    struct mr_buf *out)
{
	uint64_t w[DEC_LIMBS];

	switch (op->code) {
	case MR_OP_SUM:
		out->len = 0;
		if (!(a->flags & AGG_HAS))
			return 0;
		if (sum_total(a, w) < 0 || !dec_fits(w, MR_AGG_DIGITS))
			return MR_AGG_OVERFLOW;
		return put_sum(a, w, out);
	case MR_OP_MEAN:
		out->len = 0;
		if (!(a->flags & AGG_HAS))
			return 0;
		if (sum_total(a, w) < 0)
			return MR_AGG_OVERFLOW;
		if (reserve(&out->p, &out->cap, NUM_MAX) < 0)
			return -1;
		out->len = dec_mean(w, (size_t)a->scale, a->n, out->p);
		return 0;
	case MR_OP_DISTINCT:
		out->len = 0;
		return put_count(a->n, out);
	}
	return mr_agg_partial(op, a, out);
}

size_t
mr_agg_heap(const struct mr_agg *a)
{
	if (!(a->flags & AGG_BYTES))
		return 0;
	return a->u.b.cap + (a->u.b.tab != NULL ?
	    (a->u.b.mask + 1) * sizeof(struct mr_dent) : 0);
}

void
mr_agg_clear(struct mr_agg *a)
{
	unsigned char *p;
	size_t cap;

	if (!(a->flags & AGG_BYTES) || a->u.b.cap > KEEP_MAX) {
		mr_agg_free(a);
		return;
	}
	free(a->u.b.tab);
	p = a->u.b.p;
	cap = a->u.b.cap;
	mr_agg_init(a);
	a->flags = AGG_BYTES;
	a->u.b.p = p;
	a->u.b.len = 0;
	a->u.b.cap = cap;
	a->u.b.tab = NULL;
	a->u.b.mask = 0;
}

void
mr_agg_free(struct mr_agg *a)
{
	if (a->flags & AGG_BYTES) {
		free(a->u.b.p);
		free(a->u.b.tab);
	}
	mr_agg_init(a);
}
