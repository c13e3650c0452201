/*
 * Fault-test harness: runs the real npo-budgetd binary (argv[1]) as a child
 * process with fork/exec, so that a test can SIGKILL it, restart it on the
 * same file, run it as another user, or watch it refuse to start; talks to it
 * with libcurl and looks at its database file with SQLite while it is stopped.
 *
 * Every daemon a test starts is registered; fault_cleanup() (called by FAIL
 * before the assertion ends the test) SIGKILLs each by its pid and unmounts
 * what the test mounted. A daemon also gets SIGKILL from the kernel when the
 * test process dies (PR_SET_PDEATHSIG), so none outlives a crashed test.
 */
#ifndef NPO_FAULT_H
#define NPO_FAULT_H

#include <check.h>
#include <curl/curl.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The binary under test: argv[1]. */
extern const char *fault_bin;
/* The CA certificate (PEM file) the clients trust; when set, every request
 * of http() and the writers goes over HTTPS (the daemons then serve with
 * tls_cert and tls_key). NULL: plain HTTP. */
extern const char *fault_ca;
/* Further arguments (argv[2...]) for the test program to interpret. */
extern int fault_argc;
extern char **fault_argv;

/* Each test program: one suite, one test case with timeout seconds. */
int fault_main(int argc, char **argv, const char *name, void (*add)(TCase *tc),
	       double timeout);
#define FAULT_MAIN(name, timeout)                                        \
	static void add_tests(TCase *tc);                                \
	int main(int argc, char **argv)                                  \
	{                                                                \
		return fault_main(argc, argv, name, add_tests, timeout); \
	}

/* Cleans up (kills the daemons, unmounts), then fails the test with the
 * message on one line (a TAP line), naming file and line. */
void fault_cleanup(void);
void fault_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));
#define FAIL(...) fault_fail(__FILE__, __LINE__, __VA_ARGS__)
#define CHECK(cond, ...)                   \
	do {                               \
		if (!(cond))               \
			FAIL(__VA_ARGS__); \
	} while (0)

/* Progress and diagnostics on stderr (stdout carries only TAP). */
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A fresh directory /tmp/npo-fault-XXXXXX (mode 0700). */
void fault_tmpdir(char *out, size_t n);
/* Removes dir and everything under it (making it writable first). */
void fault_rmtree(const char *dir);
/* A loopback port that was free a moment ago. */
unsigned short fault_free_port(void);
/* Remembers a mount point for fault_cleanup; fault_unmounted forgets it. */
void fault_mounted(const char *dir);
void fault_unmounted(const char *dir);

struct daemon {
	char bin[PATH_MAX];  /* binary to exec (default fault_bin) */
	char db[PATH_MAX];   /* --db */
	char log[PATH_MAX];  /* stdout and stderr of the daemon */
	unsigned short port; /* --listen 127.0.0.1:port; 0: pick one */
	bool drop;	     /* run as uid/gid (setgid, setuid before exec) */
	uid_t uid;
	gid_t gid;
	int threads; /* --threads, 0: the default */
	/* --tls-cert and --tls-key, when set */
	char tls_cert[PATH_MAX], tls_key[PATH_MAX];
	/* further arguments of serve, NULL-terminated (string literals or
	 * what outlives the daemon) */
	const char *args[9];
	pid_t pid;  /* running child, or 0 */
	int status; /* wait status of the last child that ended */
};

/* Sets d up for db, with its log beside it in logdir. */
void daemon_init(struct daemon *d, const char *db, const char *logdir);
/* fork/exec serve; the pid (also in d->pid). Does not wait. */
pid_t daemon_spawn(struct daemon *d);
/*
 * Waits until GET /readyz answers 200: 0; or the daemon exited: -1 with
 * d->status set; or timeout_ms passed: -2.
 */
int daemon_wait_ready(struct daemon *d, int timeout_ms);
/* spawn + wait_ready, asserting; retries on another port if the port was
 * taken meanwhile. */
void daemon_start(struct daemon *d);
/* SIGKILL and reap. */
void daemon_kill(struct daemon *d);
/* Sends sig and waits up to timeout_ms for the exit: the wait status, or -1
 * on timeout (the daemon is then SIGKILLed). */
int daemon_signal_wait(struct daemon *d, int sig, int timeout_ms);
/* s on one line: newlines become " | " (TAP lines are lines). */
char *flat(const char *s);
/* The last max bytes of the daemon's log on one line (malloc'ed). */
char *daemon_log_tail(const struct daemon *d, size_t max);
/* "exit 3", "signal 9", ... for a wait status. */
const char *wait_str(int status);

/*
 * Runs bin with argv (argv[0] is ignored and set to bin) to completion,
 * as as->uid/gid when as && as->drop; stdout and stderr are returned
 * (malloc'ed) when out/err are not NULL. The wait status, or -1 on timeout.
 */
int fault_run(const char *bin, const char *const *argv, const struct daemon *as,
	      char **out, char **err, int timeout_ms);
/* The program name as found on PATH (a full path), or NULL. */
const char *fault_which(const char *name);
/*
 * Makes a small CA and a certificate for 127.0.0.1 that it signed (with
 * subjectAltName IP:127.0.0.1) with openssl in dir: dir/ca.pem, the CA's
 * certificate; dir/server.pem and dir/server.key, the daemon's. Fails the
 * test when openssl does.
 */
void fault_make_certs(const char *dir);
/* `npo-budgetd token add NAME --role ROLE --db DB` (after `migrate --db DB`,
 * which makes DB when missing): the token. */
void fault_token(const char *db, const char *name, const char *role, char *tok,
		 size_t n);

/* --- HTTP ------------------------------------------------------------- */

struct hresp {
	CURLcode rc; /* CURLE_OK when an answer arrived */
	long status;
	char *body;
	char ctype[128]; /* Content-Type */
	json_t *json;	 /* parsed body or NULL */
	char *head;	 /* the header block of the answer */
};
/* The value of header name in r (case-insensitive) into out; NULL when r
 * has none. */
const char *hresp_header(const struct hresp *r, const char *name, char *out,
			 size_t n);

/* One request with handle h (NULL: a fresh one). Never asserts. */
void http(CURL *h, unsigned short port, const char *method, const char *path,
	  const char *token, const char *body, struct hresp *r);
/* As http() with one more header line ("If-Match: \"1\""). */
void http_hdr(CURL *h, unsigned short port, const char *method,
	      const char *path, const char *token, const char *body,
	      const char *header, struct hresp *r);
void hresp_free(struct hresp *r);
/* As http(), asserting an answer (any status) arrived. */
void http_must(unsigned short port, const char *method, const char *path,
	       const char *token, const char *body, struct hresp *r);
/* POSTs body, asserting 201; the new id. */
long long http_create(unsigned short port, const char *token, const char *path,
		      const char *body);
/* Asserts r is problem+json with status and code. */
void assert_problem(const struct hresp *r, long status, const char *code,
		    const char *what);
/* A budget, a goal and a programme; the programme's id. */
long long fault_programme(unsigned short port, const char *token);
/* `total` of GET path (which has count=true). */
long long http_total(unsigned short port, const char *token, const char *path);

/* --- the database file, while no daemon runs ------------------------- */

/* NULL when PRAGMA integrity_check answers "ok", else what it said. */
char *db_integrity(const char *db);
/* The integer a one-row query answers; asserts. */
long long db_int(const char *db, const char *sql);

/* --- writers: threads that create expenditures as fast as they can --- */

struct rec {
	long long id;
	int thread;
	long long seq; /* description is "t<thread>-<seq>" */
};

struct writers {
	atomic_ushort port; /* where to send; may change */
	const char *token;
	long long programme;
	int n;
	pthread_t th[16];
	atomic_bool stop;
	atomic_bool paused;  /* writers_pause: send nothing for now */
	long limit;	     /* >0: send no more than this many */
	atomic_int inflight; /* requests sent, not answered yet */
	atomic_long sent, acked, conn_errors;
	pthread_mutex_t lock;
	struct rec *recs; /* every id answered 201 */
	size_t nrecs, cap;
	long unexpected; /* answers other than 201 */
	char first_unexpected[512];
};

void writers_start(struct writers *w, int n, unsigned short port,
		   const char *token, long long programme);
/* As writers_start, sending limit requests in all (and then ending). */
void writers_start_limit(struct writers *w, int n, unsigned short port,
			 const char *token, long long programme, long limit);
void writers_stop(struct writers *w);
/* Waits for writers with a limit to have sent it. */
void writers_join(struct writers *w);
/* Stops sending (and waits for the requests under way) / sends again. */
void writers_pause(struct writers *w);
void writers_resume(struct writers *w);
/* A copy of the records so far, sorted by id. */
size_t writers_snapshot(struct writers *w, struct rec **out);

/*
 * Lists every expenditure through the daemon and asserts each record is
 * there with its description; the number of rows listed.
 */
size_t verify_recs(unsigned short port, const char *token,
		   const struct rec *recs, size_t n, const char *when);

/* Milliseconds since some fixed moment. */
long long now_ms(void);
void sleep_ms(long ms);

#endif
