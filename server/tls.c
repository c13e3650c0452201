#include "npo/tls.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A PEM file larger than this is no certificate chain or key. */
#define PEM_MAX (1024 * 1024)

/* Reads the file at path whole (NUL after it); NULL with msg on failure. */
static char *read_pem(const char *what, const char *path, size_t *len,
		      char *msg, size_t msglen)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char *buf = NULL;

	if (!f) {
		snprintf(msg, msglen, "cannot read the TLS %s %s: %s", what,
			 path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(msg, msglen, "cannot read the TLS %s %s: not a file",
			 what, path);
	} else if (st.st_size > PEM_MAX) {
		snprintf(msg, msglen,
			 "the TLS %s %s is larger than 1 MiB: not a PEM file",
			 what, path);
	} else if (!(buf = malloc((size_t)st.st_size + 1))) {
		snprintf(msg, msglen, "out of memory reading %s", path);
	} else if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		snprintf(msg, msglen, "cannot read the TLS %s %s: %s", what,
			 path, ferror(f) ? strerror(errno) : "it shrank");
		free(buf);
		buf = NULL;
	} else {
		buf[st.st_size] = '\0';
		*len = (size_t)st.st_size;
	}
	fclose(f);
	return buf;
}

/* The first certificate of the PEM text: its subject and validity. */
static int check_cert(const char *path, const char *pem, size_t len,
		      struct tls_files *out, char *msg, size_t msglen)
{
	gnutls_datum_t data = { (unsigned char *)pem, (unsigned)len };
	gnutls_x509_crt_t *crts = NULL;
	unsigned n = 0;
	int rc = gnutls_x509_crt_list_import2(&crts, &n, &data,
					      GNUTLS_X509_FMT_PEM, 0);

	if (rc < 0 || n == 0) {
		snprintf(msg, msglen,
			 "the TLS certificate %s holds no PEM certificate (%s)",
			 path, rc < 0 ? gnutls_strerror(rc) : "none found");
		return -1;
	}
	{
		size_t size = sizeof(out->subject);

		if (gnutls_x509_crt_get_dn(crts[0], out->subject, &size) < 0)
			snprintf(out->subject, sizeof(out->subject), "?");
	}
	out->not_before = gnutls_x509_crt_get_activation_time(crts[0]);
	out->not_after = gnutls_x509_crt_get_expiration_time(crts[0]);
	for (unsigned i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
	return 0;
}

static int check_key(const char *path, const char *pem, size_t len, char *msg,
		     size_t msglen)
{
	gnutls_datum_t data = { (unsigned char *)pem, (unsigned)len };
	gnutls_x509_privkey_t key;
	int rc = gnutls_x509_privkey_init(&key);

	if (rc < 0) {
		snprintf(msg, msglen, "cannot check the TLS key %s: %s", path,
			 gnutls_strerror(rc));
		return -1;
	}
	/* no password: a key with a passphrase fails here */
	rc = gnutls_x509_privkey_import2(key, &data, GNUTLS_X509_FMT_PEM, NULL,
					 0);
	gnutls_x509_privkey_deinit(key);
	if (rc < 0) {
		snprintf(msg, msglen,
			 "the TLS key %s holds no PEM private key (%s)%s", path,
			 gnutls_strerror(rc),
			 strstr(pem, "ENCRYPTED")
				 ? "; a key with a passphrase is not supported"
				 : "");
		return -1;
	}
	return 0;
}

/* What libmicrohttpd will do with the two: whether they make a pair. */
static int check_pair(const char *cert_path, const struct tls_files *t,
		      size_t cert_len, const char *key_path, char *msg,
		      size_t msglen)
{
	gnutls_datum_t c = { (unsigned char *)t->cert, (unsigned)cert_len };
	gnutls_datum_t k = { (unsigned char *)t->key, (unsigned)t->key_len };
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
	const char *where = NULL;
	int rc = gnutls_certificate_allocate_credentials(&cred);

	if (rc < 0) {
		snprintf(msg, msglen, "cannot check the TLS files: %s",
			 gnutls_strerror(rc));
		return -1;
	}
	rc = gnutls_certificate_set_x509_key_mem2(cred, &c, &k,
						  GNUTLS_X509_FMT_PEM, NULL, 0);
	gnutls_certificate_free_credentials(cred);
	if (rc == GNUTLS_E_CERTIFICATE_KEY_MISMATCH) {
		snprintf(msg, msglen,
			 "the TLS key %s does not belong to the certificate %s",
			 key_path, cert_path);
		return -1;
	}
	if (rc < 0) {
		snprintf(msg, msglen,
			 "the TLS certificate %s and key %s cannot be used "
			 "together: %s",
			 cert_path, key_path, gnutls_strerror(rc));
		return -1;
	}
	/* a GnuTLS without TLS 1.3 or 1.2 would refuse the priorities only
	 * when libmicrohttpd starts, without saying why */
	rc = gnutls_priority_init(&prio, TLS_PRIORITIES, &where);
	if (rc < 0) {
		snprintf(msg, msglen,
			 "this GnuTLS refuses the priorities %s at '%s': %s",
			 TLS_PRIORITIES, where ? where : "?",
			 gnutls_strerror(rc));
		return -1;
	}
	gnutls_priority_deinit(prio);
	return 0;
}

int tls_load(const char *cert_path, const char *key_path, struct tls_files *out,
	     char *msg, size_t msglen)
{
	size_t cert_len = 0;

	*out = (struct tls_files){ 0 };
	if (!(out->cert = read_pem("certificate", cert_path, &cert_len, msg,
				   msglen)) ||
	    check_cert(cert_path, out->cert, cert_len, out, msg, msglen) < 0 ||
	    !(out->key =
		      read_pem("key", key_path, &out->key_len, msg, msglen)) ||
	    check_key(key_path, out->key, out->key_len, msg, msglen) < 0 ||
	    check_pair(cert_path, out, cert_len, key_path, msg, msglen) < 0) {
		tls_files_free(out);
		return -1;
	}
	return 0;
}

void tls_files_free(struct tls_files *t)
{
	if (t->key)
		explicit_bzero(t->key, t->key_len);
	free(t->key);
	free(t->cert);
	*t = (struct tls_files){ 0 };
}
