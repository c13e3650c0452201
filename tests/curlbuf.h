/*
 * A growing buffer for what libcurl (or a socket) receives, with the two
 * callbacks every test client uses: the API harness, the hostile tests and
 * the fault tests share them.
 */
#ifndef NPO_TEST_CURLBUF_H
#define NPO_TEST_CURLBUF_H

#include <stddef.h>

struct buf {
	char *p; /* NUL-terminated; free it */
	size_t len;
};

/* CURLOPT_WRITEFUNCTION: appends size * n bytes of ptr to the buf arg. */
size_t on_data(char *ptr, size_t size, size_t n, void *arg);
/* CURLOPT_HEADERFUNCTION: keeps only the header block of the last response
 * (after redirects or 100 Continue). */
size_t on_header(char *ptr, size_t size, size_t n, void *arg);

#endif
