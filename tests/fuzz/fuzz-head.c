/*
 * libFuzzer: raw request heads (daemon/http/headcheck.c), differentially.
 * The bytes go, in the same pieces, to headcheck.c and to the byte-at-a-time
 * original it must answer like (headcheck-ref.c); any difference in a
 * verdict (result, bytes used, status, code, detail) or in what a good head
 * notes (Content-Length, Upgrade, Transfer-Encoding, HTTP/1.0) aborts. The
 * first input byte picks the piece sizes; heads follow one another as on a
 * keep-alive connection.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "headcheck.h"

/* tests/fuzz/headcheck-ref.c */
void		ref_headcheck_reset(struct headcheck *);
enum hc_result	ref_headcheck_feed(struct headcheck *, const unsigned char *,
		    size_t, size_t *);

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
same(const struct headcheck *a, const struct headcheck *b, enum hc_result r)
{
	if (a->seen != b->seen)
		abort();
	if (r == HC_BAD && (a->status != b->status ||
	    strcmp(a->code, b->code) != 0 || strcmp(a->detail, b->detail) != 0))
		abort();
	if (r == HC_DONE && (a->have_clen != b->have_clen || a->clen != b->clen ||
	    a->upgrade != b->upgrade || a->te != b->te || a->http10 != b->http10))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct headcheck	 a, b;
	enum hc_result		 ra, rb;
	size_t			 off = 0, piece, n, ua, ub;
	unsigned		 seed;

	if (size < 1)
		return 0;
	seed = data[0];
	data++, size--;
	headcheck_reset(&a);
	ref_headcheck_reset(&b);
	while (off < size) {
		/* 0: all at once; else pieces of 1 to 64 bytes, varying. */
		piece = seed == 0 ? size : 1 + (seed & 63);
		seed = seed * 1103515245u + 12345u;
		n = size - off < piece ? size - off : piece;
		ra = headcheck_feed(&a, data + off, n, &ua);
		rb = ref_headcheck_feed(&b, data + off, n, &ub);
		if (ra != rb || ua != ub)
			abort();
		same(&a, &b, ra);
		if (ra == HC_BAD)
			break;
		off += ua;
		if (ra == HC_DONE) {
			headcheck_reset(&a);
			ref_headcheck_reset(&b);
		}
	}
	return 0;
}
