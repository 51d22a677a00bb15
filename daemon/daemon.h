/* State every part of the daemon reads: configuration and the signing key. */
#ifndef DAEMON_H
#define DAEMON_H

#include "config.h"
#include "token.h"

extern struct config	 cfg;
extern struct token_key	 tkey;

/* Monotonic clock in seconds. */
double	now_mono(void);

#endif
