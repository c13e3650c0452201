/*
 * Fuzzes money.c. The input, as text, goes through money_parse with either
 * separator and is compared with a reference reader of what money.h
 * describes ([+-]digits[sep one or two digits], at most MONEY_MAX_CENTS);
 * what parses is formatted and must read back as the same cents. The first
 * 16 bytes, as two int64, check money_format against printf and money_add
 * against 128-bit arithmetic.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npo/money.h"

#include "fuzz.h"

/* What money.h promises, read another way: 0 and the cents, or -1. */
static int reference_parse(const char *s, char sep, int64_t *cents)
{
	const char *p = s;
	bool neg = false;
	size_t lead, nint, nfrac = 0;
	__int128 v = 0;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	nint = strspn(p, "0123456789");
	if (nint == 0)
		return -1;
	lead = strspn(p, "0");
	if (lead == nint)
		lead = nint - 1; /* keep one digit of 0 */
	if (nint - lead > 20)
		return -1; /* far beyond the limit */
	for (size_t i = lead; i < nint; i++)
		v = v * 10 + (p[i] - '0');
	v *= 100;
	p += nint;
	if (*p == sep) {
		p++;
		nfrac = strspn(p, "0123456789");
		if (nfrac < 1 || nfrac > 2)
			return -1;
		v += (p[0] - '0') * 10 + (nfrac == 2 ? p[1] - '0' : 0);
		p += nfrac;
	}
	if (*p || v > MONEY_MAX_CENTS)
		return -1;
	*cents = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

static void check_parse(const char *s, char sep)
{
	int64_t got = 0, want = 0, back = 0;
	int rc = money_parse(s, sep, &got);
	char out[MONEY_BUF];
	size_t n;

	if (rc != reference_parse(s, sep, &want)) {
		fprintf(stderr,
			"check failed: money_parse(\"%s\", '%c') = %d\n", s,
			sep, rc);
		abort();
	}
	if (rc != 0)
		return;
	CHECK(got == want);
	n = money_format(got, sep, out);
	CHECK(n == strlen(out));
	CHECK(money_parse(out, sep, &back) == 0 && back == got);
}

static void check_format(int64_t cents, char sep)
{
	char out[MONEY_BUF], want[64];
	uint64_t abs = cents < 0 ? 0 - (uint64_t)cents : (uint64_t)cents;
	size_t n = money_format(cents, sep, out);

	snprintf(want, sizeof(want), "%s%" PRIu64 "%c%02u",
		 cents < 0 ? "-" : "", abs / 100, sep, (unsigned)(abs % 100));
	CHECK(n == strlen(out) && n < MONEY_BUF);
	CHECK(strcmp(out, want) == 0);
}

static void check_add(int64_t a, int64_t b)
{
	__int128 want = (__int128)a + b;
	int64_t sum = a;
	bool ok = money_add(&sum, b);

	CHECK(ok == (want >= INT64_MIN && want <= INT64_MAX));
	CHECK(ok ? sum == (int64_t)want : sum == a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	check_parse(s, '.');
	check_parse(s, ',');
	free(s);
	if (size >= 16) {
		int64_t a, b;

		memcpy(&a, data, 8);
		memcpy(&b, data + 8, 8);
		check_format(a, '.');
		check_format(b, ',');
		check_add(a, b);
	}
	return 0;
}
