/*
 * combine.c: in-map combining.  A hash table maps each key to the state
 * of a built-in op (ops.c) in bounded memory; when it is full, every
 * key's partial state is written out in the order the keys first came,
 * and the table starts again empty.
 */
#include <stdlib.h>
#include <string.h>

#include "mr.h"

#define HEAD	16	/* key bytes kept in the entry itself */
#define LINE	64	/* a cache line */

/*
 * An entry is two cache lines, aligned: what a lookup compares and the
 * count of an op come first, in one line, so that counting a key that
 * is already there reads one line.
 */
struct entry {
	_Alignas(LINE) uint64_t hash;
	uint32_t klen;		/* the key, in keys[] (MR_REC_MAX fits) */
	size_t koff;
	unsigned char head[HEAD];	/* its first bytes, zero-padded */
	struct mr_agg agg;
};

struct mr_combine {
	struct mr_op op;
	int heapful;		/* its states may hold heap memory */
	size_t budget;
	struct entry *ent;	/* in the order keys first came */
	size_t n, ncap;
	uint32_t *slot;		/* entry index + 1, or 0 for none */
	size_t nslot;		/* a power of two, at least 2 n */
	unsigned char *keys;
	size_t klen, kcap;
	size_t heap;		/* heap bytes of all states */
	uint64_t adds, groups;
	struct mr_buf state;
};

/*
 * Short keys, the common case (words), compare within the entry, without
 * touching the key store or calling memcmp().
 */
static int
same_key(const struct mr_combine *c, const struct entry *e,
    const unsigned char head[HEAD], const struct mr_rec *rec)
{
	if (e->klen != rec->klen || memcmp(e->head, head, HEAD) != 0)
		return 0;
	return rec->klen <= HEAD || memcmp(c->keys + e->koff + HEAD,
	    rec->key + HEAD, rec->klen - HEAD) == 0;
}

struct mr_combine *
mr_combine_new(const struct mr_op *op, size_t budget)
{
	struct mr_combine *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->op = *op;
	c->heapful = !(op->code == MR_OP_COUNT || op->code == MR_OP_SUM ||
	    op->code == MR_OP_MEAN);
	c->budget = budget;
	return c;
}

static size_t
used(const struct mr_combine *c)
{
	return c->ncap * sizeof(*c->ent) + c->nslot * sizeof(*c->slot) +
	    c->kcap + c->heap;
}

/*
 * grow() makes the array at *p (of *cap elements of size each) hold at
 * least want elements, doubling it, unless that takes the table over its
 * budget while it holds something: then 1, so the caller flushes first.
 * Returns 0, 1 or -1 when out of memory.
 */
static int
grow(struct mr_combine *c, void **p, size_t *cap, size_t size, size_t want)
{
	size_t ncap = *cap == 0 ? 1024 : *cap;
	void *np;

	if (want <= *cap)
		return 0;
	while (ncap < want)
		ncap *= 2;
	if (c->n > 0 && used(c) + (ncap - *cap) * size > c->budget)
		return 1;
	/* the entries stay aligned to cache lines */
	if (posix_memalign(&np, LINE, ncap * size) != 0)
		return -1;
	if (*cap > 0)
		memcpy(np, *p, *cap * size);
	free(*p);
	*p = np;
	*cap = ncap;
	return 0;
}

static int
grow_slots(struct mr_combine *c)
{
	size_t nslot = c->nslot == 0 ? 4096 : 2 * c->nslot, i, j;
	uint32_t *slot;

	if (c->n > 0 && used(c) + (nslot - c->nslot) * sizeof(*slot) >
	    c->budget)
		return 1;
	if ((slot = calloc(nslot, sizeof(*slot))) == NULL)
		return -1;
	for (i = 0; i < c->n; i++) {
		j = (size_t)c->ent[i].hash & (nslot - 1);
		while (slot[j] != 0)
			j = (j + 1) & (nslot - 1);
		slot[j] = (uint32_t)(i + 1);
	}
	free(c->slot);
	c->slot = slot;
	c->nslot = nslot;
	return 0;
}

/*
 * Finds the entry of a key, or makes one (*slotp then says where, so a
 * new entry can be taken back); NULL with *err set when it cannot.
 */
static struct entry *
lookup(struct mr_combine *c, const struct mr_rec *rec, size_t *slotp,
    int *err)
{
	uint64_t h = mr_hash64(rec->key, rec->klen);
	unsigned char head[HEAD] = { 0 };
	struct entry *e;
	size_t j;

	memcpy(head, rec->key, rec->klen < HEAD ? rec->klen : HEAD);

	*slotp = SIZE_MAX;
	if (c->nslot != 0) {
		j = (size_t)h & (c->nslot - 1);
		while (c->slot[j] != 0) {
			e = &c->ent[c->slot[j] - 1];
			if (e->hash == h && same_key(c, e, head, rec))
				return e;
			j = (j + 1) & (c->nslot - 1);
		}
	}
	if ((2 * (c->n + 1) > c->nslot && (*err = grow_slots(c)) != 0) ||
	    (*err = grow(c, (void **)&c->ent, &c->ncap, sizeof(*c->ent),
	    c->n + 1)) != 0 ||
	    (*err = grow(c, (void **)&c->keys, &c->kcap, 1,
	    c->klen + rec->klen + 1)) != 0)	/* + 1: never NULL */
		return NULL;
	j = (size_t)h & (c->nslot - 1);
	while (c->slot[j] != 0)
		j = (j + 1) & (c->nslot - 1);
	c->slot[j] = (uint32_t)(c->n + 1);
	*slotp = j;
	e = &c->ent[c->n++];
	e->hash = h;
	e->koff = c->klen;
	e->klen = (uint32_t)rec->klen;
	memcpy(e->head, head, HEAD);
	if (rec->klen > 0)
		memcpy(c->keys + c->klen, rec->key, rec->klen);
	c->klen += rec->klen;
	mr_agg_init(&e->agg);
	return e;
}

int
mr_combine_add(struct mr_combine *c, const struct mr_rec *rec)
{
	struct entry *e;
	size_t before, slot;
	int err = 0;

	if (c->n > 0 && used(c) > c->budget)
		return 1;
	if ((e = lookup(c, rec, &slot, &err)) == NULL)
		return err;
	/* only the ops that keep a value hold heap memory */
	before = c->heapful ? mr_agg_heap(&e->agg) : 0;
	if ((err = mr_agg_add(&c->op, &e->agg, rec->val, rec->vlen)) != 0) {
		/* a key is never made up from a value that was refused */
		if (slot != SIZE_MAX) {
			mr_agg_free(&e->agg);
			c->slot[slot] = 0;
			c->klen -= e->klen;
			c->n--;
		}
		return err;
	}
	if (c->heapful)
		c->heap += mr_agg_heap(&e->agg) - before;
	c->adds++;
	return 0;
}

int
mr_combine_flush(struct mr_combine *c, struct mr_writer *w)
{
	struct mr_rec rec;
	struct entry *e;
	size_t i;
	int err = 0;

	for (i = 0; i < c->n; i++) {
		e = &c->ent[i];
		if (err == 0 &&
		    (err = mr_agg_partial(&c->op, &e->agg, &c->state)) == 0) {
			rec.key = c->keys + e->koff;
			rec.klen = e->klen;
			rec.val = c->state.p;
			rec.vlen = c->state.len;
			err = mr_write(w, &rec);
		}
		mr_agg_free(&e->agg);
	}
	c->groups += c->n;
	c->n = 0;
	c->klen = 0;
	c->heap = 0;
	if (c->nslot != 0)
		memset(c->slot, 0, c->nslot * sizeof(*c->slot));
	return err;
}

uint64_t
mr_combine_inputs(const struct mr_combine *c)
{
	return c->adds;
}

uint64_t
mr_combine_outputs(const struct mr_combine *c)
{
	return c->groups;
}

void
mr_combine_free(struct mr_combine *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		mr_agg_free(&c->ent[i].agg);
	free(c->ent);
	free(c->slot);
	free(c->keys);
	free(c->state.p);
	free(c);
}
