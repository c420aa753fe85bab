/*
 * np_file: read a whole data file (city data, plans) into memory, bounded.
 *
 * Ownership: the buffer returned is the caller's to free(); it holds len
 * bytes followed by a NUL that is not counted.
 */
#ifndef NP_FILE_H
#define NP_FILE_H

#include <stddef.h>

#define NP_FILE_MAX	(64 * 1024 * 1024)	/* bytes, for any data file */

/* NULL with err ("path: reason") on error or when larger than max bytes. */
char	*np_file_read(const char *path, size_t max, size_t *len, char *err,
	    size_t errlen);

#endif
