/*
 * hash.c: the partition hash, XXH64 with seed 0, written from the public
 * XXH64 specification.  Words are assembled from bytes in little-endian
 * order, so every host computes the same value.
 */
#include <stddef.h>
#include <stdint.h>

#include "mr.h"
#include "frame.h"

#define P1 0x9E3779B185EBCA87ULL
#define P2 0xC2B2AE3D27D4EB4FULL
#define P3 0x165667B19E3779F9ULL
#define P4 0x85EBCA77C2B2AE63ULL
#define P5 0x27D4EB2F165667C5ULL

static uint64_t
rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static uint64_t
round64(uint64_t acc, uint64_t lane)
{
	acc += lane * P2;
	acc = rotl(acc, 31);
	return acc * P1;
}

static uint64_t
merge_round(uint64_t acc, uint64_t v)
{
	acc ^= round64(0, v);
	return acc * P1 + P4;
}

uint64_t
mr_hash64(const void *buf, size_t len)
{
	const unsigned char *p = buf, *end = p + len;
	uint64_t h, v1, v2, v3, v4;

	if (len >= 32) {
		v1 = P1 + P2;
		v2 = P2;
		v3 = 0;
		v4 = 0 - P1;
		do {
			v1 = round64(v1, get64(p));
			v2 = round64(v2, get64(p + 8));
			v3 = round64(v3, get64(p + 16));
			v4 = round64(v4, get64(p + 24));
			p += 32;
		} while (end - p >= 32);
		h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
		h = merge_round(h, v1);
		h = merge_round(h, v2);
		h = merge_round(h, v3);
		h = merge_round(h, v4);
	} else
		h = P5;
	h += (uint64_t)len;
	while (end - p >= 8) {
		h ^= round64(0, get64(p));
		h = rotl(h, 27) * P1 + P4;
		p += 8;
	}
	if (end - p >= 4) {
		h ^= (uint64_t)get32(p) * P1;
		h = rotl(h, 23) * P2 + P3;
		p += 4;
	}
	while (p < end) {
		h ^= (uint64_t)*p++ * P5;
		h = rotl(h, 11) * P1;
	}
	h ^= h >> 33;
	h *= P2;
	h ^= h >> 29;
	h *= P3;
	h ^= h >> 32;
	return h;
}
