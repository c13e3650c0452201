/*
 * Who the client of a request is: the socket's peer, or behind a trusted
 * proxy (--trust-proxy) the address that proxy put into X-Forwarded-For;
 * and how many sockets or requests each client address has open, for the
 * per-IP limit. Knows no libmicrohttpd: the http layer hands it addresses
 * and header values, so the parser can be fuzzed on its own.
 */
#ifndef NPO_CLIENT_H
#define NPO_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* The longest address text client_addr_text writes, NUL included
 * (INET6_ADDRSTRLEN). */
#define CLIENT_TEXT 46
/* At most this many --trust-proxy entries. */
#define CLIENT_MAX_TRUSTED 16

/* An IPv4 or IPv6 address, IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d), so
 * that a peer seen on a dual-stack socket is the same as on an IPv4 one. */
struct client_addr {
	uint8_t b[16];
};

/* An address with a prefix: 10.0.0.0/8; a plain address is /32 or /128. */
struct client_net {
	struct client_addr addr;
	unsigned bits; /* of the 128; IPv4's /N is 96 + N */
};

/*
 * Parses the n bytes at s as a numeric address: IPv4 (192.0.2.1) or IPv6
 * (2001:db8::1), IPv6 also in brackets ([2001:db8::1]), and either with a
 * port after it (192.0.2.1:443, [2001:db8::1]:443), as proxies write them
 * into X-Forwarded-For. Blanks around it are not part of it. 0 or -1.
 */
int client_addr_parse(const char *s, size_t n, struct client_addr *out);
/* The address of an AF_INET or AF_INET6 socket address; -1 for others. */
int client_addr_from_sockaddr(const struct sockaddr *sa,
			      struct client_addr *out);
/* Writes the address as inet_ntop does (IPv4-mapped ones as IPv4): only
 * digits, a-f, '.' and ':'; returns out. */
const char *client_addr_text(const struct client_addr *a,
			     char out[CLIENT_TEXT]);
bool client_addr_loopback(const struct client_addr *a);

/* Parses ADDR or ADDR/PREFIX (no port, no brackets) into *out: 0 or -1. */
int client_net_parse(const char *s, struct client_net *out);
/* Whether a is one of the n nets. */
bool client_trusted(const struct client_net *nets, size_t n,
		    const struct client_addr *a);

/*
 * The client of a request that came from peer with the X-Forwarded-For
 * value xff (NULL when it has none; several headers joined by commas, in
 * their order). Only when peer is one of the trusted nets does xff count:
 * its entries are read from the right, each trusted one is a proxy that
 * handed the request on, and the first that is not trusted is the client.
 * An entry that is no address ends the walk at the last address read; when
 * every entry is trusted, the left-most one is the client. Returns true
 * when *client came from the header, false when it is the peer.
 */
bool client_forwarded(const struct client_net *nets, size_t n,
		      const struct client_addr *peer, const char *xff,
		      struct client_addr *client);

/*
 * How many sockets or requests each address has open, for a limit per
 * address: a small table under a lock, holding only the addresses with
 * something open, so it never has more entries than there are
 * connections.
 */
struct client_counts;

/* A table for at most max addresses at once; NULL when out of memory. */
struct client_counts *client_counts_new(size_t max);
void client_counts_free(struct client_counts *t);
/* Counts one more for a, unless a has limit open already (or the table is
 * full): then false, and nothing is counted. */
bool client_counts_enter(struct client_counts *t, const struct client_addr *a,
			 unsigned limit);
/* Whether a has fewer than limit open (a look, not a count). */
bool client_counts_below(struct client_counts *t, const struct client_addr *a,
			 unsigned limit);
/* One fewer for a, after client_counts_enter said true. */
void client_counts_leave(struct client_counts *t, const struct client_addr *a);

#endif
