#include "npo/auth.h"

#include <stdint.h>
#include <string.h>
#include <sys/random.h>

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

int auth_lookup(struct db_conn *c, const char *token,
		char name[AUTH_NAME_MAX + 1], enum role *role,
		struct npo_err *err)
{
	sqlite3_stmt *st = db_prepare(
		c, "SELECT name, role FROM tokens WHERE hash = ?", err);
	char hash[65];
	int rc;

	if (!st)
		return -1;
	auth_sha256_hex(token, strlen(token), hash);
	db_bind_text(c, st, 1, hash, 64);
	rc = db_step(c, st, err);
	if (rc == SQLITE_ROW) {
		snprintf(name, AUTH_NAME_MAX + 1, "%s",
			 (const char *)sqlite3_column_text(st, 0));
		if (auth_role_parse((const char *)sqlite3_column_text(st, 1),
				    role) < 0)
			*role = ROLE_NONE;
	}
	db_done(c, st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

static bool name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > AUTH_NAME_MAX)
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@") == n;
}

int auth_token_add(struct db_conn *c, const char *name, enum role role,
		   char token[AUTH_TOKEN_LEN + 1], struct npo_err *err)
{
	sqlite3_stmt *st;
	uint8_t raw[32];
	char hash[65], now[21];
	int rc;

	if (!name_ok(name))
		return err_set(
			err, NPO_E_BAD_NAME,
			"a token name is 1 to %d letters, digits or ._-@",
			AUTH_NAME_MAX);
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return err_set(err, NPO_E_INTERNAL, "no random numbers");
	memcpy(token, "npo_", 4);
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(token + 4 + 2 * i, 3, "%02x", raw[i]);
	auth_sha256_hex(token, strlen(token), hash);
	st = db_prepare(c,
			"INSERT INTO tokens (name, role, hash, created_at)"
			" VALUES (?, ?, ?, ?)",
			err);
	if (!st)
		return -1;
	util_now_iso(now);
	db_bind_text(c, st, 1, name, -1);
	db_bind_text(c, st, 2, auth_role_name(role), -1);
	db_bind_text(c, st, 3, hash, 64);
	db_bind_text(c, st, 4, now, -1);
	rc = db_step(c, st, err);
	db_done(c, st);
	if (rc < 0 && err->status == 409)
		return err_set(err, NPO_E_NAME_TAKEN,
			       "a token called %s exists already", name);
	return rc == SQLITE_DONE ? 0 : -1;
}

int auth_token_list(struct db_conn *c, FILE *out, struct npo_err *err)
{
	sqlite3_stmt *st = db_prepare(
		c, "SELECT name, role, created_at FROM tokens ORDER BY name",
		err);
	int rc;

	if (!st)
		return -1;
	while ((rc = db_step(c, st, err)) == SQLITE_ROW)
		fprintf(out, "%-32s %-6s %s\n", sqlite3_column_text(st, 0),
			sqlite3_column_text(st, 1), sqlite3_column_text(st, 2));
	db_done(c, st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int auth_token_revoke(struct db_conn *c, const char *name, struct npo_err *err)
{
	sqlite3_stmt *st =
		db_prepare(c, "DELETE FROM tokens WHERE name = ?", err);
	int rc;

	if (!st)
		return -1;
	db_bind_text(c, st, 1, name, -1);
	rc = db_step(c, st, err);
	db_done(c, st);
	if (rc != SQLITE_DONE)
		return -1;
	if (sqlite3_changes(db_handle(c)) == 0)
		return err_set(err, NPO_E_NOT_FOUND,
			       "there is no token called %s", name);
	return 0;
}
