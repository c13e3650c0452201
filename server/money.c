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
