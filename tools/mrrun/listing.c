/*
 * listing.c: the files of an input path, for the LIST request of a
 * host's worker.  It walks as plan.c walks a directory of this machine,
 * so that HOST:DIR reads the same files in the same order as DIR.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "listing.h"

struct out {
	char *buf;
	size_t len, cap;
};

static void
put(struct out *o, const char *s)
{
	size_t n = strlen(s) + 1;

	if (o->len + n > o->cap) {
		o->cap = (o->len + n) * 2;
		o->buf = xrealloc(o->buf, o->cap);
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk(struct out *o, const char *path, const char *name, char *err,
    size_t errsize);

/* Adds the files under the directory path (name in messages). */
static int
walk_dir(struct out *o, const char *path, const char *name, char *err,
    size_t errsize)
{
	struct dirent *e;
	char **names = NULL, *sub, *subname;
	size_t n = 0, i;
	int rc = 0;
	DIR *d;

	if ((d = opendir(path)) == NULL) {
		snprintf(err, errsize, "%s: %s", name, strerror(errno));
		return -1;
	}
	while ((errno = 0, e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || e->d_name[0] == '_')
			continue;
		if (n % 64 == 0)
			names = xrealloc(names, (n + 64) * sizeof(*names));
		names[n++] = xstrdup(e->d_name);
	}
	if (errno != 0) {
		snprintf(err, errsize, "%s: %s", name, strerror(errno));
		rc = -1;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n; i++) {
		if (rc == 0) {
			sub = join_path(path, names[i]);
			subname = join_path(name, names[i]);
			rc = walk(o, sub, subname, err, errsize);
			free(sub);
			free(subname);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

/* Adds path: a regular file, or the files under a directory. */
static int
walk(struct out *o, const char *path, const char *name, char *err,
    size_t errsize)
{
	struct stat st;
	char size[32];

	if (stat(path, &st) < 0) {
		snprintf(err, errsize, "%s: %s", name, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return walk_dir(o, path, name, err, errsize);
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errsize, "%s: not a regular file (give a "
		    "pipe's data as -)", name);
		return -1;
	}
	snprintf(size, sizeof(size), "%lld", (long long)st.st_size);
	put(o, size);
	put(o, path);
	return 0;
}

char *
listing(const char *path, const char *name, size_t *len, char *err,
    size_t errsize)
{
	struct out o = { NULL, 0, 0 };

	if (walk(&o, path, name, err, errsize) < 0) {
		free(o.buf);
		return NULL;
	}
	*len = o.len;
	return o.buf != NULL ? o.buf : xmalloc(1);
}
