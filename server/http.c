#include "npo/http.h"
#include "npo/metrics.h"
#include "npo/tls.h"
#include "npo/validate.h"

#include <arpa/inet.h>
#include <assert.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define MAX_HEADERS 8
/*
 * The daemon's own limits of a request's URL and headers, answered with
 * problem+json. They lie well inside libmicrohttpd's, which answers 414 or
 * 431 itself, in HTML, for what does not fit its connection's memory (64
 * KiB, MHD_OPTION_CONNECTION_MEMORY_LIMIT) at all.
 */
#define URI_MAX (16 * 1024)
#define HEADERS_MAX (32 * 1024)
#define DRAIN_LIMIT_MS 10000
#define CACHE_SLOTS 16
#define CACHE_MAX_BODY (64 * 1024)

struct header {
	char *name, *value;
};

/* A 200 answer of a by-revision GET, kept for the next same request. */
struct cached {
	char *key; /* NULL: a free slot */
	/* as the handler gave it: static, as reply() keeps it past the handler */
	const char *content_type;
	char *body;
	size_t len;
	struct header headers[MAX_HEADERS];
	size_t nheaders;
	uint64_t used; /* for reusing the least recently used slot */
};

/* A streamed reply, as libmicrohttpd reads it. */
struct stream {
	http_reader read;
	void (*done)(void *ctx);
	void *ctx;
	size_t *bytes; /* the request's count, for the access log */
	/* a live stream: parked on srv's list while it has nothing to send */
	struct http_server *srv; /* NULL: not live */
	struct MHD_Connection *conn;
	bool parked;
	struct stream *next;
};

struct http_server {
	struct MHD_Daemon *d;
	struct http_config cfg;
	atomic_int inflight;  /* requests between first call and completion */
	atomic_bool draining; /* stopping: finish what runs, start nothing */
	/* live streams: how many are open, and those parked (suspended:
	 * holding no thread) until http_wake */
	atomic_uint nlive;
	pthread_mutex_t live_lock;
	struct stream *parked;
	pthread_mutex_t cache_lock;
	struct cached cache[CACHE_SLOTS];
	uint64_t cache_tick;
	/* with trusted proxies: the requests open per client behind them,
	 * and the sockets open per other peer (libmicrohttpd's own per-IP
	 * limit would count the proxies' sockets too); else NULL */
	struct client_counts *forwarded, *sockets;
};

struct http_request {
	struct http_server *srv;
	struct MHD_Connection *conn;
	bool started;	/* the access handler has seen it */
	bool raw_bad;	/* the raw path had %2F or %00 */
	size_t uri_len; /* of the raw request target, query included */
	/* the socket's peer, or behind a trusted proxy the client it names;
	 * counted in srv->forwarded when that says so */
	struct client_addr client;
	bool client_known, forwarded_counted;
	const char *method;
	const char *path;
	struct timespec start;

	/* the body as it arrives */
	char *body;
	size_t body_len, body_cap;
	bool too_large;
	size_t limit; /* the body's limit: an import's or any other's */

	/* what the dispatcher found */
	const struct route *route;
	int64_t id;
	json_t *json;
	struct db_conn *db;
	char actor[AUTH_NAME_MAX + 1];
	struct scope scope; /* of the token; the store holds the request to it */

	char etag[48];	 /* by revision; sent with a 200 */
	char *cache_key; /* what a by-revision answer depends on, exactly */

	/* the reply */
	bool replied;
	int status;
	http_reader stream; /* a streamed reply instead of reply/reply_len */
	void (*stream_done)(void *ctx);
	void *stream_ctx;
	bool live; /* the stream is live and counted in nlive (not yet by
		    * its own struct stream) */
	const char *content_type;
	char *reply; /* malloc'd, handed to libmicrohttpd */
	size_t reply_len;
	struct header headers[MAX_HEADERS];
	size_t nheaders;
};

/* --- what handlers read ------------------------------------------------ */

const char *http_method(const struct http_request *req)
{
	return req->method;
}
const char *http_path(const struct http_request *req)
{
	return req->path;
}
int64_t http_id(const struct http_request *req)
{
	return req->id;
}
const void *http_ctx(const struct http_request *req)
{
	return req->route->ctx;
}
const json_t *http_body(const struct http_request *req)
{
	return req->json;
}
const char *http_actor(const struct http_request *req)
{
	return req->actor;
}
struct db_conn *http_db(const struct http_request *req)
{
	return req->db;
}
const char *http_body_text(const struct http_request *req, size_t *len)
{
	*len = req->body_len;
	return req->body;
}
struct auth_uses *http_uses(const struct http_request *req)
{
	return req->srv->cfg.uses;
}

const char *http_query(const struct http_request *req, const char *key)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND,
					   key);
}

const char *http_header(const struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

struct query_walk {
	http_query_fn fn;
	void *arg;
	int rc;
};

static enum MHD_Result walk_one(void *cls, enum MHD_ValueKind kind,
				const char *key, const char *value)
{
	struct query_walk *w = cls;

	(void)kind;
	w->rc = w->fn(w->arg, key, value ? value : "");
	return w->rc == 0 ? MHD_YES : MHD_NO;
}

int http_query_foreach(const struct http_request *req, http_query_fn fn,
		       void *arg)
{
	struct query_walk w = { fn, arg, 0 };

	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, walk_one,
				  &w);
	return w.rc;
}

/* --- the one reply helper ---------------------------------------------- */

static void reply(struct http_request *req, int status,
		  const char *content_type, char *body_new, size_t len)
{
	free(req->reply);
	req->replied = true;
	req->status = status;
	req->content_type = content_type;
	req->reply = body_new;
	req->reply_len = len;
}

void http_set_header(struct http_request *req, const char *name,
		     const char *value)
{
	if (req->nheaders == MAX_HEADERS) {
		util_log("http: too many headers for %s", req->path);
		return;
	}
	req->headers[req->nheaders].name = strdup(name);
	req->headers[req->nheaders].value = strdup(value);
	if (!req->headers[req->nheaders].name ||
	    !req->headers[req->nheaders].value) {
		util_log("http: out of memory for header %s", name);
		free(req->headers[req->nheaders].name);
		free(req->headers[req->nheaders].value);
		return;
	}
	req->nheaders++;
}

static void reply_json_as(struct http_request *req, int status,
			  const char *content_type, json_t *body_new)
{
	char *text = json_dumps(body_new, JSON_INDENT(2)), *grown;
	size_t len;

	json_decref(body_new);
	if (!text) {
		util_log("http: cannot serialise a reply");
		reply(req, 500, "text/plain", NULL, 0);
		return;
	}
	len = strlen(text);
	/* end with a newline, so a reply printed by curl ends a line */
	grown = realloc(text, len + 2);
	if (!grown) {
		free(text);
		util_log("http: out of memory for a reply");
		reply(req, 500, "text/plain", NULL, 0);
		return;
	}
	text = grown;
	text[len++] = '\n';
	text[len] = '\0';
	reply(req, status, content_type, text, len);
}

void http_reply_json(struct http_request *req, int status, json_t *body_new)
{
	reply_json_as(req, status, "application/json; charset=utf-8", body_new);
}

void http_reply_text(struct http_request *req, int status,
		     const char *content_type, const char *text)
{
	reply(req, status, content_type, strdup(text), strlen(text));
}

void http_reply_bytes(struct http_request *req, int status,
		      const char *content_type, char *data_new, size_t len)
{
	reply(req, status, content_type, data_new, len);
}

void http_reply_stream(struct http_request *req, int status,
		       const char *content_type, http_reader read,
		       void (*done)(void *ctx), void *ctx)
{
	reply(req, status, content_type, NULL, 0);
	req->stream = read;
	req->stream_done = done;
	req->stream_ctx = ctx;
}

bool http_reply_live(struct http_request *req, const char *content_type,
		     http_reader read, void (*done)(void *ctx), void *ctx)
{
	struct http_server *srv = req->srv;

	if (atomic_fetch_add(&srv->nlive, 1) >= srv->cfg.max_streams) {
		atomic_fetch_sub(&srv->nlive, 1);
		return false;
	}
	http_reply_stream(req, 200, content_type, read, done, ctx);
	req->live = true;
	/* a stream may stay open for hours: it keeps no connection of the
	 * pool, which the requests need */
	if (req->db) {
		db_release(srv->cfg.db, req->db);
		req->db = NULL;
	}
	return true;
}

struct http_server *http_server_of(const struct http_request *req)
{
	return req->srv;
}

unsigned http_live_streams(const struct http_server *srv)
{
	return atomic_load(&srv->nlive);
}

void http_wake(struct http_server *srv)
{
	pthread_mutex_lock(&srv->live_lock);
	for (struct stream *s = srv->parked; s;) {
		struct stream *next = s->next;

		s->parked = false;
		s->next = NULL;
		MHD_resume_connection(s->conn);
		s = next;
	}
	srv->parked = NULL;
	pthread_mutex_unlock(&srv->live_lock);
}

struct db_conn *http_db_spare(const struct http_request *req)
{
	struct db_conn *c = db_try_acquire(req->srv->cfg.db);

	/* the scope goes with the request to the connection it streams on */
	if (c)
		db_set_scope(c, &req->scope);
	return c;
}

struct db *http_db_pool(const struct http_request *req)
{
	return req->srv->cfg.db;
}

void http_reply_empty(struct http_request *req, int status)
{
	reply(req, status, NULL, NULL, 0);
}

json_t *http_problem_new(const struct npo_err *err)
{
	char type[128];
	json_t *p;

	snprintf(type, sizeof(type), "urn:npo-budgetd:problem:%s", err->code);
	p = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", type, "title",
		      npo_error_def(err->e)->title, "status", err->status,
		      "detail", err->detail, "code", err->code);
	if (err->extra)
		json_object_update(p, err->extra);
	return p;
}

void http_reply_err(struct http_request *req, const struct npo_err *err)
{
	reply_json_as(req, err->status, "application/problem+json",
		      http_problem_new(err));
}

void http_reply_problem(struct http_request *req, enum npo_error e,
			const char *fmt, ...)
{
	const struct npo_error_def *d = npo_error_def(e);
	struct npo_err err = { .e = e, .status = d->status, .code = d->code };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err.detail, sizeof(err.detail), fmt, ap);
	va_end(ap);
	http_reply_err(req, &err);
}

bool http_etag_matches(const char *list, const char *etag, bool weak)
{
	size_t n = strlen(etag);

	for (const char *p = list; *p;) {
		bool is_weak = false;

		p += strspn(p, " \t,");
		if (*p == '*')
			return true;
		if (strncmp(p, "W/", 2) == 0) {
			p += 2;
			is_weak = true;
		}
		if ((weak || !is_weak) && strncmp(p, etag, n) == 0 &&
		    (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
			return true;
		p += strcspn(p, ",");
	}
	return false;
}

/* --- routing ------------------------------------------------------------ */

bool http_path_match(const char *pattern, const char *path, int64_t *id)
{
	*id = 0;
	while (*pattern && *path) {
		if (*pattern != '{') {
			/* most of a pattern is plain text */
			if (*pattern++ != *path++)
				return false;
			continue;
		}
		if (strncmp(pattern, "{id}", 4) == 0) {
			int64_t v = 0;

			if (*path < '1' || *path > '9')
				return false;
			for (; *path >= '0' && *path <= '9'; path++) {
				int d = *path - '0';

				if (v > (INT64_MAX - d) / 10)
					return false;
				v = v * 10 + d;
			}
			*id = v;
			pattern += 4;
			continue;
		}
		if (strncmp(pattern, "{name}", 6) == 0) {
			/* a token's name: what auth allows in one */
			size_t n = strspn(path, "abcdefghijklmnopqrstuvwxyz"
						"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
						"0123456789._-@");

			if (n == 0 || n > AUTH_NAME_MAX)
				return false;
			path += n;
			pattern += 6;
			continue;
		}
		if (*pattern++ != *path++)
			return false;
	}
	return *pattern == '\0' && *path == '\0';
}

static bool same_method(const char *route, const char *asked)
{
	return strcmp(route, asked) == 0 ||
	       (strcmp(asked, "HEAD") == 0 && strcmp(route, "GET") == 0);
}

static bool has_body(const char *method)
{
	return strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
	       strcmp(method, "PATCH") == 0;
}

/* Finds the route; answers 404 or 405 (with Allow) itself. */
static const struct route *find_route(struct http_request *req)
{
	const struct http_config *cfg = &req->srv->cfg;
	char allow[128] = "";
	size_t n = 0;
	int64_t id;

	for (size_t i = 0; i < cfg->nroutes; i++) {
		const struct route *r = &cfg->routes[i];

		if (!http_path_match(r->path, req->path, &id))
			continue;
		if (same_method(r->method, req->method)) {
			req->id = id;
			return r;
		}
		n += (size_t)snprintf(allow + n, sizeof(allow) - n, "%s%s",
				      n ? ", " : "", r->method);
		if (strcmp(r->method, "GET") == 0)
			n += (size_t)snprintf(allow + n, sizeof(allow) - n,
					      ", HEAD");
	}
	if (n == 0) {
		http_reply_problem(req, NPO_E_NOT_FOUND, "there is no %s",
				   req->path);
		return NULL;
	}
	if (strcmp(req->method, "OPTIONS") == 0) {
		n += (size_t)snprintf(allow + n, sizeof(allow) - n,
				      ", OPTIONS");
		http_reply_empty(req, 204);
	} else {
		http_reply_problem(req, NPO_E_METHOD_NOT_ALLOWED,
				   "%s is not allowed on %s; allowed: %s",
				   req->method, req->path, allow);
	}
	http_set_header(req, "Allow", allow);
	return NULL;
}

static void reply_unauthorized(struct http_request *req, enum npo_error e,
			       const char *detail)
{
	http_reply_problem(req, e, "%s", detail);
	http_set_header(
		req, "WWW-Authenticate",
		e == NPO_E_NO_TOKEN
			? "Bearer realm=\"npo-budgetd\""
			: "Bearer realm=\"npo-budgetd\", error=\"invalid_token\"");
}

struct header_count {
	const char *name;
	unsigned n;
};

static enum MHD_Result count_one(void *cls, enum MHD_ValueKind kind,
				 const char *key, const char *value)
{
	struct header_count *h = cls;

	(void)kind;
	(void)value;
	h->n += strcasecmp(key, h->name) == 0;
	return MHD_YES;
}

/* How many times the request has header name. */
static unsigned header_count(const struct http_request *req, const char *name)
{
	struct header_count h = { name, 0 };

	MHD_get_connection_values(req->conn, MHD_HEADER_KIND, count_one, &h);
	return h.n;
}

static enum MHD_Result add_bytes(void *cls, enum MHD_ValueKind kind,
				 const char *key, const char *value)
{
	size_t *n = cls;

	(void)kind;
	*n += strlen(key) + (value ? strlen(value) : 0) + 4; /* ": " CRLF */
	return MHD_YES;
}

/* The size of the request's header lines, about as they came. */
static size_t header_bytes(const struct http_request *req)
{
	size_t n = 0;

	MHD_get_connection_values(req->conn, MHD_HEADER_KIND, add_bytes, &n);
	return n;
}

/* Sets req->actor, or answers 400/401/403 and returns -1. */
static int authenticate(struct http_request *req)
{
	const char *authz = http_header(req, "Authorization");
	const char *in_query = http_query(req, "access_token");
	const char *token = NULL;
	/* one longer than any token, so a longer one stays unknown */
	char trimmed[AUTH_TOKEN_LEN + 2];
	struct npo_err err = { 0 };
	struct auth_who who;
	int rc;

	if (req->route->role == ROLE_NONE) {
		snprintf(req->actor, sizeof(req->actor), "-");
		return 0;
	}
	if (authz && header_count(req, "Authorization") > 1) {
		/* which one counts would be a guess, and a proxy may have
		 * checked the other */
		http_reply_problem(req, NPO_E_BAD_HEADER,
				   "the request has more than one "
				   "Authorization header; send one");
		return -1;
	}
	if (authz) {
		size_t len;

		if (strncasecmp(authz, "Bearer ", 7) != 0) {
			reply_unauthorized(req, NPO_E_BAD_TOKEN,
					   "the Authorization header must be "
					   "'Bearer <token>'");
			return -1;
		}
		/* blanks around a header value are not part of it (RFC
		 * 9110 section 5.5) */
		token = authz + 7 + strspn(authz + 7, " \t");
		for (len = strlen(token);
		     len && (token[len - 1] == ' ' || token[len - 1] == '\t');
		     len--)
			;
		snprintf(trimmed, sizeof(trimmed), "%.*s", (int)len, token);
		token = trimmed;
	} else if (in_query) {
		token = in_query;
	}
	if (!token) {
		if (req->srv->cfg.public_read &&
		    req->route->role == ROLE_READ) {
			snprintf(req->actor, sizeof(req->actor), "public");
			return 0;
		}
		reply_unauthorized(req, NPO_E_NO_TOKEN,
				   "this needs a token: Authorization: Bearer "
				   "<token>");
		return -1;
	}
	rc = auth_lookup(req->db, token, &who, &err);
	if (rc < 0) {
		http_reply_err(req, &err);
		err_clear(&err);
		return -1;
	}
	if (rc == 1) {
		reply_unauthorized(req, NPO_E_BAD_TOKEN,
				   "the token is not known");
		return -1;
	}
	if (rc == 2) {
		char detail[128];

		snprintf(detail, sizeof(detail),
			 "token %s has expired; ask for a new one", who.name);
		reply_unauthorized(req, NPO_E_TOKEN_EXPIRED, detail);
		return -1;
	}
	snprintf(req->actor, sizeof(req->actor), "%s", who.name);
	auth_uses_note(req->srv->cfg.uses, who.name);
	if (!authz && who.role != ROLE_READ) {
		/* URLs end up in logs and histories: only read tokens there */
		reply_unauthorized(req, NPO_E_TOKEN_IN_QUERY,
				   "only a read token may be given as "
				   "access_token; send this one in the "
				   "Authorization header");
		return -1;
	}
	if (who.role < req->route->role) {
		http_reply_problem(req, NPO_E_FORBIDDEN,
				   "token %s has role %s; this needs %s",
				   req->actor, auth_role_name(who.role),
				   auth_role_name(req->route->role));
		return -1;
	}
	if (who.scope.kind == SCOPE_SCHOOL && !req->route->school) {
		http_reply_problem(req, NPO_E_OUT_OF_SCOPE,
				   "token %s is a school's (%s); a school "
				   "does not %s %s",
				   req->actor, who.scope.school, req->method,
				   req->route->path);
		return -1;
	}
	/* from here on every read and write of the request is held to it */
	req->scope = who.scope;
	db_set_scope(req->db, &req->scope);
	return 0;
}

static bool is_json_type(const char *ct)
{
	size_t n;

	if (!ct)
		return false;
	n = strcspn(ct, "; \t");
	return (n == 16 && strncasecmp(ct, "application/json", n) == 0) ||
	       (n > 17 && strncasecmp(ct, "application/", 12) == 0 &&
		strncasecmp(ct + n - 5, "+json", 5) == 0);
}

/* The body limit of a request to path with method: an import's, or any
 * other's. */
static size_t body_limit(const struct http_server *srv, const char *method,
			 const char *path)
{
	int64_t id;

	for (size_t i = 0; i < srv->cfg.nroutes; i++) {
		const struct route *r = &srv->cfg.routes[i];

		if (r->csv_body && strcmp(r->method, method) == 0 &&
		    http_path_match(r->path, path, &id))
			return srv->cfg.max_import;
	}
	return srv->cfg.max_body;
}

/* Parses the body of POST/PUT/PATCH into req->json (a CSV body stays as it
 * came), or answers. */
static int parse_body(struct http_request *req)
{
	json_error_t e;
	json_t *errors;
	int rc;

	if (req->too_large) {
		http_reply_problem(req, NPO_E_TOO_LARGE,
				   "the body is larger than %zu bytes",
				   req->limit);
		return -1;
	}
	if (req->route->csv_body) {
		const char *ct = http_header(req, "Content-Type");

		if (ct && strncasecmp(ct, "text/csv", 8) == 0 &&
		    (!ct[8] || ct[8] == ';' || ct[8] == ' '))
			return 0;
		http_reply_problem(req, NPO_E_NOT_CSV,
				   "the body must be CSV, sent with "
				   "Content-Type: text/csv");
		return -1;
	}
	if (!is_json_type(http_header(req, "Content-Type"))) {
		http_reply_problem(req, NPO_E_NOT_JSON,
				   "the body must be JSON, sent with "
				   "Content-Type: application/json");
		return -1;
	}
	rc = validate_read(req->body ? req->body : "", req->body_len,
			   &req->json, &errors, &e);
	if (rc > 0) {
		struct npo_err err = { 0 };

		err_set_new(&err, json_pack("{s:o}", "errors", errors),
			    NPO_E_VALIDATION_FAILED,
			    "a number in the body is too large (see errors)");
		http_reply_err(req, &err);
		err_clear(&err);
		return -1;
	}
	if (!req->json) {
		struct npo_err err = { 0 };

		err_set_new(&err,
			    json_pack("{s:i, s:i}", "line", e.line, "column",
				      e.column),
			    NPO_E_MALFORMED_JSON,
			    "the body is not valid JSON: %s at line %d, "
			    "column %d",
			    e.text, e.line, e.column);
		http_reply_err(req, &err);
		err_clear(&err);
		return -1;
	}
	if (!json_is_object(req->json)) {
		struct npo_err err = { 0 };

		errors = json_array();
		validate_add_error(errors, "", "type",
				   "the body must be a JSON object");
		err_set_new(&err, json_pack("{s:o}", "errors", errors),
			    NPO_E_VALIDATION_FAILED,
			    "the body is not an object");
		http_reply_err(req, &err);
		err_clear(&err);
		return -1;
	}
	return 0;
}

/* If-None-Match: * (true for "*" alone, with blanks). */
static bool is_star(const char *inm)
{
	return inm && strchr(inm, '*') && strspn(inm, " \t*") == strlen(inm);
}

/* One part of a request's key, with its length, so none is ambiguous. */
static void key_add(FILE *k, const char *s)
{
	fprintf(k, "%zu:%s\n", s ? strlen(s) : 0, s ? s : "");
}

static int key_arg(void *arg, const char *key, const char *value)
{
	key_add(arg, key);
	key_add(arg, value);
	return 0;
}

/* FNV-1a, for an ETag short enough for a header. */
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/*
 * Lists and status change only when the revision does (or the day, for the
 * deadline warnings). So what their answer depends on, written out in full,
 * is the key of the reply cache, and the revision with a hash of that key is
 * their ETag. Answers 304 itself when If-None-Match names it. Returns -1
 * when it replied.
 */
static int revision_etag(struct http_request *req)
{
	const char *inm = http_header(req, "If-None-Match");
	struct npo_err err = { 0 };
	char today[21], scope[32];
	size_t len = 0;
	int64_t rev;
	FILE *k;

	if (db_revision_now(req->db, &rev, &err) < 0) {
		http_reply_err(req, &err);
		err_clear(&err);
		return -1;
	}
	util_now_iso(today);
	today[10] = '\0';
	k = open_memstream(&req->cache_key, &len);
	if (!k) {
		http_reply_problem(req, NPO_E_INTERNAL, "out of memory");
		return -1;
	}
	fprintf(k, "r%lld\n", (long long)rev);
	key_add(k, req->path);
	http_query_foreach(req, key_arg, k);
	key_add(k, http_header(req, "Accept"));
	key_add(k, today);
	/* what a scoped token sees is its own */
	key_add(k, scope_describe(&req->scope, scope));
	if (fclose(k) != 0) {
		free(req->cache_key);
		req->cache_key = NULL;
		http_reply_problem(req, NPO_E_INTERNAL, "out of memory");
		return -1;
	}
	snprintf(req->etag, sizeof(req->etag), "\"r%lld-%016llx\"",
		 (long long)rev, (unsigned long long)fnv1a(req->cache_key));
	/* "*" matches any answer that exists: the handler must say whether
	 * this one does, so only a named tag short-cuts it */
	if (inm && !is_star(inm) && http_etag_matches(inm, req->etag, true)) {
		http_reply_empty(req, 304);
		return -1;
	}
	return 0;
}

/*
 * The reply cache. A by-revision answer is the same while the revision, the
 * request (path, query, Accept) and the day are: that is what its ETag
 * already promises. So the last CACHE_SLOTS 200 answers are kept and given
 * again without running the handler: a dashboard polling without
 * If-None-Match costs a lookup instead of the figures. Every write bumps
 * the revision in its own transaction, so a key with an old revision is
 * never asked again and its slot is reused. Only after authentication: the
 * token's role is checked as for any request.
 */
static bool cache_get(struct http_request *req)
{
	struct http_server *srv = req->srv;
	bool hit = false;

	pthread_mutex_lock(&srv->cache_lock);
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		struct cached *e = &srv->cache[i];
		char *body;

		if (!e->key || strcmp(e->key, req->cache_key) != 0)
			continue;
		body = malloc(e->len ? e->len : 1);
		if (!body)
			break;
		memcpy(body, e->body, e->len);
		reply(req, 200, e->content_type, body, e->len);
		for (size_t h = 0; h < e->nheaders; h++)
			http_set_header(req, e->headers[h].name,
					e->headers[h].value);
		e->used = ++srv->cache_tick;
		hit = true;
		break;
	}
	pthread_mutex_unlock(&srv->cache_lock);
	return hit;
}

static void cached_free(struct cached *e)
{
	free(e->key);
	free(e->body);
	for (size_t h = 0; h < e->nheaders; h++) {
		free(e->headers[h].name);
		free(e->headers[h].value);
	}
	*e = (struct cached){ 0 };
}

static void cache_put(struct http_request *req)
{
	struct http_server *srv = req->srv;
	struct cached *slot = NULL;
	struct cached e = { 0 };
	bool kept = false;

	if (req->status != 200 || req->stream || !req->content_type ||
	    req->reply_len > CACHE_MAX_BODY)
		return;
	e.key = req->cache_key;
	e.content_type = req->content_type;
	e.body = malloc(req->reply_len ? req->reply_len : 1);
	e.len = req->reply_len;
	if (!e.body)
		return;
	if (req->reply_len)
		memcpy(e.body, req->reply, req->reply_len);
	for (size_t h = 0; h < req->nheaders; h++) {
		e.headers[h].name = strdup(req->headers[h].name);
		e.headers[h].value = strdup(req->headers[h].value);
		e.nheaders++;
		if (!e.headers[h].name || !e.headers[h].value) {
			e.key = NULL; /* still the request's */
			cached_free(&e);
			return;
		}
	}
	req->cache_key = NULL; /* the cache's now */
	pthread_mutex_lock(&srv->cache_lock);
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		struct cached *c = &srv->cache[i];

		if (c->key && strcmp(c->key, e.key) == 0) {
			kept = true; /* another thread kept it meanwhile */
			break;
		}
		/* a free slot, else the least recently used */
		if (!slot || (slot->key && (!c->key || c->used < slot->used)))
			slot = c;
	}
	if (!kept) {
		cached_free(slot);
		e.used = ++srv->cache_tick;
		*slot = e;
	}
	pthread_mutex_unlock(&srv->cache_lock);
	if (kept)
		cached_free(&e);
}

/*
 * HEAD of a streamed reply: libmicrohttpd 0.9.75 still sends the last chunk
 * of a chunked answer to HEAD ("0\r\n\r\n"), which the client reads as the
 * start of the next answer on the connection. So the stream is read to its
 * end here and answered as a buffer, whose body libmicrohttpd leaves out
 * while its Content-Length stays what GET would send (RFC 9110 9.3.2).
 */
static void stream_to_buffer(struct http_request *req)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	long n = 1;

	while (n > 0) {
		if (cap - len < 16384) {
			char *b = realloc(buf, cap = cap * 2 + 65536);

			if (!b) {
				n = -1;
				break;
			}
			buf = b;
		}
		n = req->stream(req->stream_ctx, buf + len, cap - len);
		if (n > 0)
			len += (size_t)n;
	}
	req->stream_done(req->stream_ctx);
	req->stream = NULL;
	if (n < 0) {
		free(buf);
		http_reply_problem(req, NPO_E_INTERNAL,
				   "the answer could not be made");
		return;
	}
	req->reply = buf;
	req->reply_len = len;
}

struct query_keys {
	const char **k;
	size_t n, cap;
};

static int key_collect(void *arg, const char *key, const char *value)
{
	struct query_keys *q = arg;

	(void)value;
	if (q->n == q->cap) {
		size_t cap = q->cap * 2 + 16;
		const char **k = realloc(q->k, cap * sizeof(*k));

		if (!k)
			return -1;
		q->k = k;
		q->cap = cap;
	}
	q->k[q->n++] = key;
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * One rule for every route: a query parameter given twice is 400, never
 * "the last one wins" (or the first), whichever parameter it is.
 */
static int single_query_keys(struct http_request *req)
{
	struct query_keys q = { 0 };
	int rc = 0;

	if (http_query_foreach(req, key_collect, &q) < 0) {
		http_reply_problem(req, NPO_E_INTERNAL, "out of memory");
		rc = -1;
		goto out;
	}
	if (q.n > 1)
		qsort(q.k, q.n, sizeof(*q.k), key_cmp);
	for (size_t i = 1; i < q.n; i++) {
		if (strcmp(q.k[i - 1], q.k[i]) != 0)
			continue;
		http_reply_problem(req, NPO_E_BAD_QUERY,
				   "%.100s is given twice; give each query "
				   "parameter once",
				   q.k[i]);
		rc = -1;
		break;
	}
out:
	free(q.k);
	return rc;
}

static void dispatch(struct http_request *req)
{
	req->route = find_route(req);
	if (!req->route)
		return;
	req->db = db_acquire(req->srv->cfg.db);
	if (authenticate(req) < 0 || single_query_keys(req) < 0)
		return;
	if (has_body(req->method) && parse_body(req) < 0)
		return;
	if (req->route->by_revision && revision_etag(req) < 0)
		return;
	if (!req->cache_key || !cache_get(req)) {
		req->route->handler(req);
		if (req->replied && req->cache_key)
			cache_put(req); /* before "*" below makes it a 304 */
	}
	if (req->route->by_revision && req->status == 200 &&
	    is_star(http_header(req, "If-None-Match"))) {
		/* the answer exists, and "*" names any that does */
		if (req->stream) {
			req->stream_done(req->stream_ctx);
			req->stream = NULL;
		}
		http_reply_empty(req, 304);
	}
	if (!req->replied) {
		util_log("http: %s %s: handler gave no reply", req->method,
			 req->path);
		http_reply_problem(req, NPO_E_INTERNAL, "internal error");
	}
	if (req->stream && strcmp(req->method, "HEAD") == 0)
		stream_to_buffer(req);
}

/* --- libmicrohttpd glue -------------------------------------------------- */

/* Adds a header to a response; libmicrohttpd refuses only a bad or
 * out-of-memory one, which is logged. */
static void add_header(struct MHD_Response *resp, const char *name,
		       const char *value)
{
	if (MHD_add_response_header(resp, name, value) != MHD_YES)
		util_log("http: cannot add header %s", name);
}

/* The configured origin that allows origin ("*" or the same), or NULL. */
static const char *allowed_origin(const struct http_config *cfg,
				  const char *origin)
{
	for (size_t i = 0; origin && i < cfg->ncors_origins; i++)
		if (strcmp(cfg->cors_origins[i], "*") == 0 ||
		    strcmp(cfg->cors_origins[i], origin) == 0)
			return cfg->cors_origins[i];
	return NULL;
}

/*
 * CORS for browser dashboards on another origin: an allowed origin gets the
 * headers (a preflight also the methods and request headers it may use);
 * any other origin gets none, so the browser blocks it.
 */
static void add_cors(struct http_request *req, struct MHD_Response *resp)
{
	const struct http_config *cfg = &req->srv->cfg;
	const char *origin = http_header(req, "Origin");
	const char *allowed = allowed_origin(cfg, origin);

	if (cfg->ncors_origins)
		add_header(resp, "Vary", "Origin");
	if (!allowed)
		return;
	add_header(resp, "Access-Control-Allow-Origin",
		   strcmp(allowed, "*") == 0 ? "*" : origin);
	add_header(resp, "Access-Control-Expose-Headers",
		   "ETag, Link, Location");
	if (strcmp(req->method, "OPTIONS") != 0)
		return;
	for (size_t i = 0; i < req->nheaders; i++)
		if (strcmp(req->headers[i].name, "Allow") == 0)
			add_header(resp, "Access-Control-Allow-Methods",
				   req->headers[i].value);
	add_header(resp, "Access-Control-Allow-Headers",
		   "Authorization, Content-Type, If-Match, "
		   "If-None-Match");
	add_header(resp, "Access-Control-Max-Age", "600");
}

/*
 * A live stream's next bytes. With nothing to send it is parked: suspended
 * (libmicrohttpd then neither polls it nor times it out, and no thread
 * waits on it) until http_wake resumes it. Reading and parking happen under
 * the lock http_wake takes, so a wake-up between them is never lost. When
 * the server stops, it ends.
 */
static ssize_t live_read(struct stream *s, char *buf, size_t max)
{
	struct http_server *srv = s->srv;
	long n = 0;

	pthread_mutex_lock(&srv->live_lock);
	if (!atomic_load(&srv->draining))
		n = s->read(s->ctx, buf, max);
	if (n == 0 && !atomic_load(&srv->draining)) {
		s->parked = true;
		s->next = srv->parked;
		srv->parked = s;
		MHD_suspend_connection(s->conn);
	}
	pthread_mutex_unlock(&srv->live_lock);
	if (n > 0) {
		*s->bytes += (size_t)n;
		return n;
	}
	if (n == 0)
		return atomic_load(&srv->draining)
			       ? MHD_CONTENT_READER_END_OF_STREAM
			       : 0;
	return MHD_CONTENT_READER_END_OF_STREAM;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	long n;

	(void)pos;
	if (s->srv)
		return live_read(s, buf, max);
	n = s->read(s->ctx, buf, max);
	if (n > 0) {
		*s->bytes += (size_t)n;
		return n;
	}
	return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM
		      : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void stream_free(void *cls)
{
	struct stream *s = cls;

	if (s->srv) {
		pthread_mutex_lock(&s->srv->live_lock);
		for (struct stream **p = &s->srv->parked; *p; p = &(*p)->next)
			if (*p == s) {
				*p = s->next;
				break;
			}
		pthread_mutex_unlock(&s->srv->live_lock);
		atomic_fetch_sub(&s->srv->nlive, 1);
	}
	s->done(s->ctx);
	free(s);
}

static struct MHD_Response *stream_response(struct http_request *req)
{
	struct stream *s = malloc(sizeof(*s));
	struct MHD_Response *resp;

	if (!s) {
		req->stream_done(req->stream_ctx);
		return NULL;
	}
	*s = (struct stream){ .read = req->stream,
			      .done = req->stream_done,
			      .ctx = req->stream_ctx,
			      .bytes = &req->reply_len,
			      .srv = req->live ? req->srv : NULL,
			      .conn = req->conn };
	req->stream = NULL;
	req->live = false; /* the stream counts itself from here */
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024,
						 stream_read, s, stream_free);
	if (!resp)
		stream_free(s);
	return resp;
}

static enum MHD_Result queue(struct http_request *req)
{
	struct MHD_Response *resp;
	enum MHD_Result ok;

	if (req->stream) {
		resp = stream_response(req);
	} else {
		resp = MHD_create_response_from_buffer(
			req->reply_len, req->reply, MHD_RESPMEM_MUST_FREE);
		if (resp)
			req->reply = NULL; /* libmicrohttpd owns it now */
	}
	if (!resp)
		return MHD_NO;
	if (req->content_type)
		add_header(resp, "Content-Type", req->content_type);
	for (size_t i = 0; i < req->nheaders; i++)
		add_header(resp, req->headers[i].name, req->headers[i].value);
	if (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0)
		add_header(resp, "Cache-Control", "private, no-cache");
	if (req->etag[0] && (req->status == 200 || req->status == 304))
		add_header(resp, "ETag", req->etag);
	add_header(resp, "X-Content-Type-Options", "nosniff");
	/* browsers that reached the daemon over HTTPS once use nothing else
	 * for a year (RFC 6797) */
	if (req->srv->cfg.tls_cert)
		add_header(resp, "Strict-Transport-Security",
			   "max-age=31536000");
	add_cors(req, resp);
	ok = MHD_queue_response(req->conn, (unsigned)req->status, resp);
	MHD_destroy_response(resp);
	return ok;
}

static enum MHD_Result add_forwarded(void *cls, enum MHD_ValueKind kind,
				     const char *key, const char *value)
{
	FILE *f = cls;

	(void)kind;
	if (value && strcasecmp(key, "X-Forwarded-For") == 0)
		fprintf(f, "%s%s", ftell(f) ? ", " : "", value);
	return MHD_YES;
}

/* The X-Forwarded-For of the request, several headers joined by commas
 * in their order as one would be (RFC 9110 section 5.3); NULL for none.
 * *owned is what to free. */
static const char *forwarded_for(const struct http_request *req, char **owned)
{
	size_t len = 0;
	FILE *f;

	*owned = NULL;
	if (header_count(req, "X-Forwarded-For") < 2)
		return http_header(req, "X-Forwarded-For");
	f = open_memstream(owned, &len);
	if (!f)
		return NULL;
	MHD_get_connection_values(req->conn, MHD_HEADER_KIND, add_forwarded, f);
	if (fclose(f) != 0) {
		free(*owned);
		*owned = NULL;
	}
	return *owned;
}

/*
 * Who the client of the request is: the socket's peer, or, when that is a
 * trusted proxy, the client its X-Forwarded-For names. Such a client's
 * request counts against the per-IP limit as a socket of its own would;
 * false (answered 503) when it has as many open as one address may.
 */
static bool note_client(struct http_request *req)
{
	struct http_server *srv = req->srv;
	struct client_addr peer = req->client;
	char *owned, text[CLIENT_TEXT];
	const char *xff;
	bool forwarded;

	if (!req->client_known || !srv->cfg.ntrusted)
		return true;
	xff = forwarded_for(req, &owned);
	forwarded = client_forwarded(srv->cfg.trusted, srv->cfg.ntrusted, &peer,
				     xff, &req->client);
	free(owned);
	if (!forwarded)
		return true;
	if (client_counts_enter(srv->forwarded, &req->client,
				HTTP_PER_IP_LIMIT)) {
		req->forwarded_counted = true;
		return true;
	}
	http_reply_problem(req, NPO_E_TOO_MANY_CONNECTIONS,
			   "%s has %u requests open already (through a "
			   "proxy); try again when one is done",
			   client_addr_text(&req->client, text),
			   HTTP_PER_IP_LIMIT);
	http_set_header(req, "Retry-After", "1");
	return false;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct http_server *srv = cls;
	struct http_request *req = *con_cls;

	(void)version;
	if (!req)
		return MHD_NO; /* on_uri made none: out of memory */
	if (!req->started) {
		const char *cl;
		int64_t len;

		req->started = true;
		req->conn = conn;
		req->method = method;
		req->path = url;
		if (!note_client(req))
			return queue(req);
		if (atomic_load(&srv->draining)) {
			/* a keep-alive client's next request while stopping */
			http_reply_problem(req, NPO_E_SHUTTING_DOWN,
					   "the server is stopping; try again");
			http_set_header(req, "Connection", "close");
			return queue(req);
		}
		if (req->raw_bad) {
			/* an encoded / or NUL would route as another path */
			http_reply_problem(req, NPO_E_NOT_FOUND,
					   "there is no such path (an encoded "
					   "'/' or NUL is not part of any)");
			return queue(req);
		}
		if (req->uri_len > URI_MAX) {
			http_reply_problem(req, NPO_E_URI_TOO_LONG,
					   "the URL is longer than %d bytes",
					   URI_MAX);
			return queue(req);
		}
		if (header_bytes(req) > HEADERS_MAX) {
			http_reply_problem(
				req, NPO_E_HEADERS_TOO_LARGE,
				"the request's headers are larger than "
				"%d bytes",
				HEADERS_MAX);
			return queue(req);
		}
		req->limit = body_limit(srv, method, url);
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						 "Content-Length");
		/* digits too many for int64 are too large too (libmicrohttpd
		 * takes any that fit in 64 bits, up to 2^64 - 1, and waits) */
		if (cl && *cl && strspn(cl, "0123456789") == strlen(cl) &&
		    (util_parse_int64(cl, &len) < 0 ||
		     (uint64_t)len > req->limit)) {
			req->too_large = true;
			http_reply_problem(req, NPO_E_TOO_LARGE,
					   "the body is larger than %zu bytes",
					   req->limit);
			return queue(req);
		}
		return MHD_YES;
	}
	if (*upload_size) {
		struct timespec now;

		/* the timeout is per idle spell: a client that trickles its
		 * body a byte at a time is cut once the whole request has
		 * taken longer than that */
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - req->start.tv_sec >
		    (time_t)srv->cfg.timeout_s) {
			util_log("http: %s %s: body too slow, closing",
				 req->method, req->path);
			return MHD_NO;
		}
		/* past the limit (a chunked body): discard, answer at the end */
		if (!req->too_large &&
		    req->body_len + *upload_size > req->limit) {
			req->too_large = true;
			free(req->body);
			req->body = NULL;
			req->body_len = req->body_cap = 0;
		}
		if (!req->too_large) {
			if (req->body_len + *upload_size + 1 > req->body_cap) {
				size_t cap =
					(req->body_len + *upload_size) * 2 + 1;
				char *b = realloc(req->body, cap);

				if (!b)
					return MHD_NO;
				req->body = b;
				req->body_cap = cap;
			}
			memcpy(req->body + req->body_len, upload, *upload_size);
			req->body_len += *upload_size;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (req->replied)
		return MHD_YES;
	dispatch(req);
	if (req->db) {
		db_release(srv->cfg.db, req->db);
		req->db = NULL;
	}
	return queue(req);
}

/*
 * The first sight of a request, before libmicrohttpd decodes its path: makes
 * the request's state and notes whether the raw path holds %2F or %00,
 * which decode into a different path than the one asked for.
 */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct http_server *srv = cls;
	struct http_request *req = calloc(1, sizeof(*req));
	size_t end = strcspn(uri, "?");
	const union MHD_ConnectionInfo *peer;

	if (!req)
		return NULL;
	req->srv = srv;
	peer = MHD_get_connection_info(conn,
				       MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	req->client_known =
		peer &&
		client_addr_from_sockaddr(peer->client_addr, &req->client) == 0;
	req->method = "-";
	req->path = "-";
	clock_gettime(CLOCK_MONOTONIC, &req->start);
	atomic_fetch_add(&srv->inflight, 1);
	req->uri_len = strlen(uri);
	for (size_t i = 0; i + 2 < end; i++)
		if (uri[i] == '%' &&
		    ((uri[i + 1] == '2' && (uri[i + 2] | 0x20) == 'f') ||
		     (uri[i + 1] == '0' && uri[i + 2] == '0')))
			req->raw_bad = true;
	return req;
}

/* The route a request counts under in the metrics: the one that answered
 * it, or for one refused before routing (413 by Content-Length, 414, 431,
 * 503 while stopping) the one it asked for; NULL when it matched none. */
static const struct route *counted_route(const struct http_request *req)
{
	const struct http_config *cfg = &req->srv->cfg;
	int64_t id;

	if (req->route || !req->started || req->raw_bad)
		return req->route;
	for (size_t i = 0; i < cfg->nroutes; i++)
		if (same_method(cfg->routes[i].method, req->method) &&
		    http_path_match(cfg->routes[i].path, req->path, &id))
			return &cfg->routes[i];
	return NULL;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *srv = cls;
	struct http_request *req = *con_cls;
	char client[CLIENT_TEXT];
	struct timespec end;
	double ms;

	(void)conn;
	if (!req)
		return;
	clock_gettime(CLOCK_MONOTONIC, &end);
	ms = (double)(end.tv_sec - req->start.tv_sec) * 1e3 +
	     (double)(end.tv_nsec - req->start.tv_nsec) / 1e6;
	/* the client is an address as inet_ntop writes it, never the bytes
	 * of a header */
	util_log("%s %s %d %zu %.1fms %s %s%s", req->method, req->path,
		 req->status, req->reply_len ? req->reply_len : 0, ms,
		 req->actor[0] ? req->actor : "-",
		 req->client_known ? client_addr_text(&req->client, client)
				   : "-",
		 toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? ""
							    : " (aborted)");
	if (req->forwarded_counted)
		client_counts_leave(srv->forwarded, &req->client);
	metrics_http_done(counted_route(req), req->method, req->status,
			  ms / 1e3);
	if (req->db)
		db_release(srv->cfg.db, req->db);
	if (req->live)
		atomic_fetch_sub(&srv->nlive, 1);
	json_decref(req->json);
	free(req->body);
	free(req->cache_key);
	free(req->reply);
	for (size_t i = 0; i < req->nheaders; i++) {
		free(req->headers[i].name);
		free(req->headers[i].value);
	}
	free(req);
	*con_cls = NULL;
	atomic_fetch_sub(&srv->inflight, 1);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	util_log("libmicrohttpd: %s", line);
}

/* Resolves "ADDR:PORT" ("[::1]:8080" for IPv6) to a socket address. */
static int parse_listen(const char *listen, struct sockaddr_storage *sa,
			char *msg, size_t msglen)
{
	char host[128];
	const char *colon = strrchr(listen, ':');
	struct addrinfo hints = { .ai_flags = AI_NUMERICSERV,
				  .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	size_t hlen;
	int64_t port;

	if (!colon || (size_t)(colon - listen) >= sizeof(host)) {
		snprintf(msg, msglen,
			 "the listen address '%s' is not ADDR:PORT (such as "
			 "127.0.0.1:8080 or [::1]:8080)",
			 listen);
		return -1;
	}
	if (util_parse_int64(colon + 1, &port) < 0 || port < 0 ||
	    port > 65535) {
		snprintf(msg, msglen,
			 "the port of the listen address '%s' must be a number "
			 "from 0 to 65535",
			 listen);
		return -1;
	}
	hlen = (size_t)(colon - listen);
	if (hlen >= 2 && listen[0] == '[' && listen[hlen - 1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int)hlen - 2, listen + 1);
	else
		snprintf(host, sizeof(host), "%.*s", (int)hlen, listen);
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || !ai) {
		snprintf(msg, msglen, "cannot resolve listen address %s",
			 listen);
		return -1;
	}
	memcpy(sa, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	return 0;
}

int http_listen_check(const char *listen, char *msg, size_t msglen)
{
	struct sockaddr_storage sa;

	return parse_listen(listen, &sa, msg, msglen);
}

bool http_listen_loopback(const char *listen)
{
	struct sockaddr_storage sa;
	struct client_addr a;
	char msg[256];

	return parse_listen(listen, &sa, msg, sizeof(msg)) == 0 &&
	       client_addr_from_sockaddr((struct sockaddr *)&sa, &a) == 0 &&
	       client_addr_loopback(&a);
}

/*
 * With trusted proxies the daemon keeps the per-IP limit of sockets
 * itself, for every peer but them: libmicrohttpd's would let a proxy, which
 * carries every client behind it, hold no more sockets than one client.
 * A peer at the limit is refused at accept, as libmicrohttpd's limit does;
 * the count is taken when the connection starts and given back when it
 * closes, which libmicrohttpd pairs. Between the look and the count
 * another thread of the pool may accept from the same peer, so a peer may
 * go past the limit by a socket per thread for a moment.
 */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr,
				 socklen_t addrlen)
{
	struct http_server *srv = cls;
	struct client_addr a;

	(void)addrlen;
	if (client_addr_from_sockaddr(addr, &a) < 0 ||
	    client_trusted(srv->cfg.trusted, srv->cfg.ntrusted, &a))
		return MHD_YES;
	return client_counts_below(srv->sockets, &a, HTTP_PER_IP_LIMIT)
		       ? MHD_YES
		       : MHD_NO;
}

static void on_connection(void *cls, struct MHD_Connection *conn,
			  void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct http_server *srv = cls;
	struct client_addr *counted = *socket_context;
	const union MHD_ConnectionInfo *peer;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (counted)
			client_counts_leave(srv->sockets, counted);
		free(counted);
		*socket_context = NULL;
		return;
	}
	peer = MHD_get_connection_info(conn,
				       MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!peer || !(counted = malloc(sizeof(*counted))))
		return;
	if (client_addr_from_sockaddr(peer->client_addr, counted) < 0 ||
	    client_trusted(srv->cfg.trusted, srv->cfg.ntrusted, counted) ||
	    !client_counts_enter(srv->sockets, counted, UINT_MAX)) {
		free(counted);
		return;
	}
	*socket_context = counted;
}

/* One more option for MHD_OPTION_ARRAY. */
static void opt(struct MHD_OptionItem *opts, size_t *n, size_t max,
		enum MHD_OPTION option, intptr_t value, void *ptr)
{
	assert(*n + 1 < max); /* and room for the end */
	opts[(*n)++] = (struct MHD_OptionItem){ option, value, ptr };
	opts[*n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
}

static void server_free(struct http_server *srv)
{
	client_counts_free(srv->forwarded);
	client_counts_free(srv->sockets);
	pthread_mutex_destroy(&srv->cache_lock);
	pthread_mutex_destroy(&srv->live_lock);
	free(srv);
}

int http_start(const struct http_config *cfg, struct http_server **out,
	       char *msg, size_t msglen)
{
	struct sockaddr_storage sa = { 0 };
	struct MHD_OptionItem opts[20];
	struct http_server *srv;
	size_t n = 0, max = ARRAY_SIZE(opts);
	/* poll, not epoll: with a thread pool, 0.9.75 can abort in
	 * MHD_quiesce_daemon removing the listen socket from epoll */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
			 MHD_USE_ITC | MHD_USE_ERROR_LOG |
			 MHD_ALLOW_SUSPEND_RESUME;

	if (parse_listen(cfg->listen, &sa, msg, msglen) < 0)
		return -1;
	if (sa.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (cfg->tls_cert &&
	    MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		snprintf(msg, msglen,
			 "this libmicrohttpd was built without TLS; "
			 "--tls-cert needs one with it");
		return -1;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv) {
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	srv->cfg = *cfg;
	atomic_init(&srv->inflight, 0);
	atomic_init(&srv->nlive, 0);
	pthread_mutex_init(&srv->cache_lock, NULL);
	pthread_mutex_init(&srv->live_lock, NULL);
	opt(opts, &n, max, MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log,
	    NULL);
	opt(opts, &n, max, MHD_OPTION_SOCK_ADDR, 0, &sa);
	opt(opts, &n, max, MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_s, NULL);
	opt(opts, &n, max, MHD_OPTION_CONNECTION_LIMIT, 512, NULL);
	opt(opts, &n, max, MHD_OPTION_CONNECTION_MEMORY_LIMIT, 64 * 1024, NULL);
	opt(opts, &n, max, MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed,
	    srv);
	opt(opts, &n, max, MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_uri, srv);
	opt(opts, &n, max, MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL);
	if (cfg->threads > 1)
		opt(opts, &n, max, MHD_OPTION_THREAD_POOL_SIZE, cfg->threads,
		    NULL);
	if (cfg->ntrusted) {
		/* the per-IP limits of on_accept and note_client, a table
		 * entry per connection at most */
		srv->forwarded = client_counts_new(512);
		srv->sockets = client_counts_new(512);
		if (!srv->forwarded || !srv->sockets) {
			snprintf(msg, msglen, "out of memory");
			server_free(srv);
			return -1;
		}
		opt(opts, &n, max, MHD_OPTION_NOTIFY_CONNECTION,
		    (intptr_t)on_connection, srv);
	} else {
		opt(opts, &n, max, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		    HTTP_PER_IP_LIMIT, NULL);
	}
	if (cfg->tls_cert) {
		/* libmicrohttpd's own TLS (GnuTLS) with the files tls_load
		 * read and checked */
		flags |= MHD_USE_TLS;
		opt(opts, &n, max, MHD_OPTION_HTTPS_MEM_CERT, 0,
		    (void *)cfg->tls_cert);
		opt(opts, &n, max, MHD_OPTION_HTTPS_MEM_KEY, 0,
		    (void *)cfg->tls_key);
		opt(opts, &n, max, MHD_OPTION_HTTPS_PRIORITIES, 0,
		    (void *)TLS_PRIORITIES);
	}
	srv->d = MHD_start_daemon(flags, 0, cfg->ntrusted ? on_accept : NULL,
				  srv, on_request, srv, MHD_OPTION_ARRAY, opts,
				  MHD_OPTION_END);
	if (!srv->d) {
		snprintf(msg, msglen, "cannot listen on %s%s", cfg->listen,
			 cfg->tls_cert ? " with TLS (the log above says why)"
				       : "");
		server_free(srv);
		return -1;
	}
	*out = srv;
	return 0;
}

unsigned short http_port(const struct http_server *srv)
{
	const union MHD_DaemonInfo *i =
		MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);

	return i ? i->port : 0;
}

void http_stop(struct http_server *srv)
{
	MHD_socket fd;
	int waited = 0;

	if (!srv)
		return;
	atomic_store(&srv->draining, true);
	fd = MHD_quiesce_daemon(srv->d);
	/* the live streams end now (and as soon as they are woken) */
	http_wake(srv);
	while (atomic_load(&srv->inflight) > 0 && waited < DRAIN_LIMIT_MS) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		waited += 10;
	}
	if (atomic_load(&srv->inflight) > 0)
		util_log("http: stopping with %d requests still running",
			 atomic_load(&srv->inflight));
	MHD_stop_daemon(srv->d);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		cached_free(&srv->cache[i]);
	server_free(srv);
}
