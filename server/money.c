#include "npo/money.h"

#include <stdio.h>
#include <string.h>

int money_parse(const char *s, char decimal_sep, int64_t *cents)
{
	bool neg = false;
	int64_t euros = 0;
	int64_t frac = 0;
	int ndigits = 0;
	int nfrac = 0;

	if (!s)
		return -1;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	for (; *s >= '0' && *s <= '9'; s++, ndigits++) {
		if (euros > MONEY_MAX_CENTS / 100)
			return -1;
		euros = euros * 10 + (*s - '0');
	}
	if (*s == decimal_sep) {
		for (s++; *s >= '0' && *s <= '9'; s++, nfrac++) {
			if (nfrac == 2)
				return -1;
			frac = frac * 10 + (*s - '0');
		}
		if (nfrac == 0)
			return -1;
	}
	if (*s || ndigits == 0)
		return -1;
	if (nfrac == 1)
		frac *= 10;
	euros = euros * 100 + frac;
	if (euros > MONEY_MAX_CENTS)
		return -1;
	*cents = neg ? -euros : euros;
	return 0;
}

int money_parse_any(const char *s, int64_t *cents)
{
	char buf[64], *o = buf;
	const char *end, *comma;
	size_t n;

	if (!s)
		return -1;
	s += strspn(s, " ");
	if (strncmp(s, "\xe2\x82\xac", 3) == 0) /* € */
		s += 3 + strspn(s + 3, " ");
	for (end = s + strlen(s); end > s && end[-1] == ' '; end--)
		;
	n = (size_t)(end - s);
	if (n == 0 || n >= sizeof(buf))
		return -1;
	comma = memchr(s, ',', n);
	if (!comma) {
		memcpy(buf, s, n);
		buf[n] = '\0';
		return money_parse(buf, '.', cents);
	}
	/* decimal comma: points group the whole euros in threes, after a
	 * first group of one to three digits */
	{
		const char *digits = s + (*s == '-' || *s == '+');
		const char *dot = memchr(s, '.', n);

		if (dot && (dot - digits < 1 || dot - digits > 3))
			return -1;
	}
	for (const char *p = s; p < end; p++) {
		if (*p == '.') {
			const char *next;
			size_t group;

			/* no point among the cents */
			if (p > comma)
				return -1;
			next = memchr(p + 1, '.', (size_t)(comma - p - 1));
			group = (size_t)((next ? next : comma) - p - 1);
			if (group != 3)
				return -1;
			continue;
		}
		*o++ = *p;
	}
	*o = '\0';
	return money_parse(buf, ',', cents);
}

size_t money_format(int64_t cents, char decimal_sep, char out[MONEY_BUF])
{
	/* negate as unsigned so INT64_MIN does not overflow */
	uint64_t abs = cents < 0 ? 0 - (uint64_t)cents : (uint64_t)cents;
	int n = snprintf(out, MONEY_BUF, "%s%llu%c%02llu", cents < 0 ? "-" : "",
			 (unsigned long long)(abs / 100), decimal_sep,
			 (unsigned long long)(abs % 100));

	return n < 0 ? 0 : (size_t)n;
}

const char *money_nl(int64_t cents, char out[MONEY_BUF])
{
	uint64_t abs = cents < 0 ? 0 - (uint64_t)cents : (uint64_t)cents;
	uint64_t euros = abs / 100;
	char digits[24], *p = out;
	int n = snprintf(digits, sizeof(digits), "%llu",
			 (unsigned long long)euros);

	p += snprintf(p, 6, "€ %s", cents < 0 ? "-" : "");
	for (int i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			*p++ = '.';
		*p++ = digits[i];
	}
	snprintf(p, 4, ",%02u", (unsigned)(abs % 100));
	return out;
}

bool money_add(int64_t *sum, int64_t add)
{
	int64_t r;

	if (__builtin_add_overflow(*sum, add, &r))
		return false;
	*sum = r;
	return true;
}

bool money_is_cents_name(const char *name)
{
	size_t n = strlen(name);

	return n > 6 && strcmp(name + n - 6, "_cents") == 0;
}
