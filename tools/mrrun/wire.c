/*
 * wire.c: the framed messages between mrrun and its workers (wire.h).
 * Integers go out byte by byte, little-endian, whatever the host's order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "proc.h"
#include "wire.h"

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/*
 * Reads len bytes; returns how many it got before the end of the stream
 * (len when all of them), or -1 on an error.
 */
static ssize_t
read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		if ((n = read(fd, p + got, len - got)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int
wire_send(int fd, int type, uint32_t id, const void *data, size_t len)
{
	unsigned char hdr[WIRE_HEADER + 256];

	if (len > WIRE_MAX || type < 0 || type > 255) {
		errno = EINVAL;
		return -1;
	}
	memset(hdr, 0, WIRE_HEADER);
	hdr[0] = (unsigned char)type;
	put32(hdr + 4, id);
	put32(hdr + 8, (uint32_t)len);
	/* one write for a small message, two otherwise */
	if (len <= sizeof(hdr) - WIRE_HEADER) {
		if (len > 0)
			memcpy(hdr + WIRE_HEADER, data, len);
		return write_all(fd, hdr, WIRE_HEADER + len);
	}
	if (write_all(fd, hdr, WIRE_HEADER) < 0)
		return -1;
	return write_all(fd, data, len);
}

int
wire_recv(int fd, struct wire_msg *m)
{
	unsigned char hdr[WIRE_HEADER];
	ssize_t n;

	memset(m, 0, sizeof(*m));
	if ((n = read_all(fd, hdr, sizeof(hdr))) < 0)
		return -1;
	if (n == 0)
		return 0;
	if (n < WIRE_HEADER || hdr[1] != 0 || hdr[2] != 0 || hdr[3] != 0 ||
	    get32(hdr + 8) > WIRE_MAX) {
		errno = EPROTO;
		return -1;
	}
	m->type = hdr[0];
	m->id = get32(hdr + 4);
	m->len = get32(hdr + 8);
	if ((m->data = malloc((size_t)m->len + 1)) == NULL)
		return -1;
	if ((n = read_all(fd, m->data, m->len)) < 0 ||
	    (size_t)n < m->len) {
		if (n >= 0)
			errno = EPROTO;
		free(m->data);
		m->data = NULL;
		return -1;
	}
	m->data[m->len] = '\0';
	return 1;
}

char *
wire_done(int status, const char *msg, const char *tail, size_t tail_len,
    size_t *len)
{
	size_t mlen = strlen(msg) + 1;
	char *buf;

	*len = 4 + mlen + tail_len;
	buf = xmalloc(*len);
	put32((unsigned char *)buf, (uint32_t)status);
	memcpy(buf + 4, msg, mlen);
	if (tail_len > 0)
		memcpy(buf + 4 + mlen, tail, tail_len);
	return buf;
}

int
wire_parse_done(const struct wire_msg *m, int *status, const char **msg,
    const char **tail, size_t *tail_len)
{
	const char *nul;
	uint32_t v;

	if (m->len < 5 || (nul = memchr(m->data + 4, '\0', m->len - 4)) ==
	    NULL)
		return -1;
	v = get32((const unsigned char *)m->data);
	/* two's complement, without relying on a conversion to int */
	*status = v <= INT32_MAX ? (int)v : -(int)(UINT32_MAX - v) - 1;
	*msg = m->data + 4;
	*tail = nul + 1;
	*tail_len = m->len - (size_t)(*tail - m->data);
	return 0;
}
