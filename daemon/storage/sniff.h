/*
 * Audio types of uploaded files: the declared Content-Type is checked
 * against the content's own signature (magic bytes), never trusted alone.
 */
#ifndef SNIFF_H
#define SNIFF_H

#include <stddef.h>

/* The canonical type of the content ("audio/wav", ..., "audio/webm"),
 * or NULL. */
const char	*sniff_audio(const unsigned char *, size_t);
/*
 * The canonical type a declared Content-Type (parameters allowed) names:
 * "audio/x-wav" is "audio/wav". NULL for a type /api/files does not accept.
 */
const char	*sniff_declared(const char *ctype);
/* The same for any type we know, audio/webm (browser recordings) too. */
const char	*sniff_type(const char *ctype);

#endif
