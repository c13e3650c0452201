/*
 * npo-budgetd: the command line. Each command is a row of one table: its
 * words, operands, options and help; the parser, the usage lines and every
 * command's --help are made from those rows.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "npo/api.h"
#include "npo/jobs.h"
#include "npo/auth.h"
#include "npo/client.h"
#include "npo/db.h"
#include "npo/figures.h"
#include "npo/server.h"

#define MAX_ORIGINS 16
#define HELP_WIDTH 79 /* columns of the help, at most */
#define HELP_FLAGS 25 /* the column where an option's description starts */

/* The options, in the order the usage lines and the help list them. */
enum opt {
	O_ROLE = 1,
	O_MUNICIPALITY,
	O_SCHOOL,
	O_EXPIRES,
	O_OUT,
	O_DIALECT,
	O_DRY_RUN,
	O_REPAIR,
	O_SECTOR,
	O_LISTEN,
	O_THREADS,
	O_CORS,
	O_PUBLIC,
	O_DEMO,
	O_MAXBODY,
	O_MAX_IMPORT,
	O_MAX_STREAMS,
	O_TIMEOUT,
	O_METRICS_LISTEN,
	O_TLS_CERT,
	O_TLS_KEY,
	O_TRUST_PROXY,
	O_DB,
	O_COUNT
};
/* a command's options are bits of an unsigned */
_Static_assert(O_COUNT <= 32, "enum opt has outgrown struct command's bits");

static const struct option options[] = {
	{ "db", required_argument, NULL, O_DB },
	{ "listen", required_argument, NULL, O_LISTEN },
	{ "threads", required_argument, NULL, O_THREADS },
	{ "cors-origin", required_argument, NULL, O_CORS },
	{ "public-read", no_argument, NULL, O_PUBLIC },
	{ "demo", no_argument, NULL, O_DEMO },
	{ "max-body", required_argument, NULL, O_MAXBODY },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "role", required_argument, NULL, O_ROLE },
	{ "out", required_argument, NULL, O_OUT },
	{ "dialect", required_argument, NULL, O_DIALECT },
	{ "municipality", required_argument, NULL, O_MUNICIPALITY },
	{ "school", required_argument, NULL, O_SCHOOL },
	{ "expires", required_argument, NULL, O_EXPIRES },
	{ "dry-run", no_argument, NULL, O_DRY_RUN },
	{ "repair", no_argument, NULL, O_REPAIR },
	{ "sector", required_argument, NULL, O_SECTOR },
	{ "max-import", required_argument, NULL, O_MAX_IMPORT },
	{ "max-streams", required_argument, NULL, O_MAX_STREAMS },
	{ "metrics-listen", required_argument, NULL, O_METRICS_LISTEN },
	{ "tls-cert", required_argument, NULL, O_TLS_CERT },
	{ "tls-key", required_argument, NULL, O_TLS_KEY },
	{ "trust-proxy", required_argument, NULL, O_TRUST_PROXY },
	{ 0 },
};

/* What the help says of an option; a command may say it otherwise. */
static const struct opt_doc {
	const char *flag; /* as the usage line shows it */
	const char *what;
	const char *env; /* the environment variable that sets it, or NULL */
	bool many;	 /* may be given more than once */
} opt_docs[O_COUNT] = {
	[O_ROLE] = { "--role read|write|admin",
		     "read may GET; write may also change; admin may also "
		     "read the audit trail and manage tokens" },
	[O_MUNICIPALITY] = { "--municipality GMnnnn" },
	[O_SCHOOL] = { "--school CODE",
		       "the token sees its municipality's budgets, its own "
		       "school (its code, such as 10HZ00) and its own plans "
		       "and costs" },
	[O_EXPIRES] = { "--expires DATE|TIME",
			"the token stops working then: YYYY-MM-DD (at 00:00 "
			"UTC) or YYYY-MM-DDTHH:MM:SSZ; never, when not given" },
	[O_OUT] = { "--out DIR", "the directory to make; it must not exist" },
	[O_DIALECT] = { "--dialect rfc4180|excel-nl",
			"rfc4180: comma-separated, decimal point; excel-nl: "
			"semicolons, decimal comma and a byte order mark, as "
			"Dutch Excel reads them (default rfc4180)" },
	[O_DRY_RUN] = { "--dry-run",
			"checks every row and prints the counts, but writes "
			"nothing" },
	[O_REPAIR] = { "--repair",
		       "first makes the kept sums again from the rows, in one "
		       "transaction (then none differ)" },
	[O_SECTOR] = { "--sector S",
		       "schools, required: the sector of DUO's file (vve, po, "
		       "sbo, so, vso, vo or pro)" },
	[O_LISTEN] = { "--listen ADDR:PORT",
		       "the numeric address and port to listen on",
		       "NPO_LISTEN" },
	[O_THREADS] = { "--threads N",
			"worker threads, each with its own database connection",
			"NPO_THREADS" },
	[O_CORS] = { "--cors-origin ORIGIN",
		     "a web page's origin (https://dashboard.example) whose "
		     "scripts may call the API; * needs --public-read",
		     "NPO_CORS_ORIGIN, comma-separated", true },
	[O_PUBLIC] = { "--public-read",
		       "GET requests need no token, for a dashboard on an "
		       "internal network",
		       "NPO_PUBLIC_READ=1" },
	[O_DEMO] = { "--demo",
		     "fills an empty database with the demo data of two "
		     "municipalities",
		     "NPO_DEMO=1" },
	[O_MAXBODY] = { "--max-body BYTES",
			"the largest request body; a larger one is answered 413",
			"NPO_MAX_BODY" },
	[O_MAX_IMPORT] = { "--max-import BYTES",
			   "the largest CSV body of an import over HTTP",
			   "NPO_MAX_IMPORT" },
	[O_MAX_STREAMS] = { "--max-streams N",
			    "event streams (GET /api/v1/events) open at once; "
			    "one more is answered 503",
			    "NPO_MAX_STREAMS" },
	[O_TIMEOUT] = { "--timeout SECONDS",
			"idle connections are closed after this long",
			"NPO_TIMEOUT" },
	[O_METRICS_LISTEN] = { "--metrics-listen ADDR:PORT",
			       "a second listener that serves only GET "
			       "/metrics, without a token, for Prometheus to "
			       "scrape; none when not given (on the API's "
			       "listener /metrics needs an admin token)",
			       "NPO_METRICS_LISTEN" },
	[O_TLS_CERT] = { "--tls-cert FILE",
			 "serves HTTPS only (TLS 1.2 or 1.3) with this PEM "
			 "certificate (chain), read once at start (restart "
			 "to renew); every answer then has "
			 "Strict-Transport-Security; needs --tls-key; plain "
			 "HTTP when not given",
			 "NPO_TLS_CERT" },
	[O_TLS_KEY] = { "--tls-key FILE",
			"the certificate's PEM private key, without a "
			"passphrase",
			"NPO_TLS_KEY" },
	[O_TRUST_PROXY] = { "--trust-proxy ADDR",
			    "a proxy (an address, or ADDR/PREFIX) whose "
			    "X-Forwarded-For names the client, for the log and "
			    "the per-IP limit; from any other peer the header "
			    "is ignored",
			    "NPO_TRUST_PROXY, comma-separated", true },
	[O_DB] = { "--db PATH", "the database file, which must exist",
		   "NPO_DB" },
};

struct cli {
	struct npo_config cfg;
	const char *origins[MAX_ORIGINS];
	char *origins_env; /* owned copy of NPO_CORS_ORIGIN */
	const char *proxies[CLIENT_MAX_TRUSTED];
	char *proxies_env;	 /* owned copy of NPO_TRUST_PROXY */
	struct token_spec token; /* token add */
	struct import_opts import;
	const char *out;
	enum csv_dialect dialect;
	bool repair; /* check --repair */
};

struct command;
typedef int command_fn(struct cli *cli, const struct command *c,
		       char **operands);

/*
 * A command: its words ("token add"), the operands before its options, what
 * it does, and the options it takes, needs and describes its own way. A
 * command without run is a group ("token"): its help is its members'.
 */
struct command {
	const char *name;
	const char *operands; /* "NAME", or NULL for none */
	int noperands;
	const char *about;
	unsigned takes;		   /* bits of enum opt */
	unsigned needs;		   /* of those, the ones that must be given */
	const char *what[O_COUNT]; /* instead of opt_docs[].what */
	command_fn *run;
};

#define BIT(o) (1u << (o))

static command_fn cmd_serve, cmd_migrate, cmd_export, cmd_backup, cmd_token,
	cmd_import, cmd_check, cmd_routes;

static const struct command commands[] = {
	{
		.name = "serve",
		.about =
			"Serves the JSON API from the database, which it makes "
			"when missing and migrates to this version. Runs "
			"until SIGTERM or SIGINT, then lets running requests "
			"finish (up to 10 s) and exits 0.",
		.takes = BIT(O_LISTEN) | BIT(O_THREADS) | BIT(O_CORS) |
			 BIT(O_PUBLIC) | BIT(O_DEMO) | BIT(O_MAXBODY) |
			 BIT(O_MAX_IMPORT) | BIT(O_MAX_STREAMS) |
			 BIT(O_TIMEOUT) | BIT(O_METRICS_LISTEN) |
			 BIT(O_TLS_CERT) | BIT(O_TLS_KEY) | BIT(O_TRUST_PROXY) |
			 BIT(O_DB),
		.what = { [O_DB] = "the database file, made when missing" },
		.run = cmd_serve,
	},
	{
		.name = "migrate",
		.about = "Makes the database when missing and brings it to "
			 "this version's schema, as serve does at every start; "
			 "a database of a newer version is refused.",
		.takes = BIT(O_DB),
		.what = { [O_DB] = "the database file, made when missing" },
		.run = cmd_migrate,
	},
	{
		.name = "export",
		.about = "Writes every table as a CSV file, and all of them as "
			 "snapshot.json, into the new directory DIR, all from "
			 "one moment, also while the daemon runs and is being "
			 "written to. DIR appears only when complete; it and "
			 "its files get the modes the umask allows.",
		.takes = BIT(O_OUT) | BIT(O_DIALECT) | BIT(O_DB),
		.needs = BIT(O_OUT),
		.run = cmd_export,
	},
	{
		.name = "backup",
		.operands = "FILE",
		.noperands = 1,
		.about = "Copies the database to FILE with SQLite's online "
			 "backup, also while the daemon runs and is being "
			 "written to; FILE appears only when complete.",
		.takes = BIT(O_DB),
		.run = cmd_backup,
	},
	{
		.name = "token",
		.about =
			"Makes, lists and revokes the tokens that clients send "
			"as 'Authorization: Bearer TOKEN'. Each subcommand has "
			"its help: npo-budgetd token add --help, and so on.",
	},
	{
		.name = "token add",
		.operands = "NAME",
		.noperands = 1,
		.about = "Makes a token called NAME and prints it on stdout, "
			 "alone, so that a script can capture it. It is shown "
			 "only this once: the database keeps its SHA-256 hash. "
			 "An admin token is never limited to a municipality or "
			 "school.",
		.takes = BIT(O_ROLE) | BIT(O_MUNICIPALITY) | BIT(O_SCHOOL) |
			 BIT(O_EXPIRES) | BIT(O_DB),
		.needs = BIT(O_ROLE),
		.what = { [O_MUNICIPALITY] =
				  "the token sees and changes only this "
				  "municipality's budgets (its CBS code) and "
				  "its schools" },
		.run = cmd_token,
	},
	{
		.name = "token list",
		.about = "Lists the tokens as a table: name, role, scope, "
			 "expiry, when last used and when made; never a "
			 "secret.",
		.takes = BIT(O_DB),
		.run = cmd_token,
	},
	{
		.name = "token revoke",
		.operands = "NAME",
		.noperands = 1,
		.about = "Revokes the token called NAME: from then on every "
			 "request with it is answered 401.",
		.takes = BIT(O_DB),
		.run = cmd_token,
	},
	{
		.name = "import",
		.operands = "expenditures|schools FILE",
		.noperands = 2,
		.about = "Imports the CSV file FILE as costs (expenditures) or "
			 "as schools from DUO's register, as POST "
			 "/api/v1/imports/... does: all or nothing, in one "
			 "transaction, also while the daemon runs. Prints the "
			 "counts as JSON on stdout, or every bad row on a line "
			 "of stderr and exits 2.",
		.takes = BIT(O_DRY_RUN) | BIT(O_SECTOR) | BIT(O_MUNICIPALITY) |
			 BIT(O_DB),
		.what = { [O_MUNICIPALITY] =
				  "schools: only this municipality's rows; "
				  "the others are counted as skipped" },
		.run = cmd_import,
	},
	{
		.name = "check",
		.about = "Sums every expenditure again from the rows and "
			 "compares that with the sums the database keeps for "
			 "the figures (per programme and month, per plan); "
			 "prints each difference and exits 1 when there is "
			 "one, 0 when all agree. Works while the daemon runs.",
		.takes = BIT(O_REPAIR) | BIT(O_DB),
		.run = cmd_check,
	},
	{
		.name = "routes",
		.about = "Prints the route table, a line per route: method, "
			 "path and the role it needs.",
		.run = cmd_routes,
	},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* --- help -------------------------------------------------------------- */

/* Words printed from column col on, wrapped before HELP_WIDTH onto lines
 * indented to indent. */
struct wrap {
	FILE *f;
	int col, indent;
	bool fresh; /* nothing on the line after the indent yet */
};

static void wrap_word(struct wrap *w, const char *s, size_t n)
{
	if (!w->fresh && w->col + 1 + (int)n > HELP_WIDTH) {
		fprintf(w->f, "\n%*s", w->indent, "");
		w->col = w->indent;
		w->fresh = true;
	}
	if (!w->fresh) {
		fputc(' ', w->f);
		w->col++;
	}
	fwrite(s, 1, n, w->f);
	w->col += (int)n;
	w->fresh = false;
}

static void wrap_text(struct wrap *w, const char *text)
{
	for (const char *p = text; *p;) {
		size_t n;

		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n)
			wrap_word(w, p, n);
		p += n;
	}
}

/* prefix, then "npo-budgetd NAME OPERANDS [--option ARG]...". */
static void print_synopsis(FILE *f, const char *prefix, const struct command *c)
{
	struct wrap w = { .f = f };
	char item[64];

	w.col = fprintf(f, "%snpo-budgetd %s", prefix, c->name);
	w.indent = w.col + 1;
	if (c->operands)
		wrap_text(&w, c->operands);
	for (int o = 1; o < O_COUNT; o++) {
		const struct opt_doc *d = &opt_docs[o];

		if (!(c->takes & BIT(o)))
			continue;
		snprintf(item, sizeof(item),
			 c->needs & BIT(o) ? "%s%s" : "[%s]%s", d->flag,
			 d->many ? "..." : "");
		wrap_word(&w, item, strlen(item));
	}
	fputc('\n', f);
}

/* The members of the group c ("token add" of "token"); all of them for
 * NULL: the first word of each's name is the group's name. */
static bool in_group(const struct command *m, const struct command *c)
{
	size_t n = c ? strlen(c->name) : 0;

	return m->run &&
	       (!c || (strncmp(m->name, c->name, n) == 0 && m->name[n] == ' '));
}

/* The usage lines of c (of its members for a group; of every command for
 * NULL). */
static void print_usage(FILE *f, const struct command *c)
{
	const char *prefix = "usage: ";

	if (c && c->run) {
		print_synopsis(f, prefix, c);
		return;
	}
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (!in_group(&commands[i], c))
			continue;
		print_synopsis(f, prefix, &commands[i]);
		prefix = "       ";
	}
}

/* The default of option o as text into buf ("" when it has none). */
static const char *opt_default(enum opt o, char *buf, size_t len)
{
	struct npo_config d;

	server_config_defaults(&d);
	buf[0] = '\0';
	if (o == O_DB)
		snprintf(buf, len, "%s", d.db_path);
	else if (o == O_LISTEN)
		snprintf(buf, len, "%s", d.listen);
	else if (o == O_THREADS)
		snprintf(buf, len, "%u", d.threads);
	else if (o == O_MAXBODY)
		snprintf(buf, len, "%zu", d.max_body);
	else if (o == O_MAX_IMPORT)
		snprintf(buf, len, "%zu", d.max_import);
	else if (o == O_MAX_STREAMS)
		snprintf(buf, len, "%u", d.max_streams);
	else if (o == O_TIMEOUT)
		snprintf(buf, len, "%u", d.timeout_s);
	return buf;
}

/* One option of c: its flag, what it does, its default and variable. */
static void print_option(FILE *f, const struct command *c, enum opt o)
{
	const struct opt_doc *d = &opt_docs[o];
	struct wrap w = { .f = f, .indent = HELP_FLAGS, .fresh = true };
	char dflt[64], tail[128];
	int n = fprintf(f, "  %s", d->flag);

	if (n + 2 > HELP_FLAGS)
		fprintf(f, "\n%*s", HELP_FLAGS, "");
	else
		fprintf(f, "%*s", HELP_FLAGS - n, "");
	w.col = HELP_FLAGS;
	wrap_text(&w, c->what[o] ? c->what[o] : d->what);
	opt_default(o, dflt, sizeof(dflt));
	if (*dflt || d->env) {
		snprintf(tail, sizeof(tail), "(%s%s%s%s%s)",
			 *dflt ? "default " : "", dflt,
			 *dflt && d->env ? "; " : "", d->env ? "env " : "",
			 d->env ? d->env : "");
		wrap_text(&w, tail);
	}
	fputc('\n', f);
}

/* `npo-budgetd COMMAND --help`: usage, what it does, its options. */
static void print_help(const struct command *c)
{
	struct wrap w = { .f = stdout, .fresh = true };

	print_usage(stdout, c);
	putchar('\n');
	wrap_text(&w, c->about);
	printf("\n\n");
	for (int o = 1; o < O_COUNT; o++)
		if (c->takes & BIT(o))
			print_option(stdout, c, (enum opt)o);
	printf("  -h, --help%*sprints this help\n", HELP_FLAGS - 12, "");
	if (c->run)
		printf("\nExit status: 0 when done, 1 when it failed (the "
		       "reason on stderr),\n2 for a bad option or value.\n");
}

/* `npo-budgetd --help` (on stdout) or no command (on stderr). */
static void print_overview(FILE *f)
{
	struct wrap w = { .f = f, .fresh = true };

	print_usage(f, NULL);
	fprintf(f,
		"       npo-budgetd COMMAND --help | --help | --version\n\n");
	wrap_text(&w,
		  "Keeps the money of a national education grant (NPO) in "
		  "SQLite and serves it as a JSON API. npo-budgetd COMMAND "
		  "--help (serve --help, token add --help, ...) says what a "
		  "command does and lists its options with their defaults "
		  "and the NPO_* environment variables that set them; flags "
		  "win over those.");
	fputc('\n', f);
}

/* --- parsing ------------------------------------------------------------ */

/* A bad command line: the message, a pointer to the help, exit 2. */
static void die_usage(const struct command *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

static void die_usage(const struct command *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "npo-budgetd: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see npo-budgetd %s%s--help)\n", c ? c->name : "",
		c ? " " : "");
	exit(2);
}

static unsigned parse_count(const char *name, const char *s, int64_t max)
{
	int64_t v;

	if (util_parse_int64(s, &v) < 0 || v < 1 || v > max) {
		fprintf(stderr,
			"npo-budgetd: %s must be a whole number from 1 to %lld, "
			"not '%s'\n",
			name, (long long)max, s);
		exit(2);
	}
	return (unsigned)v;
}

static bool truthy(const char *s)
{
	return s && (strcmp(s, "1") == 0 || strcmp(s, "true") == 0 ||
		     strcmp(s, "yes") == 0);
}

static void add_origin(struct cli *cli, const struct command *c, const char *o)
{
	if (cli->cfg.ncors_origins == MAX_ORIGINS)
		die_usage(c, "at most 16 CORS origins, not more (%s)", o);
	cli->origins[cli->cfg.ncors_origins++] = o;
}

static void add_proxy(struct cli *cli, const struct command *c, const char *p)
{
	struct client_net net;

	if (client_net_parse(p, &net) < 0)
		die_usage(c,
			  "--trust-proxy needs a numeric address or "
			  "ADDR/PREFIX (such as 10.0.0.5 or 10.0.0.0/24), "
			  "not '%s'",
			  p);
	if (cli->cfg.ntrust_proxies == CLIENT_MAX_TRUSTED)
		die_usage(c, "at most %d trusted proxies, not more (%s)",
			  CLIENT_MAX_TRUSTED, p);
	cli->proxies[cli->cfg.ntrust_proxies++] = p;
}

/* Defaults, then NPO_* from the environment. */
static void from_env(struct cli *cli, const struct command *c)
{
	const char *v;

	server_config_defaults(&cli->cfg);
	cli->cfg.cors_origins = cli->origins;
	cli->cfg.trust_proxies = cli->proxies;
	if ((v = getenv("NPO_DB")) && *v)
		cli->cfg.db_path = v;
	if ((v = getenv("NPO_LISTEN")) && *v)
		cli->cfg.listen = v;
	if ((v = getenv("NPO_THREADS")) && *v)
		cli->cfg.threads = parse_count("NPO_THREADS", v, 64);
	if ((v = getenv("NPO_MAX_BODY")) && *v)
		cli->cfg.max_body = parse_count("NPO_MAX_BODY", v, 1 << 30);
	if ((v = getenv("NPO_MAX_IMPORT")) && *v)
		cli->cfg.max_import = parse_count("NPO_MAX_IMPORT", v, 1 << 30);
	if ((v = getenv("NPO_MAX_STREAMS")) && *v)
		cli->cfg.max_streams = parse_count("NPO_MAX_STREAMS", v, 4096);
	if ((v = getenv("NPO_TIMEOUT")) && *v)
		cli->cfg.timeout_s = parse_count("NPO_TIMEOUT", v, 3600);
	if ((v = getenv("NPO_METRICS_LISTEN")) && *v)
		cli->cfg.metrics_listen = v;
	if ((v = getenv("NPO_TLS_CERT")) && *v)
		cli->cfg.tls_cert = v;
	if ((v = getenv("NPO_TLS_KEY")) && *v)
		cli->cfg.tls_key = v;
	if ((v = getenv("NPO_TRUST_PROXY")) && *v) {
		char *save = NULL;

		cli->proxies_env = strdup(v);
		for (char *p = strtok_r(cli->proxies_env, ", ", &save); p;
		     p = strtok_r(NULL, ", ", &save))
			add_proxy(cli, c, p);
	}
	cli->cfg.public_read = truthy(getenv("NPO_PUBLIC_READ"));
	cli->cfg.demo = truthy(getenv("NPO_DEMO"));
	if ((v = getenv("NPO_CORS_ORIGIN")) && *v) {
		char *save = NULL;

		cli->origins_env = strdup(v);
		for (char *o = strtok_r(cli->origins_env, ", ", &save); o;
		     o = strtok_r(NULL, ", ", &save))
			add_origin(cli, c, o);
	}
}

/* Parses the flags after the words of c, which must be among those it
 * takes; dies when one it needs is missing. */
static void parse_flags(struct cli *cli, const struct command *c, int argc,
			char **argv)
{
	unsigned seen = 0;
	int o;

	opterr = 0;
	while ((o = getopt_long(argc, argv, ":", options, NULL)) != -1) {
		if (o == '?')
			die_usage(c, "unknown option %s", argv[optind - 1]);
		if (o == ':')
			die_usage(c, "option %s needs a value",
				  argv[optind - 1]);
		if (!(c->takes &
		      BIT(o))) /* argv[optind - 1] may be its value */
			die_usage(c, "option %.*s does not apply to %s",
				  (int)strcspn(opt_docs[o].flag, " "),
				  opt_docs[o].flag, c->name);
		seen |= BIT(o);
		switch (o) {
		case O_DB:
			cli->cfg.db_path = optarg;
			break;
		case O_LISTEN:
			cli->cfg.listen = optarg;
			break;
		case O_THREADS:
			cli->cfg.threads = parse_count("--threads", optarg, 64);
			break;
		case O_CORS:
			add_origin(cli, c, optarg);
			break;
		case O_PUBLIC:
			cli->cfg.public_read = true;
			break;
		case O_DEMO:
			cli->cfg.demo = true;
			break;
		case O_MAXBODY:
			cli->cfg.max_body =
				parse_count("--max-body", optarg, 1 << 30);
			break;
		case O_TIMEOUT:
			cli->cfg.timeout_s =
				parse_count("--timeout", optarg, 3600);
			break;
		case O_ROLE:
			cli->token.role = optarg;
			break;
		case O_MUNICIPALITY:
			cli->token.municipality_code = optarg;
			cli->import.municipality = optarg;
			break;
		case O_SCHOOL:
			cli->token.school_code = optarg;
			break;
		case O_EXPIRES:
			cli->token.expires_at = optarg;
			break;
		case O_DRY_RUN:
			cli->import.dry_run = true;
			break;
		case O_REPAIR:
			cli->repair = true;
			break;
		case O_SECTOR:
			cli->import.sector = optarg;
			break;
		case O_MAX_IMPORT:
			cli->cfg.max_import =
				parse_count("--max-import", optarg, 1 << 30);
			break;
		case O_MAX_STREAMS:
			cli->cfg.max_streams =
				parse_count("--max-streams", optarg, 4096);
			break;
		case O_METRICS_LISTEN:
			cli->cfg.metrics_listen = optarg;
			break;
		case O_TLS_CERT:
			cli->cfg.tls_cert = optarg;
			break;
		case O_TLS_KEY:
			cli->cfg.tls_key = optarg;
			break;
		case O_TRUST_PROXY:
			add_proxy(cli, c, optarg);
			break;
		case O_OUT:
			cli->out = optarg;
			break;
		case O_DIALECT:
			if (csv_dialect_parse(optarg, &cli->dialect) < 0)
				die_usage(c,
					  "--dialect must be rfc4180 or "
					  "excel-nl, not '%s'",
					  optarg);
			break;
		}
	}
	for (o = 1; o < O_COUNT; o++)
		if (c->needs & BIT(o) && !(seen & BIT(o)))
			die_usage(c, "%s needs %s", c->name, opt_docs[o].flag);
}

static int serve(struct cli *cli)
{
	struct npo_server *srv;
	sigset_t set;
	int sig = 0;

	/* block before any thread starts, so only sigwait sees them */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (server_start(&cli->cfg, &srv) < 0)
		return 1;
	fprintf(stderr, "npo-budgetd %s: serving %s on %s://%s (port %u)\n",
		NPO_VERSION, cli->cfg.db_path,
		cli->cfg.tls_cert ? "https" : "http", cli->cfg.listen,
		server_port(srv));
	if (cli->cfg.metrics_listen)
		fprintf(stderr,
			"npo-budgetd: metrics on http://%s/metrics (metrics "
			"port %u)\n",
			cli->cfg.metrics_listen, server_metrics_port(srv));
	sigwait(&set, &sig);
	fprintf(stderr, "npo-budgetd: %s, draining requests\n",
		sig == SIGTERM ? "SIGTERM" : "SIGINT");
	server_stop(srv);
	fprintf(stderr, "npo-budgetd: stopped\n");
	return 0;
}

/*
 * Opens the database (migrating it) with one connection. Unless create, a
 * database that does not exist is refused before SQLite would make an
 * empty one: a misspelt --db, or ./npo.db in another directory, must not
 * end in a token, copy or import nobody will find.
 */
static struct db *open_db(const struct cli *cli, bool create)
{
	const char *path = cli->cfg.db_path;
	struct stat st;
	struct db *db;
	char msg[512];

	if (!create && stat(path, &st) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			fprintf(stderr,
				"npo-budgetd: no database at %s (start the "
				"daemon with serve, or run migrate, to make "
				"one; --db or NPO_DB names another)\n",
				path);
		else
			fprintf(stderr,
				"npo-budgetd: cannot open database %s: %s\n",
				path, strerror(errno));
		return NULL;
	}
	if (db_open(path, 1, &db, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "npo-budgetd: %s\n", msg);
		return NULL;
	}
	return db;
}

/* The tokens as a table, with a header. */
static void print_tokens(const json_t *items)
{
	static const char *const na = "-";
	const json_t *t;
	size_t i;

	printf("%-24s %-6s %-20s %-20s %-20s %s\n", "NAME", "ROLE", "SCOPE",
	       "EXPIRES", "LAST USED", "CREATED");
	json_array_foreach(items, i, t)
	{
		const char *m = util_jstr(t, "municipality_code");
		const char *sc = util_jstr(t, "school_code");
		char scope[32];

		snprintf(scope, sizeof(scope), "%s%s",
			 m    ? "municipality "
			 : sc ? "school "
			      : "all",
			 m    ? m
			 : sc ? sc
			      : "");
		printf("%-24s %-6s %-20s %-20s %-20s %s\n",
		       util_jstr(t, "name"), util_jstr(t, "role"), scope,
		       util_jstr(t, "expires_at") ? util_jstr(t, "expires_at")
						  : na,
		       util_jstr(t, "last_used_at")
			       ? util_jstr(t, "last_used_at")
			       : na,
		       util_jstr(t, "created_at"));
	}
}

static int token(struct cli *cli, const char *verb, const char *name)
{
	struct npo_err err = { 0 };
	char secret[AUTH_TOKEN_LEN + 1];
	struct db_conn *c;
	struct db *db;
	json_t *items = NULL;
	int rc;

	if (!(db = open_db(cli, false)))
		return 1;
	c = db_acquire(db);
	cli->token.name = name;
	if (strcmp(verb, "add") == 0)
		rc = auth_token_add(c, &cli->token, "command line", secret,
				    NULL, &err);
	else if (strcmp(verb, "revoke") == 0)
		rc = auth_token_revoke(c, name, "command line", &err);
	else
		rc = auth_token_list(c, NULL, &items, &err);
	db_release(db, c);
	db_close(db);
	if (rc < 0) {
		/* what was asked is wrong (a bad scope, name or expiry): 2 */
		int status = err.status;

		fprintf(stderr, "npo-budgetd: %s\n", err.detail);
		err_clear(&err);
		return status == 400 || status == 422 ? 2 : 1;
	}
	if (strcmp(verb, "add") == 0) {
		char scope[40] = "";

		if (cli->token.municipality_code || cli->token.school_code)
			snprintf(scope, sizeof(scope), ", %s %s",
				 cli->token.school_code ? "school"
							: "municipality",
				 cli->token.school_code
					 ? cli->token.school_code
					 : cli->token.municipality_code);
		/* the secret alone on stdout, so scripts can capture it */
		printf("%s\n", secret);
		fprintf(stderr,
			"npo-budgetd: token %s (%s%s) made; it is shown only "
			"this once\n",
			name, cli->token.role, scope);
	} else if (strcmp(verb, "revoke") == 0) {
		fprintf(stderr, "npo-budgetd: token %s revoked\n", name);
	} else {
		print_tokens(items);
		json_decref(items);
	}
	return 0;
}

/* Reads the whole file at path into a new buffer (one copy, NUL after). */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) &&
	    fread(buf, 1, (size_t)n, f) == (size_t)n) {
		buf[n] = '\0';
		*len = (size_t)n;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* `import expenditures|schools FILE`: the same import as over HTTP, with
 * the counts on stdout as JSON and each row error on a line of stderr. */
static int import(struct cli *cli, const char *what, const char *file)
{
	struct npo_err err = { 0 };
	struct import_counts n;
	struct db_conn *c;
	struct db *db;
	char *text;
	size_t len = 0;
	int rc;

	cli->import.kind = strcmp(what, "schools") == 0 ? IMPORT_SCHOOLS
							: IMPORT_EXPENDITURES;
	cli->import.actor = "command line";
	if (!(text = read_file(file, &len))) {
		fprintf(stderr, "npo-budgetd: cannot read %s\n", file);
		return 1;
	}
	if (!(db = open_db(cli, false))) {
		free(text);
		return 1;
	}
	c = db_acquire(db);
	rc = import_run(c, &cli->import, text, len, &n, &err);
	db_release(db, c);
	db_close(db);
	free(text);
	if (rc < 0) {
		const json_t *errors = json_object_get(err.extra, "errors");
		const json_t *e;
		size_t i;

		fprintf(stderr, "npo-budgetd: %s\n", err.detail);
		json_array_foreach(errors, i, e)
			fprintf(stderr, "row %lld, %s: %s\n",
				(long long)util_jint(e, "row"),
				util_jstr(e, "field"), util_jstr(e, "message"));
		rc = err.status == 400 || err.status == 422 ? 2 : 1;
		err_clear(&err);
		return rc;
	}
	printf("{\"created\": %ld, \"updated\": %ld, \"unchanged\": %ld, "
	       "\"skipped\": %ld, \"dry_run\": %s}\n",
	       n.created, n.updated, n.unchanged, n.skipped,
	       cli->import.dry_run ? "true" : "false");
	return 0;
}

/* export (file NULL) or backup to file, each from a consistent snapshot. */
static int snapshot(const struct cli *cli, const char *file)
{
	struct npo_err err = { 0 };
	struct db_conn *c;
	struct db *db;
	int rc;

	/* a typo in --db must not end in a successful copy of nothing */
	if (!(db = open_db(cli, false)))
		return 1;
	c = db_acquire(db);
	rc = file ? backup_run(c, file, &err)
		  : export_run(c, cli->out, cli->dialect, stderr, &err);
	db_release(db, c);
	db_close(db);
	if (rc < 0) {
		fprintf(stderr, "npo-budgetd: %s\n", err.detail);
		err_clear(&err);
		return 1;
	}
	if (file)
		fprintf(stderr, "npo-budgetd: backed up %s to %s\n",
			cli->cfg.db_path, file);
	return 0;
}

/* --- the commands ------------------------------------------------------ */

static int cmd_serve(struct cli *cli, const struct command *c, char **operands)
{
	char msg[512];

	(void)operands;
	if (http_listen_check(cli->cfg.listen, msg, sizeof(msg)) < 0)
		die_usage(c, "%s", msg);
	if (cli->cfg.metrics_listen &&
	    http_listen_check(cli->cfg.metrics_listen, msg, sizeof(msg)) < 0)
		die_usage(c, "--metrics-listen: %s", msg);
	if (!cli->cfg.tls_cert != !cli->cfg.tls_key)
		die_usage(c, "%s",
			  cli->cfg.tls_cert
				  ? "--tls-cert needs --tls-key (or "
				    "NPO_TLS_KEY): the certificate's key"
				  : "--tls-key needs --tls-cert (or "
				    "NPO_TLS_CERT): the key's certificate");
	for (size_t i = 0; i < cli->cfg.ncors_origins; i++)
		if (strcmp(cli->origins[i], "*") == 0 && !cli->cfg.public_read)
			die_usage(c,
				  "--cors-origin '*' needs --public-read: any "
				  "web page could read with a token otherwise");
	return serve(cli);
}

static int cmd_migrate(struct cli *cli, const struct command *c,
		       char **operands)
{
	struct db *db = open_db(cli, true);

	(void)c;
	(void)operands;
	if (!db)
		return 1;
	fprintf(stderr, "npo-budgetd: %s is at schema version %d\n",
		cli->cfg.db_path, db_schema_latest());
	db_close(db);
	return 0;
}

static int cmd_export(struct cli *cli, const struct command *c, char **operands)
{
	(void)c;
	(void)operands;
	return snapshot(cli, NULL);
}

static int cmd_backup(struct cli *cli, const struct command *c, char **operands)
{
	(void)c;
	return snapshot(cli, operands[0]);
}

/* token add, list and revoke: the verb is the second word of the name */
static int cmd_token(struct cli *cli, const struct command *c, char **operands)
{
	return token(cli, c->name + strlen("token "),
		     c->noperands ? operands[0] : NULL);
}

static int cmd_import(struct cli *cli, const struct command *c, char **operands)
{
	if (strcmp(operands[0], "expenditures") != 0 &&
	    strcmp(operands[0], "schools") != 0)
		die_usage(c, "import needs expenditures or schools, not '%s'",
			  operands[0]);
	return import(cli, operands[0], operands[1]);
}

/* The route table, a line each: method, path, role needed. */
static void say_line(void *arg, const char *line)
{
	(void)arg;
	printf("%s\n", line);
}

static int cmd_check(struct cli *cli, const struct command *c, char **operands)
{
	struct npo_err err = { 0 };
	struct db_conn *conn;
	struct db *db;
	long n = 0;
	int rc;

	(void)c;
	(void)operands;
	if (!(db = open_db(cli, false)))
		return 1;
	conn = db_acquire(db);
	rc = cli->repair ? db_begin_write(conn, &err)
			 : db_begin_read(conn, &err);
	if (rc == 0)
		rc = figures_check(conn, cli->repair, say_line, NULL, &n, &err);
	if (rc == 0 && cli->repair)
		rc = db_commit(conn, &err);
	else
		db_rollback(conn);
	db_release(db, conn);
	db_close(db);
	if (rc < 0) {
		fprintf(stderr, "npo-budgetd: %s\n", err.detail);
		err_clear(&err);
		return 1;
	}
	if (n)
		fprintf(stderr,
			"npo-budgetd: %ld kept sums differ from the rows of %s; "
			"npo-budgetd check --repair makes them again\n",
			n, cli->cfg.db_path);
	else
		fprintf(stderr,
			"npo-budgetd: the kept sums of %s agree with its "
			"rows%s\n",
			cli->cfg.db_path, cli->repair ? " (made again)" : "");
	return n ? 1 : 0;
}

static int cmd_routes(struct cli *cli, const struct command *c, char **operands)
{
	(void)cli;
	(void)c;
	(void)operands;
	for (size_t i = 0; i < api_nroutes; i++)
		printf("%s %s %s\n", api_routes[i].method, api_routes[i].path,
		       auth_role_name(api_routes[i].role));
	return 0;
}

/* The command argv names, and how many words its name has in *words:
 * "token add" over "token" when both match; NULL for none. */
static const struct command *find_command(int argc, char **argv, int *words)
{
	const struct command *one = NULL;

	for (size_t i = 0; i < NCOMMANDS; i++) {
		const char *name = commands[i].name;
		size_t n = strcspn(name, " ");

		if (strncmp(name, argv[1], n) != 0 || argv[1][n] != '\0')
			continue;
		if (!name[n])
			one = &commands[i];
		else if (argc > 2 && strcmp(name + n + 1, argv[2]) == 0) {
			*words = 2;
			return &commands[i];
		}
	}
	*words = 1;
	return one;
}

/* Whether --help or -h is among args (before a "--"). */
static bool asks_help(int argc, char **argv)
{
	for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	struct cli cli = { 0 };
	const char *cmd = argc > 1 ? argv[1] : NULL;
	const struct command *c;
	int words, n, rc;

	if (!cmd || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		print_overview(cmd ? stdout : stderr);
		return cmd ? 0 : 2;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("npo-budgetd %s (schema %d)\n", NPO_VERSION,
		       db_schema_latest());
		return 0;
	}
	if (!(c = find_command(argc, argv, &words)))
		die_usage(NULL, "unknown command %s", cmd);
	if (asks_help(argc - 1 - words, argv + 1 + words)) {
		print_help(c);
		return 0;
	}
	if (!c->run)
		die_usage(c, "%s needs add, list or revoke%s%s%s", c->name,
			  argc > 2 ? ", not '" : "", argc > 2 ? argv[2] : "",
			  argc > 2 ? "'" : "");
	from_env(&cli, c);
	/* getopt_long moves the operands behind the options */
	parse_flags(&cli, c, argc - words, argv + words);
	n = argc - words - optind;
	if (n != c->noperands) {
		if (!c->noperands)
			die_usage(c, "%s takes no arguments (%s)", c->name,
				  argv[words + optind]);
		die_usage(c, "%s takes %s%s", c->name,
			  c->noperands == 1 ? "exactly one " : "", c->operands);
	}
	rc = c->run(&cli, c, argv + words + optind);
	free(cli.origins_env);
	free(cli.proxies_env);
	return rc;
}
