/*
 * sync.c: the sync marker, and finding frame boundaries from an arbitrary
 * offset, which lets a framed file be split among readers.
 */
#include <stdio.h>
#include <string.h>

#include "mr.h"
#include "frame.h"

const unsigned char mr_sync[MR_SYNC_LEN] = {
	0x89, 'M', 'R', 'F', '\r', '\n', 0x1a, '\n'
};

const char *
block_check(const unsigned char *p, int version, uint32_t *count,
    uint32_t *len, uint64_t *first, char *why, size_t size)
{
	size_t hdr = block_hdr(version);

	if (mr_crc32c(0, p, hdr - 4) != get32(p + hdr - 4))
		return "bad block header checksum";
	*count = get32(p + 9);
	*len = get32(p + 13);
	*first = version == 1 ? 0 : get64(p + 17);
	if (*len > MR_BLOCK_MAX) {
		snprintf(why, size, "block length %lu over the limit of %lu",
		    (unsigned long)*len, MR_BLOCK_MAX);
		return why;
	}
	if (*count == 0 || *count > *len / 2) {
		snprintf(why, size, "bad record count %lu in block",
		    (unsigned long)*count);
		return why;
	}
	return NULL;
}

long
frame_check(const unsigned char *p, size_t avail, size_t *need)
{
	size_t len;

	*need = MR_SYNC_LEN + 1;
	if (avail < *need)
		return 0;
	if (memcmp(p, mr_sync, MR_SYNC_LEN) != 0)
		return -1;
	switch (p[MR_SYNC_LEN]) {
	case FRAME_HEADER:
		*need = HEADER_FIXED;
		if (avail < *need)
			return 0;
		len = HEADER_MIN + (size_t)(p[11] | p[12] << 8);
		if (len > HEADER_MIN + MR_META_MAX)
			return -1;
		break;
	case FRAME_BLOCK:
		/* only streams of the current version are searched */
		len = MR_BLOCK_HDR;
		break;
	case FRAME_TRAILER:
		len = MR_TRAILER_LEN;
		break;
	default:
		return -1;
	}
	*need = len;
	if (avail < len)
		return 0;
	if (mr_crc32c(0, p, len - 4) != get32(p + len - 4))
		return -1;
	return (long)len;
}

size_t
mr_sync_find(const unsigned char *p, size_t len)
{
	const unsigned char *q = p, *end = p + len;
	size_t need;
	long n;

	while ((q = memchr(q, mr_sync[0], (size_t)(end - q))) != NULL) {
		n = frame_check(q, (size_t)(end - q), &need);
		if (n > 0)
			return (size_t)(q - p);
		if (n == 0 && memcmp(q, mr_sync, (size_t)(end - q) <
		    MR_SYNC_LEN ? (size_t)(end - q) : MR_SYNC_LEN) == 0)
			return len;
		q++;
	}
	return len;
}

/* How many of the n bytes at p go on matching the magic from byte k. */
static size_t
magic_run(const unsigned char *p, size_t n, size_t k)
{
	size_t i;

	for (i = 0; i < n && k + i < MR_MAGIC_LEN; i++)
		if (p[i] != (k + i < MR_SYNC_LEN ? mr_sync[k + i] :
		    FRAME_HEADER))
			break;
	return i;
}

int64_t
mr_magic_scan(struct mr_magic_scan *m, const unsigned char *p, size_t len)
{
	const unsigned char *q = p, *end = p + len;
	size_t i, n;

	if (len == 0)
		return -1;
	if (m->matched > 0) {
		/* no other candidate starts inside a matched prefix */
		n = magic_run(p, len, m->matched);
		if (m->matched + n == MR_MAGIC_LEN)
			return (int64_t)m->match_at;
		m->matched = n == len ? m->matched + n : 0;
	}
	while ((q = memchr(q, mr_sync[0], (size_t)(end - q))) != NULL) {
		i = (size_t)(q - p);
		if (i == 0 ? m->line_start : p[i - 1] == m->eol) {
			n = magic_run(q, (size_t)(end - q), 0);
			if (n == MR_MAGIC_LEN)
				return (int64_t)(m->off + i);
			if (q + n == end) {
				m->matched = n;
				m->match_at = m->off + i;
			}
		}
		q++;
	}
	m->line_start = p[len - 1] == m->eol;
	m->off += len;
	return -1;
}
