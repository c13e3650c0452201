/* Unit tests of auth.c: SHA-256, roles and the token store. */
#include "../check_main.h"
#include "tmpdir.h"

#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "npo/auth.h"
#include "npo/util.h"

/*
 * Every test makes its own database directory under base and removes it at
 * its end; base is made and removed by the parent process, so that what a
 * failed test left behind goes too.
 */
static char base[256];

struct fixture {
	char dir[sizeof(base) + 16];
	char path[sizeof(base) + 32];
	struct db *db;
	struct db_conn *c;
	struct npo_err err;
};

static void base_make(void)
{
	tmpdir_make(base, sizeof(base), "auth");
}

static void base_remove(void)
{
	tmpdir_remove(base);
}

/* A fresh migrated database with one connection held. */
static void fixture_open(struct fixture *f)
{
	char msg[512] = "";

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "%s/XXXXXX", base);
	ck_assert_msg(mkdtemp(f->dir) != NULL, "mkdtemp %s", f->dir);
	snprintf(f->path, sizeof(f->path), "%s/npo.db", f->dir);
	ck_assert_msg(db_open(f->path, 1, &f->db, msg, sizeof(msg)) == 0,
		      "db_open: %s", msg);
	f->c = db_acquire(f->db);
}

static void fixture_close(struct fixture *f)
{
	static const char *const suffixes[] = { "", "-wal", "-shm",
						"-journal" };
	char p[sizeof(f->path) + 16];

	err_clear(&f->err);
	db_release(f->db, f->c);
	db_close(f->db);
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", f->path, suffixes[i]);
		unlink(p);
	}
	ck_assert_msg(rmdir(f->dir) == 0, "%s is not empty", f->dir);
}

/* The token store as the tests of roles and names ask it. */
static int add(struct db_conn *c, const char *name, enum role role,
	       char token[AUTH_TOKEN_LEN + 1], struct npo_err *err)
{
	struct token_spec t = { .name = name, .role = auth_role_name(role) };

	return auth_token_add(c, &t, "test", token, NULL, err);
}

static int lookup(struct db_conn *c, const char *token,
		  char name[AUTH_NAME_MAX + 1], enum role *role,
		  struct npo_err *err)
{
	struct auth_who who;
	int rc = auth_lookup(c, token, &who, err);

	if (rc == 0) {
		memcpy(name, who.name, sizeof(who.name));
		*role = who.role;
	}
	return rc;
}

static void add_ok(struct fixture *f, const char *name, enum role role,
		   char token[AUTH_TOKEN_LEN + 1])
{
	ck_assert_msg(add(f->c, name, role, token, &f->err) == 0,
		      "add %s: %d %s", name, f->err.status, f->err.detail);
}

static void exec_ok(struct fixture *f, const char *sql)
{
	char *msg = NULL;

	ck_assert_msg(sqlite3_exec(db_handle(f->c), sql, NULL, NULL, &msg) ==
			      SQLITE_OK,
		      "%s: %s", sql, msg ? msg : "");
}

static int count_tokens(struct fixture *f)
{
	sqlite3_stmt *st;
	int n;

	ck_assert_int_eq(sqlite3_prepare_v2(db_handle(f->c),
					    "SELECT count(*) FROM tokens", -1,
					    &st, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void assert_sha256(const void *data, size_t len, const char *want)
{
	char out[65];

	memset(out, '#', sizeof(out));
	auth_sha256_hex(data, len, out);
	ck_assert_str_eq(out, want);
}

START_TEST(sha256_vectors)
{
	assert_sha256("", 0,
		      "e3b0c44298fc1c149afbf4c8996fb924"
		      "27ae41e4649b934ca495991b7852b855");
	assert_sha256("abc", 3,
		      "ba7816bf8f01cfea414140de5dae2223"
		      "b00361a396177a9cb410ff61f20015ad");
	assert_sha256(
		"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
		"248d6a61d20638b8e5c026930c3e6039"
		"a33ce45964ff2167f6ecedd419db06c1");
}
END_TEST

START_TEST(sha256_million_a)
{
	size_t n = 1000000;
	char *a = malloc(n);

	ck_assert_ptr_nonnull(a);
	memset(a, 'a', n);
	assert_sha256(a, n,
		      "cdc76e5c9914fb9281a1c7e284d73e67"
		      "f1809a48a497200e046d39ccc7112cd0");
	free(a);
}
END_TEST

START_TEST(sha256_block_edges)
{
	/* 55, 56, 63, 64 and 112 bytes straddle the padding boundaries */
	char buf[128];

	memset(buf, 'a', sizeof(buf));
	assert_sha256(buf, 55,
		      "9f4390f8d30c2dd92ec9f095b65e2b9a"
		      "e9b0a925a5258e241c9f1e910f734318");
	assert_sha256(buf, 56,
		      "b35439a4ac6f0948b6d6f9e3c6af0f5f"
		      "590ce20f1bde7090ef7970686ec6738a");
	assert_sha256(buf, 63,
		      "7d3e74a05d7db15bce4ad9ec0658ea98"
		      "e3f06eeecf16b4c6fff2da457ddc2f34");
	assert_sha256(buf, 64,
		      "ffe054fe7ae0cb6dc65c3af9b61d5209"
		      "f439851db43d0ba5997337df154668eb");
	assert_sha256("abcdefghbcdefghicdefghijdefghijkefghijklfghijklm"
		      "ghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
		      "mnopqrstnopqrstu",
		      112,
		      "cf5b16a778af8380036ce59e7b049237"
		      "0b249b11e8f07a51afac45037afee9d1");
}
END_TEST

START_TEST(roles_round_trip)
{
	static const enum role roles[] = { ROLE_READ, ROLE_WRITE, ROLE_ADMIN };

	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		enum role back = ROLE_NONE;

		ck_assert_int_eq(
			auth_role_parse(auth_role_name(roles[i]), &back), 0);
		ck_assert_int_eq(back, roles[i]);
	}
	ck_assert_str_eq(auth_role_name(ROLE_READ), "read");
	ck_assert_str_eq(auth_role_name(ROLE_WRITE), "write");
	ck_assert_str_eq(auth_role_name(ROLE_ADMIN), "admin");
	ck_assert_str_eq(auth_role_name(ROLE_NONE), "none");
}
END_TEST

START_TEST(roles_refused)
{
	static const char *const bad[] = { "none",   "",       "Admin", "ADMIN",
					   "admin ", "reader", "root" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum role r = ROLE_WRITE;

		ck_assert_msg(auth_role_parse(bad[i], &r) == -1,
			      "\"%s\" accepted", bad[i]);
		ck_assert_int_eq(r, ROLE_WRITE);
	}
	ck_assert_int_eq(auth_role_parse(NULL, &(enum role){ ROLE_NONE }), -1);
}
END_TEST

START_TEST(token_add_and_lookup)
{
	struct fixture f;
	char token[AUTH_TOKEN_LEN + 1];
	char name[AUTH_NAME_MAX + 1] = "";
	enum role role = ROLE_NONE;

	fixture_open(&f);
	add_ok(&f, "ci-deploy", ROLE_WRITE, token);
	ck_assert_uint_eq(strlen(token), AUTH_TOKEN_LEN);
	ck_assert_int_eq(strncmp(token, "npo_", 4), 0);
	ck_assert_uint_eq(strspn(token + 4, "0123456789abcdef"),
			  AUTH_TOKEN_LEN - 4);
	ck_assert_int_eq(lookup(f.c, token, name, &role, &f.err), 0);
	ck_assert_str_eq(name, "ci-deploy");
	ck_assert_int_eq(role, ROLE_WRITE);
	fixture_close(&f);
}
END_TEST

START_TEST(token_lookup_unknown)
{
	struct fixture f;
	char token[AUTH_TOKEN_LEN + 1];
	char other[AUTH_TOKEN_LEN + 1];
	char name[AUTH_NAME_MAX + 1] = "";
	enum role role = ROLE_NONE;

	fixture_open(&f);
	ck_assert_int_eq(lookup(f.c, "npo_nothing", name, &role, &f.err), 1);
	add_ok(&f, "reader", ROLE_READ, token);
	/* one changed digit is another token */
	memcpy(other, token, sizeof(other));
	other[AUTH_TOKEN_LEN - 1] = other[AUTH_TOKEN_LEN - 1] == '0' ? '1'
								     : '0';
	ck_assert_int_eq(lookup(f.c, other, name, &role, &f.err), 1);
	ck_assert_int_eq(lookup(f.c, "", name, &role, &f.err), 1);
	/* nor is the token without its prefix, or a prefix of it */
	ck_assert_int_eq(lookup(f.c, token + 4, name, &role, &f.err), 1);
	memcpy(other, token, sizeof(other));
	other[AUTH_TOKEN_LEN - 1] = '\0';
	ck_assert_int_eq(lookup(f.c, other, name, &role, &f.err), 1);
	ck_assert_int_eq(lookup(f.c, token, name, &role, &f.err), 0);
	ck_assert_str_eq(name, "reader");
	ck_assert_int_eq(role, ROLE_READ);
	fixture_close(&f);
}
END_TEST

START_TEST(tokens_are_distinct)
{
	struct fixture f;
	char a[AUTH_TOKEN_LEN + 1], b[AUTH_TOKEN_LEN + 1];
	char name[AUTH_NAME_MAX + 1] = "";
	enum role role = ROLE_NONE;

	fixture_open(&f);
	add_ok(&f, "one", ROLE_ADMIN, a);
	add_ok(&f, "two", ROLE_READ, b);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(lookup(f.c, a, name, &role, &f.err), 0);
	ck_assert_str_eq(name, "one");
	ck_assert_int_eq(role, ROLE_ADMIN);
	ck_assert_int_eq(lookup(f.c, b, name, &role, &f.err), 0);
	ck_assert_str_eq(name, "two");
	ck_assert_int_eq(role, ROLE_READ);
	fixture_close(&f);
}
END_TEST

START_TEST(token_name_taken)
{
	struct fixture f;
	char token[AUTH_TOKEN_LEN + 1];
	char again[AUTH_TOKEN_LEN + 1];
	char name[AUTH_NAME_MAX + 1] = "";
	enum role role = ROLE_NONE;

	fixture_open(&f);
	add_ok(&f, "alice", ROLE_READ, token);
	ck_assert_int_eq(add(f.c, "alice", ROLE_ADMIN, again, &f.err), -1);
	ck_assert_int_eq(f.err.status, 409);
	ck_assert_str_eq(f.err.code, "name_taken");
	ck_assert_ptr_nonnull(strstr(f.err.detail, "alice"));
	/* the first token is untouched */
	ck_assert_int_eq(lookup(f.c, token, name, &role, &f.err), 0);
	ck_assert_int_eq(role, ROLE_READ);
	fixture_close(&f);
}
END_TEST

START_TEST(token_bad_names)
{
	static const char *const bad[] = { "",	  "a b",      "tab\t",
					   "a/b", "\xc3\xa9", "a;DROP" };
	struct fixture f;
	char token[AUTH_TOKEN_LEN + 1];
	char name[AUTH_NAME_MAX + 2];

	fixture_open(&f);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(add(f.c, bad[i], ROLE_READ, token, &f.err) == -1,
			      "\"%s\" accepted", bad[i]);
		ck_assert_int_eq(f.err.status, 422);
		err_clear(&f.err);
	}
	memset(name, 'n', AUTH_NAME_MAX + 1);
	name[AUTH_NAME_MAX + 1] = '\0';
	ck_assert_int_eq(add(f.c, name, ROLE_READ, token, &f.err), -1);
	ck_assert_int_eq(f.err.status, 422);
	/* nothing was stored */
	ck_assert_int_eq(count_tokens(&f), 0);
	/* 64 characters and the allowed punctuation are fine */
	name[AUTH_NAME_MAX] = '\0';
	add_ok(&f, name, ROLE_READ, token);
	add_ok(&f, "ops.bot_1-x@example.org", ROLE_READ, token);
	ck_assert_int_eq(count_tokens(&f), 2);
	fixture_close(&f);
}
END_TEST

START_TEST(secret_not_stored)
{
	struct fixture f;
	char token[AUTH_TOKEN_LEN + 1];
	char hash[65];
	sqlite3_stmt *st;
	int ncol, nrow = 0;

	fixture_open(&f);
	add_ok(&f, "secret-keeper", ROLE_ADMIN, token);
	auth_sha256_hex(token, strlen(token), hash);
	ck_assert_int_eq(sqlite3_prepare_v2(db_handle(f.c),
					    "SELECT * FROM tokens", -1, &st,
					    NULL),
			 SQLITE_OK);
	ncol = sqlite3_column_count(st);
	ck_assert_int_gt(ncol, 0);
	while (sqlite3_step(st) == SQLITE_ROW) {
		bool has_hash = false;

		nrow++;
		for (int i = 0; i < ncol; i++) {
			const char *v =
				(const char *)sqlite3_column_text(st, i);

			if (!v)
				continue;
			ck_assert_msg(strstr(v, token + 4) == NULL,
				      "column %s holds the secret",
				      sqlite3_column_name(st, i));
			has_hash |= strcmp(v, hash) == 0;
		}
		ck_assert_msg(has_hash, "no column holds the hash");
	}
	sqlite3_finalize(st);
	ck_assert_int_eq(nrow, 1);
	fixture_close(&f);
}
END_TEST

START_TEST(token_revoke)
{
	struct fixture f;
	char a[AUTH_TOKEN_LEN + 1], b[AUTH_TOKEN_LEN + 1];
	char name[AUTH_NAME_MAX + 1] = "";
	enum role role = ROLE_NONE;

	fixture_open(&f);
	add_ok(&f, "gone", ROLE_WRITE, a);
	add_ok(&f, "stays", ROLE_READ, b);
	ck_assert_int_eq(auth_token_revoke(f.c, "gone", "test", &f.err), 0);
	ck_assert_int_eq(lookup(f.c, a, name, &role, &f.err), 1);
	ck_assert_int_eq(lookup(f.c, b, name, &role, &f.err), 0);
	ck_assert_str_eq(name, "stays");
	/* twice, or a name never made, is 404 */
	ck_assert_int_eq(auth_token_revoke(f.c, "gone", "test", &f.err), -1);
	ck_assert_int_eq(f.err.status, 404);
	err_clear(&f.err);
	ck_assert_int_eq(auth_token_revoke(f.c, "nobody", "test", &f.err), -1);
	ck_assert_int_eq(f.err.status, 404);
	/* the name is free again */
	add_ok(&f, "gone", ROLE_ADMIN, a);
	ck_assert_int_eq(lookup(f.c, a, name, &role, &f.err), 0);
	ck_assert_int_eq(role, ROLE_ADMIN);
	fixture_close(&f);
}
END_TEST

START_TEST(token_list)
{
	static const char *const names[] = { "carol", "alice", "bob" };
	static const char *const roles[] = { "read", "write", "admin" };
	struct fixture f;
	char token[AUTH_TOKEN_LEN + 1];
	json_t *items;
	char *text;

	fixture_open(&f);

	/* empty at first */
	ck_assert_int_eq(auth_token_list(f.c, NULL, &items, &f.err), 0);
	ck_assert_uint_eq(json_array_size(items), 0);
	json_decref(items);

	add_ok(&f, names[0], ROLE_ADMIN, token);
	add_ok(&f, names[1], ROLE_READ, token);
	add_ok(&f, names[2], ROLE_WRITE, token);
	ck_assert_int_eq(auth_token_list(f.c, NULL, &items, &f.err), 0);
	ck_assert_uint_eq(json_array_size(items), 3);
	/* in name order, each with its role, never the secret */
	for (size_t i = 0; i < 3; i++) {
		const json_t *t = json_array_get(items, i);

		ck_assert_str_eq(util_jstr(t, "name"), i == 0	? "alice"
						       : i == 1 ? "bob"
								: "carol");
		ck_assert_str_eq(util_jstr(t, "role"), roles[i]);
		ck_assert(json_is_null(json_object_get(t, "expires_at")));
		ck_assert(json_is_null(json_object_get(t, "last_used_at")));
	}
	text = json_dumps(items, 0);
	ck_assert_ptr_null(strstr(text, token));
	ck_assert_ptr_null(strstr(text, "npo_"));
	free(text);
	json_decref(items);
	fixture_close(&f);
}
END_TEST

/* Scopes and expiry: checked in one place, for the command line and the
 * API alike; a scope comes back with the token. */
START_TEST(token_scopes_and_expiry)
{
	static const struct {
		struct token_spec t;
		const char *field;
	} bad[] = {
		{ { "a1", "admin", "GM0406", NULL, NULL },
		  "municipality_code" },
		{ { "a2", "admin", NULL, "10HZ00", NULL }, "school_code" },
		{ { "b", "read", "GM0406", "10HZ00", NULL }, "school_code" },
		{ { "c", "read", "Huizen", NULL, NULL }, "municipality_code" },
		{ { "d", "write", NULL, "99XX00", NULL }, "school_code" },
		{ { "e", "read", NULL, NULL, "2020-01-01" }, "expires_at" },
		{ { "f", "read", NULL, NULL, "next week" }, "expires_at" },
		{ { "g", "owner", NULL, NULL, NULL }, "role" },
	};
	struct fixture f;
	char token[AUTH_TOKEN_LEN + 1];
	struct auth_who who;
	json_t *row;

	fixture_open(&f);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(auth_token_add(f.c, &bad[i].t, "test", token,
						NULL, &f.err),
				 -1);
		ck_assert_int_eq(f.err.status, 422);
		ck_assert_msg(strncmp(f.err.detail, bad[i].field,
				      strlen(bad[i].field)) == 0,
			      "%s: %s", bad[i].t.name, f.err.detail);
		err_clear(&f.err);
	}
	ck_assert_int_eq(auth_token_add(f.c,
					&(struct token_spec){
						.name = "huizen",
						.role = "write",
						.municipality_code = "GM0406",
						.expires_at = "2999-12-31" },
					"test", token, &row, &f.err),
			 0);
	ck_assert_str_eq(util_jstr(row, "municipality_code"), "GM0406");
	ck_assert_str_eq(util_jstr(row, "expires_at"), "2999-12-31T00:00:00Z");
	json_decref(row);
	ck_assert_int_eq(auth_lookup(f.c, token, &who, &f.err), 0);
	ck_assert_int_eq(who.scope.kind, SCOPE_MUNICIPALITY);
	ck_assert_str_eq(who.scope.municipality, "GM0406");
	/* an expired one is 2 (401 token_expired) */
	exec_ok(&f, "UPDATE tokens SET expires_at = '2020-01-01T00:00:00Z'"
		    " WHERE name = 'huizen'");
	/* kept as it was read, until the tokens' version is looked at (the
	 * keeper does so four times a second) */
	ck_assert_int_eq(auth_lookup(f.c, token, &who, &f.err), 0);
	ck_assert_int_eq(auth_tokens_sync(f.c, &f.err), 0);
	ck_assert_int_eq(auth_lookup(f.c, token, &who, &f.err), 2);
	/* a school's token knows its school and municipality */
	exec_ok(&f,
		"INSERT INTO schools (version, created_at, updated_at, code,"
		" name, sector, municipality_code) VALUES (1, 't', 't',"
		" '10HZ00', 'OBS', 'po', 'GM0406')");
	ck_assert_int_eq(
		auth_token_add(f.c,
			       &(struct token_spec){ .name = "regenboog",
						     .role = "write",
						     .school_code = "10HZ00" },
			       "test", token, NULL, &f.err),
		0);
	ck_assert_int_eq(auth_lookup(f.c, token, &who, &f.err), 0);
	ck_assert_int_eq(who.scope.kind, SCOPE_SCHOOL);
	ck_assert_str_eq(who.scope.school, "10HZ00");
	ck_assert_str_eq(who.scope.municipality, "GM0406");
	ck_assert_int_eq(who.scope.school_id, 1);
	fixture_close(&f);
}
END_TEST

/* Last uses are kept in memory and written in one go; the list shows
 * them before they are written. */
START_TEST(last_uses_are_written_at_once)
{
	struct fixture f;
	char token[AUTH_TOKEN_LEN + 1];
	struct auth_uses *u = auth_uses_new();
	json_t *items;

	fixture_open(&f);
	add_ok(&f, "dashboard", ROLE_READ, token);
	auth_uses_note(u, "dashboard");
	auth_uses_note(u, "dashboard");
	ck_assert_int_eq(auth_token_list(f.c, u, &items, &f.err), 0);
	ck_assert(json_is_string(
		json_object_get(json_array_get(items, 0), "last_used_at")));
	json_decref(items);
	/* not yet in the database */
	ck_assert_int_eq(auth_token_list(f.c, NULL, &items, &f.err), 0);
	ck_assert(json_is_null(
		json_object_get(json_array_get(items, 0), "last_used_at")));
	json_decref(items);
	ck_assert_int_eq(auth_uses_flush(u, f.c, &f.err), 0);
	ck_assert_int_eq(auth_token_list(f.c, NULL, &items, &f.err), 0);
	ck_assert(json_is_string(
		json_object_get(json_array_get(items, 0), "last_used_at")));
	json_decref(items);
	/* nothing pending: nothing written */
	ck_assert_int_eq(auth_uses_flush(u, f.c, &f.err), 0);
	auth_uses_free(u);
	fixture_close(&f);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_unchecked_fixture(tc, base_make, base_remove);
	tcase_add_test(tc, sha256_vectors);
	tcase_add_test(tc, sha256_million_a);
	tcase_add_test(tc, sha256_block_edges);
	tcase_add_test(tc, roles_round_trip);
	tcase_add_test(tc, roles_refused);
	tcase_add_test(tc, token_add_and_lookup);
	tcase_add_test(tc, token_lookup_unknown);
	tcase_add_test(tc, tokens_are_distinct);
	tcase_add_test(tc, token_name_taken);
	tcase_add_test(tc, token_bad_names);
	tcase_add_test(tc, secret_not_stored);
	tcase_add_test(tc, token_revoke);
	tcase_add_test(tc, token_list);
	tcase_add_test(tc, token_scopes_and_expiry);
	tcase_add_test(tc, last_uses_are_written_at_once);
}

CHECK_MAIN("auth")
