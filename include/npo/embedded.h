/* Files compiled into the binary by tools/embed.sh. */
#ifndef NPO_EMBEDDED_H
#define NPO_EMBEDDED_H

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

#endif
