/*
 * fields.c: the fields of a text key, for partitioning on a prefix of
 * them.
 */
#include <string.h>

#include "mr.h"

size_t
mr_key_fields(const unsigned char *key, size_t klen, unsigned char sep,
    long k)
{
	const unsigned char *p = key, *end = key + klen, *s;

	while (k-- > 0) {
		s = memchr(p, sep, (size_t)(end - p));
		if (s == NULL)
			return klen;
		if (k == 0)
			return (size_t)(s - key);
		p = s + 1;
	}
	return klen;
}
