/*
 * order.c: the record orders of mrmerge and mrsort.  Keys compare bytewise
 * as unsigned bytes, a shorter key before any longer key it begins; with
 * -n as exact decimal numbers, never through floating point.
 */
#include <stddef.h>
#include <string.h>

#include "mr.h"
#include "decimal.h"

static int
bytecmp(const unsigned char *a, size_t alen, const unsigned char *b,
    size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int c;

	/* an empty key may have no bytes at all (NULL), even for memcmp */
	c = n > 0 ? memcmp(a, b, n) : 0;
	if (c != 0)
		return c;
	return (alen > blen) - (alen < blen);
}

static int
numeric_cmp(const unsigned char *a, size_t alen, const unsigned char *b,
    size_t blen)
{
	struct dec_num na, nb;
	int an, bn, c;

	an = dec_parse(a, alen, &na);
	bn = dec_parse(b, blen, &nb);
	if (an != bn)
		return an ? 1 : -1;
	if (an && (c = dec_cmp(&na, &nb)) != 0)
		return c;
	return bytecmp(a, alen, b, blen);
}

int
mr_keycmp(const struct mr_order *o, const unsigned char *a, size_t alen,
    const unsigned char *b, size_t blen)
{
	int c;

	if (o->numeric)
		c = numeric_cmp(a, alen, b, blen);
	else
		c = bytecmp(a, alen, b, blen);
	return o->reverse ? -c : c;
}

int
mr_compare(const struct mr_order *o, const struct mr_rec *a,
    const struct mr_rec *b)
{
	int c;

	if (o->numeric)
		c = numeric_cmp(a->key, a->klen, b->key, b->klen);
	else
		c = bytecmp(a->key, a->klen, b->key, b->klen);
	if (c == 0 && o->values)
		c = bytecmp(a->val, a->vlen, b->val, b->vlen);
	return o->reverse ? -c : c;
}
