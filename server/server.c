#include "npo/server.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "npo/api.h"
#include "npo/jobs.h"
#include "npo/db.h"
#include "npo/events.h"
#include "npo/figures.h"
#include "npo/http.h"
#include "npo/metrics.h"
#include "npo/tls.h"

#define STREAMS 4	   /* streamed replies (CSV) running at once */
#define KEEPER_SECONDS 60  /* how often the last uses of tokens are written */
#define TICK_MS 250	   /* how often the keeper looks at the revision */
#define HEARTBEAT_TICKS 60 /* a heartbeat on the event streams: 15 s */

struct npo_server {
	struct db *db;
	struct http_server *http;
	/* the metrics listener (--metrics-listen), or NULL, and its one route */
	struct http_server *scrape;
	struct route scrape_route;
	struct tls_files tls; /* empty: plain HTTP */
	struct client_net trusted[CLIENT_MAX_TRUSTED];
	struct auth_uses *uses;
	/* the keeper: tells the event streams of a new revision (and beats
	 * their heartbeat), writes the last uses of tokens once a minute */
	pthread_t keeper;
	bool keeping, stopping;
	struct http_server *live; /* the streams to wake, under lock */
	pthread_mutex_t lock;
	pthread_cond_t wake;
};

/* Writes what is pending; a failure is logged and tried again later. */
static void flush_uses(struct npo_server *srv)
{
	struct db_conn *c = db_acquire(srv->db);
	struct npo_err err = { 0 };

	if (auth_uses_flush(srv->uses, c, &err) < 0) {
		util_log("cannot write when tokens were last used: %s",
			 err.detail);
		err_clear(&err);
	}
	db_release(srv->db, c);
}

/* Tells the event streams of a change of the revision, whoever wrote it
 * (another process too), and of a heartbeat when it is time; has the kept
 * tokens forgotten when they changed. */
static void tell_streams(struct npo_server *srv, bool heartbeat)
{
	struct db_conn *c = srv->live ? db_try_acquire(srv->db) : NULL;
	struct npo_err err = { 0 };
	int64_t rev;
	bool changed = false;

	if (c) {
		if (db_revision(c, &rev, &err) == 0)
			changed = events_revision(rev);
		err_clear(&err);
		/* and a token changed elsewhere ends within a second */
		if (auth_tokens_sync(c, &err) < 0)
			util_log("cannot read the tokens' version: %s",
				 err.detail);
		err_clear(&err);
		db_release(srv->db, c);
	}
	if (heartbeat)
		events_heartbeat();
	if (srv->live && (changed || heartbeat))
		http_wake(srv->live);
}

static void *keeper(void *arg)
{
	struct npo_server *srv = arg;
	unsigned ticks = 0;

	pthread_mutex_lock(&srv->lock);
	while (!srv->stopping) {
		struct timespec until;

		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!srv->stopping &&
		       pthread_cond_timedwait(&srv->wake, &srv->lock, &until) ==
			       0)
			;
		if (srv->stopping)
			break;
		ticks++;
		tell_streams(srv, ticks % HEARTBEAT_TICKS == 0);
		if (ticks % (KEEPER_SECONDS * 1000 / TICK_MS) != 0)
			continue;
		pthread_mutex_unlock(&srv->lock);
		flush_uses(srv);
		pthread_mutex_lock(&srv->lock);
	}
	pthread_mutex_unlock(&srv->lock);
	return NULL;
}

static int keeper_start(struct npo_server *srv)
{
	pthread_condattr_t attr;

	pthread_mutex_init(&srv->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&srv->wake, &attr);
	pthread_condattr_destroy(&attr);
	srv->keeping = pthread_create(&srv->keeper, NULL, keeper, srv) == 0;
	return srv->keeping ? 0 : -1;
}

/* Stops the keeper and writes the last uses once more. */
static void keeper_stop(struct npo_server *srv)
{
	if (!srv->keeping)
		return;
	pthread_mutex_lock(&srv->lock);
	srv->stopping = true;
	pthread_cond_signal(&srv->wake);
	pthread_mutex_unlock(&srv->lock);
	pthread_join(srv->keeper, NULL);
	srv->keeping = false;
	flush_uses(srv);
	pthread_cond_destroy(&srv->wake);
	pthread_mutex_destroy(&srv->lock);
}

static void log_difference(void *arg, const char *line)
{
	(void)arg;
	util_log("check: %s", line);
}

/* After a migration: the sums the figures are made of agree with the rows
 * (npo-budgetd check), or the daemon does not start. */
static int check_sums(struct db *db, char *msg, size_t len)
{
	struct db_conn *c = db_acquire(db);
	struct npo_err err = { 0 };
	long n = 0;
	int rc = db_begin_read(c, &err);

	if (rc == 0)
		rc = figures_check(c, false, log_difference, NULL, &n, &err);
	db_rollback(c);
	db_release(db, c);
	if (rc < 0)
		snprintf(msg, len, "cannot check the kept sums: %.500s",
			 err.detail);
	else if (n)
		snprintf(msg, len,
			 "%ld kept sums differ from the rows (logged above); "
			 "run npo-budgetd check --repair",
			 n);
	err_clear(&err);
	return rc < 0 || n ? -1 : 0;
}

void server_config_defaults(struct npo_config *cfg)
{
	*cfg = (struct npo_config){
		.db_path = "./npo.db",
		.listen = "127.0.0.1:8080",
		.threads = 4,
		.max_body = 1024 * 1024,
		.max_import = 16 * 1024 * 1024,
		.max_streams = 64,
		.timeout_s = 30,
	};
}

/* The metrics listener: a server of its own with one route, GET /metrics
 * without a token, on one thread, showing the API server's streams. */
static int scrape_start(struct npo_server *srv, const struct http_config *api,
			const char *listen, char *msg, size_t msglen)
{
	struct http_config hc = *api;

	srv->scrape_route = (struct route){ .method = "GET",
					    .path = "/metrics",
					    .handler = metrics_get,
					    .role = ROLE_NONE,
					    .ctx = srv->http };
	hc.listen = listen;
	hc.threads = 1;
	/* plain HTTP: no token crosses it, and Prometheus scrapes it as it
	 * is (README: Metrics) */
	hc.tls_cert = hc.tls_key = NULL;
	hc.max_streams = 0;
	hc.public_read = false;
	hc.cors_origins = NULL;
	hc.ncors_origins = 0;
	hc.routes = &srv->scrape_route;
	hc.nroutes = 1;
	return http_start(&hc, &srv->scrape, msg, msglen);
}

/* Reads and checks the certificate and key (when given) for hc, and says
 * at start how long the certificate is good for. Plain HTTP where others
 * can connect is warned of. */
static int tls_start(struct npo_server *srv, const struct npo_config *cfg,
		     struct http_config *hc, char *msg, size_t msglen)
{
	char until[32];
	struct tm tm;
	time_t now = time(NULL);

	if (!cfg->tls_cert != !cfg->tls_key) {
		snprintf(msg, msglen, "%s",
			 cfg->tls_cert ? "--tls-cert needs --tls-key"
				       : "--tls-key needs --tls-cert");
		return -1;
	}
	if (!cfg->tls_cert) {
		if (!http_listen_loopback(cfg->listen))
			util_log("warning: plain HTTP on %s, which is not "
				 "loopback: tokens travel in clear text unless "
				 "a TLS proxy is in front (--tls-cert and "
				 "--tls-key serve HTTPS)",
				 cfg->listen);
		return 0;
	}
	if (tls_load(cfg->tls_cert, cfg->tls_key, &srv->tls, msg, msglen) < 0)
		return -1;
	hc->tls_cert = srv->tls.cert;
	hc->tls_key = srv->tls.key;
	gmtime_r(&srv->tls.not_after, &tm);
	strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (now > srv->tls.not_after)
		util_log("warning: the TLS certificate %s (%s) expired at %s: "
			 "clients will refuse it; renew it and restart",
			 cfg->tls_cert, srv->tls.subject, until);
	else if (now < srv->tls.not_before)
		util_log("warning: the TLS certificate %s (%s) is not valid "
			 "yet: clients will refuse it until then",
			 cfg->tls_cert, srv->tls.subject);
	else
		util_log("TLS certificate %s (%s), valid until %s",
			 cfg->tls_cert, srv->tls.subject, until);
	return 0;
}

/* The trusted proxies, as the http layer compares them. */
static int trust_start(struct npo_server *srv, const struct npo_config *cfg,
		       struct http_config *hc, char *msg, size_t msglen)
{
	if (cfg->ntrust_proxies > CLIENT_MAX_TRUSTED) {
		snprintf(msg, msglen, "at most %d trusted proxies",
			 CLIENT_MAX_TRUSTED);
		return -1;
	}
	for (size_t i = 0; i < cfg->ntrust_proxies; i++)
		if (client_net_parse(cfg->trust_proxies[i], &srv->trusted[i]) <
		    0) {
			snprintf(msg, msglen,
				 "--trust-proxy %s is not an address",
				 cfg->trust_proxies[i]);
			return -1;
		}
	hc->trusted = srv->trusted;
	hc->ntrusted = cfg->ntrust_proxies;
	return 0;
}

int server_start(const struct npo_config *cfg, struct npo_server **out)
{
	struct npo_server *srv = calloc(1, sizeof(*srv));
	struct http_config hc = {
		.listen = cfg->listen,
		.threads = cfg->threads,
		.max_body = cfg->max_body,
		.max_import = cfg->max_import,
		.max_streams = cfg->max_streams,
		.timeout_s = cfg->timeout_s,
		.public_read = cfg->public_read,
		.cors_origins = cfg->cors_origins,
		.ncors_origins = cfg->ncors_origins,
		.routes = api_routes,
		.nroutes = api_nroutes,
	};
	char msg[640];

	if (!srv || !(srv->uses = auth_uses_new())) {
		free(srv);
		return -1;
	}
	if (tls_start(srv, cfg, &hc, msg, sizeof(msg)) < 0 ||
	    trust_start(srv, cfg, &hc, msg, sizeof(msg)) < 0)
		goto fail;
	/* one connection per worker thread (the metrics listener's too), and
	 * spares for streamed replies */
	if (db_open(cfg->db_path,
		    cfg->threads + STREAMS + (cfg->metrics_listen ? 1 : 0),
		    &srv->db, msg, sizeof(msg)) < 0)
		goto fail;
	db_reserve(srv->db, STREAMS);
	if (db_migrated(srv->db) && check_sums(srv->db, msg, sizeof(msg)) < 0)
		goto fail;
	if (cfg->demo) {
		struct db_conn *c = db_acquire(srv->db);
		struct npo_err err = { 0 };
		int rc = demo_load(c, &err);

		db_release(srv->db, c);
		if (rc < 0) {
			snprintf(msg, sizeof(msg),
				 "cannot load demo data: %.500s", err.detail);
			err_clear(&err);
			goto fail;
		}
	}
	hc.db = srv->db;
	hc.uses = srv->uses;
	if (keeper_start(srv) < 0) {
		snprintf(msg, sizeof(msg), "cannot start a thread");
		goto fail;
	}
	if (http_start(&hc, &srv->http, msg, sizeof(msg)) < 0)
		goto fail;
	if (cfg->metrics_listen &&
	    scrape_start(srv, &hc, cfg->metrics_listen, msg, sizeof(msg)) < 0) {
		http_stop(srv->http);
		goto fail;
	}
	pthread_mutex_lock(&srv->lock);
	srv->live = srv->http;
	pthread_mutex_unlock(&srv->lock);
	*out = srv;
	return 0;
fail:
	fprintf(stderr, "npo-budgetd: %s\n", msg);
	keeper_stop(srv);
	db_close(srv->db);
	auth_uses_free(srv->uses);
	tls_files_free(&srv->tls);
	free(srv);
	return -1;
}

unsigned short server_port(const struct npo_server *srv)
{
	return http_port(srv->http);
}

unsigned short server_metrics_port(const struct npo_server *srv)
{
	return srv->scrape ? http_port(srv->scrape) : 0;
}

void server_stop(struct npo_server *srv)
{
	if (!srv)
		return;
	pthread_mutex_lock(&srv->lock);
	srv->live = NULL; /* the keeper wakes no stream of a stopped server */
	pthread_mutex_unlock(&srv->lock);
	http_stop(srv->scrape); /* first: it shows srv->http's streams */
	http_stop(srv->http);
	keeper_stop(srv);
	db_close(srv->db);
	auth_uses_free(srv->uses);
	tls_files_free(&srv->tls);
	free(srv);
}
