#include "npo/client.h"

#include <arpa/inet.h>
#include <assert.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The longest text an address with brackets and a port can be. */
#define ADDR_TEXT_MAX 64

static const uint8_t v4_mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

static bool is_v4(const struct client_addr *a)
{
	return memcmp(a->b, v4_mapped, sizeof(v4_mapped)) == 0;
}

/* inet_pton of the NUL-terminated text, IPv4 into the mapped form. */
static int from_text(const char *text, struct client_addr *out)
{
	struct in_addr v4;

	if (inet_pton(AF_INET, text, &v4) == 1) {
		memcpy(out->b, v4_mapped, sizeof(v4_mapped));
		memcpy(out->b + 12, &v4, 4);
		return 0;
	}
	return inet_pton(AF_INET6, text, out->b) == 1 ? 0 : -1;
}

/* Whether the n bytes at s are a port: 1 to 5 digits, at most 65535. */
static bool is_port(const char *s, size_t n)
{
	unsigned v = 0;

	if (n == 0 || n > 5)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return v <= 65535;
}

int client_addr_parse(const char *s, size_t n, struct client_addr *out)
{
	char text[ADDR_TEXT_MAX];
	const char *colon;

	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0 || n >= sizeof(text) || memchr(s, '\0', n))
		return -1;
	if (*s == '[') {
		/* [2001:db8::1] or [2001:db8::1]:443 */
		const char *close = memchr(s, ']', n);
		size_t inner, rest;

		if (!close)
			return -1;
		inner = (size_t)(close - s) - 1;
		rest = n - inner - 2;
		if (rest && (close[1] != ':' || !is_port(close + 2, rest - 1)))
			return -1;
		memcpy(text, s + 1, inner);
		text[inner] = '\0';
		/* only IPv6 in brackets */
		return strchr(text, ':') ? from_text(text, out) : -1;
	}
	memcpy(text, s, n);
	text[n] = '\0';
	colon = strchr(text, ':');
	if (colon && !strchr(colon + 1, ':')) {
		/* one colon: IPv4 with a port (192.0.2.1:443) */
		if (!is_port(colon + 1, strlen(colon + 1)))
			return -1;
		text[colon - text] = '\0';
		return strchr(text, '.') && from_text(text, out) == 0 &&
				       is_v4(out)
			       ? 0
			       : -1;
	}
	return from_text(text, out);
}

int client_addr_from_sockaddr(const struct sockaddr *sa,
			      struct client_addr *out)
{
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		memcpy(out->b, v4_mapped, sizeof(v4_mapped));
		memcpy(out->b + 12, &in->sin_addr, 4);
		return 0;
	}
	if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
			(const struct sockaddr_in6 *)sa;

		memcpy(out->b, &in6->sin6_addr, 16);
		return 0;
	}
	return -1;
}

const char *client_addr_text(const struct client_addr *a, char out[CLIENT_TEXT])
{
	const char *ok =
		is_v4(a) ? inet_ntop(AF_INET, a->b + 12, out, CLIENT_TEXT)
			 : inet_ntop(AF_INET6, a->b, out, CLIENT_TEXT);

	/* cannot fail with these families and this size; still, never
	 * leave out unwritten */
	if (!ok)
		snprintf(out, CLIENT_TEXT, "-");
	return out;
}

bool client_addr_loopback(const struct client_addr *a)
{
	static const uint8_t v6_loopback[16] = { [15] = 1 };

	return (is_v4(a) && a->b[12] == 127) ||
	       memcmp(a->b, v6_loopback, 16) == 0;
}

int client_net_parse(const char *s, struct client_net *out)
{
	char text[ADDR_TEXT_MAX];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned max, bits = 0;

	if (n == 0 || n >= sizeof(text))
		return -1;
	memcpy(text, s, n);
	text[n] = '\0';
	if (from_text(text, &out->addr) < 0)
		return -1;
	/* an IPv4 address's prefix counts its own 32 bits */
	max = strchr(text, ':') ? 128 : 32;
	if (!slash) {
		bits = max;
	} else {
		const char *p = slash + 1;

		if (!*p || strlen(p) > 3)
			return -1;
		for (; *p; p++) {
			if (*p < '0' || *p > '9')
				return -1;
			bits = bits * 10 + (unsigned)(*p - '0');
		}
		if (bits > max)
			return -1;
	}
	out->bits = max == 32 ? 96 + bits : bits;
	return 0;
}

/* Whether the first bits bits of a and b are the same. */
static bool same_prefix(const struct client_addr *a,
			const struct client_addr *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;

	assert(bits <= 128);
	if (memcmp(a->b, b->b, whole) != 0)
		return false;
	if (!rest)
		return true;
	return ((a->b[whole] ^ b->b[whole]) & (0xff << (8 - rest))) == 0;
}

bool client_trusted(const struct client_net *nets, size_t n,
		    const struct client_addr *a)
{
	for (size_t i = 0; i < n; i++)
		if (same_prefix(&nets[i].addr, a, nets[i].bits))
			return true;
	return false;
}

bool client_forwarded(const struct client_net *nets, size_t n,
		      const struct client_addr *peer, const char *xff,
		      struct client_addr *client)
{
	const char *end;
	bool from_header = false;

	*client = *peer;
	if (!xff || !n || !client_trusted(nets, n, peer))
		return false;
	end = xff + strlen(xff);
	while (end > xff) {
		const char *start = end;
		struct client_addr a;
		size_t len;

		while (start > xff && start[-1] != ',')
			start--;
		len = (size_t)(end - start);
		end = start > xff ? start - 1 : xff;
		/* an empty element of a list is no element (RFC 9110
		 * section 5.6.1) */
		if (strspn(start, " \t") >= len)
			continue;
		if (client_addr_parse(start, len, &a) < 0)
			break;
		*client = a;
		from_header = true;
		if (!client_trusted(nets, n, &a))
			break;
	}
	return from_header;
}

/* --- the counts ----------------------------------------------------------- */

struct entry {
	struct client_addr addr;
	unsigned count;
};

struct client_counts {
	pthread_mutex_t lock;
	size_t n, max; /* entries in use (each count > 0), and room */
	struct entry *e;
};

struct client_counts *client_counts_new(size_t max)
{
	struct client_counts *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->e = calloc(max ? max : 1, sizeof(*t->e));
	if (!t->e || pthread_mutex_init(&t->lock, NULL) != 0) {
		free(t->e);
		free(t);
		return NULL;
	}
	t->max = max;
	return t;
}

void client_counts_free(struct client_counts *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t->e);
	free(t);
}

/* The entry of a, or NULL; under the lock. */
static struct entry *find(struct client_counts *t, const struct client_addr *a)
{
	for (size_t i = 0; i < t->n; i++)
		if (memcmp(t->e[i].addr.b, a->b, 16) == 0)
			return &t->e[i];
	return NULL;
}

bool client_counts_enter(struct client_counts *t, const struct client_addr *a,
			 unsigned limit)
{
	struct entry *e;
	bool ok = true;

	pthread_mutex_lock(&t->lock);
	e = find(t, a);
	if (e && e->count >= limit) {
		ok = false;
	} else if (e) {
		e->count++;
	} else if (t->n == t->max || limit == 0) {
		ok = false;
	} else {
		t->e[t->n++] = (struct entry){ .addr = *a, .count = 1 };
	}
	pthread_mutex_unlock(&t->lock);
	return ok;
}

bool client_counts_below(struct client_counts *t, const struct client_addr *a,
			 unsigned limit)
{
	struct entry *e;
	bool below;

	pthread_mutex_lock(&t->lock);
	e = find(t, a);
	below = e ? e->count < limit : t->n < t->max && limit > 0;
	pthread_mutex_unlock(&t->lock);
	return below;
}

void client_counts_leave(struct client_counts *t, const struct client_addr *a)
{
	struct entry *e;

	pthread_mutex_lock(&t->lock);
	e = find(t, a);
	assert(e && e->count > 0);
	if (e && --e->count == 0)
		*e = t->e[--t->n]; /* the last takes its place */
	pthread_mutex_unlock(&t->lock);
}
