/*
 * Fuzzes the reading of X-Forwarded-For (server/client.c): the input, up to
 * its first NUL, is the header's value as a client or a proxy sends it.
 * Behind trusted proxies (127.0.0.1, 10.0.0.0/8, ::1 and 2001:db8::/32) the
 * client that client_forwarded finds must be the one a reference walk,
 * written independently, finds: the right-most element that is an address
 * and not trusted, the walk ending at an element that is no address. What
 * it finds is written as an address of digits, a-f, '.' and ':' only (the
 * log line never carries a byte of the header) that reads back as itself;
 * from a peer that is not trusted the header changes nothing. The input is
 * also tried as a --trust-proxy value and as one address.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npo/client.h"

#include "fuzz.h"

static const char *const trusted_text[] = { "127.0.0.1", "10.0.0.0/8", "::1",
					    "2001:db8::/32" };
static struct client_net trusted[4];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	for (size_t i = 0; i < 4; i++)
		CHECK(client_net_parse(trusted_text[i], &trusted[i]) == 0);
	return 0;
}

/* The reference reading of one element: [v6], [v6]:port, v4:port, v4 or
 * v6, blanks around it dropped; 0 or -1. */
static int ref_parse(const char *s, size_t n, struct client_addr *out)
{
	char text[80], *colon;
	struct in_addr v4;
	unsigned long port;
	char *end;

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	if (n == 0 || n >= 64)
		return -1;
	memcpy(text, s, n);
	text[n] = '\0';
	if (text[0] == '[') {
		char *close = strchr(text, ']');

		if (!close)
			return -1;
		*close = '\0';
		if (close[1]) {
			if (close[1] != ':' || !close[2] ||
			    strspn(close + 2, "0123456789") !=
				    strlen(close + 2) ||
			    strlen(close + 2) > 5 ||
			    strtoul(close + 2, NULL, 10) > 65535)
				return -1;
		}
		return inet_pton(AF_INET6, text + 1, out->b) == 1 ? 0 : -1;
	}
	colon = strchr(text, ':');
	if (colon && colon != strrchr(text, ':'))
		colon = NULL; /* IPv6: no port without brackets */
	if (colon) {
		*colon = '\0';
		port = strtoul(colon + 1, &end, 10);
		if (!colon[1] || *end || strlen(colon + 1) > 5 ||
		    strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
		    port > 65535)
			return -1;
	}
	if (inet_pton(AF_INET, text, &v4) == 1) {
		static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

		memcpy(out->b, mapped, 12);
		memcpy(out->b + 12, &v4, 4);
		return 0;
	}
	if (colon || !strchr(text, ':'))
		return -1; /* a port after what is no IPv4, or no address */
	return inet_pton(AF_INET6, text, out->b) == 1 ? 0 : -1;
}

/* The reference walk over the elements, split left to right first. */
static bool ref_client(const char *xff, const struct client_addr *peer,
		       struct client_addr *client)
{
	const char *starts[4096];
	size_t lens[4096], n = 0;
	bool found = false;

	*client = *peer;
	for (const char *p = xff;; p++) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (strspn(p, " \t") < len) {
			CHECK(n < 4096);
			starts[n] = p;
			lens[n++] = len;
		}
		if (!comma)
			break;
		p = comma;
	}
	while (n--) {
		struct client_addr a;

		if (ref_parse(starts[n], lens[n], &a) < 0)
			break;
		*client = a;
		found = true;
		if (!client_trusted(trusted, 4, &a))
			break;
	}
	return found;
}

/* The address's text is an address and nothing else, and reads back. */
static void check_text(const struct client_addr *a)
{
	char text[CLIENT_TEXT];
	struct client_addr back;

	client_addr_text(a, text);
	CHECK(strlen(text) < CLIENT_TEXT);
	CHECK(strspn(text, "0123456789abcdef.:") == strlen(text));
	CHECK(client_addr_parse(text, strlen(text), &back) == 0);
	CHECK(memcmp(back.b, a->b, 16) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *xff = malloc(size + 1);
	struct client_addr peer, other, got, want, one;
	struct client_net net;
	bool from_header;

	if (size > 2048) {
		free(xff);
		return 0; /* bounded by libmicrohttpd's connection memory */
	}
	memcpy(xff, data, size);
	xff[size] = '\0';
	CHECK(client_addr_parse("10.0.0.1", 8, &peer) == 0);
	CHECK(client_addr_parse("192.0.2.1", 9, &other) == 0);

	from_header = client_forwarded(trusted, 4, &peer, xff, &got);
	CHECK(from_header == ref_client(xff, &peer, &want));
	CHECK(memcmp(got.b, want.b, 16) == 0);
	check_text(&got);
	if (!from_header)
		CHECK(memcmp(got.b, peer.b, 16) == 0);

	/* from a peer that is not trusted, the header counts for nothing */
	CHECK(!client_forwarded(trusted, 4, &other, xff, &got));
	CHECK(memcmp(got.b, other.b, 16) == 0);

	/* the whole input as one address, and as a --trust-proxy value */
	if (client_addr_parse(xff, strlen(xff), &one) == 0) {
		CHECK(ref_parse(xff, strlen(xff), &want) == 0);
		CHECK(memcmp(one.b, want.b, 16) == 0);
		check_text(&one);
	} else {
		CHECK(ref_parse(xff, strlen(xff), &want) < 0);
	}
	if (client_net_parse(xff, &net) == 0) {
		CHECK(net.bits <= 128);
		CHECK(client_trusted(&net, 1, &net.addr));
	}
	free(xff);
	return 0;
}
