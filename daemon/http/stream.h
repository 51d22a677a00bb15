/*
 * Streamed responses: a handler on a worker writes its body a piece at a
 * time while the loop sends it (see stream.c).
 */
#ifndef STREAM_H
#define STREAM_H

#include <stddef.h>

/* One piece of a body, with room to frame it as an HTTP/1.1 chunk. */
#define STREAM_CHUNK	(64 * 1024)
#define STREAM_QUEUE	4	/* chunks waiting for the loop, at most */
#define STREAM_HEAD	16	/* room for "%zx\r\n" before the data */

struct stream_chunk {
	struct stream_chunk	*next;
	size_t			 len;
	/* LWS_PRE (at most 32 here) + STREAM_HEAD + data + "\r\n" */
	unsigned char		 buf[32 + STREAM_HEAD + STREAM_CHUNK + 2];
};
#define STREAM_PRE	32
#define CHUNK_DATA(c)	((c)->buf + STREAM_PRE + STREAM_HEAD)

struct stream;
struct lws_context;

void		 stream_init(struct lws_context *);
/* Wake every worker waiting on a stream and make their writes fail. */
void		 stream_shutdown(void);

struct stream	*stream_new(void);
void		 stream_free(struct stream *);

/* Worker side. */
/* The body starts: the loop sends resp's status and type, chunked. */
void		 stream_open(struct stream *);
/* Copy bytes into the body; blocks while the queue is full. -1: the
 * client has gone (or the server is stopping): stop producing. */
int		 stream_write(struct stream *, const void *, size_t);
int		 stream_puts(struct stream *, const char *);
/* Send what is buffered (called when the handler returns). */
void		 stream_flush(struct stream *);
/* An error after the first byte: the body ends without its last chunk. */
void		 stream_fail(struct stream *);

/* Loop side. */
int		 stream_is_open(struct stream *);
int		 stream_failed(struct stream *);
/* The next chunk (the caller frees it), or NULL. */
struct stream_chunk *stream_pop(struct stream *);
/* The client has gone: writes fail from now on. */
void		 stream_cancel(struct stream *);

#endif
