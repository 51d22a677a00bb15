/* Checks of a request head's raw bytes, before libwebsockets parses them. */
#ifndef HEADCHECK_H
#define HEADCHECK_H

#include <stddef.h>

#define HC_MAX_LINE		8192	/* request line; longer: 414 */
#define HC_MAX_FIELDS_BYTES	16384	/* header section; longer: 431 */
#define HC_MAX_FIELDS		50	/* header lines; more: 431 */
#define HC_MAX_PARAMS		32	/* query parameters; more: 414 */

enum hc_result {
	HC_MORE,	/* all bytes taken, the head is not complete */
	HC_DONE,	/* a good head ended; *used bytes were its last */
	HC_BAD,		/* refuse the request: status, code, detail */
};

struct headcheck {
	int			 state;
	size_t			 seen;		/* bytes of this head so far */
	size_t			 fields_len;
	int			 nfields, nparams;
	int			 target_len;
	int			 in_query, pct, seg_len, seg_dots;
	unsigned char		 pct_hi;
	char			 method[16];
	int			 mlen;
	char			 ver[12];
	int			 vlen;
	char			 name[24];
	int			 nlen;
	char			 val[24];
	int			 vallen, val_long;
	int			 field;		/* of the value: enum field */
	int			 http10, hosts, te, upgrade, have_clen;
	unsigned long long	 clen;
	/* The verdict of HC_BAD (headcheck_reset() leaves it). */
	int			 status;
	const char		*code;
	char			 detail[128];
};

void		headcheck_reset(struct headcheck *);
/* Feed bytes of the stream; on HC_DONE the caller resets for the next. */
enum hc_result	headcheck_feed(struct headcheck *, const unsigned char *,
		    size_t, size_t *used);

#endif
