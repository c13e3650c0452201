#include "npo/server.h"

#include <stdio.h>
#include <stdlib.h>

#include "npo/api.h"
#include "npo/jobs.h"
#include "npo/db.h"
#include "npo/http.h"

#define STREAMS 4 /* streamed replies (CSV) running at once */

struct npo_server {
	struct db *db;
	struct http_server *http;
};

void server_config_defaults(struct npo_config *cfg)
{
	*cfg = (struct npo_config){
		.db_path = "./npo.db",
		.listen = "127.0.0.1:8080",
		.threads = 4,
		.max_body = 1024 * 1024,
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
		.timeout_s = cfg->timeout_s,
		.public_read = cfg->public_read,
		.cors_origins = cfg->cors_origins,
		.ncors_origins = cfg->ncors_origins,
		.routes = api_routes,
		.nroutes = api_nroutes,
	};
	char msg[640];

	if (!srv)
		return -1;
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
	if (http_start(&hc, &srv->http, msg, sizeof(msg)) < 0)
		goto fail;
	*out = srv;
	return 0;
fail:
	fprintf(stderr, "npo-budgetd: %s\n", msg);
	db_close(srv->db);
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
	db_close(srv->db);
	free(srv);
}
