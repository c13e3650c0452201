/*
 * The certificate and key of the daemon's HTTPS (--tls-cert, --tls-key):
 * read once at start and checked with GnuTLS, the library libmicrohttpd
 * serves TLS with, so that a file that cannot be used stops the daemon
 * with a message naming it (libmicrohttpd's own start only fails).
 */
#ifndef NPO_TLS_H
#define NPO_TLS_H

#include <stddef.h>
#include <time.h>

/* The GnuTLS priorities of the daemon's TLS: GnuTLS's defaults, with TLS
 * 1.2 and 1.3 the only versions. */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

struct tls_files {
	char *cert; /* PEM as read, NUL-terminated: the certificate (chain) */
	char *key;  /* PEM as read; wiped when freed */
	size_t key_len;
	/* of the first certificate, the server's own */
	char subject[256];
	time_t not_before, not_after;
};

/* Reads both files and checks that the first holds a certificate, the
 * second a private key without a passphrase, and that the key belongs to
 * the certificate. On failure writes why, naming the file, to msg and
 * returns -1 (out is then empty). */
int tls_load(const char *cert_path, const char *key_path, struct tls_files *out,
	     char *msg, size_t msglen);
/* Frees what tls_load read; t may be empty. */
void tls_files_free(struct tls_files *t);

#endif
