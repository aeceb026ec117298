/* timeutil.c — Prometheus-style durations and times. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timeutil.h"

struct unit {
	const char *name;
	double sec;
};

/* Longest names first so "ms" is not read as "m" followed by "s". */
static const struct unit units[] = {
	{ "ms", 0.001 }, { "y", 365 * 86400.0 }, { "w", 7 * 86400.0 },
	{ "d", 86400.0 }, { "h", 3600.0 }, { "m", 60.0 }, { "s", 1.0 },
};

static int
unit_rank(const char *name)
{
	/* Prometheus requires units in decreasing order: y w d h m s ms. */
	static const char *const order[] = { "y", "w", "d", "h", "m", "s", "ms" };
	size_t i;

	for (i = 0; i < sizeof order / sizeof order[0]; i++)
		if (strcmp(order[i], name) == 0)
			return (int)i;
	return -1;
}

static const struct unit *
match_unit(const char *p, size_t *len)
{
	size_t i, n;

	for (i = 0; i < sizeof units / sizeof units[0]; i++) {
		n = strlen(units[i].name);
		if (strncmp(p, units[i].name, n) == 0) {
			*len = n;
			return &units[i];
		}
	}
	return NULL;
}

static int
plain_seconds(const char *s, double *sec)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v) ||
	    v < 0)
		return -1;
	*sec = v;
	return 0;
}

int
dur_parse(const char *s, double *sec)
{
	const struct unit *u;
	double total = 0;
	int last_rank = -1;
	size_t ulen;

	if (s == NULL || *s == '\0')
		return -1;
	if (strspn(s, "0123456789.") == strlen(s))
		return plain_seconds(s, sec);
	while (*s) {
		char *end;
		unsigned long long n;
		int rank;

		if (!isdigit((unsigned char)*s))
			return -1;
		errno = 0;
		n = strtoull(s, &end, 10);
		if (errno == ERANGE || n > (1ULL << 40))
			return -1;
		u = match_unit(end, &ulen);
		if (u == NULL)
			return -1;
		rank = unit_rank(u->name);
		if (rank <= last_rank)
			return -1;
		last_rank = rank;
		total += (double)n * u->sec;
		s = end + ulen;
	}
	*sec = total;
	return 0;
}

size_t
dur_format(double sec, char *buf, size_t len)
{
	static const struct unit order[] = {
		{ "w", 7 * 86400.0 }, { "d", 86400.0 }, { "h", 3600.0 },
		{ "m", 60.0 }, { "s", 1.0 },
	};
	long long ms = llround(sec * 1000);
	size_t i, used = 0;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	if (ms <= 0)
		return (size_t)snprintf(buf, len, "0s");
	for (i = 0; i < sizeof order / sizeof order[0]; i++) {
		long long unit_ms = (long long)(order[i].sec * 1000);
		long long n = ms / unit_ms;

		if (n > 0 && used < len) {
			used += (size_t)snprintf(buf + used, len - used,
			    "%lld%s", n, order[i].name);
			ms -= n * unit_ms;
		}
	}
	if (ms > 0 && used < len)
		used += (size_t)snprintf(buf + used, len - used, "%lldms", ms);
	return used < len ? used : len - 1;
}

double
time_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Reads exactly n digits. */
static int
digits(const char **p, int n, int *out)
{
	int v = 0;

	while (n-- > 0) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*out = v;
	return 0;
}

static int
expect(const char **p, const char *chars)
{
	if (**p == '\0' || strchr(chars, **p) == NULL)
		return -1;
	(*p)++;
	return 0;
}

static double
parse_fraction(const char **p)
{
	double frac = 0, scale = 0.1;

	if (**p != '.')
		return 0;
	(*p)++;
	/* RFC 3339 wants a digit after the dot; -1 makes "05:00:00.Z" fail. */
	if (!isdigit((unsigned char)**p))
		return -1;
	while (isdigit((unsigned char)**p)) {
		frac += (**p - '0') * scale;
		scale /= 10;
		(*p)++;
	}
	return frac;
}

static int
parse_offset(const char **p, int *offset)
{
	int sign, hh, mm;

	if (**p == 'Z' || **p == 'z') {
		(*p)++;
		*offset = 0;
		return 0;
	}
	if (**p != '+' && **p != '-')
		return -1;
	sign = **p == '-' ? -1 : 1;
	(*p)++;
	if (digits(p, 2, &hh) || expect(p, ":") || digits(p, 2, &mm) ||
	    hh > 23 || mm > 59)
		return -1;
	*offset = sign * (hh * 3600 + mm * 60);
	return 0;
}

/* timegm would carry February 31 into March: refuse it instead. */
static int
days_in_month(int year, int mon)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return mon == 2 && leap ? 29 : days[mon - 1];
}

static int
rfc3339(const char *s, double *t)
{
	struct tm tm;
	int year, mon, day, hh, mm, ss, offset;
	double frac;
	time_t secs;

	if (digits(&s, 4, &year) || expect(&s, "-") || digits(&s, 2, &mon) ||
	    expect(&s, "-") || digits(&s, 2, &day) || expect(&s, "Tt ") ||
	    digits(&s, 2, &hh) || expect(&s, ":") || digits(&s, 2, &mm) ||
	    expect(&s, ":") || digits(&s, 2, &ss))
		return -1;
	frac = parse_fraction(&s);
	if (frac < 0 || parse_offset(&s, &offset) || *s != '\0')
		return -1;
	/* Second 60 is a leap second; POSIX time counts it as :00 next. */
	if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) ||
	    hh > 23 || mm > 59 || ss > 60)
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	secs = timegm(&tm);
	*t = (double)secs - offset + frac;
	return 0;
}

static int
relative_now(const char *s, double now, double *t)
{
	double d;

	if (strcmp(s, "now") == 0) {
		*t = now;
		return 0;
	}
	if (strncmp(s, "now", 3) != 0 || (s[3] != '-' && s[3] != '+'))
		return -1;
	if (dur_parse(s + 4, &d) != 0)
		return -1;
	*t = s[3] == '-' ? now - d : now + d;
	return 0;
}

int
time_parse(const char *s, double now, double *t)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0')
		return -1;
	if (strncmp(s, "now", 3) == 0)
		return relative_now(s, now, t);
	/* Unix seconds, negative ones too (before 1970), in decimal only:
	 * strtod alone would take "0x10", " 5" and "inf". */
	if (strspn(s, "0123456789.eE+-") != strlen(s))
		return rfc3339(s, t);
	if (!isdigit((unsigned char)s[*s == '-']))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (*end != '\0' || errno == ERANGE || !isfinite(v))
		return -1;
	*t = v;
	return 0;
}

size_t
time_format(double t, char *buf, size_t len)
{
	long long ms;
	time_t secs;
	int frac;
	struct tm tm;
	size_t n;

	/* Beyond 1e15 s (year 31 million) the milliseconds leave a long long
	 * and -ms would overflow; gmtime_r gives up long before anyway. */
	if (!(fabs(t) < 1e15))
		return (size_t)snprintf(buf, len, "invalid");
	ms = llround(t * 1000);
	secs = (time_t)(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
	frac = (int)(ms - (long long)secs * 1000);
	if (gmtime_r(&secs, &tm) == NULL)
		return (size_t)snprintf(buf, len, "invalid");
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (frac)
		n += (size_t)snprintf(buf + n, len - n, ".%03d", frac);
	n += (size_t)snprintf(buf + n, len - n, "Z");
	return n;
}
