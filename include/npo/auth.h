/*
 * Bearer tokens and roles. A token is shown once when made and stored only as
 * its SHA-256 hash.
 */
#ifndef NPO_AUTH_H
#define NPO_AUTH_H

#include <stdio.h>

#include <jansson.h>

#include "npo/db.h"
#include "npo/scope.h"

enum role { ROLE_NONE = 0, ROLE_READ, ROLE_WRITE, ROLE_ADMIN };

#define AUTH_NAME_MAX 64
#define AUTH_TOKEN_LEN 68 /* "npo_" + 64 hex digits */

const char *auth_role_name(enum role role);
/* 0 and the role for "read", "write" or "admin"; -1 otherwise. */
int auth_role_parse(const char *s, enum role *out);

/* SHA-256 of s as 64 lower-case hex digits. */
void auth_sha256_hex(const void *data, size_t len, char out[65]);

/* Who a token is: its name, role and scope. */
struct auth_who {
	char name[AUTH_NAME_MAX + 1];
	enum role role;
	struct scope scope;
};

/*
 * Finds the token; returns 0 with who it is, 1 when it is unknown, 2 when
 * it has expired, -1 on a database error (err filled). A school scope comes
 * with the school's id and municipality (none when the school is gone).
 * What a known token is, is kept per thread once read, until the tokens'
 * version moves (auth_tokens_sync) or this process changes a token: so the
 * next request of the same token needs no hash and no query.
 */
int auth_lookup(struct db_conn *c, const char *token, struct auth_who *who,
		struct npo_err *err);

/* Reads the tokens' version (migration 9: it moves with every change to
 * tokens, or to schools, by any process) and forgets what auth_lookup
 * kept when it moved. The server's keeper calls it four times a second. */
int auth_tokens_sync(struct db_conn *c, struct npo_err *err);

/* What a new token is. */
struct token_spec {
	const char *name;
	const char *role;	       /* "read", "write" or "admin" */
	const char *municipality_code; /* NULL: not limited to one */
	const char *school_code;       /* NULL: not limited to one */
	const char *expires_at;	       /* a date or UTC time; NULL: never */
};

/*
 * Makes the token t, checked in one place for the command line and the API:
 * a name in use is 409 name_taken, a bad name 400 bad_name, and 422
 * validation_failed naming the field for a bad role, a municipality code
 * that is no CBS code, a school code no school has, a scoped admin, both
 * scopes at once, or an expiry that is no time or has passed. Writes the
 * secret to token and the stored token (as GET /api/v1/tokens shows it) to
 * *row (may be NULL). The audit trail gets a row by actor (entity token).
 */
int auth_token_add(struct db_conn *c, const struct token_spec *t,
		   const char *actor, char token[AUTH_TOKEN_LEN + 1],
		   json_t **row, struct npo_err *err);

/* Every token as {name, role, municipality_code, school_code, created_at,
 * expires_at, last_used_at}, by name; never the secret. uses (may be NULL)
 * adds the uses not yet written. */
struct auth_uses;
int auth_token_list(struct db_conn *c, struct auth_uses *uses, json_t **items,
		    struct npo_err *err);

/*
 * When tokens were last used, kept in memory and written at most once a
 * minute (auth_uses_flush, from the server's keeper thread and at stop), so
 * that a request writes nothing: reads stay reads.
 */
struct auth_uses *auth_uses_new(void);
void auth_uses_free(struct auth_uses *u);
void auth_uses_note(struct auth_uses *u, const char *name);
int auth_uses_flush(struct auth_uses *u, struct db_conn *c,
		    struct npo_err *err);

/* Removes the token called name, with an audit row by actor; 404 when
 * there is none. */
int auth_token_revoke(struct db_conn *c, const char *name, const char *actor,
		      struct npo_err *err);

#endif
