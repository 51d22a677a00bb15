/*
 * Passwords: yescrypt hashes through libxcrypt, a policy with per-field
 * errors. Hashing takes ~17 ms: workers only, never the loop.
 */
#ifndef PASSWORD_H
#define PASSWORD_H

struct fields;

void	 password_init(void);
/* Caller frees. NULL if the system cannot hash. */
char	*password_hash(const char *);
/* 1 when password matches hash. With hash NULL, spends the same time, 0. */
int	 password_verify(const char *, const char *hash);
/* Add "password" errors to f for a weak password. */
void	 password_policy(const char *, const char *email, struct fields *);

#endif
