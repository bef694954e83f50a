/*
 * table.c: the records of the small input of a hash join, in memory,
 * found by key.  A key is an entry, reached from an open-addressing array
 * of slots by the hash of its bytes; a slot holds half of the hash too,
 * so that a lookup of a key that is not there seldom reads an entry.  An
 * entry holds its first value; the others are a chain of nodes in the
 * order they were added.  Key and value bytes live in one store, so a key
 * with one value, the common case, has both side by side.  Every array
 * counts whole against the budget, at the size it was given.
 */
#include <stdlib.h>
#include <string.h>

#include "mr.h"

/*
 * A key: its hash, its bytes, its first value, and the second and last
 * of the others, each an index in vals + 1, or 0 for none.
 */
struct entry {
	uint64_t hash;
	size_t koff, voff;	/* in bytes */
	uint32_t klen, vlen;	/* MR_REC_MAX fits */
	uint32_t more, last;
};

/* A value: its bytes, and the next value of its key + 1, or 0. */
struct val {
	size_t off;
	uint32_t len;
	uint32_t next;
};

struct mr_table {
	size_t budget;
	struct entry *ent;
	size_t n, ncap;
	struct val *vals;
	size_t nval, vcap;
	uint64_t *slot;		/* hash >> 32 << 32 | entry index + 1, or 0 */
	size_t nslot;		/* a power of two, at least 2 n */
	unsigned char *bytes;
	size_t len, cap;
};

struct mr_table *
mr_table_new(size_t budget)
{
	struct mr_table *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->budget = budget;
	return t;
}

size_t
mr_table_used(const struct mr_table *t)
{
	return t->ncap * sizeof(*t->ent) + t->vcap * sizeof(*t->vals) +
	    t->nslot * sizeof(*t->slot) + t->cap;
}

/*
 * Makes the array at *p (of *cap elements of size each) hold at least
 * want elements: twice as many as it held, or as many as the budget
 * leaves room for when that is less.  Returns 0, 1 when the budget has
 * no room for want, or -1 when out of memory.
 */
static int
grow(struct mr_table *t, void **p, size_t *cap, size_t size, size_t want)
{
	size_t others = mr_table_used(t) - *cap * size, room;
	size_t ncap = *cap == 0 ? 64 : 2 * *cap;
	void *np;

	if (want <= *cap)
		return 0;
	if (others > t->budget || (room = t->budget - others) / size < want)
		return 1;
	while (ncap < want)
		ncap *= 2;
	if (ncap > room / size)
		ncap = room / size;
	if ((np = realloc(*p, ncap * size)) == NULL)
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}

/* The slot of entry i, whose hash is h. */
static inline uint64_t
tagged(uint64_t h, size_t i)
{
	return (h >> 32 << 32) | (uint64_t)(i + 1);
}

/* Doubles the slots and puts every entry in them again. */
static int
grow_slots(struct mr_table *t)
{
	size_t nslot = t->nslot == 0 ? 64 : 2 * t->nslot, i, j;
	uint64_t *slot;

	if (mr_table_used(t) + (nslot - t->nslot) * sizeof(*slot) > t->budget)
		return 1;
	if ((slot = calloc(nslot, sizeof(*slot))) == NULL)
		return -1;
	for (i = 0; i < t->n; i++) {
		j = (size_t)t->ent[i].hash & (nslot - 1);
		while (slot[j] != 0)
			j = (j + 1) & (nslot - 1);
		slot[j] = tagged(t->ent[i].hash, i);
	}
	free(t->slot);
	t->slot = slot;
	t->nslot = nslot;
	return 0;
}

/*
 * The slot of key, whose hash is h: the one that holds its entry, or the
 * empty slot where it would go.
 */
static size_t
find_slot(const struct mr_table *t, uint64_t h, const unsigned char *key,
    size_t klen)
{
	const struct entry *e;
	size_t j = (size_t)h & (t->nslot - 1);
	uint64_t s;

	while ((s = t->slot[j]) != 0) {
		if (s >> 32 == h >> 32) {
			e = &t->ent[(uint32_t)s - 1];
			if (e->klen == klen && (klen == 0 ||
			    memcmp(t->bytes + e->koff, key, klen) == 0))
				break;
		}
		j = (j + 1) & (t->nslot - 1);
	}
	return j;
}

/* Copies len bytes to the store, which has room. */
static size_t
store(struct mr_table *t, const unsigned char *p, size_t len)
{
	size_t off = t->len;

	if (len > 0)
		memcpy(t->bytes + off, p, len);
	t->len += len;
	return off;
}

int
mr_table_add(struct mr_table *t, const struct mr_rec *rec)
{
	uint64_t h = mr_hash64(rec->key, rec->klen);
	struct entry *e;
	struct val *v;
	size_t j = 0, nslot = t->nslot;
	int err, found = 0;

	if (t->nslot != 0) {
		j = find_slot(t, h, rec->key, rec->klen);
		found = t->slot[j] != 0;
	}
	if (t->nval + 1 >= UINT32_MAX || (!found && t->n + 1 >= UINT32_MAX))
		return 1;
	/* the store gets one byte more, so that it is never NULL */
	if ((!found && 2 * (t->n + 1) > t->nslot &&
	    (err = grow_slots(t)) != 0) ||
	    (!found && (err = grow(t, (void **)&t->ent, &t->ncap,
	    sizeof(*t->ent), t->n + 1)) != 0) ||
	    (found && (err = grow(t, (void **)&t->vals, &t->vcap,
	    sizeof(*t->vals), t->nval + 1)) != 0) ||
	    (err = grow(t, (void **)&t->bytes, &t->cap, 1, t->len +
	    (found ? 0 : rec->klen) + rec->vlen + 1)) != 0)
		return err;
	if (!found) {
		/* the empty slot found is the one, unless the slots grew */
		if (t->nslot != nslot)
			j = find_slot(t, h, rec->key, rec->klen);
		t->slot[j] = tagged(h, t->n);
		e = &t->ent[t->n++];
		e->hash = h;
		e->klen = (uint32_t)rec->klen;
		e->koff = store(t, rec->key, rec->klen);
		e->vlen = (uint32_t)rec->vlen;
		e->voff = store(t, rec->val, rec->vlen);
		e->more = e->last = 0;
		return 0;
	}
	e = &t->ent[(uint32_t)t->slot[j] - 1];
	v = &t->vals[t->nval++];
	v->off = store(t, rec->val, rec->vlen);
	v->len = (uint32_t)rec->vlen;
	v->next = 0;
	if (e->last != 0)
		t->vals[e->last - 1].next = (uint32_t)t->nval;
	else
		e->more = (uint32_t)t->nval;
	e->last = (uint32_t)t->nval;
	return 0;
}

int
mr_table_find(const struct mr_table *t, const unsigned char *key,
    size_t klen, struct mr_table_iter *it)
{
	const struct entry *e;
	size_t j;

	it->t = t;
	it->first = 0;
	it->next = 0;
	if (t->n == 0)
		return 0;
	j = find_slot(t, mr_hash64(key, klen), key, klen);
	if (t->slot[j] == 0)
		return 0;
	e = &t->ent[(uint32_t)t->slot[j] - 1];
	it->first = 1;
	it->v = t->bytes + e->voff;
	it->vlen = e->vlen;
	it->next = e->more;
	return 1;
}

int
mr_table_next(struct mr_table_iter *it, const unsigned char **v,
    size_t *len)
{
	const struct val *val;

	if (it->first) {
		it->first = 0;
		*v = it->v;
		*len = it->vlen;
		return 1;
	}
	if (it->next == 0)
		return 0;
	val = &it->t->vals[it->next - 1];
	*v = it->t->bytes + val->off;
	*len = val->len;
	it->next = val->next;
	return 1;
}

size_t
mr_table_keys(const struct mr_table *t)
{
	return t->n;
}

void
mr_table_free(struct mr_table *t)
{
	if (t == NULL)
		return;
	free(t->ent);
	free(t->vals);
	free(t->slot);
	free(t->bytes);
	free(t);
}
