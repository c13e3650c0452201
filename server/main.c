/* npo-budgetd: the command line. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "npo/api.h"
#include "npo/jobs.h"
#include "npo/auth.h"
#include "npo/db.h"
#include "npo/server.h"

#define MAX_ORIGINS 16

static const char usage[] =
	"usage: npo-budgetd serve [--db PATH] [--listen ADDR:PORT] [--threads N]\n"
	"                         [--cors-origin ORIGIN]... [--public-read] [--demo]\n"
	"                         [--max-body BYTES] [--max-import BYTES]\n"
	"                         [--timeout SECONDS]\n"
	"       npo-budgetd migrate [--db PATH]\n"
	"       npo-budgetd export --out DIR [--dialect rfc4180|excel-nl] [--db PATH]\n"
	"       npo-budgetd backup FILE [--db PATH]\n"
	"       npo-budgetd token add NAME --role read|write|admin\n"
	"                         [--municipality GMnnnn | --school CODE]\n"
	"                         [--expires DATE|TIME] [--db PATH]\n"
	"       npo-budgetd token list [--db PATH]\n"
	"       npo-budgetd token revoke NAME [--db PATH]\n"
	"       npo-budgetd import expenditures|schools FILE [--dry-run]\n"
	"                         [--sector S] [--municipality GMnnnn] [--db PATH]\n"
	"       npo-budgetd routes\n"
	"       npo-budgetd --help | --version\n"
	"\n"
	"Keeps the money of a national education grant (NPO) in SQLite and serves\n"
	"it as a JSON API. Defaults: --db ./npo.db, --listen 127.0.0.1:8080,\n"
	"--threads 4, --max-body 1048576, --max-import 16777216 (an import's CSV),\n"
	"--timeout 30. Environment variables NPO_DB, NPO_LISTEN, NPO_THREADS,\n"
	"NPO_CORS_ORIGIN (comma-separated), NPO_PUBLIC_READ=1, NPO_DEMO=1,\n"
	"NPO_MAX_BODY, NPO_MAX_IMPORT and NPO_TIMEOUT set the same;\n"
	"flags win over them.\n";

enum opt {
	O_DB = 1,
	O_LISTEN,
	O_THREADS,
	O_CORS,
	O_PUBLIC,
	O_DEMO,
	O_MAXBODY,
	O_TIMEOUT,
	O_ROLE,
	O_HELP,
	O_VERSION,
	O_OUT,
	O_DIALECT,
	O_MUNICIPALITY,
	O_SCHOOL,
	O_EXPIRES,
	O_DRY_RUN,
	O_SECTOR,
	O_MAX_IMPORT
};

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
	{ "help", no_argument, NULL, O_HELP },
	{ "version", no_argument, NULL, O_VERSION },
	{ "out", required_argument, NULL, O_OUT },
	{ "dialect", required_argument, NULL, O_DIALECT },
	{ "municipality", required_argument, NULL, O_MUNICIPALITY },
	{ "school", required_argument, NULL, O_SCHOOL },
	{ "expires", required_argument, NULL, O_EXPIRES },
	{ "dry-run", no_argument, NULL, O_DRY_RUN },
	{ "sector", required_argument, NULL, O_SECTOR },
	{ "max-import", required_argument, NULL, O_MAX_IMPORT },
	{ 0 },
};

struct cli {
	struct npo_config cfg;
	const char *origins[MAX_ORIGINS];
	char *origins_env;	 /* owned copy of NPO_CORS_ORIGIN */
	struct token_spec token; /* token add */
	struct import_opts import;
	const char *out;
	enum csv_dialect dialect;
};

static void die_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "npo-budgetd: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see npo-budgetd --help)\n");
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

static void add_origin(struct cli *cli, const char *o)
{
	if (cli->cfg.ncors_origins == MAX_ORIGINS)
		die_usage("at most 16 CORS origins, not more (%s)", o);
	cli->origins[cli->cfg.ncors_origins++] = o;
}

/* Defaults, then NPO_* from the environment. */
static void from_env(struct cli *cli)
{
	const char *v;

	server_config_defaults(&cli->cfg);
	cli->cfg.cors_origins = cli->origins;
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
	if ((v = getenv("NPO_TIMEOUT")) && *v)
		cli->cfg.timeout_s = parse_count("NPO_TIMEOUT", v, 3600);
	cli->cfg.public_read = truthy(getenv("NPO_PUBLIC_READ"));
	cli->cfg.demo = truthy(getenv("NPO_DEMO"));
	if ((v = getenv("NPO_CORS_ORIGIN")) && *v) {
		char *save = NULL;

		cli->origins_env = strdup(v);
		for (char *o = strtok_r(cli->origins_env, ", ", &save); o;
		     o = strtok_r(NULL, ", ", &save))
			add_origin(cli, o);
	}
}

/* Parses the flags after the subcommand; allowed is a bit set of enum opt. */
static void parse_flags(struct cli *cli, int argc, char **argv,
			unsigned allowed)
{
	int o;

	opterr = 0;
	while ((o = getopt_long(argc, argv, ":", options, NULL)) != -1) {
		if (o == '?')
			die_usage("unknown option %s", argv[optind - 1]);
		if (o == ':')
			die_usage("option %s needs a value", argv[optind - 1]);
		if (!(allowed & (1u << o)))
			die_usage("option %s does not apply here",
				  argv[optind - 1]);
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
			add_origin(cli, optarg);
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
		case O_SECTOR:
			cli->import.sector = optarg;
			break;
		case O_MAX_IMPORT:
			cli->cfg.max_import =
				parse_count("--max-import", optarg, 1 << 30);
			break;
		case O_OUT:
			cli->out = optarg;
			break;
		case O_DIALECT:
			if (csv_dialect_parse(optarg, &cli->dialect) < 0)
				die_usage(
					"--dialect must be rfc4180 or excel-nl, "
					"not '%s'",
					optarg);
			break;
		}
	}
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
	fprintf(stderr, "npo-budgetd %s: serving %s on http://%s (port %u)\n",
		NPO_VERSION, cli->cfg.db_path, cli->cfg.listen,
		server_port(srv));
	sigwait(&set, &sig);
	fprintf(stderr, "npo-budgetd: %s, draining requests\n",
		sig == SIGTERM ? "SIGTERM" : "SIGINT");
	server_stop(srv);
	fprintf(stderr, "npo-budgetd: stopped\n");
	return 0;
}

/* Opens the database (migrating it) with one connection. */
static struct db *open_db(const struct cli *cli)
{
	struct db *db;
	char msg[512];

	if (db_open(cli->cfg.db_path, 1, &db, msg, sizeof(msg)) < 0) {
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

	if (strcmp(verb, "add") == 0 && !cli->token.role)
		die_usage("token add needs --role read, write or admin%s", "");
	if (!(db = open_db(cli)))
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
	if (access(cli->cfg.db_path, F_OK) != 0) {
		fprintf(stderr, "npo-budgetd: database %s does not exist\n",
			cli->cfg.db_path);
		free(text);
		return 1;
	}
	if (!(db = open_db(cli))) {
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
	if (access(cli->cfg.db_path, F_OK) != 0) {
		fprintf(stderr, "npo-budgetd: database %s does not exist\n",
			cli->cfg.db_path);
		return 1;
	}
	if (!(db = open_db(cli)))
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

int main(int argc, char **argv)
{
	struct cli cli = { 0 };
	const char *cmd = argc > 1 ? argv[1] : NULL;
	const unsigned db_only = 1u << O_DB;
	char msg[512];
	int rc;

	from_env(&cli);
	if (!cmd || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		fputs(usage, cmd ? stdout : stderr);
		return cmd ? 0 : 2;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("npo-budgetd %s (schema %d)\n", NPO_VERSION,
		       db_schema_latest());
		return 0;
	}
	if (strcmp(cmd, "serve") == 0) {
		parse_flags(&cli, argc - 1, argv + 1,
			    db_only | 1u << O_LISTEN | 1u << O_THREADS |
				    1u << O_CORS | 1u << O_PUBLIC |
				    1u << O_DEMO | 1u << O_MAXBODY |
				    1u << O_MAX_IMPORT | 1u << O_TIMEOUT);
		if (optind + 1 < argc)
			die_usage("unexpected argument %s", argv[optind + 1]);
		if (http_listen_check(cli.cfg.listen, msg, sizeof(msg)) < 0)
			die_usage("%s", msg);
		for (size_t i = 0; i < cli.cfg.ncors_origins; i++)
			if (strcmp(cli.origins[i], "*") == 0 &&
			    !cli.cfg.public_read)
				die_usage(
					"--cors-origin '%s' needs --public-read: "
					"any web page could read with a token "
					"otherwise",
					"*");
		rc = serve(&cli);
	} else if (strcmp(cmd, "import") == 0) {
		const char *what = argc > 2 ? argv[2] : "";

		if (strcmp(what, "expenditures") && strcmp(what, "schools"))
			die_usage("import needs expenditures or schools, not "
				  "'%s'",
				  what);
		parse_flags(&cli, argc - 2, argv + 2,
			    db_only | 1u << O_DRY_RUN | 1u << O_SECTOR |
				    1u << O_MUNICIPALITY);
		if (argc - 2 - optind != 1)
			die_usage("import %s takes exactly one FILE", what);
		rc = import(&cli, what, argv[2 + optind]);
	} else if (strcmp(cmd, "routes") == 0) {
		/* the route table, a line each: method, path, role needed */
		if (argc > 2)
			die_usage("routes takes no arguments (%s)", argv[2]);
		for (size_t i = 0; i < api_nroutes; i++)
			printf("%s %s %s\n", api_routes[i].method,
			       api_routes[i].path,
			       auth_role_name(api_routes[i].role));
		rc = 0;
	} else if (strcmp(cmd, "migrate") == 0) {
		struct db *db;

		parse_flags(&cli, argc - 1, argv + 1, db_only);
		if (optind + 1 < argc)
			die_usage("unexpected argument %s", argv[optind + 1]);
		db = open_db(&cli);
		if (db)
			fprintf(stderr,
				"npo-budgetd: %s is at schema version %d\n",
				cli.cfg.db_path, db_schema_latest());
		db_close(db);
		rc = db ? 0 : 1;
	} else if (strcmp(cmd, "export") == 0 || strcmp(cmd, "backup") == 0) {
		bool export = strcmp(cmd, "export") == 0;

		parse_flags(&cli, argc - 1, argv + 1,
			    db_only | (export ? 1u << O_OUT | 1u << O_DIALECT
					      : 0));
		if (export ? (!cli.out || optind + 1 < argc)
			   : argc - 1 - optind != 1)
			die_usage(export ? "export needs --out DIR%s"
					 : "backup takes exactly one FILE%s",
				  "");
		rc = snapshot(&cli, export ? NULL : argv[1 + optind]);
	} else if (strcmp(cmd, "token") == 0) {
		const char *verb = argc > 2 ? argv[2] : "";
		bool named = strcmp(verb, "add") == 0 ||
			     strcmp(verb, "revoke") == 0;

		if (!named && strcmp(verb, "list") != 0)
			die_usage("token needs add, list or revoke, not '%s'",
				  verb);
		parse_flags(&cli, argc - 2, argv + 2,
			    db_only | (strcmp(verb, "add") == 0
					       ? 1u << O_ROLE |
							 1u << O_MUNICIPALITY |
							 1u << O_SCHOOL |
							 1u << O_EXPIRES
					       : 0));
		/* getopt_long moved the operands behind the options */
		if (argc - 2 - optind != (named ? 1 : 0))
			die_usage("token %s takes exactly one NAME", verb);
		rc = token(&cli, verb, named ? argv[2 + optind] : NULL);
	} else {
		die_usage("unknown command %s", cmd);
		rc = 2;
	}
	free(cli.origins_env);
	return rc;
}
