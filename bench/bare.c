/*
 * bench/bare.c: the reference for the daemon's GETs. A bare libmicrohttpd
 * server with the daemon's settings (internal polling thread, poll, a thread
 * pool, the same connection limits and memory limit) that answers every
 * request with one fixed JSON body of a given size, built once.
 *
 *   bare ADDR PORT THREADS BYTES [CERT KEY]   e.g. bare 127.0.0.1 18081 4 2774
 *
 * With CERT and KEY (PEM files) it serves HTTPS as the daemon does with
 * --tls-cert and --tls-key: libmicrohttpd's own TLS, the same GnuTLS
 * priorities. Runs until SIGTERM or SIGINT.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct MHD_Response *fixed;

/* The daemon's (TLS_PRIORITIES of include/npo/tls.h). */
#define PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

/* The whole file at path, NUL-terminated; exits when it cannot. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || !(buf = malloc((size_t)n + 1)) ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "bare: cannot read %s\n", path);
		exit(1);
	}
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)upload;
	/* like the daemon: the first call has only the headers; answering
	 * then would make libmicrohttpd close the connection */
	if (!*con_cls) {
		*con_cls = conn;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0; /* bodies are read and dropped */
		return MHD_YES;
	}
	return MHD_queue_response(conn, MHD_HTTP_OK, fixed);
}

/* A JSON object of exactly n bytes (at least 32), ending in a newline. */
static char *make_body(size_t n)
{
	char *b = malloc(n + 1);
	size_t len;

	if (!b)
		return NULL;
	len = (size_t)snprintf(b, n + 1, "{\n  \"pad\": \"");
	while (len < n - 4)
		b[len++] = 'x';
	memcpy(b + len, "\"\n}\n", 4);
	b[n] = '\0';
	return b;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct MHD_OptionItem tls[4] = { { MHD_OPTION_END, 0, NULL } };
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
			 MHD_USE_ITC | MHD_USE_ERROR_LOG;
	char *cert = NULL, *key = NULL;
	struct MHD_Daemon *d;
	unsigned threads;
	size_t bytes;
	sigset_t set;
	char *body;
	int sig;

	if (argc != 5 && argc != 7) {
		fprintf(stderr,
			"usage: bare ADDR PORT THREADS BYTES [CERT KEY]\n");
		return 2;
	}
	if (argc == 7) {
		cert = slurp(argv[5]);
		key = slurp(argv[6]);
		flags |= MHD_USE_TLS;
		tls[0] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0,
						  cert };
		tls[1] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0,
						  key };
		tls[2] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES,
						  0, PRIORITIES };
	}
	threads = (unsigned)atoi(argv[3]);
	bytes = (size_t)atol(argv[4]);
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1 || bytes < 32) {
		fprintf(stderr, "bare: bad address or size\n");
		return 2;
	}
	sa.sin_port = htons((unsigned short)atoi(argv[2]));
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	body = make_body(bytes);
	fixed = MHD_create_response_from_buffer(bytes, body,
						MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(fixed, "Content-Type",
				"application/json; charset=utf-8");
	/* the daemon's flags and options (server/http.c, http_start) */
	d = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_ARRAY, tls,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_THREAD_POOL_SIZE, threads > 1 ? threads : 0,
		MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_CONNECTION_LIMIT,
		512u, MHD_OPTION_PER_IP_CONNECTION_LIMIT, 256u,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
		MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "bare: cannot listen on %s:%s\n", argv[1],
			argv[2]);
		return 1;
	}
	fprintf(stderr, "bare: %zu-byte body on %s://%s:%s, %u threads\n",
		bytes, cert ? "https" : "http", argv[1], argv[2], threads);
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	MHD_destroy_response(fixed);
	free(body);
	free(cert);
	free(key);
	return 0;
}
