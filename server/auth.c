#include "npo/auth.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "npo/store.h"
#include "npo/validate.h"

static const char *const role_names[] = { "none", "read", "write", "admin" };

const char *auth_role_name(enum role role)
{
	return role_names[role];
}

int auth_role_parse(const char *s, enum role *out)
{
	for (int r = ROLE_READ; r <= ROLE_ADMIN; r++)
		if (s && strcmp(s, role_names[r]) == 0) {
			*out = (enum role)r;
			return 0;
		}
	return -1;
}

/* SHA-256 as FIPS 180-4 describes it. */
struct sha256 {
	uint32_t h[8];
	uint8_t block[64];
	size_t fill;
	uint64_t bits;
};

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

static void sha256_block(struct sha256 *s)
{
	uint32_t w[64], a[8], t1, t2;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)s->block[4 * i] << 24 |
		       (uint32_t)s->block[4 * i + 1] << 16 |
		       (uint32_t)s->block[4 * i + 2] << 8 | s->block[4 * i + 3];
	for (int i = 16; i < 64; i++)
		w[i] = (ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^
			(w[i - 2] >> 10)) +
		       w[i - 7] +
		       (ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^
			(w[i - 15] >> 3)) +
		       w[i - 16];
	memcpy(a, s->h, sizeof(a));
	for (int i = 0; i < 64; i++) {
		t1 = a[7] + (ror(a[4], 6) ^ ror(a[4], 11) ^ ror(a[4], 25)) +
		     ((a[4] & a[5]) ^ (~a[4] & a[6])) + K[i] + w[i];
		t2 = (ror(a[0], 2) ^ ror(a[0], 13) ^ ror(a[0], 22)) +
		     ((a[0] & a[1]) ^ (a[0] & a[2]) ^ (a[1] & a[2]));
		memmove(a + 1, a, 7 * sizeof(a[0]));
		a[4] += t1;
		a[0] = t1 + t2;
	}
	for (int i = 0; i < 8; i++)
		s->h[i] += a[i];
}

static void sha256_add(struct sha256 *s, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		s->block[s->fill++] = p[i];
		if (s->fill == 64) {
			sha256_block(s);
			s->fill = 0;
		}
	}
	s->bits += (uint64_t)len * 8;
}

void auth_sha256_hex(const void *data, size_t len, char out[65])
{
	struct sha256 s = { .h = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372,
				   0xa54ff53a, 0x510e527f, 0x9b05688c,
				   0x1f83d9ab, 0x5be0cd19 } };
	uint64_t bits;
	uint8_t pad = 0x80, zero = 0, len_be[8];

	sha256_add(&s, data, len);
	bits = s.bits;
	sha256_add(&s, &pad, 1);
	while (s.fill != 56)
		sha256_add(&s, &zero, 1);
	for (int i = 0; i < 8; i++)
		len_be[i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_add(&s, len_be, 8);
	for (int i = 0; i < 8; i++)
		snprintf(out + 8 * i, 9, "%08x", s.h[i]);
}

const char *scope_describe(const struct scope *s, char out[32])
{
	if (!s || s->kind == SCOPE_ALL)
		return NULL;
	snprintf(out, 32,
		 s->kind == SCOPE_SCHOOL ? "school %s" : "municipality %s",
		 s->kind == SCOPE_SCHOOL ? s->school : s->municipality);
	return out;
}

/* The text of column i of st, or "" for NULL. */
static const char *column_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

/*
 * What auth_lookup keeps: per thread (the workers never share an entry, so
 * no lock), a slot by a hash of the token, with the token itself to compare.
 * An entry counts only while the generation it was read in is the current
 * one: a change of a token in this process, or of the tokens' version in the
 * database, starts a new generation.
 */
#define KEPT 64
struct kept {
	long long generation; /* 0: empty */
	char token[AUTH_TOKEN_LEN + 1];
	struct auth_who who;
	char expires_at[21]; /* "" for never */
};
static _Thread_local struct kept kept[KEPT];
static atomic_llong generation = 1;
static atomic_llong tokens_version = -1;

static void forget_kept(void)
{
	atomic_fetch_add(&generation, 1);
}

int auth_tokens_sync(struct db_conn *c, struct npo_err *err)
{
	sqlite3_stmt *st = db_prepare(
		c, "SELECT value FROM meta WHERE key = 'tokens'", err);
	int rc;

	if (!st)
		return -1;
	rc = db_step(c, st, err);
	if (rc == SQLITE_ROW &&
	    atomic_exchange(&tokens_version, sqlite3_column_int64(st, 0)) !=
		    sqlite3_column_int64(st, 0))
		forget_kept();
	db_done(c, st);
	return rc < 0 ? -1 : 0;
}

/* Whether the kept token is this one, in a time that does not depend on
 * where they differ (a request must not learn a kept token a byte at a
 * time). */
static bool same_token(const char *kept_token, const char *token)
{
	size_t n = strlen(token);
	unsigned char diff = 0;

	if (strlen(kept_token) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(kept_token[i] ^ token[i]);
	return diff == 0;
}

static struct kept *slot_of(const char *token)
{
	uint64_t h = 14695981039346656037u; /* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)token; *p; p++)
		h = (h ^ *p) * 1099511628211u;
	return &kept[h % KEPT];
}

/* The token's expiry has come: at or before now. */
static bool expired(const char *expires_at)
{
	char now[21];

	if (!*expires_at)
		return false;
	util_now_iso(now);
	return strcmp(expires_at, now) <= 0;
}

int auth_lookup(struct db_conn *c, const char *token, struct auth_who *who,
		struct npo_err *err)
{
	long long gen = atomic_load(&generation);
	struct kept *k = slot_of(token);
	sqlite3_stmt *st;
	char hash[65];
	int rc;

	if (k->generation == gen && strlen(token) <= AUTH_TOKEN_LEN &&
	    same_token(k->token, token)) {
		*who = k->who;
		return expired(k->expires_at) ? 2 : 0;
	}
	st = db_prepare(c,
			"SELECT t.name, t.role, t.municipality_code,"
			" t.school_code, s.id, s.municipality_code,"
			" coalesce(t.expires_at, '')"
			" FROM tokens t LEFT JOIN schools s"
			" ON s.code = t.school_code WHERE t.hash = ?1",
			err);
	if (!st)
		return -1;
	auth_sha256_hex(token, strlen(token), hash);
	db_bind_text(c, st, 1, hash, 64);
	rc = db_step(c, st, err);
	if (rc == SQLITE_ROW) {
		struct scope *sc = &who->scope;

		*who = (struct auth_who){ .role = ROLE_NONE };
		snprintf(who->name, sizeof(who->name), "%s",
			 column_text(st, 0));
		if (auth_role_parse(column_text(st, 1), &who->role) < 0)
			who->role = ROLE_NONE;
		if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
			sc->kind = SCOPE_MUNICIPALITY;
			snprintf(sc->municipality, sizeof(sc->municipality),
				 "%s", column_text(st, 2));
		} else if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
			/* a school that is gone sees nothing: id 0, no
			 * municipality */
			sc->kind = SCOPE_SCHOOL;
			snprintf(sc->school, sizeof(sc->school), "%s",
				 column_text(st, 3));
			sc->school_id = sqlite3_column_int64(st, 4);
			snprintf(sc->municipality, sizeof(sc->municipality),
				 "%s", column_text(st, 5));
		}
		if (strlen(token) <= AUTH_TOKEN_LEN) {
			k->generation = gen;
			snprintf(k->token, sizeof(k->token), "%s", token);
			k->who = *who;
			snprintf(k->expires_at, sizeof(k->expires_at), "%s",
				 column_text(st, 6));
		}
		rc = expired(column_text(st, 6)) ? 2 : 0;
	} else {
		rc = rc == SQLITE_DONE ? 1 : -1;
	}
	db_done(c, st);
	return rc;
}

static bool name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > AUTH_NAME_MAX)
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@") == n;
}

/* The rules of a new token; 0 or -1 with err. */
static int token_check(struct db_conn *c, const struct token_spec *t,
		       enum role *role, char expires[21], struct npo_err *err)
{
	char now[21];
	int rc;

	if (!t->name || !name_ok(t->name))
		return err_set(
			err, NPO_E_BAD_NAME,
			"a token name is 1 to %d letters, digits or ._-@",
			AUTH_NAME_MAX);
	if (auth_role_parse(t->role, role) < 0)
		return validate_fail(err, "role", "enum",
				     "must be read, write or admin");
	if (t->municipality_code && t->school_code)
		return validate_fail(err, "school_code", "both",
				     "a token is limited to a municipality or "
				     "to a school, not both");
	if (*role == ROLE_ADMIN && (t->municipality_code || t->school_code))
		return validate_fail(
			err,
			t->school_code ? "school_code" : "municipality_code",
			"admin_scoped",
			"an admin token is never limited; give a read or "
			"write token the scope");
	if (t->municipality_code && !validate_cbs_code(t->municipality_code))
		return validate_fail(err, "municipality_code", "format",
				     "must be a CBS municipality code such as "
				     "GM0406");
	if (t->school_code) {
		sqlite3_stmt *st = db_prepare(
			c, "SELECT 1 FROM schools WHERE code = ?", err);

		if (!st)
			return -1;
		db_bind_text(c, st, 1, t->school_code, -1);
		rc = db_step(c, st, err);
		db_done(c, st);
		if (rc < 0)
			return -1;
		rc = rc == SQLITE_ROW;
		if (rc == 0)
			return validate_fail(err, "school_code", "not_found",
					     "there is no school %s; add it "
					     "first (POST /api/v1/schools)",
					     t->school_code);
	}
	if (!t->expires_at)
		return 0;
	util_now_iso(now);
	if (!validate_expiry(t->expires_at, expires))
		return validate_fail(err, "expires_at", "format",
				     "must be a date YYYY-MM-DD or a UTC time "
				     "YYYY-MM-DDTHH:MM:SSZ");
	if (strcmp(expires, now) <= 0)
		return validate_fail(err, "expires_at", "range",
				     "must lie in the future (it is %s now)",
				     now);
	return 0;
}

/* The stored token called name as the API shows it. */
static json_t *token_json(sqlite3_stmt *st)
{
	json_t *o = json_object();
	static const char *const cols[] = {
		"name",	      "role",	    "municipality_code", "school_code",
		"created_at", "expires_at", "last_used_at"
	};

	for (int i = 0; i < (int)ARRAY_SIZE(cols); i++)
		json_object_set_new(o, cols[i],
				    sqlite3_column_type(st, i) == SQLITE_NULL
					    ? json_null()
					    : json_string(column_text(st, i)));
	return o;
}

#define TOKEN_COLUMNS                                             \
	"name, role, municipality_code, school_code, created_at," \
	" expires_at, last_used_at"

int auth_token_add(struct db_conn *c, const struct token_spec *t,
		   const char *actor, char token[AUTH_TOKEN_LEN + 1],
		   json_t **row, struct npo_err *err)
{
	sqlite3_stmt *st;
	uint8_t raw[32];
	char hash[65], now[21], expires[21] = "";
	json_t *made = NULL;
	int64_t id = 0;
	enum role role;
	int rc;

	if (row)
		*row = NULL;
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return err_set(err, NPO_E_INTERNAL, "no random numbers");
	memcpy(token, "npo_", 4);
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(token + 4 + 2 * i, 3, "%02x", raw[i]);
	auth_sha256_hex(token, strlen(token), hash);
	/* the check, the token and its audit row in one transaction */
	if (db_begin_write(c, err) < 0)
		return -1;
	if (token_check(c, t, &role, expires, err) < 0 ||
	    !(st = db_prepare(c,
			      "INSERT INTO tokens (name, role, hash, created_at,"
			      " municipality_code, school_code, expires_at)"
			      " VALUES (?, ?, ?, ?, ?, ?, ?)"
			      " RETURNING " TOKEN_COLUMNS ", id",
			      err))) {
		db_rollback(c);
		return -1;
	}
	util_now_iso(now);
	db_bind_text(c, st, 1, t->name, -1);
	db_bind_text(c, st, 2, auth_role_name(role), -1);
	db_bind_text(c, st, 3, hash, 64);
	db_bind_text(c, st, 4, now, -1);
	db_bind_text(c, st, 5, t->municipality_code, -1);
	db_bind_text(c, st, 6, t->school_code, -1);
	db_bind_text(c, st, 7, *expires ? expires : NULL, -1);
	rc = db_step(c, st, err);
	if (rc == SQLITE_ROW) {
		made = token_json(st);
		id = sqlite3_column_int64(st, 7);
		rc = db_step(c, st, err);
	}
	db_done(c, st);
	if (rc == SQLITE_DONE &&
	    store_audit(c, actor, "create", "token", id, NULL, made, NULL,
			err) == 0 &&
	    db_commit(c, err) == 0) {
		if (row)
			*row = made;
		else
			json_decref(made);
		return 0;
	}
	db_rollback(c);
	json_decref(made);
	if (err->status == 409) {
		err_clear(err);
		return err_set(err, NPO_E_NAME_TAKEN,
			       "a token called %s exists already", t->name);
	}
	return -1;
}

/* --- when tokens were last used ------------------------------------------ */

struct auth_uses {
	pthread_mutex_t lock;
	struct use {
		char name[AUTH_NAME_MAX + 1];
		time_t at;
	} * pending;
	size_t n, cap;
};

struct auth_uses *auth_uses_new(void)
{
	struct auth_uses *u = calloc(1, sizeof(*u));

	if (u)
		pthread_mutex_init(&u->lock, NULL);
	return u;
}

void auth_uses_free(struct auth_uses *u)
{
	if (!u)
		return;
	pthread_mutex_destroy(&u->lock);
	free(u->pending);
	free(u);
}

/* A use's time as the API writes it. */
static void use_time(time_t t, char out[21])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* On every request: a few comparisons under a lock, no formatting and no
 * write. */
void auth_uses_note(struct auth_uses *u, const char *name)
{
	time_t now = time(NULL);
	size_t i;

	if (!u)
		return;
	pthread_mutex_lock(&u->lock);
	for (i = 0; i < u->n && strcmp(u->pending[i].name, name) != 0; i++)
		;
	if (i == u->n && u->n == u->cap) {
		size_t cap = u->cap ? 2 * u->cap : 16;
		struct use *p = realloc(u->pending, cap * sizeof(*p));

		if (!p) { /* a last use is worth less than the request */
			pthread_mutex_unlock(&u->lock);
			return;
		}
		u->pending = p;
		u->cap = cap;
	}
	if (i == u->n)
		snprintf(u->pending[u->n++].name, AUTH_NAME_MAX + 1, "%s",
			 name);
	u->pending[i].at = now;
	pthread_mutex_unlock(&u->lock);
}

int auth_uses_flush(struct auth_uses *u, struct db_conn *c, struct npo_err *err)
{
	struct use *taken;
	size_t n;
	sqlite3_stmt *st;
	int rc = 0;

	if (!u)
		return 0;
	pthread_mutex_lock(&u->lock);
	taken = u->pending;
	n = u->n;
	u->pending = NULL;
	u->n = u->cap = 0;
	pthread_mutex_unlock(&u->lock);
	if (!n) {
		free(taken);
		return 0;
	}
	/* one transaction for all of them, however many */
	if (db_begin_write(c, err) < 0) {
		rc = -1;
		goto out;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		char at[21];

		if (!(st = db_prepare(c,
				      "UPDATE tokens SET last_used_at = ?"
				      " WHERE name = ?",
				      err))) {
			rc = -1;
			break;
		}
		use_time(taken[i].at, at);
		db_bind_text(c, st, 1, at, -1);
		db_bind_text(c, st, 2, taken[i].name, -1);
		rc = db_step(c, st, err) == SQLITE_DONE ? 0 : -1;
		db_done(c, st);
	}
	if (rc == 0)
		rc = db_commit(c, err);
	else
		db_rollback(c);
out:
	free(taken);
	return rc;
}

int auth_token_list(struct db_conn *c, struct auth_uses *uses, json_t **items,
		    struct npo_err *err)
{
	sqlite3_stmt *st = db_prepare(
		c, "SELECT " TOKEN_COLUMNS " FROM tokens ORDER BY name", err);
	int rc;

	*items = json_array();
	if (!st)
		return -1;
	while ((rc = db_step(c, st, err)) == SQLITE_ROW)
		json_array_append_new(*items, token_json(st));
	db_done(c, st);
	if (rc != SQLITE_DONE) {
		json_decref(*items);
		*items = NULL;
		return -1;
	}
	if (uses) {
		size_t i;
		json_t *t;

		pthread_mutex_lock(&uses->lock);
		json_array_foreach(*items, i, t)
		{
			for (size_t k = 0; k < uses->n; k++) {
				char at[21];

				if (strcmp(uses->pending[k].name,
					   util_jstr(t, "name")) != 0)
					continue;
				use_time(uses->pending[k].at, at);
				json_object_set_new(t, "last_used_at",
						    json_string(at));
			}
		}
		pthread_mutex_unlock(&uses->lock);
	}
	return 0;
}

int auth_token_revoke(struct db_conn *c, const char *name, const char *actor,
		      struct npo_err *err)
{
	sqlite3_stmt *st;
	json_t *was = NULL;
	int64_t id = 0;
	int rc;

	if (db_begin_write(c, err) < 0)
		return -1;
	if (!(st = db_prepare(c,
			      "DELETE FROM tokens WHERE name = ?"
			      " RETURNING " TOKEN_COLUMNS ", id",
			      err))) {
		db_rollback(c);
		return -1;
	}
	db_bind_text(c, st, 1, name, -1);
	rc = db_step(c, st, err);
	if (rc == SQLITE_ROW) {
		was = token_json(st);
		id = sqlite3_column_int64(st, 7);
		rc = db_step(c, st, err);
	}
	db_done(c, st);
	if (rc == SQLITE_DONE && !was)
		err_set(err, NPO_E_NOT_FOUND, "there is no token called %s",
			name);
	else if (rc == SQLITE_DONE &&
		 store_audit(c, actor, "delete", "token", id, was, NULL, NULL,
			     err) == 0 &&
		 db_commit(c, err) == 0) {
		rc = 0;
		forget_kept(); /* here at once; elsewhere by the version */
	}
	if (rc != 0)
		db_rollback(c);
	json_decref(was);
	return rc == 0 ? 0 : -1;
}
