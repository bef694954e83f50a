/*
 * order.c: the record orders of mrmerge and mrsort.  Keys compare bytewise
 * as unsigned bytes, a shorter key before any longer key it begins; with
 * -n as exact decimal numbers, never through floating point.
 */
#include <stddef.h>
#include <string.h>

#include "mr.h"

struct number {
	int neg;
	const unsigned char *ip;	/* integer digits, no leading zeros */
	size_t il;
	const unsigned char *fp;	/* fraction digits, no trailing zeros */
	size_t fl;
};

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
isdig(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Returns 1 and fills n when p is a number for -n: an optional sign,
 * decimal digits, an optional point and fraction digits, with at least
 * one digit in all.
 */
static int
number_parse(const unsigned char *p, size_t len, struct number *n)
{
	const unsigned char *end = p + len, *q;
	size_t digits = 0;

	n->neg = 0;
	if (p < end && (*p == '-' || *p == '+')) {
		n->neg = *p == '-';
		p++;
	}
	for (q = p; q < end && isdig(*q); q++)
		;
	digits += (size_t)(q - p);
	while (p < q && *p == '0')
		p++;
	n->ip = p;
	n->il = (size_t)(q - p);
	n->fp = q;
	n->fl = 0;
	if (q < end && *q == '.') {
		p = ++q;
		for (; q < end && isdig(*q); q++)
			;
		digits += (size_t)(q - p);
		n->fp = p;
		n->fl = (size_t)(q - p);
		while (n->fl > 0 && n->fp[n->fl - 1] == '0')
			n->fl--;
	}
	if (q != end || digits == 0)
		return 0;
	if (n->il == 0 && n->fl == 0)
		n->neg = 0;
	return 1;
}

static int
magnitude_cmp(const struct number *a, const struct number *b)
{
	size_t common;
	int c;

	if (a->il != b->il)
		return a->il < b->il ? -1 : 1;
	c = memcmp(a->ip, b->ip, a->il);
	if (c != 0)
		return c;
	common = a->fl < b->fl ? a->fl : b->fl;
	c = memcmp(a->fp, b->fp, common);
	if (c != 0)
		return c;
	return (a->fl > b->fl) - (a->fl < b->fl);
}

static int
numeric_cmp(const unsigned char *a, size_t alen, const unsigned char *b,
    size_t blen)
{
	struct number na, nb;
	int an, bn, c;

	an = number_parse(a, alen, &na);
	bn = number_parse(b, blen, &nb);
	if (an != bn)
		return an ? 1 : -1;
	if (an) {
		if (na.neg != nb.neg)
			return na.neg ? -1 : 1;
		c = magnitude_cmp(&na, &nb);
		if (c != 0)
			return na.neg ? -c : c;
	}
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
