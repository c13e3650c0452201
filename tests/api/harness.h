/*
 * API test harness: starts the real daemon in the test process on an
 * ephemeral loopback port with a fresh database file, and talks to it with
 * libcurl.
 */
#ifndef NPO_TEST_HARNESS_H
#define NPO_TEST_HARNESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "npo/auth.h"
#include "npo/server.h"

struct api {
	char dir[64]; /* temp directory, removed by api_stop */
	char db_path[128];
	char base[64]; /* http://127.0.0.1:PORT */
	struct npo_config cfg;
	struct npo_server *srv;
	char read[AUTH_TOKEN_LEN + 1]; /* a token of each role */
	char write[AUTH_TOKEN_LEN + 1];
	char admin[AUTH_TOKEN_LEN + 1];
};

/* Makes the temp dir, the database and three tokens (reader, writer,
 * admin); sets cfg to the defaults on port 0. Does not start the daemon. */
void api_init(struct api *a);
/* Starts the daemon with a->cfg (again after api_restart's stop). */
void api_start(struct api *a);
/* Starts the daemon with demo data (the two seed documents). */
void api_start_demo(struct api *a);
/* api_init then api_start. */
void api_up(struct api *a);
/* Stops the daemon, keeps the files. */
void api_halt(struct api *a);
/* Stops the daemon and removes its files. */
void api_down(struct api *a);

struct resp {
	long status;
	char *body;
	size_t len;
	char *headers; /* raw header block of the last response */
	json_t *json;  /* parsed body, or NULL */
	char *got[16]; /* copies handed out by resp_header */
	int ngot;
};

/*
 * One request. token may be NULL; body may be NULL; extra is a
 * NULL-terminated list of further header lines ("If-Match: \"1\""), or NULL.
 * A body is sent as application/json unless extra sets Content-Type.
 */
struct resp *api_req(struct api *a, const char *method, const char *path,
		     const char *token, const char *body,
		     const char *const *extra);
/* As api_req with the body made by json_pack-style format. */
struct resp *api_json(struct api *a, const char *method, const char *path,
		      const char *token, const char *fmt, ...);
/* The value of header name (case-insensitive), or NULL; a copy inside r. */
const char *resp_header(struct resp *r, const char *name);
void resp_free(struct resp *r);

/* The string / integer member of the parsed body (or "" / -1). */
const char *jstr(const struct resp *r, const char *key);
long long jint(const struct resp *r, const char *key);

/*
 * The database file as another process sees it (the command line, a
 * replicator): api_sql runs statements on a connection of its own and
 * commits them; api_sql_int answers one integer of sql, with ?1 = arg when
 * it has a parameter.
 */
void api_sql(struct api *a, const char *sql);
long long api_sql_int(struct api *a, const char *sql, long long arg);

/* The Hilversum budget of the seed letter, as a JSON body. */
#define HILVERSUM_BUDGET                                            \
	"{\"municipality_code\":\"GM0402\",\"municipality_name\":"  \
	"\"Hilversum\",\"name\":\"Nationaal Programma Onderwijs\"," \
	"\"grant_cents\":213850964,\"spend_from\":\"2021-07-01\","  \
	"\"spend_until\":\"2025-07-31\",\"decision_ref\":\"motie M20-29\"}"

#endif
