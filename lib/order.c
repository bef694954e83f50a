/*
 * order.c: the record orders of mrmerge and mrsort.  Keys compare bytewise
 * as unsigned bytes, a shorter key before any longer key it begins; with
 * -n as exact decimal numbers, never through floating point.  Values
 * compare bytewise, or by keys within them first (--values=KEYDEF), which
 * pick bytes of a value's fields as sort(1)'s -k picks them of a line's.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

/*
 * Numbers by value, after the strings that are not numbers, which compare
 * bytewise among themselves; numbers equal in value but not in bytes
 * ("1" and "1.0") tie, so that the next key within values decides, as in
 * sort(1).
 */
static int
number_cmp(const unsigned char *a, size_t alen, const unsigned char *b,
    size_t blen)
{
	struct dec_num na, nb;
	int an, bn;

	an = dec_parse(a, alen, &na);
	bn = dec_parse(b, blen, &nb);
	if (an != bn)
		return an ? 1 : -1;
	return an ? dec_cmp(&na, &nb) : bytecmp(a, alen, b, blen);
}

/*
 * The order of -n: as number_cmp(), but numbers equal in value are
 * ordered bytewise, so that equal keys are equal bytes.
 */
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

/*
 * The first byte of the field f fields on from p, where a field starts,
 * or end when the value has fewer.
 */
static const unsigned char *
skip_fields(const unsigned char *p, const unsigned char *end,
    unsigned char sep, size_t f)
{
	const unsigned char *s;

	for (; f > 0; f--) {
		if ((s = memchr(p, sep, (size_t)(end - p))) == NULL)
			return end;
		p = s + 1;
	}
	return p;
}

/* The length of the first field of the len bytes at p. */
static size_t
field_len(const unsigned char *p, size_t len, unsigned char sep)
{
	const unsigned char *s = len > 0 ? memchr(p, sep, len) : NULL;

	return s != NULL ? (size_t)(s - p) : len;
}

/* Points *key and *len at the bytes of the value (v, vlen) that k picks. */
static void
valkey_bytes(const struct mr_valkey *k, unsigned char sep,
    const unsigned char *v, size_t vlen, const unsigned char **key,
    size_t *len)
{
	const unsigned char *end = v + vlen, *f, *b, *e;

	if (vlen == 0) {
		*key = v;
		*len = 0;
		return;
	}
	f = skip_fields(v, end, sep, k->sfield);
	b = (size_t)(end - f) > k->schar ? f + k->schar : end;
	e = end;
	if (k->efield != SIZE_MAX) {
		/* on from POS1's field, unless POS2's comes before it */
		if (k->efield >= k->sfield)
			f = skip_fields(f, end, sep, k->efield - k->sfield);
		else
			f = skip_fields(v, end, sep, k->efield);
		if (k->echar > 0)
			e = (size_t)(end - f) > k->echar ? f + k->echar : end;
		else
			e = f + field_len(f, (size_t)(end - f), sep);
	}
	*key = b;
	*len = e > b ? (size_t)(e - b) : 0;
}

/* Compares two values by o's keys within them: 0 when they all tie. */
static int
valkeys_cmp(const struct mr_order *o, const unsigned char *a, size_t alen,
    const unsigned char *b, size_t blen)
{
	const struct mr_valkey *k;
	const unsigned char *ka, *kb;
	size_t i, kal, kbl;
	int c;

	for (i = 0; i < o->nvkeys; i++) {
		k = &o->vkeys[i];
		valkey_bytes(k, o->sep, a, alen, &ka, &kal);
		valkey_bytes(k, o->sep, b, blen, &kb, &kbl);
		if (k->numeric) {
			/* a number holds no separator: it ends a field */
			kal = field_len(ka, kal, o->sep);
			kbl = field_len(kb, kbl, o->sep);
			c = number_cmp(ka, kal, kb, kbl);
		} else
			c = bytecmp(ka, kal, kb, kbl);
		if (c != 0)
			return k->reverse ? -c : c;
	}
	return 0;
}

/* The order of values: by the keys within them, then whole, bytewise. */
static inline int
value_cmp(const struct mr_order *o, const unsigned char *a, size_t alen,
    const unsigned char *b, size_t blen)
{
	int c = o->nvkeys > 0 ? valkeys_cmp(o, a, alen, b, blen) : 0;

	return c != 0 ? c : bytecmp(a, alen, b, blen);
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
mr_valcmp(const struct mr_order *o, const unsigned char *a, size_t alen,
    const unsigned char *b, size_t blen)
{
	int c = value_cmp(o, a, alen, b, blen);

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
		c = value_cmp(o, a->val, a->vlen, b->val, b->vlen);
	return o->reverse ? -c : c;
}

/*
 * Parses the decimal number at *s into *n, SIZE_MAX when it is larger, and
 * moves *s past it.  Returns -1 when there is no digit.
 */
static int
parse_number(const char **s, size_t *n)
{
	const char *p = *s;
	size_t v = 0;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++)
		v = v > (SIZE_MAX - 9) / 10 ? SIZE_MAX : v * 10 +
		    (size_t)(*p - '0');
	*s = p;
	*n = v;
	return 0;
}

/*
 * Parses the position F[.C][MODS] at *s into *field and *byte (as they
 * are written, from 1; *byte is left alone without .C) and the modifiers
 * into k, and moves *s past it.  Returns 0, or -1 with the reason in err,
 * where after says what the position follows.
 */
static int
parse_pos(const char **s, size_t *field, size_t *byte, struct mr_valkey *k,
    const char *after, char *err, size_t errsize)
{
	if (parse_number(s, field) < 0) {
		snprintf(err, errsize, "no field number %s", after);
		return -1;
	}
	if (*field == 0) {
		snprintf(err, errsize, "fields count from 1, not 0");
		return -1;
	}
	if (**s == '.') {
		(*s)++;
		if (parse_number(s, byte) < 0) {
			snprintf(err, errsize, "a byte position must follow "
			    "'.'");
			return -1;
		}
	}
	for (;; (*s)++) {
		if (**s == 'n')
			k->numeric = 1;
		else if (**s == 'r')
			k->reverse = 1;
		else
			return 0;
	}
}

int
mr_order_parse_values(struct mr_order *o, const char *keydef, char *err,
    size_t errsize)
{
	struct mr_valkey k, *keys;
	const char *s = keydef;
	size_t byte = 1;

	memset(&k, 0, sizeof(k));
	k.efield = SIZE_MAX;
	if (parse_pos(&s, &k.sfield, &byte, &k, "at the start", err,
	    errsize) < 0)
		return -1;
	if (byte == 0) {
		snprintf(err, errsize, "bytes count from 1 (.0 only ends a "
		    "key)");
		return -1;
	}
	k.sfield--;
	k.schar = byte - 1;
	if (*s == ',') {
		s++;
		if (parse_pos(&s, &k.efield, &k.echar, &k, "after ','", err,
		    errsize) < 0)
			return -1;
		k.efield--;
	}
	if (*s != '\0') {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))
			snprintf(err, errsize, "unknown modifier '%c' (n and "
			    "r are known)", *s);
		else
			snprintf(err, errsize, "unexpected text \"%s\" after "
			    "the key", s);
		return -1;
	}
	keys = realloc(o->vkeys, (o->nvkeys + 1) * sizeof(*keys));
	if (keys == NULL) {
		snprintf(err, errsize, "%s", strerror(ENOMEM));
		return -1;
	}
	keys[o->nvkeys++] = k;
	o->vkeys = keys;
	o->values = 1;
	return 0;
}

void
mr_order_free(struct mr_order *o)
{
	free(o->vkeys);
	o->vkeys = NULL;
	o->nvkeys = 0;
}
