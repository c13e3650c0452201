#include "fault.h"
#include "../curlbuf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

const char *fault_bin;
const char *fault_ca;
int fault_argc;
char **fault_argv;

/* --- the main, notes, cleanup ------------------------------------------ */

int fault_main(int argc, char **argv, const char *name, void (*add)(TCase *tc),
	       double timeout)
{
	Suite *s = suite_create(name);
	TCase *tc = tcase_create(name);
	SRunner *sr;
	int failed;

	if (argc < 2) {
		fprintf(stderr, "usage: %s PATH-TO-npo-budgetd [ARGS]\n",
			argv[0]);
		return 2;
	}
	fault_bin = argv[1];
	fault_argc = argc - 2;
	fault_argv = argv + 2;
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_ALL);
	tcase_set_timeout(tc, timeout);
	add(tc);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

void note(const char *fmt, ...)
{
	va_list ap;
	char buf[1024];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "# %s\n", buf);
}

#define MAX_DAEMONS 8
#define MAX_MOUNTS 4
#define MAX_DIRS 8
static struct daemon *daemons[MAX_DAEMONS];
static char mounts[MAX_MOUNTS][PATH_MAX];
static char dirs[MAX_DIRS][PATH_MAX];

void fault_cleanup(void)
{
	for (int i = 0; i < MAX_DAEMONS; i++) {
		struct daemon *d = daemons[i];

		if (d && d->pid > 0) {
			kill(d->pid, SIGKILL);
			waitpid(d->pid, NULL, 0);
			d->pid = 0;
		}
	}
	for (int i = 0; i < MAX_MOUNTS; i++)
		if (mounts[i][0]) {
			if (umount2(mounts[i], MNT_DETACH) < 0)
				note("umount %s: %s", mounts[i],
				     strerror(errno));
			mounts[i][0] = '\0';
		}
}

void fault_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	char buf[4096], *f;
	const char *base = strrchr(file, '/');

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fault_cleanup();
	/* the temp dirs go too, unless NPO_FAULT_KEEP=1 asks to keep them */
	for (int i = 0; i < MAX_DIRS; i++)
		if (dirs[i][0]) {
			if (getenv("NPO_FAULT_KEEP"))
				note("kept %s", dirs[i]);
			else
				fault_rmtree(dirs[i]);
		}
	f = flat(buf);
	ck_abort_msg("%s [%s:%d]", f, base ? base + 1 : file, line);
	abort(); /* not reached: ck_abort_msg ends the test */
}

void fault_mounted(const char *dir)
{
	for (int i = 0; i < MAX_MOUNTS; i++)
		if (!mounts[i][0]) {
			snprintf(mounts[i], sizeof(mounts[i]), "%s", dir);
			return;
		}
}

void fault_unmounted(const char *dir)
{
	for (int i = 0; i < MAX_MOUNTS; i++)
		if (strcmp(mounts[i], dir) == 0)
			mounts[i][0] = '\0';
}

long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* --- files and ports ---------------------------------------------------- */

void fault_tmpdir(char *out, size_t n)
{
	const char *base = getenv("TMPDIR");

	snprintf(out, n, "%s/npo-fault-XXXXXX", base && *base ? base : "/tmp");
	CHECK(mkdtemp(out) != NULL, "mkdtemp %s: %s", out, strerror(errno));
	for (int i = 0; i < MAX_DIRS; i++)
		if (!dirs[i][0]) {
			snprintf(dirs[i], sizeof(dirs[i]), "%s", out);
			break;
		}
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		chmod(path, 0700);
	return remove(path);
}

static int mk_writable(const char *path, const struct stat *st, int flag,
		       struct FTW *ftw)
{
	(void)ftw;
	if (flag == FTW_D || flag == FTW_DNR)
		chmod(path, 0700);
	else if (flag == FTW_F)
		chmod(path, st->st_mode | 0600);
	return 0;
}

void fault_rmtree(const char *path)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", path); /* path may be in dirs */
	for (int i = 0; i < MAX_DIRS; i++)
		if (strcmp(dirs[i], dir) == 0)
			dirs[i][0] = '\0';
	chmod(dir, 0700);
	nftw(dir, mk_writable, 16, FTW_PHYS);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

unsigned short fault_free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned short port;

	CHECK(fd >= 0, "socket: %s", strerror(errno));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
		      getsockname(fd, (struct sockaddr *)&sa, &len) == 0,
	      "bind 127.0.0.1:0: %s", strerror(errno));
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* --- child processes ---------------------------------------------------- */

/* The environment without NPO_* (which would change how serve behaves). */
static char **clean_env(void)
{
	static char *env[256];
	size_t n = 0;

	for (char **e = environ; *e && n < 255; e++)
		if (strncmp(*e, "NPO_", 4) != 0)
			env[n++] = *e;
	env[n] = NULL;
	return env;
}

/*
 * fork, then in the child: stdin from /dev/null, stdout and stderr to
 * out_fd and err_fd, other user if as->drop, death with the parent, exec.
 * Only async-signal-safe calls between fork and exec: the test process has
 * threads.
 */
static pid_t spawn(const char *bin, char *const argv[], const struct daemon *as,
		   int out_fd, int err_fd)
{
	char **env = clean_env();
	pid_t parent = getpid();
	int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	pid_t pid;

	CHECK(null_fd >= 0, "/dev/null: %s", strerror(errno));
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		if (dup2(null_fd, 0) < 0 || dup2(out_fd, 1) < 0 ||
		    dup2(err_fd, 2) < 0)
			_exit(126);
		if (as && as->drop) {
			gid_t g = as->gid;

			if (syscall(SYS_setgroups, 1, &g) < 0 ||
			    syscall(SYS_setresgid, g, g, g) < 0 ||
			    syscall(SYS_setresuid, as->uid, as->uid, as->uid) <
				    0)
				_exit(126);
		}
		/* after the change of user, which clears it */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(126);
		execve(bin, argv, env);
		{
			/* only async-signal-safe calls here: no printf */
			static const char msg[] = "fault: cannot exec the "
						  "binary: errno ";
			char num[12];
			int e = errno, i = sizeof(num);

			num[--i] = '\n';
			do
				num[--i] = (char)('0' + e % 10);
			while ((e /= 10) && i > 0);
			if (write(2, msg, sizeof(msg) - 1) < 0 ||
			    write(2, num + i, sizeof(num) - (size_t)i) < 0)
				_exit(127);
		}
		_exit(127);
	}
	close(null_fd);
	return pid;
}

void daemon_init(struct daemon *d, const char *db, const char *logdir)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->bin, sizeof(d->bin), "%s", fault_bin);
	snprintf(d->db, sizeof(d->db), "%s", db);
	snprintf(d->log, sizeof(d->log), "%s/daemon.log", logdir);
	for (int i = 0; i < MAX_DAEMONS; i++)
		if (!daemons[i] || daemons[i] == d) {
			daemons[i] = d;
			return;
		}
	FAIL("more than %d daemons", MAX_DAEMONS);
}

pid_t daemon_spawn(struct daemon *d)
{
	char listen[32], threads[16], prev[PATH_MAX + 8];
	char *argv[32];
	int n = 0, fd;

	CHECK(d->pid == 0, "daemon %d still running", (int)d->pid);
	if (!d->port)
		d->port = fault_free_port();
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", d->port);
	argv[n++] = d->bin;
	argv[n++] = "serve";
	argv[n++] = "--db";
	argv[n++] = d->db;
	argv[n++] = "--listen";
	argv[n++] = listen;
	if (d->threads) {
		snprintf(threads, sizeof(threads), "%d", d->threads);
		argv[n++] = "--threads";
		argv[n++] = threads;
	}
	if (d->tls_cert[0]) {
		argv[n++] = "--tls-cert";
		argv[n++] = d->tls_cert;
		argv[n++] = "--tls-key";
		argv[n++] = d->tls_key;
	}
	for (size_t i = 0; d->args[i]; i++) {
		CHECK(n < 31, "too many arguments for serve");
		argv[n++] = (char *)d->args[i];
	}
	argv[n] = NULL;
	/* keep the log of the run before, for a crash that shows only later */
	snprintf(prev, sizeof(prev), "%s.prev", d->log);
	rename(d->log, prev);
	fd = open(d->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK(fd >= 0, "%s: %s", d->log, strerror(errno));
	d->pid = spawn(d->bin, argv, d, fd, fd);
	close(fd);
	return d->pid;
}

int daemon_wait_ready(struct daemon *d, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;
	CURL *h = curl_easy_init();
	int rc = -2;

	while (now_ms() < end) {
		struct hresp r;
		int st;

		if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
			d->pid = 0;
			d->status = st;
			rc = -1;
			break;
		}
		http(h, d->port, "GET", "/readyz", NULL, NULL, &r);
		if (r.rc == CURLE_OK && r.status == 200) {
			hresp_free(&r);
			rc = 0;
			break;
		}
		hresp_free(&r);
		sleep_ms(5);
	}
	curl_easy_cleanup(h);
	return rc;
}

void daemon_start(struct daemon *d)
{
	for (int attempt = 0;; attempt++) {
		int rc;
		char *log;

		daemon_spawn(d);
		rc = daemon_wait_ready(d, 60000);
		if (rc == 0)
			return;
		log = daemon_log_tail(d, 2000);
		if (rc == -1 && strstr(log, "cannot listen") && attempt < 5) {
			note("port %u was taken; trying another", d->port);
			free(log);
			d->port = 0;
			continue;
		}
		if (rc == -2)
			FAIL("the daemon on %s did not answer /readyz within 60 s; "
			     "its log ends: %s",
			     d->db, log);
		FAIL("the daemon on %s did not start: %s; its log ends: %s",
		     d->db, wait_str(d->status), log);
	}
}

void daemon_kill(struct daemon *d)
{
	if (d->pid <= 0)
		return;
	CHECK(kill(d->pid, SIGKILL) == 0, "kill %d: %s", (int)d->pid,
	      strerror(errno));
	CHECK(waitpid(d->pid, &d->status, 0) == d->pid, "waitpid: %s",
	      strerror(errno));
	d->pid = 0;
}

int daemon_signal_wait(struct daemon *d, int sig, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;

	CHECK(d->pid > 0, "no daemon to signal");
	CHECK(kill(d->pid, sig) == 0, "kill %d: %s", (int)d->pid,
	      strerror(errno));
	while (now_ms() < end) {
		if (waitpid(d->pid, &d->status, WNOHANG) == d->pid) {
			d->pid = 0;
			return d->status;
		}
		sleep_ms(5);
	}
	daemon_kill(d);
	return -1;
}

static char *slurp(const char *path, size_t max)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, max + 1);
	long size;
	size_t n;

	if (!f)
		return buf;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	if (size > (long)max)
		fseek(f, size - (long)max, SEEK_SET);
	else
		fseek(f, 0, SEEK_SET);
	n = fread(buf, 1, max, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

char *flat(const char *s)
{
	size_t n = 0;
	char *out = malloc(strlen(s) * 3 + 1);

	for (; *s; s++) {
		if (*s == '\n' && s[1]) {
			memcpy(out + n, " | ", 3);
			n += 3;
		} else if (*s != '\n') {
			out[n++] = *s;
		}
	}
	out[n] = '\0';
	return out;
}

char *daemon_log_tail(const struct daemon *d, size_t max)
{
	char *s = slurp(d->log, max), *f = flat(s);

	free(s);
	return f;
}

const char *wait_str(int status)
{
	static char buf[64];

	if (status == -1)
		snprintf(buf, sizeof(buf), "still running (timeout)");
	else if (WIFEXITED(status))
		snprintf(buf, sizeof(buf), "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, sizeof(buf), "signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, sizeof(buf), "wait status 0x%x", status);
	return buf;
}

struct sink {
	int fd;
	char *p;
	size_t len;
};

int fault_run(const char *bin, const char *const *argv, const struct daemon *as,
	      char **out, char **err, int timeout_ms)
{
	int po[2], pe[2], status = -1;
	struct sink s[2] = { { 0 }, { 0 } };
	char *args[32];
	long long end = now_ms() + timeout_ms;
	pid_t pid;
	int n = 0;

	args[n++] = (char *)bin;
	for (int i = 1; argv[i] && n < 31; i++)
		args[n++] = (char *)argv[i];
	args[n] = NULL;
	CHECK(pipe2(po, O_CLOEXEC) == 0 && pipe2(pe, O_CLOEXEC) == 0,
	      "pipe: %s", strerror(errno));
	pid = spawn(bin, args, as, po[1], pe[1]);
	close(po[1]);
	close(pe[1]);
	s[0].fd = po[0];
	s[1].fd = pe[0];
	while (s[0].fd >= 0 || s[1].fd >= 0) {
		struct pollfd pfd[2] = { { s[0].fd, POLLIN, 0 },
					 { s[1].fd, POLLIN, 0 } };
		long long left = end - now_ms();

		if (left <= 0)
			break;
		if (poll(pfd, 2, (int)left) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			char buf[4096];
			ssize_t got;

			if (s[i].fd < 0 || !pfd[i].revents)
				continue;
			got = read(s[i].fd, buf, sizeof(buf));
			if (got <= 0) {
				close(s[i].fd);
				s[i].fd = -1;
				continue;
			}
			s[i].p = realloc(s[i].p, s[i].len + (size_t)got + 1);
			memcpy(s[i].p + s[i].len, buf, (size_t)got);
			s[i].len += (size_t)got;
			s[i].p[s[i].len] = '\0';
		}
	}
	for (int i = 0; i < 2; i++)
		if (s[i].fd >= 0)
			close(s[i].fd);
	while (now_ms() < end) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		sleep_ms(5);
	}
	if (now_ms() >= end && waitpid(pid, &status, WNOHANG) != pid) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		status = -1;
	}
	for (int i = 0; i < 2; i++) {
		char **to = i == 0 ? out : err;

		if (!s[i].p)
			s[i].p = strdup("");
		if (to)
			*to = s[i].p;
		else
			free(s[i].p);
	}
	return status;
}

const char *fault_which(const char *name)
{
	static char found[PATH_MAX];
	const char *path = getenv("PATH");

	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t len = strcspn(p, ":");

		snprintf(found, sizeof(found), "%.*s/%s", (int)len, p, name);
		if (len && access(found, X_OK) == 0)
			return found;
		p += len + (p[len] == ':');
	}
	return NULL;
}

/* The certificates of fault_make_certs: the commands of the README's TLS
 * section, with a validity of two days (EC P-256: fast to make and to
 * shake hands with). */
static const char make_certs[] =
	"cd \"$1\"\n"
	"openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc "
	"-days 2 -subj '/CN=npo-budgetd test CA' -keyout ca.key -out ca.pem\n"
	"openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc "
	"-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
	"-keyout server.key -out server.csr\n"
	"openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key "
	"-CAcreateserial -days 2 -copy_extensions copy -out server.pem\n";

void fault_make_certs(const char *dir)
{
	const char *argv[] = { "", "-ec", make_certs, "sh", dir, NULL };
	char *err;
	int st;

	CHECK(fault_which("openssl"), "openssl is not installed "
				      "(tools/install-deps.sh test installs "
				      "it)");
	st = fault_run("/bin/sh", argv, NULL, NULL, &err, 60000);
	CHECK(st == 0, "making certificates with openssl in %s: %s: %s", dir,
	      wait_str(st), flat(err));
	free(err);
}

void fault_token(const char *db, const char *name, const char *role, char *tok,
		 size_t n)
{
	const char *migrate[] = { "", "migrate", "--db", db, NULL };
	const char *argv[] = { "",   "token", "add", name, "--role",
			       role, "--db",  db,    NULL };
	char *out, *err;
	/* token add refuses a database that does not exist yet */
	int st = fault_run(fault_bin, migrate, NULL, NULL, &err, 60000);

	CHECK(st == 0, "migrate --db %s: %s: %s", db, wait_str(st), flat(err));
	free(err);
	st = fault_run(fault_bin, argv, NULL, &out, &err, 60000);
	CHECK(st == 0, "token add %s --db %s: %s: %s", name, db, wait_str(st),
	      flat(err));
	out[strcspn(out, "\r\n")] = '\0';
	CHECK(strlen(out) > 10 && strlen(out) < n, "token add printed '%s'",
	      out);
	snprintf(tok, n, "%s", out);
	free(out);
	free(err);
}

/* --- HTTP -------------------------------------------------------------- */

void http(CURL *h, unsigned short port, const char *method, const char *path,
	  const char *token, const char *body, struct hresp *r)
{
	http_hdr(h, port, method, path, token, body, NULL, r);
}

void http_hdr(CURL *h, unsigned short port, const char *method,
	      const char *path, const char *token, const char *body,
	      const char *header, struct hresp *r)
{
	CURL *own = NULL;
	struct curl_slist *hl = NULL;
	struct buf data = { 0 }, head = { 0 };
	char url[2048], line[256];
	const char *ct = NULL;

	memset(r, 0, sizeof(*r));
	if (!h)
		h = own = curl_easy_init();
	else
		curl_easy_reset(h); /* keeps the connection */
	snprintf(url, sizeof(url), "%s://127.0.0.1:%u%s",
		 fault_ca ? "https" : "http", port, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	if (fault_ca)
		curl_easy_setopt(h, CURLOPT_CAINFO, fault_ca);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	if (token) {
		snprintf(line, sizeof(line), "Authorization: Bearer %s", token);
		hl = curl_slist_append(hl, line);
	}
	if (body) {
		hl = curl_slist_append(hl, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	if (header)
		hl = curl_slist_append(hl, header);
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &data);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &head);
	r->rc = curl_easy_perform(h);
	if (r->rc == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
		curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
		snprintf(r->ctype, sizeof(r->ctype), "%s", ct ? ct : "");
	}
	curl_slist_free_all(hl);
	if (own)
		curl_easy_cleanup(own);
	r->body = data.p ? data.p : strdup("");
	r->head = head.p ? head.p : strdup("");
	r->json = json_loads(r->body, 0, NULL);
}

void hresp_free(struct hresp *r)
{
	json_decref(r->json);
	free(r->body);
	free(r->head);
	r->json = NULL;
	r->body = NULL;
	r->head = NULL;
}

const char *hresp_header(const struct hresp *r, const char *name, char *out,
			 size_t n)
{
	size_t len = strlen(name);

	for (const char *p = r->head; p && *p; p += strcspn(p, "\n")) {
		p += *p == '\n';
		if (strncasecmp(p, name, len) == 0 && p[len] == ':') {
			const char *v = p + len + 1 + strspn(p + len + 1, " ");

			snprintf(out, n, "%.*s", (int)strcspn(v, "\r\n"), v);
			return out;
		}
	}
	return NULL;
}

void http_must(unsigned short port, const char *method, const char *path,
	       const char *token, const char *body, struct hresp *r)
{
	http(NULL, port, method, path, token, body, r);
	CHECK(r->rc == CURLE_OK, "%s %s: %s", method, path,
	      curl_easy_strerror(r->rc));
}

long long http_create(unsigned short port, const char *token, const char *path,
		      const char *body)
{
	struct hresp r;
	long long id;

	http_must(port, "POST", path, token, body, &r);
	CHECK(r.status == 201, "POST %s %s: %ld %s", path, body, r.status,
	      r.body);
	id = json_integer_value(json_object_get(r.json, "id"));
	CHECK(id > 0, "POST %s: no id in %s", path, r.body);
	hresp_free(&r);
	return id;
}

void assert_problem(const struct hresp *r, long status, const char *code,
		    const char *what)
{
	const char *c = json_string_value(json_object_get(r->json, "code"));

	CHECK(r->status == status && c && strcmp(c, code) == 0 &&
		      strncmp(r->ctype, "application/problem+json", 24) == 0,
	      "%s: expected %ld problem+json code %s, got %ld (%s) %s", what,
	      status, code, r->status, r->ctype, r->body);
}

long long fault_programme(unsigned short port, const char *token)
{
	char body[512];
	long long budget, goal;

	budget = http_create(
		port, token, "/api/v1/budgets",
		"{\"municipality_code\":\"GM0402\",\"municipality_name\":"
		"\"Hilversum\",\"name\":\"NPO\",\"grant_cents\":213850964,"
		"\"spend_from\":\"2021-07-01\",\"spend_until\":\"2030-07-31\"}");
	snprintf(body, sizeof(body),
		 "{\"budget_id\":%lld,\"code\":\"G1\",\"name\":\"Doel\","
		 "\"allocated_cents\":100000000}",
		 budget);
	goal = http_create(port, token, "/api/v1/goals", body);
	snprintf(body, sizeof(body),
		 "{\"goal_id\":%lld,\"name\":\"Programma\","
		 "\"budget_cents\":100000000}",
		 goal);
	return http_create(port, token, "/api/v1/programmes", body);
}

long long http_total(unsigned short port, const char *token, const char *path)
{
	struct hresp r;
	json_t *t;
	long long total;

	http_must(port, "GET", path, token, NULL, &r);
	t = json_object_get(r.json, "total");
	CHECK(r.status == 200 && json_is_integer(t), "GET %s: %ld %s", path,
	      r.status, r.body);
	total = json_integer_value(t);
	hresp_free(&r);
	return total;
}

/* --- the database file ------------------------------------------------- */

char *db_integrity(const char *db)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	char *res = NULL;
	size_t len = 0;
	int rc;

	/* read-only: no checkpoint when it closes, so the daemon recovers
	 * the write-ahead log itself when it starts */
	rc = sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st,
					NULL);
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		const char *t;
		size_t n;

		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW)
			break;
		t = (const char *)sqlite3_column_text(st, 0);
		n = strlen(t ? t : "");
		res = realloc(res, len + n + 2);
		memcpy(res + len, t ? t : "", n);
		len += n;
		res[len++] = '\n';
		res[len] = '\0';
	}
	if (rc != SQLITE_DONE) {
		char msg[512];

		snprintf(msg, sizeof(msg), "sqlite error %d: %s", rc,
			 h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
		free(res);
		res = strdup(msg);
	} else if (res && strcmp(res, "ok\n") == 0) {
		free(res);
		res = NULL;
	} else if (!res) {
		res = strdup("no answer");
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	return res;
}

long long db_int(const char *db, const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -1;
	int rc = sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(h, sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", sqlite3_errmsg(h));
		sqlite3_finalize(st);
		sqlite3_close(h);
		FAIL("%s on %s: %d %s", sql, db, rc, msg);
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

/* --- writers ----------------------------------------------------------- */

struct warg {
	struct writers *w;
	int thread;
};

static void record(struct writers *w, struct rec r)
{
	pthread_mutex_lock(&w->lock);
	if (w->nrecs == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 4096;
		w->recs = realloc(w->recs, w->cap * sizeof(*w->recs));
	}
	w->recs[w->nrecs++] = r;
	pthread_mutex_unlock(&w->lock);
}

static void *writer(void *arg)
{
	struct warg *a = arg;
	struct writers *w = a->w;
	CURL *h = curl_easy_init();
	long long seq = 0;
	char body[256];

	while (!atomic_load(&w->stop)) {
		struct hresp r;
		json_t *id;

		if (atomic_load(&w->paused)) {
			sleep_ms(1);
			continue;
		}
		seq++;
		snprintf(body, sizeof(body),
			 "{\"programme_id\":%lld,\"amount_cents\":100,"
			 "\"spent_on\":\"2024-01-15\",\"description\":"
			 "\"t%d-%lld\"}",
			 w->programme, a->thread, seq);
		atomic_fetch_add(&w->inflight, 1);
		if (atomic_load(&w->paused)) {
			atomic_fetch_sub(&w->inflight, 1);
			continue;
		}
		if (atomic_fetch_add(&w->sent, 1) >= w->limit && w->limit) {
			atomic_fetch_sub(&w->sent, 1);
			atomic_fetch_sub(&w->inflight, 1);
			break;
		}
		http(h, atomic_load(&w->port), "POST", "/api/v1/expenditures",
		     w->token, body, &r);
		atomic_fetch_sub(&w->inflight, 1);
		id = json_object_get(r.json, "id");
		if (r.rc != CURLE_OK) {
			/* the daemon is down or was killed under us */
			atomic_fetch_add(&w->conn_errors, 1);
			hresp_free(&r);
			sleep_ms(2);
			continue;
		}
		if (r.status == 201 && json_is_integer(id)) {
			record(w, (struct rec){ json_integer_value(id),
						a->thread, seq });
			atomic_fetch_add(&w->acked, 1);
		} else if (r.status == 503 &&
			   json_is_string(json_object_get(r.json, "code")) &&
			   strcmp(json_string_value(
					  json_object_get(r.json, "code")),
				  "shutting_down") == 0) {
			/* refused while the daemon drains: not acknowledged,
			 * like a cut-off request; the client tries again */
			atomic_fetch_add(&w->conn_errors, 1);
			hresp_free(&r);
			sleep_ms(2);
			continue;
		} else {
			pthread_mutex_lock(&w->lock);
			if (w->unexpected++ == 0)
				snprintf(w->first_unexpected,
					 sizeof(w->first_unexpected),
					 "%ld %.400s", r.status, r.body);
			pthread_mutex_unlock(&w->lock);
		}
		hresp_free(&r);
	}
	curl_easy_cleanup(h);
	free(a);
	return NULL;
}

void writers_start(struct writers *w, int n, unsigned short port,
		   const char *token, long long programme)
{
	writers_start_limit(w, n, port, token, programme, 0);
}

void writers_start_limit(struct writers *w, int n, unsigned short port,
			 const char *token, long long programme, long limit)
{
	memset(w, 0, sizeof(*w));
	w->limit = limit;
	atomic_init(&w->port, port);
	w->token = token;
	w->programme = programme;
	w->n = n;
	pthread_mutex_init(&w->lock, NULL);
	for (int i = 0; i < n; i++) {
		struct warg *a = malloc(sizeof(*a));

		a->w = w;
		a->thread = i;
		CHECK(pthread_create(&w->th[i], NULL, writer, a) == 0,
		      "pthread_create");
	}
}

void writers_join(struct writers *w)
{
	for (int i = 0; i < w->n; i++)
		pthread_join(w->th[i], NULL);
	w->n = 0;
}

void writers_stop(struct writers *w)
{
	atomic_store(&w->stop, true);
	writers_join(w);
}

void writers_pause(struct writers *w)
{
	atomic_store(&w->paused, true);
	/* a writer counts itself in flight before it looks at paused */
	while (atomic_load(&w->inflight) > 0)
		sleep_ms(1);
}

void writers_resume(struct writers *w)
{
	atomic_store(&w->paused, false);
}

static int by_id(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

size_t writers_snapshot(struct writers *w, struct rec **out)
{
	size_t n;

	pthread_mutex_lock(&w->lock);
	n = w->nrecs;
	*out = malloc((n ? n : 1) * sizeof(**out));
	memcpy(*out, w->recs, n * sizeof(**out));
	pthread_mutex_unlock(&w->lock);
	qsort(*out, n, sizeof(**out), by_id);
	return n;
}

struct row {
	long long id;
	char *desc;
};

size_t verify_recs(unsigned short port, const char *token,
		   const struct rec *recs, size_t n, const char *when)
{
	struct row *rows = NULL;
	size_t nrows = 0, cap = 0, missing = 0, wrong = 0;
	long long after = 0;
	char path[256], first[256] = "";
	CURL *h = curl_easy_init();

	for (;;) {
		struct hresp r;
		json_t *items, *it;
		const char *desc;
		size_t i;

		snprintf(path, sizeof(path),
			 "/api/v1/expenditures?fields=id,description"
			 "&limit=1000&after=%lld",
			 after);
		http(h, port, "GET", path, token, NULL, &r);
		items = json_object_get(r.json, "items");
		if (r.rc != CURLE_OK || r.status != 200 ||
		    !json_is_array(items)) {
			curl_easy_cleanup(h);
			FAIL("%s: GET %s: %s %ld %.300s", when, path,
			     curl_easy_strerror(r.rc), r.status, r.body);
		}
		json_array_foreach(items, i, it)
		{
			if (nrows == cap) {
				cap = cap ? cap * 2 : 4096;
				rows = realloc(rows, cap * sizeof(*rows));
			}
			rows[nrows].id =
				json_integer_value(json_object_get(it, "id"));
			desc = json_string_value(
				json_object_get(it, "description"));
			rows[nrows].desc = strdup(desc ? desc : "");
			after = rows[nrows++].id;
		}
		i = json_array_size(items);
		hresp_free(&r);
		if (i < 1000)
			break;
	}
	curl_easy_cleanup(h);
	/* rows come in id order, recs are sorted by id: one merge */
	for (size_t i = 0, j = 0; i < n; i++) {
		char want[64];

		while (j < nrows && rows[j].id < recs[i].id)
			j++;
		snprintf(want, sizeof(want), "t%d-%lld", recs[i].thread,
			 recs[i].seq);
		if (j == nrows || rows[j].id != recs[i].id) {
			if (!missing++ && !wrong)
				snprintf(first, sizeof(first),
					 "id %lld (%s) is missing", recs[i].id,
					 want);
		} else if (strcmp(rows[j].desc, want) != 0) {
			if (!wrong++ && !missing)
				snprintf(first, sizeof(first),
					 "id %lld is '%s', not '%s'",
					 recs[i].id, rows[j].desc, want);
		}
	}
	for (size_t i = 0; i < nrows; i++)
		free(rows[i].desc);
	free(rows);
	CHECK(missing == 0 && wrong == 0,
	      "%s: of %zu writes answered 201, %zu are missing and %zu "
	      "changed (%zu rows listed); first: %s",
	      when, n, missing, wrong, nrows, first);
	return nrows;
}
