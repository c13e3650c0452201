#include "npo/server.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "npo/api.h"
#include "npo/jobs.h"
#include "npo/db.h"
#include "npo/http.h"

#define STREAMS 4	  /* streamed replies (CSV) running at once */
#define KEEPER_SECONDS 60 /* how often the last uses of tokens are written */

struct npo_server {
	struct db *db;
	struct http_server *http;
	struct auth_uses *uses;
	/* the keeper: writes the last uses of tokens once a minute */
	pthread_t keeper;
	bool keeping, stopping;
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

static void *keeper(void *arg)
{
	struct npo_server *srv = arg;

	pthread_mutex_lock(&srv->lock);
	while (!srv->stopping) {
		struct timespec until;

		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += KEEPER_SECONDS;
		while (!srv->stopping &&
		       pthread_cond_timedwait(&srv->wake, &srv->lock, &until) ==
			       0)
			;
		if (srv->stopping)
			break;
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

void server_config_defaults(struct npo_config *cfg)
{
	*cfg = (struct npo_config){
		.db_path = "./npo.db",
		.listen = "127.0.0.1:8080",
		.threads = 4,
		.max_body = 1024 * 1024,
		.max_import = 16 * 1024 * 1024,
		.timeout_s = 30,
	};
}

int server_start(const struct npo_config *cfg, struct npo_server **out)
{
	struct npo_server *srv = calloc(1, sizeof(*srv));
	struct http_config hc = {
		.listen = cfg->listen,
		.threads = cfg->threads,
		.max_body = cfg->max_body,
		.max_import = cfg->max_import,
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
	/* one connection per worker thread, and spares for streamed replies */
	if (db_open(cfg->db_path, cfg->threads + STREAMS, &srv->db, msg,
		    sizeof(msg)) < 0)
		goto fail;
	db_reserve(srv->db, STREAMS);
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
	*out = srv;
	return 0;
fail:
	fprintf(stderr, "npo-budgetd: %s\n", msg);
	keeper_stop(srv);
	db_close(srv->db);
	auth_uses_free(srv->uses);
	free(srv);
	return -1;
}

unsigned short server_port(const struct npo_server *srv)
{
	return http_port(srv->http);
}

void server_stop(struct npo_server *srv)
{
	if (!srv)
		return;
	http_stop(srv->http);
	keeper_stop(srv);
	db_close(srv->db);
	auth_uses_free(srv->uses);
	free(srv);
}
