/*
 * test_sync: checks that a framed stream split at every byte offset, each
 * piece started from the next frame boundary found by mr_sync_find(),
 * yields every block exactly once.  Used by tests/format.bats.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mr.h"
#include "frame.h"

int
main(int argc, char *argv[])
{
	static unsigned char buf[1 << 22];
	struct mr_textfmt fmt = MR_TEXTFMT_DEFAULT;
	struct mr_writer *w;
	struct mr_rec rec;
	unsigned char key[64];
	size_t len, off, found, flen = 0, nstarts = 0, j, want, *starts;
	FILE *f;
	int i, fd;

	if (argc != 2)
		return 2;
	/* A stream of many small blocks, with sync-like bytes in values. */
	if ((fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600)) < 0)
		return 1;
	w = mr_writer_new(fd, argv[1], 0, &fmt, "values=plain\n", 13);
	mr_writer_bufsize(w, 4096);
	for (i = 0; i < 5000; i++) {
		len = (size_t)snprintf((char *)key, sizeof(key), "key%05d", i);
		rec.key = key;
		rec.klen = len;
		rec.val = i % 7 == 0 ? mr_sync : key;
		rec.vlen = i % 7 == 0 ? MR_SYNC_LEN : len;
		if (mr_write(w, &rec) < 0)
			return 1;
	}
	if (mr_writer_finish(w) < 0)
		return 1;
	mr_writer_free(w);
	close(fd);
	f = fopen(argv[1], "rb");
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	/* The true frame starts, by walking the chain of frame lengths. */
	starts = malloc(len * sizeof(*starts));
	for (off = 0; off < len; off += flen) {
		starts[nstarts++] = off;
		if (buf[off + 8] == 'H')
			flen = 17 + (size_t)(buf[off + 11] | buf[off + 12] << 8);
		else if (buf[off + 8] == 'B')
			flen = MR_BLOCK_HDR + get32(buf + off + 13) + 4;
		else
			flen = MR_TRAILER_LEN;
	}
	/* From every offset, the scan finds the first true start at or after. */
	for (off = 0, j = 0; off < len; off++) {
		while (j < nstarts && starts[j] < off)
			j++;
		want = j < nstarts ? starts[j] : len;
		found = off + mr_sync_find(buf + off, len - off);
		if (found != want) {
			printf("offset %zu: found %zu, want %zu\n", off, found,
			    want);
			return 1;
		}
	}
	printf("%zu frames in %zu bytes, every offset checked\n", nstarts, len);
	return nstarts > 20 ? 0 : 1;
}
