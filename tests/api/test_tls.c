/*
 * TLS and the network's edge (README, "TLS, and a proxy in front"), against the
 * built daemon (argv[1]) in child processes: the fault harness starts it, so
 * that its exit status, its log and every byte it sends can be looked at. Each
 * test makes its own small CA and a certificate for 127.0.0.1 with openssl
 * in a temp dir (fault_make_certs).
 *
 *   api_tls BIN
 *
 * The README's openssl commands, serve and curl work as written there;
 * HTTPS with the CA and HSTS on every answer; no HTTP answer to plain HTTP
 * on the TLS port; TLS 1.1 refused by the daemon (openssl s_client, which
 * can speak it, as an openssl s_server shows) while 1.2 and 1.3 work; a
 * file that cannot be used stops the daemon naming it (exit 1); one of the
 * two flags alone is a usage error (exit 2); plain HTTP off loopback is
 * warned of; X-Forwarded-For sets the logged client only from a trusted
 * proxy; a client behind one has at most 256 requests open, while the
 * proxy's sockets count against no per-IP limit and a direct peer's do.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../faults/fault.h"

#define PER_IP 256 /* HTTP_PER_IP_LIMIT of include/npo/http.h */

/* A test's directory with the certificates, its database and its log. */
struct site {
	char dir[256], db[300], ca[300], cert[300], key[300], tok[128];
	struct daemon d;
};

static void site_init(struct site *s)
{
	fault_tmpdir(s->dir, sizeof(s->dir));
	fault_make_certs(s->dir);
	snprintf(s->db, sizeof(s->db), "%s/npo.db", s->dir);
	snprintf(s->ca, sizeof(s->ca), "%s/ca.pem", s->dir);
	snprintf(s->cert, sizeof(s->cert), "%s/server.pem", s->dir);
	snprintf(s->key, sizeof(s->key), "%s/server.key", s->dir);
	fault_token(s->db, "writer", "write", s->tok, sizeof(s->tok));
	daemon_init(&s->d, s->db, s->dir);
}

/* The daemon of s over TLS, the clients trusting s's CA. */
static void site_start_tls(struct site *s)
{
	snprintf(s->d.tls_cert, sizeof(s->d.tls_cert), "%s", s->cert);
	snprintf(s->d.tls_key, sizeof(s->d.tls_key), "%s", s->key);
	fault_ca = s->ca;
	daemon_start(&s->d);
}

static void site_done(struct site *s)
{
	if (s->d.pid)
		CHECK(daemon_signal_wait(&s->d, SIGTERM, 30000) == 0,
		      "the daemon did not stop with exit 0 on SIGTERM");
	fault_ca = NULL;
	fault_rmtree(s->dir);
}

/* Runs serve with argv after "serve --db DB" (and env, NULL or a list of
 * NAME=VALUE, through env(1)); the wait status and stderr. */
static int serve_fails(const struct site *s, const char *const *env,
		       const char *const *args, char **err)
{
	const char *argv[32];
	const char *bin = fault_bin;
	int n = 0;

	argv[n++] = "";
	if (env) {
		bin = fault_which("env");
		CHECK(bin, "no env on PATH");
		for (; *env; env++)
			argv[n++] = *env;
		argv[n++] = fault_bin;
	}
	argv[n++] = "serve";
	argv[n++] = "--db";
	argv[n++] = s->db;
	argv[n++] = "--listen";
	argv[n++] = "127.0.0.1:0";
	for (; *args; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	/* a daemon that did start is stopped by the timeout: -1 */
	return fault_run(bin, argv, NULL, NULL, err, 20000);
}

static void expect_exit(const struct site *s, const char *const *env,
			const char *const *args, int code, const char *names,
			const char *what)
{
	char *err;
	int st = serve_fails(s, env, args, &err);

	CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == code,
	      "%s: expected exit %d, got %s: %s", what, code, wait_str(st),
	      flat(err));
	CHECK(strstr(err, names), "%s: the message does not name %s: %s", what,
	      names, flat(err));
	{
		char *line = flat(err);

		note("%s: exit %d: %s", what, code, line);
		free(line);
	}
	free(err);
}

/* --- raw sockets ---------------------------------------------------------- */

/* A TCP connection from src (127.0.0.x) to 127.0.0.1:port. */
static int connect_from(const char *src, unsigned short port)
{
	struct sockaddr_in from = { .sin_family = AF_INET };
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	CHECK(fd >= 0, "socket: %s", strerror(errno));
	CHECK(inet_pton(AF_INET, src, &from.sin_addr) == 1, "address %s", src);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(fd, (struct sockaddr *)&from, sizeof(from)) == 0,
	      "bind %s: %s", src, strerror(errno));
	CHECK(connect(fd, (struct sockaddr *)&to, sizeof(to)) == 0,
	      "connect from %s to port %u: %s", src, port, strerror(errno));
	return fd;
}

static void send_all(int fd, const char *text)
{
	size_t len = strlen(text), done = 0;

	while (done < len) {
		ssize_t n = send(fd, text + done, len - done, MSG_NOSIGNAL);

		CHECK(n > 0, "send: %s", strerror(errno));
		done += (size_t)n;
	}
}

/* What arrives on fd until the peer closes it or ms pass (malloc'd). */
static char *read_until_close(int fd, int ms, bool *closed)
{
	long long end = now_ms() + ms;
	size_t len = 0;
	char *buf = calloc(1, 65536);

	*closed = false;
	while (len < 65535) {
		struct pollfd p = { fd, POLLIN, 0 };
		long long left = end - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		n = recv(fd, buf + len, 65535 - len, 0);
		if (n <= 0) {
			*closed = true;
			break;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;
}

/* One request from src with Connection: close; the whole answer. */
static char *request_from(const char *src, unsigned short port,
			  const char *path, const char *headers)
{
	char req[2048];
	bool closed;
	int fd = connect_from(src, port);
	char *answer;

	snprintf(req, sizeof(req),
		 "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sConnection: "
		 "close\r\n\r\n",
		 path, headers);
	send_all(fd, req);
	answer = read_until_close(fd, 20000, &closed);
	close(fd);
	return answer;
}

/* The status of a raw answer (0 for none). */
static int status_of(const char *answer)
{
	int st = 0;

	return sscanf(answer, "HTTP/1.1 %d", &st) == 1 ? st : 0;
}

/* The client the access log line of "GET path" names (its last field),
 * waiting up to 5 s for the line. */
static char *logged_client(const struct daemon *d, const char *path)
{
	static char client[64];
	char needle[256];
	long long end = now_ms() + 5000;

	snprintf(needle, sizeof(needle), " GET %s ", path);
	while (now_ms() < end) {
		FILE *f = fopen(d->log, "r");
		char line[1024];

		while (f && fgets(line, sizeof(line), f)) {
			char *last;

			if (!strstr(line, needle))
				continue;
			line[strcspn(line, "\n")] = '\0';
			last = strrchr(line, ' ');
			snprintf(client, sizeof(client), "%s", last + 1);
			fclose(f);
			return client;
		}
		if (f)
			fclose(f);
		sleep_ms(20);
	}
	FAIL("no log line for GET %s: %s", path, daemon_log_tail(d, 2000));
}

/* --- HTTPS ---------------------------------------------------------------- */

/* The text of the README's plain ``` block that begins with start, after
 * the heading of the TLS section (malloc'd). */
static char *readme_block(const char *readme, const char *start)
{
	const char *sec = strstr(readme, "### TLS, and a proxy in front");
	char fence[256];
	const char *b, *e;

	CHECK(sec, "README.md has no section TLS, and a proxy in front");
	snprintf(fence, sizeof(fence), "```\n%s", start);
	b = strstr(sec, fence);
	CHECK(b, "README.md's TLS section has no block beginning %s", start);
	b += 4;
	e = strstr(b, "```");
	CHECK(e, "the README's block %s does not end", start);
	return strndup(b, (size_t)(e - b));
}

/* s with every from replaced by to (malloc'd). */
static char *replace(const char *s, const char *from, const char *to)
{
	size_t n = 0, lf = strlen(from), lt = strlen(to);
	char *out, *o;

	for (const char *p = s; (p = strstr(p, from)); p += lf)
		n++;
	out = o = malloc(strlen(s) + n * lt + 1);
	for (const char *p = s, *q; *p; p = q + lf) {
		q = strstr(p, from);
		if (!q) {
			strcpy(o, p);
			return out;
		}
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		memcpy(o, to, lt);
		o += lt;
	}
	*o = '\0';
	return out;
}

START_TEST(the_readme_commands_serve_https)
{
	char dir[256], port[8], path[4096], *readme, *certs, *serve, *ask;
	char *script, *serve_at, *ask_at, *out, *err;
	FILE *f;
	size_t len;
	int st;

	snprintf(path, sizeof(path), "%s/README.md", NPO_SOURCE_ROOT);
	f = fopen(path, "r");
	CHECK(f, "%s: %s", path, strerror(errno));
	readme = calloc(1, 1 << 20);
	len = fread(readme, 1, (1 << 20) - 1, f);
	fclose(f);
	CHECK(len > 0, "%s is empty", path);
	certs = readme_block(readme, "openssl req -x509");
	serve = readme_block(readme, "./build/npo-budgetd serve");
	ask = readme_block(readme, "curl ");
	CHECK(strstr(serve, "8443") && strstr(ask, "8443"),
	      "the README's serve and curl name no port 8443");
	/* as written, but the binary built here and a port that is free */
	fault_tmpdir(dir, sizeof(dir));
	snprintf(port, sizeof(port), "%u", fault_free_port());
	serve_at = replace(serve, "./build/npo-budgetd", "\"$2\"");
	serve_at[strcspn(serve_at, "\n")] = '\0';
	ask_at = replace(ask, "8443", port);
	ask_at[strcspn(ask_at, "\n")] = '\0';
	{
		char *p = replace(serve_at, "8443", port);

		free(serve_at);
		serve_at = p;
	}
	script =
		malloc(strlen(certs) + strlen(serve_at) + strlen(ask_at) + 512);
	sprintf(script,
		"set -e\ncd \"$1\"\n%s\n%s 2>serve.log &\npid=$!\n"
		"trap 'kill $pid 2>/dev/null' EXIT\ni=0\n"
		"until %s >out 2>err; do\n"
		"  i=$((i + 1)); [ $i -lt 200 ] || { cat out err serve.log; "
		"exit 1; }\n  sleep 0.1\ndone\ncat out\n",
		certs, serve_at, ask_at);
	{
		/* the script changes into dir */
		char *bin = realpath(fault_bin, NULL);
		const char *argv[] = { "", "-c", script, "sh", dir, bin, NULL };

		CHECK(bin, "%s: %s", fault_bin, strerror(errno));
		st = fault_run("/bin/sh", argv, NULL, &out, &err, 60000);
		free(bin);
	}
	CHECK(st == 0 && strstr(out, "HTTP/1.1 200") &&
		      strstr(out,
			     "Strict-Transport-Security: max-age=31536000") &&
		      strstr(out, "\"ready\""),
	      "the README's commands (%s): %s %s", wait_str(st), flat(out),
	      flat(err));
	{
		char *line = flat(out);

		note("the README's commands: %s", line);
		free(line);
	}
	free(out);
	free(err);
	free(script);
	free(serve_at);
	free(ask_at);
	free(certs);
	free(serve);
	free(ask);
	free(readme);
	fault_rmtree(dir);
}
END_TEST

START_TEST(https_with_the_ca_answers_with_hsts)
{
	struct site s;
	struct hresp r;
	char hsts[128], url[128], curl[PATH_MAX], *out, *err, *log;

	site_init(&s);
	site_start_tls(&s);
	http_must(s.d.port, "GET", "/readyz", NULL, NULL, &r);
	CHECK(r.status == 200, "GET /readyz over TLS: %ld %s", r.status,
	      r.body);
	CHECK(hresp_header(&r, "Strict-Transport-Security", hsts,
			   sizeof(hsts)) &&
		      strcmp(hsts, "max-age=31536000") == 0,
	      "GET /readyz over TLS: no HSTS header: %s", flat(r.head));
	hresp_free(&r);
	/* on every answer: an error, a write, a 304 */
	http_must(s.d.port, "GET", "/api/v1/nothing", s.tok, NULL, &r);
	assert_problem(&r, 404, "not_found", "GET /api/v1/nothing");
	CHECK(hresp_header(&r, "Strict-Transport-Security", hsts, sizeof(hsts)),
	      "a 404 over TLS has no HSTS header: %s", flat(r.head));
	hresp_free(&r);
	http_create(s.d.port, s.tok, "/api/v1/budgets",
		    "{\"municipality_code\":\"GM0402\",\"municipality_name\":"
		    "\"Hilversum\",\"name\":\"NPO\",\"grant_cents\":100,"
		    "\"spend_from\":\"2021-07-01\",\"spend_until\":"
		    "\"2025-07-31\"}");
	http_hdr(NULL, s.d.port, "GET", "/api/v1/budgets/1", s.tok, NULL,
		 "If-None-Match: \"1\"", &r);
	CHECK(r.rc == CURLE_OK && r.status == 304 &&
		      hresp_header(&r, "Strict-Transport-Security", hsts,
				   sizeof(hsts)),
	      "a 304 over TLS: %ld, HSTS %s", r.status, flat(r.head));
	hresp_free(&r);
	log = daemon_log_tail(&s.d, 4000);
	CHECK(strstr(log, "on https://127.0.0.1:") &&
		      strstr(log, "TLS certificate ") &&
		      !strstr(log, "warning"),
	      "the start is not logged as HTTPS: %s", log);
	free(log);

	/* curl(1) as the README has it, and without the CA it refuses */
	CHECK(fault_which("curl"), "curl is not installed");
	snprintf(curl, sizeof(curl), "%s", fault_which("curl"));
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/readyz", s.d.port);
	{
		const char *ok[] = { "", "-sS", "--cacert", s.ca, url, NULL };
		const char *no[] = { "", "-sS", url, NULL };
		int st = fault_run(curl, ok, NULL, &out, &err, 30000);

		CHECK(st == 0 && strstr(out, "\"ready\""),
		      "curl --cacert: %s: %s %s", wait_str(st), flat(out),
		      flat(err));
		free(out);
		free(err);
		st = fault_run(curl, no, NULL, &out, &err, 30000);
		CHECK(st != 0 && WEXITSTATUS(st) == 60,
		      "curl without the CA trusted the certificate: %s: %s %s",
		      wait_str(st), flat(out), flat(err));
		free(out);
		free(err);
	}
	site_done(&s);
}
END_TEST

START_TEST(plain_http_to_the_tls_port_gets_no_http_answer)
{
	struct site s;
	struct hresp r;
	bool closed;
	char *answer;
	int fd;

	site_init(&s);
	site_start_tls(&s);
	fd = connect_from("127.0.0.1", s.d.port);
	send_all(fd, "GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
	answer = read_until_close(fd, 10000, &closed);
	close(fd);
	CHECK(closed && !strstr(answer, "HTTP/"),
	      "plain HTTP on the TLS port was answered (closed %d): %.200s",
	      closed, answer);
	free(answer);
	/* and HTTPS goes on */
	http_must(s.d.port, "GET", "/readyz", NULL, NULL, &r);
	CHECK(r.status == 200, "GET /readyz after: %ld", r.status);
	hresp_free(&r);
	site_done(&s);
}
END_TEST

/* openssl s_client -connect 127.0.0.1:port with the version flag and the
 * cipher list of security level 0 (Debian's openssl refuses TLS 1.1 by
 * itself at its default level): the wait status and the output. */
static int s_client(unsigned short port, const char *version, const char *ca,
		    char **out)
{
	char connect[32];
	const char *argv[] = { "",
			       "s_client",
			       "-connect",
			       connect,
			       version,
			       "-cipher",
			       "DEFAULT@SECLEVEL=0",
			       "-CAfile",
			       ca,
			       "-verify_return_error",
			       NULL };
	char *err, *both;
	int st;

	snprintf(connect, sizeof(connect), "127.0.0.1:%u", port);
	st = fault_run(fault_which("openssl"), argv, NULL, out, &err, 30000);
	both = malloc(strlen(*out) + strlen(err) + 2);
	sprintf(both, "%s\n%s", *out, err);
	free(*out);
	free(err);
	*out = both;
	return st;
}

/* openssl s_server on port that speaks only TLS 1.1, as a control that the
 * client can; its pid (stdin is a pipe held open: s_server ends at EOF). */
static pid_t s_server_tls11(const struct site *s, unsigned short port,
			    int *stdin_fd)
{
	char accept[32];
	char *const argv[] = { "openssl",
			       "s_server",
			       "-accept",
			       accept,
			       "-cert",
			       (char *)s->cert,
			       "-key",
			       (char *)s->key,
			       "-tls1_1",
			       "-cipher",
			       "DEFAULT@SECLEVEL=0",
			       "-naccept",
			       "1",
			       "-quiet",
			       NULL };
	const char *ossl = fault_which("openssl");
	int in[2], null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	pid_t pid;

	snprintf(accept, sizeof(accept), "127.0.0.1:%u", port);
	CHECK(ossl && pipe2(in, O_CLOEXEC) == 0 && null_fd >= 0,
	      "openssl, pipe");
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		if (dup2(in[0], 0) < 0 || dup2(null_fd, 1) < 0 ||
		    dup2(null_fd, 2) < 0)
			_exit(126);
		execv(ossl, argv);
		_exit(127);
	}
	close(in[0]);
	close(null_fd);
	*stdin_fd = in[1];
	return pid;
}

START_TEST(only_tls_1_2_and_1_3)
{
	struct site s;
	char *out;
	int st, srv_in;
	unsigned short port;
	pid_t srv;

	site_init(&s);
	site_start_tls(&s);

	/* the control: this client completes a TLS 1.1 handshake with a
	 * server that allows it (s_server accepts one connection; a refused
	 * connect while it starts is no connection) */
	port = fault_free_port();
	srv = s_server_tls11(&s, port, &srv_in);
	for (int i = 0;; i++) {
		st = s_client(port, "-tls1_1", s.ca, &out);
		if (!strstr(out, "Connection refused") || i == 100)
			break;
		free(out);
		sleep_ms(50);
	}
	kill(srv, SIGKILL);
	waitpid(srv, NULL, 0);
	close(srv_in);
	CHECK(strstr(out, "Protocol  : TLSv1.1") &&
		      !strstr(out, "Cipher is (NONE)"),
	      "the control: openssl s_client -tls1_1 cannot complete a TLS "
	      "1.1 handshake even with s_server (%s): %s",
	      wait_str(st), flat(out));
	free(out);

	/* the daemon refuses it: it answers the client's hello with nothing
	 * and closes */
	st = s_client(s.d.port, "-tls1_1", s.ca, &out);
	CHECK(st != 0 && strstr(out, "Cipher is (NONE)") &&
		      strstr(out, "SSL handshake has read 0 bytes") &&
		      !strstr(out, "no protocols available"),
	      "TLS 1.1 was not refused by the daemon (%s): %s", wait_str(st),
	      flat(out));
	free(out);

	st = s_client(s.d.port, "-tls1_2", s.ca, &out);
	CHECK(st == 0 && strstr(out, "Protocol  : TLSv1.2") &&
		      strstr(out, "Verify return code: 0 (ok)"),
	      "TLS 1.2 (%s): %s", wait_str(st), flat(out));
	free(out);
	st = s_client(s.d.port, "-tls1_3", s.ca, &out);
	CHECK(st == 0 && strstr(out, "New, TLSv1.3") &&
		      strstr(out, "Verify return code: 0 (ok)"),
	      "TLS 1.3 (%s): %s", wait_str(st), flat(out));
	free(out);
	site_done(&s);
}
END_TEST

/* --- what stops the daemon ------------------------------------------------- */

START_TEST(files_that_cannot_be_used_stop_the_daemon_naming_them)
{
	struct site s;
	char other[300], junk[300], missing[300], env_cert[320], env_key[320];
	const char *mk_key[] = { "",	 "genpkey",  "-algorithm",
				 "EC",	 "-pkeyopt", "ec_paramgen_curve:P-256",
				 "-out", other,	     NULL };
	char *err;
	FILE *f;

	site_init(&s);
	snprintf(other, sizeof(other), "%s/other.key", s.dir);
	snprintf(junk, sizeof(junk), "%s/junk.pem", s.dir);
	snprintf(missing, sizeof(missing), "%s/missing.pem", s.dir);
	CHECK(fault_run(fault_which("openssl"), mk_key, NULL, NULL, &err,
			30000) == 0,
	      "openssl genpkey: %s", flat(err));
	free(err);
	f = fopen(junk, "w");
	CHECK(f && fputs("not a certificate\n", f) >= 0 && fclose(f) == 0, "%s",
	      junk);

	{
		/* each pair of files that must stop the daemon, and the file
		 * its message names */
		const struct {
			const char *cert, *key, *named, *what;
		} bad[] = {
			{ s.cert, other, other, "a key of another pair" },
			{ missing, s.key, missing, "a missing certificate" },
			{ s.cert, missing, missing, "a missing key" },
			{ junk, s.key, junk, "a certificate not in PEM" },
			{ s.cert, junk, junk, "a key not in PEM" },
			{ s.key, s.cert, s.key, "the key as certificate" },
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			const char *a[] = { "--tls-cert", bad[i].cert,
					    "--tls-key", bad[i].key, NULL };

			expect_exit(&s, NULL, a, 1, bad[i].named, bad[i].what);
		}
	}
	{
		/* the same from the environment */
		const char *env[] = { env_cert, env_key, NULL };
		const char *none[] = { NULL };

		snprintf(env_cert, sizeof(env_cert), "NPO_TLS_CERT=%s", s.cert);
		snprintf(env_key, sizeof(env_key), "NPO_TLS_KEY=%s", other);
		expect_exit(&s, env, none, 1, other,
			    "NPO_TLS_* with a key of another pair");
	}
	site_done(&s);
}
END_TEST

START_TEST(one_tls_flag_alone_is_a_usage_error)
{
	struct site s;
	char env_key[320];

	site_init(&s);
	{
		const char *a[] = { "--tls-cert", s.cert, NULL };

		expect_exit(&s, NULL, a, 2, "--tls-key", "--tls-cert alone");
	}
	{
		const char *a[] = { "--tls-key", s.key, NULL };

		expect_exit(&s, NULL, a, 2, "--tls-cert", "--tls-key alone");
	}
	{
		const char *env[] = { env_key, NULL };
		const char *none[] = { NULL };

		snprintf(env_key, sizeof(env_key), "NPO_TLS_KEY=%s", s.key);
		expect_exit(&s, env, none, 2, "--tls-cert",
			    "NPO_TLS_KEY alone");
	}
	site_done(&s);
}
END_TEST

START_TEST(plain_http_off_loopback_is_warned_of)
{
	struct site s;
	char *err, *log;
	/* TEST-NET-1: no address of this machine, so nothing listens there
	 * (the bind fails after the warning) */
	const char *a[] = { "--listen", "192.0.2.1:8080", NULL };
	int st;

	site_init(&s);
	st = serve_fails(&s, NULL, a, &err);
	CHECK(strstr(err, "warning: plain HTTP on 192.0.2.1:8080") &&
		      strstr(err, "tokens travel in clear text unless a TLS "
				  "proxy is in front"),
	      "no warning of plain HTTP off loopback (%s): %s", wait_str(st),
	      flat(err));
	free(err);
	/* on loopback, none */
	daemon_start(&s.d);
	log = daemon_log_tail(&s.d, 4000);
	CHECK(!strstr(log, "warning"), "a warning on loopback: %s", log);
	free(log);
	site_done(&s);
}
END_TEST

/* --- the client behind a proxy --------------------------------------------- */

START_TEST(x_forwarded_for_counts_only_from_a_trusted_proxy)
{
	struct site s;
	char *a;

	site_init(&s);
	s.d.args[0] = "--trust-proxy";
	s.d.args[1] = "127.0.0.2";
	s.d.args[2] = "--trust-proxy";
	s.d.args[3] = "127.0.0.3/32";
	daemon_start(&s.d);

	/* forged by a peer that is no proxy: ignored */
	a = request_from("127.0.0.1", s.d.port, "/forged",
			 "X-Forwarded-For: 203.0.113.9\r\n");
	CHECK(status_of(a) == 404 && !strstr(a, "Strict-Transport-Security"),
	      "%.200s", a);
	free(a);
	CHECK(strcmp(logged_client(&s.d, "/forged"), "127.0.0.1") == 0,
	      "a forged X-Forwarded-For from 127.0.0.1 changed the logged "
	      "client to %s",
	      logged_client(&s.d, "/forged"));

	/* from the proxy: the right-most address that is no trusted proxy,
	 * not what the client wrote to the left of it */
	free(request_from("127.0.0.2", s.d.port, "/chain",
			  "X-Forwarded-For: 198.51.100.1, 203.0.113.9, "
			  "127.0.0.3\r\n"));
	CHECK(strcmp(logged_client(&s.d, "/chain"), "203.0.113.9") == 0,
	      "through two proxies: %s", logged_client(&s.d, "/chain"));
	/* two headers are one list; a port and brackets are not part of it */
	free(request_from("127.0.0.2", s.d.port, "/two",
			  "X-Forwarded-For: 198.51.100.1\r\n"
			  "X-Forwarded-For: [2001:db8::7]:443\r\n"));
	CHECK(strcmp(logged_client(&s.d, "/two"), "2001:db8::7") == 0,
	      "two headers: %s", logged_client(&s.d, "/two"));
	/* what is no address ends the walk at the proxy that passed it on,
	 * and never reaches the log */
	free(request_from("127.0.0.2", s.d.port, "/junk",
			  "X-Forwarded-For: 203.0.113.9, <script>, "
			  "127.0.0.3\r\n"));
	CHECK(strcmp(logged_client(&s.d, "/junk"), "127.0.0.3") == 0,
	      "junk in the header: %s", logged_client(&s.d, "/junk"));
	/* the proxy's own request */
	free(request_from("127.0.0.2", s.d.port, "/own", ""));
	CHECK(strcmp(logged_client(&s.d, "/own"), "127.0.0.2") == 0,
	      "the proxy's own: %s", logged_client(&s.d, "/own"));
	/* a peer in no --trust-proxy, however close to one */
	free(request_from("127.0.0.4", s.d.port, "/near",
			  "X-Forwarded-For: 203.0.113.9\r\n"));
	CHECK(strcmp(logged_client(&s.d, "/near"), "127.0.0.4") == 0,
	      "127.0.0.4: %s", logged_client(&s.d, "/near"));
	site_done(&s);
}
END_TEST

/* Opens n connections from src, each sending head (nothing when NULL) and
 * then nothing more, into fds. */
static void hold(const char *src, unsigned short port, const char *head,
		 int *fds, int n)
{
	for (int i = 0; i < n; i++) {
		fds[i] = connect_from(src, port);
		if (head)
			send_all(fds[i], head);
	}
}

static void release(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

/* Asks path from src as client (X-Forwarded-For) until the answer has
 * status want, for up to 10 s; the last answer. */
static char *until_status(const char *src, unsigned short port,
			  const char *client, int want)
{
	char hdr[128];
	long long end = now_ms() + 10000;
	char *a = NULL;

	snprintf(hdr, sizeof(hdr), "X-Forwarded-For: %s\r\n", client);
	while (now_ms() < end) {
		free(a);
		a = request_from(src, port, "/healthz", hdr);
		if (status_of(a) == want)
			break;
		sleep_ms(50);
	}
	return a;
}

START_TEST(a_client_behind_a_proxy_has_at_most_256_requests_open)
{
	static int fds[PER_IP + 1];
	struct site s;
	bool closed;
	char *a;
	/* a request whose body never comes: open until the socket closes */
	const char *slow =
		"POST /api/v1/budgets HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		"X-Forwarded-For: 203.0.113.9\r\n"
		"Content-Type: application/json\r\n"
		"Content-Length: 100\r\n\r\n";
	int fd;

	site_init(&s);
	s.d.args[0] = "--trust-proxy";
	s.d.args[1] = "127.0.0.2";
	s.d.args[2] = "--timeout";
	s.d.args[3] = "300";
	daemon_start(&s.d);

	/* 256 requests of one client through the proxy: one more is 503,
	 * from a socket of the proxy's past 256 of its own */
	hold("127.0.0.2", s.d.port, slow, fds, PER_IP);
	/* until the daemon has read them all: a probe while some are unread
	 * would count among the 256 and leave one of them refused */
	sleep_ms(1000);
	for (int i = 0; i < PER_IP; i++) {
		struct pollfd p = { fds[i], POLLIN, 0 };

		CHECK(poll(&p, 1, 0) == 0,
		      "held request %d of 256 was answered or closed", i + 1);
	}
	a = until_status("127.0.0.2", s.d.port, "203.0.113.9", 503);
	CHECK(status_of(a) == 503 && strstr(a, "too_many_connections") &&
		      strstr(a, "Retry-After: 1") &&
		      strstr(a, "application/problem+json"),
	      "the 257th request of 203.0.113.9: %.400s", a);
	free(a);
	/* another client behind the same proxy is served */
	a = request_from("127.0.0.2", s.d.port, "/healthz",
			 "X-Forwarded-For: 203.0.113.10\r\n");
	CHECK(status_of(a) == 200, "another client: %.300s", a);
	free(a);
	/* one done, and there is room for one */
	close(fds[0]);
	a = until_status("127.0.0.2", s.d.port, "203.0.113.9", 200);
	CHECK(status_of(a) == 200, "after one closed: %.300s", a);
	free(a);
	release(fds + 1, PER_IP - 1);
	/* until the daemon has seen them go: 512 connections at most */
	sleep_ms(1000);

	/* a direct peer: 256 sockets, and the next is closed unanswered */
	hold("127.0.0.1", s.d.port, NULL, fds, PER_IP);
	sleep_ms(500);
	for (int i = 0; i < PER_IP; i++) {
		struct pollfd p = { fds[i], POLLIN, 0 };

		CHECK(poll(&p, 1, 0) == 0,
		      "socket %d of 256 from 127.0.0.1 was closed", i + 1);
	}
	fd = connect_from("127.0.0.1", s.d.port);
	/* the daemon may have closed it before this arrives */
	(void)!send(fd, "GET /healthz HTTP/1.1\r\n\r\n", 25, MSG_NOSIGNAL);
	a = read_until_close(fd, 10000, &closed);
	CHECK(closed && !*a,
	      "the 257th socket of 127.0.0.1 was not refused (closed %d): "
	      "%.200s",
	      closed, a);
	free(a);
	close(fd);
	release(fds, PER_IP);
	site_done(&s);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, the_readme_commands_serve_https);
	tcase_add_test(tc, https_with_the_ca_answers_with_hsts);
	tcase_add_test(tc, plain_http_to_the_tls_port_gets_no_http_answer);
	tcase_add_test(tc, only_tls_1_2_and_1_3);
	tcase_add_test(tc,
		       files_that_cannot_be_used_stop_the_daemon_naming_them);
	tcase_add_test(tc, one_tls_flag_alone_is_a_usage_error);
	tcase_add_test(tc, plain_http_off_loopback_is_warned_of);
	tcase_add_test(tc, x_forwarded_for_counts_only_from_a_trusted_proxy);
	tcase_add_test(tc,
		       a_client_behind_a_proxy_has_at_most_256_requests_open);
}

FAULT_MAIN("tls", 240)
