/*
 * checksum.c: CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the
 * checksum of every frame in mr-format(5).  A slicing-by-8 table serves
 * every CPU; x86-64 CPUs with SSE4.2 use the crc32 instruction instead,
 * on three stripes of a long buffer at once, since each instruction waits
 * for the one before it on the same stripe.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "mr.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <nmmintrin.h>
#include <string.h>
#define HAVE_SSE42_PATH 1
#endif

#define STRIPE	4096	/* bytes of each of the three stripes */

static uint32_t table[8][256];
static uint32_t shift_table[4][256];	/* the CRC after STRIPE zero bytes */
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void
table_init(void)
{
	uint32_t c;
	int i, j, k;

	for (i = 0; i < 256; i++) {
		c = (uint32_t)i;
		for (j = 0; j < 8; j++)
			c = (c >> 1) ^ (0x82F63B78U & (0U - (c & 1)));
		table[0][i] = c;
	}
	for (i = 0; i < 256; i++)
		for (k = 1; k < 8; k++)
			table[k][i] = (table[k - 1][i] >> 8) ^
			    table[0][table[k - 1][i] & 0xff];
}

/* The raw CRC register after feeding n zero bytes from register c. */
static uint32_t
zeros(uint32_t c, size_t n)
{
	while (n-- > 0)
		c = (c >> 8) ^ table[0][c & 0xff];
	return c;
}

/*
 * Feeding zero bytes is linear in the register, so its effect on any
 * register is the xor of its effect on the register's bytes.
 */
static void
shift_init(void)
{
	uint32_t basis[32];
	int i, k, b;

	for (i = 0; i < 32; i++)
		basis[i] = zeros(1U << i, STRIPE);
	for (k = 0; k < 4; k++)
		for (i = 0; i < 256; i++) {
			shift_table[k][i] = 0;
			for (b = 0; b < 8; b++)
				if (i & (1 << b))
					shift_table[k][i] ^= basis[8 * k + b];
		}
}

#ifdef HAVE_SSE42_PATH
static int have_sse42;	/* set once, by init() */
#endif

static void
init(void)
{
	table_init();
	shift_init();
#ifdef HAVE_SSE42_PATH
	have_sse42 = __builtin_cpu_supports("sse4.2");
#endif
}

static uint32_t
shift(uint32_t c)
{
	return shift_table[0][c & 0xff] ^ shift_table[1][(c >> 8) & 0xff] ^
	    shift_table[2][(c >> 16) & 0xff] ^ shift_table[3][c >> 24];
}

static uint32_t
crc_table(uint32_t c, const unsigned char *p, size_t len)
{
	uint32_t lo, hi;

	while (len >= 8) {
		lo = c ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
		    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
		hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 |
		    (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
		c = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^
		    table[5][(lo >> 16) & 0xff] ^ table[4][lo >> 24] ^
		    table[3][hi & 0xff] ^ table[2][(hi >> 8) & 0xff] ^
		    table[1][(hi >> 16) & 0xff] ^ table[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len-- > 0)
		c = (c >> 8) ^ table[0][(c ^ *p++) & 0xff];
	return c;
}

#ifdef HAVE_SSE42_PATH
/* x86-64 only, so a plain load gives the little-endian word. */
__attribute__((target("sse4.2"))) static uint32_t
crc_sse42(uint32_t c, const unsigned char *p, size_t len)
{
	uint64_t c64 = c, c1, c2, w, w1, w2;
	size_t i;

	while (len >= 3 * STRIPE) {
		c1 = c2 = 0;
		for (i = 0; i < STRIPE; i += 8) {
			memcpy(&w, p + i, 8);
			memcpy(&w1, p + STRIPE + i, 8);
			memcpy(&w2, p + 2 * STRIPE + i, 8);
			c64 = _mm_crc32_u64(c64, w);
			c1 = _mm_crc32_u64(c1, w1);
			c2 = _mm_crc32_u64(c2, w2);
		}
		c64 = shift(shift((uint32_t)c64) ^ (uint32_t)c1) ^
		    (uint32_t)c2;
		p += 3 * STRIPE;
		len -= 3 * STRIPE;
	}
	while (len >= 8) {
		memcpy(&w, p, 8);
		c64 = _mm_crc32_u64(c64, w);
		p += 8;
		len -= 8;
	}
	c = (uint32_t)c64;
	while (len-- > 0)
		c = _mm_crc32_u8(c, *p++);
	return c;
}
#endif

uint32_t
mr_crc32c(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint32_t c = ~crc;

	pthread_once(&once, init);
#ifdef HAVE_SSE42_PATH
	if (have_sse42)
		return ~crc_sse42(c, p, len);
#endif
	return ~crc_table(c, p, len);
}
