/*
 * listing.h: the regular files that an input path names, as mrrun reads
 * them: the file itself, or the files under a directory in name order,
 * without the names that start with "." or "_", directories within
 * directories included.  The worker of a host answers LIST with it.
 */
#ifndef MR_LISTING_H
#define MR_LISTING_H

#include <stddef.h>

/*
 * listing() returns the files of path, allocated, as entries of two
 * NUL-terminated strings each: the size in decimal and the path (path
 * itself, or path/NAME...), with their length in *len.  On an error it
 * returns NULL with a message in err that calls path name: a path that
 * is missing or cannot be read, or a file that is neither a regular file
 * nor a directory.
 */
char *listing(const char *path, const char *name, size_t *len, char *err,
    size_t errsize);

#endif
