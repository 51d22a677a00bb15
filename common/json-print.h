/*
 * Compact JSON text of a jansson value, byte for byte what
 * json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) writes, about five times
 * faster: jansson 2.14 formats a pointer and updates a hash table for
 * every object and array it dumps (its loop check) and appends through a
 * callback a piece at a time. Every answer and every event is printed, so
 * the hot paths use this (docs/performance.md).
 */
#ifndef JSON_PRINT_H
#define JSON_PRINT_H

#include <stddef.h>

#include <jansson.h>

/*
 * The text, NUL-terminated, its length in *len (if not NULL); NULL for a
 * value nested deeper than JSON_PRINT_DEPTH (as jansson refuses loops).
 */
#define JSON_PRINT_DEPTH	2048
char	*json_print(const json_t *, size_t *len);

#endif
