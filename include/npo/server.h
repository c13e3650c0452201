/*
 * The daemon as a library: main.c and the API tests start it the same way.
 */
#ifndef NPO_SERVER_H
#define NPO_SERVER_H

#include <stdbool.h>
#include <stddef.h>

struct npo_config {
	const char *db_path;  /* default ./npo.db */
	const char *listen;   /* default 127.0.0.1:8080 */
	unsigned threads;     /* worker threads and database connections */
	size_t max_body;      /* request body limit in bytes */
	size_t max_import;    /* the limit of an import's CSV body */
	unsigned max_streams; /* event streams open at once */
	unsigned timeout_s;   /* idle connection timeout */
	/* ADDR:PORT of a second listener that serves only GET /metrics,
	 * without a token; NULL (the default): none */
	const char *metrics_listen;
	bool public_read;
	bool demo; /* fill an empty database with demo data */
	const char *const *cors_origins;
	size_t ncors_origins;
	/* PEM files of HTTPS (both or neither): read once at start; NULL
	 * (the default): plain HTTP */
	const char *tls_cert, *tls_key;
	/* ADDR or ADDR/PREFIX of the proxies whose X-Forwarded-For names the
	 * client, at most CLIENT_MAX_TRUSTED (client.h); none by default */
	const char *const *trust_proxies;
	size_t ntrust_proxies;
};

/* The defaults (README, Running it). */
void server_config_defaults(struct npo_config *cfg);

struct npo_server;

/* Opens the database (migrating it), loads demo data when asked, starts
 * listening. On failure prints why to stderr and returns -1. */
int server_start(const struct npo_config *cfg, struct npo_server **out);
unsigned short server_port(const struct npo_server *srv);
/* The port of the metrics listener; 0 when there is none. */
unsigned short server_metrics_port(const struct npo_server *srv);
/* Drains in-flight requests, stops, closes the database. */
void server_stop(struct npo_server *srv);

#endif
