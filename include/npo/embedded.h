/* Files compiled into the binary by tools/embed.sh. */
#ifndef NPO_EMBEDDED_H
#define NPO_EMBEDDED_H

#include <stddef.h>

struct embedded_migration {
	int number;	  /* the NNNN of migrations/NNNN_name.sql */
	const char *name; /* NNNN_name */
	const char *sql;  /* NUL-terminated */
};

/* In ascending order of number, numbered 1..count without gaps. */
extern const struct embedded_migration embedded_migrations[];
extern const int embedded_migrations_count;

/* docs/openapi.yaml, NUL-terminated. */
extern const char *const embedded_openapi;

/* The files of the dashboard (web/), by their name there: "index.html";
 * an entry with name NULL ends the list. */
struct embedded_asset {
	const char *name;
	const char *data; /* NUL-terminated too */
	size_t len;
};
extern const struct embedded_asset embedded_assets[];
extern const int embedded_assets_count;

#endif
