#include "curlbuf.h"

#include <stdlib.h>
#include <string.h>

size_t on_data(char *ptr, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;
	char *p = realloc(b->p, b->len + size * n + 1);

	if (!p)
		return 0;
	memcpy(p + b->len, ptr, size * n);
	b->p = p;
	b->len += size * n;
	b->p[b->len] = '\0';
	return size * n;
}

size_t on_header(char *ptr, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (size * n > 5 && strncmp(ptr, "HTTP/", 5) == 0)
		b->len = 0;
	return on_data(ptr, size, n, arg);
}
