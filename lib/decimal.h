/*
 * decimal.h: decimal numbers as the mr tools read them, and the wide
 * fixed-point integers that sum and mean add them in.  Internal to libmr.
 *
 * A number is an optional sign, + or -, decimal digits, an optional point
 * and more digits, with at least one digit in all: "7", "-0.5", "+12."
 * and ".25" are numbers; nothing else is (no blanks, no exponent).  The
 * same syntax serves the -n key order (order.c) and the numeric reduce
 * ops (ops.c).
 *
 * A wide integer is DEC_LIMBS 64-bit limbs, least significant first, in
 * two's complement.
 */
#ifndef MR_DECIMAL_H
#define MR_DECIMAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mr.h"

#define DEC_LIMBS	MR_AGG_LIMBS
#define DEC_TEXT_MAX	256	/* bytes of any wide number as text */

struct dec_num {
	int neg;			/* a minus sign on a nonzero number */
	const unsigned char *ip;	/* integer digits, no leading zeros */
	size_t il;
	const unsigned char *fp;	/* fraction digits, no trailing zeros */
	size_t fl;
	size_t scale;			/* fraction digits as written */
};

static inline int
dec_isdigit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/*
 * dec_parse() returns 1 and fills n when the len bytes at p are a number,
 * 0 otherwise.  The digits n points to are p's.
 */
static inline int
dec_parse(const unsigned char *p, size_t len, struct dec_num *n)
{
	const unsigned char *end = p + len, *q;
	size_t digits;

	n->neg = 0;
	if (p < end && (*p == '-' || *p == '+')) {
		n->neg = *p == '-';
		p++;
	}
	for (q = p; q < end && dec_isdigit(*q); q++)
		;
	digits = (size_t)(q - p);
	while (p < q && *p == '0')
		p++;
	n->ip = p;
	n->il = (size_t)(q - p);
	n->fp = q;
	n->fl = 0;
	n->scale = 0;
	if (q < end && *q == '.') {
		p = ++q;
		for (; q < end && dec_isdigit(*q); q++)
			;
		digits += (size_t)(q - p);
		n->fp = p;
		n->fl = n->scale = (size_t)(q - p);
		while (n->fl > 0 && n->fp[n->fl - 1] == '0')
			n->fl--;
	}
	if (q != end || digits == 0)
		return 0;
	if (n->il == 0 && n->fl == 0)
		n->neg = 0;
	return 1;
}

/* dec_cmp() compares two parsed numbers by value: <0, 0 or >0. */
static inline int
dec_cmp(const struct dec_num *a, const struct dec_num *b)
{
	size_t common;
	int c;

	if (a->neg != b->neg)
		return a->neg ? -1 : 1;
	if (a->il != b->il)
		c = a->il < b->il ? -1 : 1;
	else if ((c = memcmp(a->ip, b->ip, a->il)) == 0) {
		common = a->fl < b->fl ? a->fl : b->fl;
		if ((c = memcmp(a->fp, b->fp, common)) == 0)
			c = (a->fl > b->fl) - (a->fl < b->fl);
	}
	return a->neg ? -c : c;
}

/* dec_pow10[k] is 10^k. */
extern const uint64_t dec_pow10[20];

/* dec_u64() writes v in decimal to out (20 bytes) and returns the length. */
size_t dec_u64(uint64_t v, unsigned char *out);

/*
 * dec_set() sets w to the number n times 10^scale, where scale is at
 * least n's fraction digits.  Returns 0, or -1 when that does not fit.
 */
int dec_set(uint64_t *w, const struct dec_num *n, size_t scale);

/* dec_add() adds v to w; dec_add64() adds x.  Return 0, or -1 on overflow. */
int dec_add(uint64_t *w, const uint64_t *v);
int dec_add64(uint64_t *w, int64_t x);

/* dec_mul10() multiplies w by 10^k.  Returns 0, or -1 on overflow. */
int dec_mul10(uint64_t *w, size_t k);

/* dec_fits() is 1 when |w| < 10^digits, for digits up to 38. */
int dec_fits(const uint64_t *w, size_t digits);

/*
 * dec_format() writes w divided by 10^scale as decimal text to out, which
 * has room for DEC_TEXT_MAX + scale bytes, and returns its length: a minus
 * sign unless w is 0, the integer digits (at least one) and, when scale is
 * not 0, a point and scale fraction digits.
 */
size_t dec_format(const uint64_t *w, size_t scale, unsigned char *out);

/*
 * dec_mean() writes w / 10^scale divided by count, count at least 1,
 * rounded half to even at scale + DEC_MEAN_EXTRA fraction digits, with
 * trailing zeros after the first scale fraction digits removed, as
 * dec_format() does.  Returns the length.
 */
#define DEC_MEAN_EXTRA	6
size_t dec_mean(const uint64_t *w, size_t scale, uint64_t count,
    unsigned char *out);

#endif
