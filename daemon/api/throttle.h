/*
 * Password-guessing and sign-up limits, shared by the workers. Every check
 * takes its slot before the work it guards and gives it back when the work
 * turns out not to count, so parallel requests can never overshoot a limit.
 */
#ifndef THROTTLE_H
#define THROTTLE_H

/*
 * Before checking a password of account email (already through
 * email_normalize()) sent from address ip: 0 when the check may run, with
 * one failure counted in advance; -1 and *retry_after (seconds) when one
 * of the limits says no. See docs/api.md "Sign-in throttling".
 */
int	throttle_password_begin(const char *email, const char *ip,
	    int *retry_after);
/*
 * The password was right: the failure counted in advance is given back,
 * the address's earlier failures for the account are forgotten, and the
 * address counts as one the account signs in from.
 */
void	throttle_password_ok(const char *email, const char *ip);
/* No password was checked after all (a database error): give it back. */
void	throttle_password_undo(const char *email, const char *ip);

/* Before a sign-up from ip: 0, or -1 and *retry_after. */
int	throttle_signup_begin(const char *ip, int *retry_after);
/* The sign-up created nothing: give its slot back. */
void	throttle_signup_undo(const char *ip);

#endif
