/*
 * merge.c: k-way merge of sorted readers with a loser tree.  Leaves are
 * the inputs; each inner node keeps the loser of the match played there,
 * and tree[0] the overall winner, so replacing the winner replays one path
 * of about log2(k) matches.  Each input also has a 64-bit prefix that
 * orders as its record does whenever two prefixes differ: for bytewise
 * order the key's first 8 bytes as a big-endian integer (inverted for -r),
 * for -n zero; all ones for an exhausted input.  Most matches are then one
 * integer comparison.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mr.h"

struct mr_merge {
	struct mr_reader **in;
	size_t n;
	struct mr_order order;
	struct mr_rec *cur;
	uint64_t *prefix;
	uint64_t flip;		/* all ones for -r, to invert prefixes */
	int use_prefix;
	unsigned char *live;
	size_t *tree;
	size_t last;		/* input whose record was given last */
	int started, failed;
	unsigned char *prev;	/* that record, kept to check order */
	size_t prevcap;
	struct mr_rec prevrec;
	uint64_t prevprefix;
	char err[512];
};

/* The first 8 bytes of a key as a big-endian integer, zero-padded. */
static inline uint64_t
key_prefix(const unsigned char *k, size_t len)
{
	unsigned char b[8] = { 0 };

	memcpy(b, k, len < 8 ? len : 8);
	return (uint64_t)b[0] << 56 | (uint64_t)b[1] << 48 |
	    (uint64_t)b[2] << 40 | (uint64_t)b[3] << 32 |
	    (uint64_t)b[4] << 24 | (uint64_t)b[5] << 16 |
	    (uint64_t)b[6] << 8 | (uint64_t)b[7];
}

static int
less_slow(const struct mr_merge *m, size_t a, size_t b)
{
	int c;

	if (!m->live[a] || !m->live[b])
		return m->live[a] && !m->live[b] ? 1 :
		    (!m->live[a] && !m->live[b] && a < b);
	c = mr_compare(&m->order, &m->cur[a], &m->cur[b]);
	return c < 0 || (c == 0 && a < b);
}

/* Is the record of input a smaller than that of input b? */
static inline int
less(const struct mr_merge *m, size_t a, size_t b)
{
	if (m->prefix[a] != m->prefix[b])
		return m->prefix[a] < m->prefix[b];
	return less_slow(m, a, b);
}

static size_t
build(struct mr_merge *m, size_t node)
{
	size_t l, r;

	if (node >= m->n)
		return node - m->n;
	l = build(m, 2 * node);
	r = build(m, 2 * node + 1);
	if (less(m, l, r)) {
		m->tree[node] = r;
		return l;
	}
	m->tree[node] = l;
	return r;
}

struct mr_merge *
mr_merge_new(struct mr_reader **in, size_t n, const struct mr_order *o)
{
	struct mr_merge *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->in = in;
	m->n = n;
	m->order = *o;
	m->cur = calloc(n ? n : 1, sizeof(*m->cur));
	m->prefix = calloc(n ? n : 1, sizeof(*m->prefix));
	m->use_prefix = !o->numeric;
	m->flip = o->reverse ? ~(uint64_t)0 : 0;
	m->live = calloc(n ? n : 1, 1);
	m->tree = calloc(n ? n : 1, sizeof(*m->tree));
	if (m->cur == NULL || m->prefix == NULL || m->live == NULL ||
	    m->tree == NULL) {
		mr_merge_free(m);
		return NULL;
	}
	return m;
}

void
mr_merge_free(struct mr_merge *m)
{
	if (m == NULL)
		return;
	free(m->cur);
	free(m->prefix);
	free(m->live);
	free(m->tree);
	free(m->prev);
	free(m);
}

static int
reader_failed(struct mr_merge *m, size_t i)
{
	snprintf(m->err, sizeof(m->err), "%s", mr_reader_errmsg(m->in[i]));
	m->failed = 1;
	return -1;
}

/*
 * Keeps the record last given out for the order check, copying it when
 * the next read may move it.
 */
static int
keep_prev(struct mr_merge *m)
{
	const struct mr_rec *r = &m->cur[m->last];
	size_t vlen = m->order.values ? r->vlen : 0;
	size_t need = r->klen + vlen;
	unsigned char *p;

	m->prevprefix = m->prefix[m->last];
	if (mr_reader_stable(m->in[m->last])) {
		m->prevrec = *r;
		return 0;
	}
	if (need > m->prevcap) {
		if ((p = realloc(m->prev, need)) == NULL) {
			snprintf(m->err, sizeof(m->err), "out of memory");
			m->failed = 1;
			return -1;
		}
		m->prev = p;
		m->prevcap = need;
	}
	if (r->klen > 0)
		memcpy(m->prev, r->key, r->klen);
	if (vlen > 0)
		memcpy(m->prev + r->klen, r->val, vlen);
	m->prevrec.key = m->prev;
	m->prevrec.klen = r->klen;
	m->prevrec.val = m->prev + r->klen;
	m->prevrec.vlen = vlen;
	return 0;
}

static int
advance(struct mr_merge *m, size_t i)
{
	int rc;

	rc = mr_read(m->in[i], &m->cur[i]);
	if (rc < 0)
		return reader_failed(m, i);
	m->live[i] = (unsigned char)rc;
	if (rc == 0)
		m->prefix[i] = ~(uint64_t)0;
	else if (m->use_prefix)
		m->prefix[i] = key_prefix(m->cur[i].key, m->cur[i].klen) ^
		    m->flip;
	else
		m->prefix[i] = 0;
	return 0;
}

int
mr_merge_next(struct mr_merge *m, struct mr_rec *rec, size_t *src)
{
	size_t i, w, node, t;

	if (m->failed)
		return -1;
	if (m->n == 0)
		return 0;
	if (!m->started) {
		for (i = 0; i < m->n; i++)
			if (advance(m, i) < 0)
				return -1;
		m->tree[0] = build(m, 1);
		m->started = 1;
	} else {
		w = m->last;
		if (keep_prev(m) < 0 || advance(m, w) < 0)
			return -1;
		if (m->live[w] && (m->prevprefix != m->prefix[w] ?
		    m->prevprefix > m->prefix[w] : mr_compare(&m->order,
		    &m->prevrec, &m->cur[w]) > 0)) {
			snprintf(m->err, sizeof(m->err), "%s: record %llu is "
			    "out of order (inputs must be sorted)",
			    mr_reader_name(m->in[w]),
			    (unsigned long long)mr_reader_count(m->in[w]));
			m->failed = 1;
			return -1;
		}
		/*
		 * The outcome of each match is a coin toss on random keys, so
		 * it picks the winner by arithmetic, not by a branch.
		 */
		for (node = (w + m->n) / 2; node > 0; node /= 2) {
			size_t swap, mask;

			t = m->tree[node];
			swap = (size_t)less(m, t, w);
			mask = 0 - swap;
			m->tree[node] = (w & mask) | (t & ~mask);
			w = (t & mask) | (w & ~mask);
		}
		m->tree[0] = w;
	}
	w = m->tree[0];
	if (!m->live[w])
		return 0;
	m->last = w;
	*rec = m->cur[w];
	if (src != NULL)
		*src = w;
	return 1;
}

const char *
mr_merge_errmsg(const struct mr_merge *m)
{
	return m->err;
}
