/*
 * textfmt.c: parsing of the options every tool shares (-t, counts) and of
 * key fields.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mr.h"

int
mr_parse_sep(const char *arg, unsigned char *sep)
{
	if (arg[0] != '\0' && arg[1] == '\0') {
		*sep = (unsigned char)arg[0];
		return 0;
	}
	if (strcmp(arg, "\\t") == 0)
		*sep = '\t';
	else if (strcmp(arg, "\\0") == 0)
		*sep = '\0';
	else if (strcmp(arg, "\\\\") == 0)
		*sep = '\\';
	else
		return -1;
	return 0;
}

int
mr_parse_count(const char *arg, long min, long max, long *out)
{
	char *end;
	long v;

	if (arg[0] < '0' || arg[0] > '9')
		return -1;
	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

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

int
mr_parse_size(const char *arg, size_t *out)
{
	unsigned long long v, unit = 1024;
	long pages, pagesize;
	char *end;

	if (arg[0] < '0' || arg[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno != 0)
		return -1;
	switch (*end) {
	case '\0':
	case 'K': case 'k':
		break;
	case 'b':
		unit = 1;
		break;
	case 'M': case 'm':
		unit = 1ULL << 20;
		break;
	case 'G': case 'g':
		unit = 1ULL << 30;
		break;
	case 'T': case 't':
		unit = 1ULL << 40;
		break;
	case '%':
		pages = sysconf(_SC_PHYS_PAGES);
		pagesize = sysconf(_SC_PAGESIZE);
		if (pages <= 0 || pagesize <= 0 || v > 100)
			return -1;
		unit = (unsigned long long)pages * (unsigned long long)pagesize
		    / 100;
		break;
	default:
		return -1;
	}
	if (*end != '\0' && end[1] != '\0')
		return -1;
	if (v == 0 || v > (unsigned long long)SIZE_MAX / unit)
		return -1;
	*out = (size_t)(v * unit);
	return 0;
}
