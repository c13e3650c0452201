/*
 * Bearer tokens and roles. A token is shown once when made and stored only as
 * its SHA-256 hash.
 */
#ifndef NPO_AUTH_H
#define NPO_AUTH_H

#include <stdio.h>

#include "npo/db.h"

enum role { ROLE_NONE = 0, ROLE_READ, ROLE_WRITE, ROLE_ADMIN };

#define AUTH_NAME_MAX 64
#define AUTH_TOKEN_LEN 68 /* "npo_" + 64 hex digits */

const char *auth_role_name(enum role role);
/* 0 and the role for "read", "write" or "admin"; -1 otherwise. */
int auth_role_parse(const char *s, enum role *out);

/* SHA-256 of s as 64 lower-case hex digits. */
void auth_sha256_hex(const void *data, size_t len, char out[65]);

/*
 * Finds the token; returns 0 with its name and role, 1 when it is unknown,
 * -1 on a database error (err filled).
 */
int auth_lookup(struct db_conn *c, const char *token,
		char name[AUTH_NAME_MAX + 1], enum role *role,
		struct npo_err *err);

/* Makes a token called name with role; writes the secret to token. A name
 * in use is 409. */
int auth_token_add(struct db_conn *c, const char *name, enum role role,
		   char token[AUTH_TOKEN_LEN + 1], struct npo_err *err);

/* Prints name, role and creation time of every token, one per line. */
int auth_token_list(struct db_conn *c, FILE *out, struct npo_err *err);

/* Removes the token called name; 404 when there is none. */
int auth_token_revoke(struct db_conn *c, const char *name, struct npo_err *err);

#endif
