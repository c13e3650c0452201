/*
 * The HTTP layer: libmicrohttpd glue, the dispatcher over one route table,
 * authentication, request bodies and the one reply helper. Handlers see a
 * struct http_request and never libmicrohttpd.
 */
#ifndef NPO_HTTP_H
#define NPO_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "npo/auth.h"
#include "npo/client.h"
#include "npo/db.h"
#include "npo/util.h"

/* Sockets one address may have open, and requests one client behind a
 * trusted proxy (its address from X-Forwarded-For) may have open. */
#define HTTP_PER_IP_LIMIT 256u

struct http_request;
typedef void (*http_handler)(struct http_request *req);

/*
 * One row of the route table. path may hold one "{id}" segment, which
 * matches a positive decimal id. The dispatcher answers 404 and 405 itself,
 * checks role, parses JSON bodies of POST, PUT and PATCH, and holds a
 * database connection for the handler.
 */
struct route {
	const char *method;
	const char *path;
	http_handler handler;
	enum role role;	 /* lowest role allowed; ROLE_NONE: no token */
	const void *ctx; /* handed to the handler, e.g. its resource */
	/* a GET whose answer follows from the database revision and the
	 * request (lists, status): the dispatcher gives it an ETag and
	 * answers If-None-Match with 304 before the handler runs */
	bool by_revision;
	/* a school-scoped token may use it (scope.h); else 403 out_of_scope */
	bool school;
	/* its body is CSV (text/csv, up to max_import), handed over as it
	 * came (http_body_text), not JSON */
	bool csv_body;
};

struct auth_uses;

struct http_config {
	const char *listen; /* ADDR:PORT; port 0 picks a free one */
	unsigned threads;
	size_t max_body;      /* bytes; larger bodies are 413 */
	size_t max_import;    /* the same for a route with csv_body */
	unsigned max_streams; /* live streams open at once */
	unsigned timeout_s;   /* idle connection timeout */
	bool public_read;     /* GET routes of role read need no token */
	const char *const *cors_origins; /* allowed origins; "*" for any */
	size_t ncors_origins;
	const struct route *routes;
	size_t nroutes;
	struct db *db;
	struct auth_uses *uses; /* where the last uses of tokens go */
	/* HTTPS: the PEM texts of the certificate and its key (tls.h, kept
	 * by the caller while the server runs), or NULL for plain HTTP. With
	 * them every answer has Strict-Transport-Security. */
	const char *tls_cert, *tls_key;
	/* the proxies whose X-Forwarded-For names the client (client.h):
	 * requests from them count against the per-IP limit by that client,
	 * and their own sockets against none */
	const struct client_net *trusted;
	size_t ntrusted;
};

struct http_server;

/* 0 when listen is a numeric ADDR:PORT the daemon can listen on; else -1
 * with a one-line message in msg (for the command line, before start). */
int http_listen_check(const char *listen, char *msg, size_t msglen);
/* Whether listen (which http_listen_check accepts) is a loopback address:
 * 127.0.0.0/8 or ::1, reachable from this machine only. */
bool http_listen_loopback(const char *listen);

/* Starts listening; on failure writes a message to msg and returns -1. */
int http_start(const struct http_config *cfg, struct http_server **out,
	       char *msg, size_t msglen);
unsigned short http_port(const struct http_server *srv);
/* Stops accepting, waits for in-flight requests (up to a limit), stops. */
void http_stop(struct http_server *srv);

/*
 * Matches path against a route pattern; on a match with an {id} segment
 * sets *id (0 when the pattern has none). A {name} segment matches a
 * token's name (the handler reads it from the path). Exposed for the unit
 * tests.
 */
bool http_path_match(const char *pattern, const char *path, int64_t *id);

/* A database connection a streamed reply may keep after its handler
 * returns; NULL when none is spare (answer 503). Give it back with
 * db_release in the stream's done. */
struct db_conn *http_db_spare(const struct http_request *req);
struct db *http_db_pool(const struct http_request *req);

/* What a handler may read. Strings are borrowed for the request's life. */
const char *http_method(const struct http_request *req);
const char *http_path(const struct http_request *req);
int64_t http_id(const struct http_request *req);
const void *http_ctx(const struct http_request *req);
const char *http_query(const struct http_request *req, const char *key);
const char *http_header(const struct http_request *req, const char *name);
/* Calls fn for each query argument in order until it returns non-zero;
 * returns that value, or 0. */
typedef int (*http_query_fn)(void *arg, const char *key, const char *value);
int http_query_foreach(const struct http_request *req, http_query_fn fn,
		       void *arg);
const json_t *http_body(const struct http_request *req); /* an object */
const char *http_actor(const struct http_request *req);	 /* token name */
/* The body as it came, for a route with csv_body: *len bytes (NULL and 0
 * for none). */
const char *http_body_text(const struct http_request *req, size_t *len);
/* Where the daemon keeps when its tokens were last used (auth.h). */
struct auth_uses *http_uses(const struct http_request *req);
struct db_conn *http_db(const struct http_request *req);

/* The reply: one per request, sent when the handler returns. */
void http_reply_json(struct http_request *req, int status, json_t *body_new);
void http_reply_text(struct http_request *req, int status,
		     const char *content_type, const char *text);
void http_reply_empty(struct http_request *req, int status);
/* Takes over data_new (malloc'd, len bytes, may hold NUL bytes). */
void http_reply_bytes(struct http_request *req, int status,
		      const char *content_type, char *data_new, size_t len);
/*
 * A streamed reply of unknown length: read(ctx, buf, max) returns how many
 * bytes it wrote (> 0), 0 at the end, or -1 on a failure, which cuts the
 * stream off so the client sees it is incomplete. done(ctx) runs once when
 * the reply is over, however it ended (also when the client went away).
 */
typedef long (*http_reader)(void *ctx, char *buf, size_t max);
void http_reply_stream(struct http_request *req, int status,
		       const char *content_type, http_reader read,
		       void (*done)(void *ctx), void *ctx);

/*
 * A live reply (server-sent events), 200 with no end of its own: read(ctx,
 * buf, max) returns the bytes it wrote (> 0), 0 when it has nothing to send
 * now, or -1 to end. With nothing to send the connection is parked and
 * holds no thread until http_wake; the request gives its database
 * connection back. When the server stops, every live stream ends. false
 * when max_streams are open already (then nothing is replied).
 */
bool http_reply_live(struct http_request *req, const char *content_type,
		     http_reader read, void (*done)(void *ctx), void *ctx);
/* Lets every parked live stream read again (from any thread). */
void http_wake(struct http_server *srv);
struct http_server *http_server_of(const struct http_request *req);
unsigned http_live_streams(const struct http_server *srv);

/* An RFC 9457 problem from err (err is left as it was). */
void http_reply_err(struct http_request *req, const struct npo_err *err);
void http_reply_problem(struct http_request *req, enum npo_error e,
			const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Adds a header to the reply (copied). */
void http_set_header(struct http_request *req, const char *name,
		     const char *value);

/* True when an If-Match / If-None-Match list names etag (a quoted strong
 * tag) or is "*". With weak (If-None-Match, RFC 9110 section 13.1.2), a W/
 * tag in the list matches too; without (If-Match, which compares strongly,
 * section 13.1.1) it never does. */
bool http_etag_matches(const char *list, const char *etag, bool weak);

/* The problem+json body for err: type, title, status, detail, code and the
 * members of err->extra. New reference. */
json_t *http_problem_new(const struct npo_err *err);

#endif
