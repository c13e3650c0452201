/*
 * Unit tests of who the client is (server/client.c): addresses as proxies
 * write them, --trust-proxy values, the walk over X-Forwarded-For, the
 * counts of the per-IP limit, and which listen addresses are loopback.
 */
#include "../check_main.h"

#include <string.h>

#include "npo/client.h"
#include "npo/http.h"

static struct client_addr addr(const char *s)
{
	struct client_addr a;

	ck_assert_msg(client_addr_parse(s, strlen(s), &a) == 0,
		      "%s is no address", s);
	return a;
}

static const char *text(const struct client_addr *a)
{
	static char out[CLIENT_TEXT];

	return client_addr_text(a, out);
}

START_TEST(addresses_as_proxies_write_them)
{
	static const char *const good[][2] = {
		{ "203.0.113.9", "203.0.113.9" },
		{ " 203.0.113.9\t", "203.0.113.9" },
		{ "192.0.2.7:51234", "192.0.2.7" },
		{ "2001:db8::7", "2001:db8::7" },
		{ "[2001:db8::7]", "2001:db8::7" },
		{ "[2001:DB8:0::7]:443", "2001:db8::7" },
		{ "::ffff:203.0.113.9", "203.0.113.9" },
		{ "::1", "::1" },
	};
	static const char *const bad[] = {
		"",
		" ",
		"unknown",
		"203.0.113",
		"203.0.113.9:",
		"203.0.113.9:65536",
		"2001:db8::7:443x",
		"[203.0.113.9]",
		"[2001:db8::7",
		"[2001:db8::7]443",
		"fe80::1%eth0",
		"203.0.113.9 x",
		"1.2.3.4.5",
	};
	struct client_addr a;

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		a = addr(good[i][0]);
		ck_assert_str_eq(text(&a), good[i][1]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ck_assert_msg(client_addr_parse(bad[i], strlen(bad[i]), &a) < 0,
			      "'%s' taken for an address", bad[i]);
}
END_TEST

START_TEST(trusted_nets)
{
	struct client_net n[3];
	struct client_addr a;

	ck_assert_int_eq(client_net_parse("10.0.0.0/8", &n[0]), 0);
	ck_assert_int_eq(client_net_parse("127.0.0.2", &n[1]), 0);
	ck_assert_int_eq(client_net_parse("2001:db8::/32", &n[2]), 0);
	a = addr("10.200.3.4");
	ck_assert(client_trusted(n, 3, &a));
	a = addr("11.0.0.1");
	ck_assert(!client_trusted(n, 3, &a));
	a = addr("127.0.0.2");
	ck_assert(client_trusted(n, 3, &a));
	a = addr("127.0.0.3");
	ck_assert(!client_trusted(n, 3, &a));
	a = addr("2001:db8:ffff::1");
	ck_assert(client_trusted(n, 3, &a));
	a = addr("2001:db9::1");
	ck_assert(!client_trusted(n, 3, &a));
	/* an IPv4 prefix never covers IPv6 addresses */
	ck_assert_int_eq(client_net_parse("0.0.0.0/0", &n[0]), 0);
	a = addr("2001:db8::1");
	ck_assert(!client_trusted(n, 1, &a));
	a = addr("198.51.100.1");
	ck_assert(client_trusted(n, 1, &a));
	for (const char *const *b =
		     (const char *const[]){ "", "10.0.0.0/", "10.0.0.0/33",
					    "::/129", "10.0.0.0/8/8",
					    "10.0.0.0/x", "[::1]",
					    "10.0.0.1:80", "host", NULL };
	     *b; b++)
		ck_assert_msg(client_net_parse(*b, &n[0]) < 0, "'%s' taken",
			      *b);
}
END_TEST

/* The client of a request from peer with xff, behind 10.0.0.0/8 and
 * 127.0.0.2. */
static const char *client_of(const char *peer, const char *xff, bool *fwd)
{
	struct client_net n[2];
	struct client_addr p = addr(peer), c;

	ck_assert_int_eq(client_net_parse("10.0.0.0/8", &n[0]), 0);
	ck_assert_int_eq(client_net_parse("127.0.0.2", &n[1]), 0);
	*fwd = client_forwarded(n, 2, &p, xff, &c);
	return text(&c);
}

START_TEST(the_client_is_the_right_most_untrusted_address)
{
	bool fwd;

	/* from a peer that is no proxy: the peer, whatever the header */
	ck_assert_str_eq(client_of("192.0.2.1", "203.0.113.9", &fwd),
			 "192.0.2.1");
	ck_assert(!fwd);
	/* behind one proxy, and behind two */
	ck_assert_str_eq(client_of("10.0.0.1", "203.0.113.9", &fwd),
			 "203.0.113.9");
	ck_assert(fwd);
	ck_assert_str_eq(client_of("127.0.0.2",
				   "198.51.100.1, 203.0.113.9, 10.1.1.1", &fwd),
			 "203.0.113.9");
	/* empty elements are none; the proxy's own request has no header */
	ck_assert_str_eq(client_of("10.0.0.1", " , 203.0.113.9 ,, ", &fwd),
			 "203.0.113.9");
	ck_assert_str_eq(client_of("10.0.0.1", NULL, &fwd), "10.0.0.1");
	ck_assert(!fwd);
	ck_assert_str_eq(client_of("10.0.0.1", "", &fwd), "10.0.0.1");
	ck_assert(!fwd);
	/* no address: the walk ends at the last address read */
	ck_assert_str_eq(client_of("10.0.0.1", "203.0.113.9, x, 10.2.2.2",
				   &fwd),
			 "10.2.2.2");
	ck_assert(fwd);
	ck_assert_str_eq(client_of("10.0.0.1", "203.0.113.9, unknown", &fwd),
			 "10.0.0.1");
	ck_assert(!fwd);
	/* every one trusted: the left-most */
	ck_assert_str_eq(client_of("10.0.0.1", "10.3.3.3, 127.0.0.2", &fwd),
			 "10.3.3.3");
	ck_assert(fwd);
}
END_TEST

START_TEST(counts_per_address_up_to_a_limit)
{
	struct client_counts *t = client_counts_new(2);
	struct client_addr a = addr("203.0.113.9"), b = addr("203.0.113.10"),
			   c = addr("2001:db8::1");

	ck_assert_ptr_nonnull(t);
	ck_assert(client_counts_enter(t, &a, 2));
	ck_assert(client_counts_enter(t, &a, 2));
	ck_assert(!client_counts_below(t, &a, 2));
	ck_assert(!client_counts_enter(t, &a, 2));
	ck_assert(client_counts_enter(t, &b, 2));
	/* room for two addresses at once */
	ck_assert(!client_counts_below(t, &c, 2));
	ck_assert(!client_counts_enter(t, &c, 2));
	client_counts_leave(t, &a);
	ck_assert(client_counts_below(t, &a, 2));
	ck_assert(client_counts_enter(t, &a, 2));
	client_counts_leave(t, &b);
	/* b's entry is gone, so c fits */
	ck_assert(client_counts_enter(t, &c, 2));
	client_counts_leave(t, &a);
	client_counts_leave(t, &a);
	client_counts_leave(t, &c);
	ck_assert(client_counts_below(t, &a, 1));
	client_counts_free(t);
}
END_TEST

START_TEST(loopback_listen_addresses)
{
	ck_assert(http_listen_loopback("127.0.0.1:8080"));
	ck_assert(http_listen_loopback("127.1.2.3:0"));
	ck_assert(http_listen_loopback("[::1]:8080"));
	ck_assert(http_listen_loopback("[::ffff:127.0.0.1]:8080"));
	ck_assert(!http_listen_loopback("0.0.0.0:8080"));
	ck_assert(!http_listen_loopback("[::]:8080"));
	ck_assert(!http_listen_loopback("10.0.0.5:8080"));
	ck_assert(!http_listen_loopback("192.0.2.1:8080"));
	ck_assert(!http_listen_loopback("nonsense"));
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, addresses_as_proxies_write_them);
	tcase_add_test(tc, trusted_nets);
	tcase_add_test(tc, the_client_is_the_right_most_untrusted_address);
	tcase_add_test(tc, counts_per_address_up_to_a_limit);
	tcase_add_test(tc, loopback_listen_addresses);
}

CHECK_MAIN("client")
