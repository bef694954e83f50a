/*
 * wiretool: writes and reads the messages of mrrun's wire protocol
 * (wire.h) for the tests, so that they talk to "mrrun --worker" through
 * wire_send() and wire_recv() rather than building headers in the shell.
 *
 *	wiretool send TYPE ID [STRING ...]
 *		writes one message to stdout: TYPE is its letter (R for
 *		RUN, K for KILL), ID its request in decimal, and its payload
 *		each STRING followed by a NUL byte (no STRING: no payload).
 *
 *	wiretool recv [-a]
 *		reads one message from stdin, or with -a every message up
 *		to the end of the stream, and prints each as one line of
 *		tab-separated fields: its letter, its id and its payload
 *		length in decimal, then for DONE the status in decimal, the
 *		message and, when there is one, the tail; for any other
 *		type the NUL-terminated strings of the payload, and the
 *		bytes after the last NUL as one more field.  A tab, a
 *		newline, a backslash or a byte that is not printable ASCII
 *		in a field is written as \t, \n, \\ or \ooo.  It reads no
 *		byte past the message, so that a test can read one answer
 *		at a time from a fifo.
 *
 * Exit status: 0 on success; 1 when stdin ends before a message (recv
 * without -a), a message is malformed or a write fails; 2 for a usage
 * error.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wire.h"

static void
usage(void)
{
	fputs("usage: wiretool send TYPE ID [STRING ...]\n"
	    "       wiretool recv [-a]\n", stderr);
	exit(2);
}

static void
fail(const char *what, const char *reason)
{
	fprintf(stderr, "wiretool: %s: %s\n", what, reason);
	exit(1);
}

/* Writes len bytes of s to stdout, escaped as the top comment says. */
static void
put_field(const char *s, size_t len)
{
	unsigned char c;
	size_t i;

	putchar('\t');
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '\t')
			fputs("\\t", stdout);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\\')
			fputs("\\\\", stdout);
		else if (c < 0x20 || c > 0x7e)
			printf("\\%03o", c);
		else
			putchar(c);
	}
}

/* Prints m as one line; returns -1 for a DONE that cannot be parsed. */
static int
print_msg(const struct wire_msg *m)
{
	const char *msg, *tail, *p, *end, *nul;
	size_t tail_len;
	int status;

	printf("%c\t%lu\t%lu", m->type, (unsigned long)m->id,
	    (unsigned long)m->len);
	if (m->type == WIRE_DONE) {
		if (wire_parse_done(m, &status, &msg, &tail, &tail_len) < 0)
			return -1;
		printf("\t%d", status);
		put_field(msg, strlen(msg));
		if (tail_len > 0)
			put_field(tail, tail_len);
	} else {
		end = m->data + m->len;
		for (p = m->data; p < end; p = nul + 1) {
			if ((nul = memchr(p, '\0', (size_t)(end - p))) == NULL)
				nul = end;
			put_field(p, (size_t)(nul - p));
		}
	}
	putchar('\n');
	if (fflush(stdout) == EOF)
		fail("stdout", strerror(errno));
	return 0;
}

static int
recv_main(int argc, char **argv)
{
	struct wire_msg m;
	int all = 0, n = 0, rc;

	if (argc == 2 && strcmp(argv[1], "-a") == 0)
		all = 1;
	else if (argc != 1)
		usage();
	while ((rc = wire_recv(STDIN_FILENO, &m)) == 1) {
		n++;
		if (print_msg(&m) < 0)
			fail("stdin", "malformed DONE payload");
		free(m.data);
		if (!all)
			break;
	}
	if (rc < 0)
		fail("stdin", strerror(errno));
	if (n == 0 && !all)
		fail("stdin", "end of stream before a message");
	return 0;
}

static int
send_main(int argc, char **argv)
{
	unsigned long id;
	size_t len = 0, n;
	char *buf, *p, *end;
	int i;

	if (argc < 3 || strlen(argv[1]) != 1)
		usage();
	errno = 0;
	id = strtoul(argv[2], &end, 10);
	if (*argv[2] < '0' || *argv[2] > '9' || *end != '\0' || errno != 0 ||
	    id > 0xffffffffUL)
		usage();
	for (i = 3; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if ((buf = malloc(len + 1)) == NULL)
		fail("send", strerror(errno));
	for (p = buf, i = 3; i < argc; i++) {
		n = strlen(argv[i]) + 1;
		memcpy(p, argv[i], n);
		p += n;
	}
	if (wire_send(STDOUT_FILENO, (unsigned char)argv[1][0], (uint32_t)id,
	    buf, len) < 0)
		fail("stdout", strerror(errno));
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "send") == 0)
		return send_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "recv") == 0)
		return recv_main(argc - 1, argv + 1);
	usage();
	return 2;
}
