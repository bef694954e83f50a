/*
 * decimal.c: exact fixed-point arithmetic for the sum and mean ops, on
 * wide two's complement integers of DEC_LIMBS 64-bit limbs, in portable C
 * (no 128-bit integer type, no floating point).  Products of limbs are
 * built from 32-bit halves; division and printing work on 32-bit limbs so
 * that every intermediate fits in 64 bits.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "decimal.h"

#define TOP		(DEC_LIMBS - 1)
#define HALVES		(2 * DEC_LIMBS + 2)	/* 32-bit limbs, x 10^6 */
#define BILLION		1000000000U

const uint64_t dec_pow10[20] = {
	1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
	10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
	100000000000ULL, 1000000000000ULL, 10000000000000ULL,
	100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
	100000000000000000ULL, 1000000000000000000ULL,
	10000000000000000000ULL
};

static int
isneg(const uint64_t *w)
{
	return w[TOP] >> 63 != 0;
}

/* Sets *x and returns 1 when w fits in 64 bits, as most sums do. */
static int
small(const uint64_t *w, int64_t *x)
{
	uint64_t ext = (w[0] >> 63) ? UINT64_MAX : 0;
	int i;

	for (i = 1; i < DEC_LIMBS; i++)
		if (w[i] != ext)
			return 0;
	*x = (int64_t)w[0];
	return 1;
}

static void
negate(uint64_t *w)
{
	uint64_t carry = 1;
	int i;

	for (i = 0; i < DEC_LIMBS; i++) {
		w[i] = ~w[i] + carry;
		carry = carry && w[i] == 0;
	}
}

/* The high and low halves of the 128-bit product a * b. */
static uint64_t
mul64(uint64_t a, uint64_t b, uint64_t *hi)
{
	uint64_t al = a & 0xffffffffU, ah = a >> 32;
	uint64_t bl = b & 0xffffffffU, bh = b >> 32;
	uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
	uint64_t mid = (ll >> 32) + (lh & 0xffffffffU) + (hl & 0xffffffffU);

	*hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
	return (mid << 32) | (ll & 0xffffffffU);
}

/*
 * Sets the unsigned w to w * m + add.  Returns 0, or -1 when the result
 * does not fit below the sign bit.
 */
static int
umul_add(uint64_t *w, uint64_t m, uint64_t add)
{
	uint64_t carry = add, hi, lo;
	int i;

	for (i = 0; i < DEC_LIMBS; i++) {
		lo = mul64(w[i], m, &hi);
		lo += carry;
		hi += lo < carry;
		w[i] = lo;
		carry = hi;
	}
	return carry != 0 || isneg(w) ? -1 : 0;
}

/* Appends the n digits at p to the unsigned w.  Returns 0 or -1. */
static int
append_digits(uint64_t *w, const unsigned char *p, size_t n)
{
	uint64_t chunk;
	size_t k, i;

	while (n > 0) {
		k = n < 19 ? n : 19;
		for (chunk = 0, i = 0; i < k; i++)
			chunk = chunk * 10 + (uint64_t)(p[i] - '0');
		if (umul_add(w, dec_pow10[k], chunk) < 0)
			return -1;
		p += k;
		n -= k;
	}
	return 0;
}

/* Multiplies the unsigned w by 10^k.  Returns 0 or -1. */
static int
umul10(uint64_t *w, size_t k)
{
	size_t step;
	int i;

	for (i = 0; i < DEC_LIMBS && w[i] == 0; i++)
		;
	if (i == DEC_LIMBS)
		return 0;
	for (; k > 0; k -= step) {
		step = k < 19 ? k : 19;
		if (umul_add(w, dec_pow10[step], 0) < 0)
			return -1;
	}
	return 0;
}

int
dec_set(uint64_t *w, const struct dec_num *n, size_t scale)
{
	uint64_t t[DEC_LIMBS] = { 0 };

	if (append_digits(t, n->ip, n->il) < 0 ||
	    append_digits(t, n->fp, n->fl) < 0 ||
	    umul10(t, scale - n->fl) < 0)
		return -1;
	if (n->neg)
		negate(t);
	memcpy(w, t, sizeof(t));
	return 0;
}

int
dec_add(uint64_t *w, const uint64_t *v)
{
	uint64_t t[DEC_LIMBS], carry = 0, s;
	int i;

	for (i = 0; i < DEC_LIMBS; i++) {
		s = w[i] + carry;
		carry = s < carry;
		t[i] = s + v[i];
		carry += t[i] < s;
	}
	/* like signs in, the other sign out */
	if (isneg(w) == isneg(v) && isneg(t) != isneg(w))
		return -1;
	memcpy(w, t, sizeof(t));
	return 0;
}

int
dec_add64(uint64_t *w, int64_t x)
{
	uint64_t v[DEC_LIMBS];
	int i;

	v[0] = (uint64_t)x;
	for (i = 1; i < DEC_LIMBS; i++)
		v[i] = x < 0 ? UINT64_MAX : 0;
	return dec_add(w, v);
}

int
dec_mul10(uint64_t *w, size_t k)
{
	uint64_t t[DEC_LIMBS];
	int neg = isneg(w);

	memcpy(t, w, sizeof(t));
	if (neg)
		negate(t);
	if (umul10(t, k) < 0)
		return -1;
	if (neg)
		negate(t);
	memcpy(w, t, sizeof(t));
	return 0;
}

int
dec_fits(const uint64_t *w, size_t digits)
{
	uint64_t t[DEC_LIMBS], lim[DEC_LIMBS] = { 1 };
	int64_t x;
	int i;

	if (small(w, &x) && x != INT64_MIN)
		return digits > 18 || (uint64_t)(x < 0 ? -x : x) <
		    dec_pow10[digits];
	memcpy(t, w, sizeof(t));
	if (isneg(t))
		negate(t);
	if (umul10(lim, digits) < 0)
		return 1;
	for (i = TOP; i >= 0; i--)
		if (t[i] != lim[i])
			return t[i] < lim[i];
	return 0;
}

/* Splits the magnitude of w into 32-bit limbs, least first. */
static int
halves(const uint64_t *w, uint32_t *x)
{
	uint64_t t[DEC_LIMBS];
	int i, neg = isneg(w);

	memcpy(t, w, sizeof(t));
	if (neg)
		negate(t);
	memset(x, 0, HALVES * sizeof(*x));
	for (i = 0; i < DEC_LIMBS; i++) {
		x[2 * i] = (uint32_t)t[i];
		x[2 * i + 1] = (uint32_t)(t[i] >> 32);
	}
	return neg;
}

/* Divides x by d < 2^32 and returns the remainder. */
static uint32_t
div32(uint32_t *x, uint32_t d)
{
	uint64_t r = 0, cur;
	int i;

	for (i = HALVES - 1; i >= 0; i--) {
		cur = r << 32 | x[i];
		x[i] = (uint32_t)(cur / d);
		r = cur % d;
	}
	return (uint32_t)r;
}

/* Divides x by any d > 0, a bit at a time, and returns the remainder. */
static uint64_t
div64(uint32_t *x, uint64_t d)
{
	uint64_t r = 0;
	int i, b, high;

	if (d >> 32 == 0)
		return div32(x, (uint32_t)d);
	for (i = HALVES - 1; i >= 0; i--) {
		for (b = 31; b >= 0; b--) {
			high = r >> 63 != 0;
			r = r << 1 | (x[i] >> b & 1);
			x[i] &= ~(1U << b);
			if (high || r >= d) {
				r -= d;
				x[i] |= 1U << b;
			}
		}
	}
	return r;
}

static int
iszero(const uint32_t *x)
{
	int i;

	for (i = 0; i < HALVES; i++)
		if (x[i] != 0)
			return 0;
	return 1;
}

/* Writes the digits of v so that they end at end; returns how many. */
static size_t
digits64(uint64_t v, unsigned char *end)
{
	unsigned char *d = end;

	do {
		*--d = (unsigned char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return (size_t)(end - d);
}

/* As digits64(), for the magnitude x, which it destroys. */
static size_t
digits(uint32_t *x, unsigned char *end)
{
	unsigned char *d = end;
	uint32_t r;
	int i;

	for (i = HALVES - 1; i > 1 && x[i] == 0; i--)
		;
	if (i <= 1)
		return digits64((uint64_t)x[1] << 32 | x[0], end);
	do {
		r = div32(x, BILLION);
		for (i = 0; i < 9; i++) {
			*--d = (unsigned char)('0' + r % 10);
			r /= 10;
		}
	} while (!iszero(x));
	while (d < end - 1 && *d == '0')
		d++;
	return (size_t)(end - d);
}

/*
 * Writes the n digits at d divided by 10^scale, with a minus sign when neg
 * and the number is not 0, and trailing fraction zeros removed down to
 * keep fraction digits.
 */
static size_t
place(unsigned char *out, int neg, const unsigned char *d, size_t n,
    size_t scale, size_t keep)
{
	size_t len = 0;

	if (n == 1 && d[0] == '0') {
		neg = 0;
		scale = keep;
	}
	while (scale > keep && n > 1 && d[n - 1] == '0') {
		n--;
		scale--;
	}
	if (neg)
		out[len++] = '-';
	if (n <= scale) {
		out[len++] = '0';
		out[len++] = '.';
		memset(out + len, '0', scale - n);
		len += scale - n;
		memcpy(out + len, d, n);
		return len + n;
	}
	memcpy(out + len, d, n - scale);
	len += n - scale;
	if (scale > 0) {
		out[len++] = '.';
		memcpy(out + len, d + n - scale, scale);
		len += scale;
	}
	return len;
}

size_t
dec_u64(uint64_t v, unsigned char *out)
{
	unsigned char buf[24];
	size_t n = digits64(v, buf + sizeof(buf));

	memcpy(out, buf + sizeof(buf) - n, n);
	return n;
}

size_t
dec_format(const uint64_t *w, size_t scale, unsigned char *out)
{
	unsigned char buf[DEC_TEXT_MAX], *end = buf + sizeof(buf);
	uint32_t x[HALVES];
	int neg = halves(w, x);
	size_t n;

	n = digits(x, end);
	return place(out, neg, end - n, n, scale, scale);
}

size_t
dec_mean(const uint64_t *w, size_t scale, uint64_t count, unsigned char *out)
{
	unsigned char buf[DEC_TEXT_MAX], *end = buf + sizeof(buf);
	uint32_t x[HALVES];
	uint64_t r, carry = 0, cur, q;
	int64_t v;
	int i, neg;
	size_t n;

	/* a sum below 2^44 in magnitude times 10^6 fits in 64 bits */
	if (small(w, &v) && v > -(INT64_C(1) << 44) && v < INT64_C(1) << 44) {
		cur = (uint64_t)(v < 0 ? -v : v) * 1000000U;
		q = cur / count;
		r = cur % count;
		if (r > count - r || (r == count - r && (q & 1)))
			q++;
		n = digits64(q, end);
		return place(out, v < 0, end - n, n, scale + DEC_MEAN_EXTRA,
		    scale);
	}
	neg = halves(w, x);
	/* scaled by 10^6 first; the two extra limbs take the carry */
	for (i = 0; i < HALVES; i++) {
		cur = (uint64_t)x[i] * 1000000U + carry;
		x[i] = (uint32_t)cur;
		carry = cur >> 32;
	}
	r = div64(x, count);
	/* half to even: up when r > count / 2, or r == count / 2 and odd */
	if (r > count - r || (r == count - r && (x[0] & 1))) {
		for (i = 0; i < HALVES && ++x[i] == 0; i++)
			;
	}
	n = digits(x, end);
	return place(out, neg, end - n, n, scale + DEC_MEAN_EXTRA, scale);
}
