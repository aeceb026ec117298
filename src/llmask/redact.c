/* redact.c — secrets out of text before it leaves the machine.
 *
 * Hand-written matchers rather than regular expressions: each one is a
 * few lines, runs in one pass, and a fuzzer can reach all of them. A
 * matcher looks at position i and either declines (returns 0) or appends
 * its replacement to out and returns how many input bytes it consumed.
 * The text is usually compact JSON lines, so values may be quoted, with
 * backslash escapes, or bare words inside log messages.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "redact.h"

struct text {
	const char *s;
	size_t len;
};

static int
is_alnum(int c)
{
	return isalnum((unsigned char)c);
}

/*
 * A word may start at i: the byte before is not part of an identifier,
 * or ends a JSON escape. The text is JSON, so a token on the next line
 * of a log message follows "\n" or "\u001b[0m"-style bytes, not a space.
 * Escaped backslashes ("\\n") count too: one more redaction at worst.
 */
static int
word_start(const struct text *t, size_t i)
{
	const char *s = t->s;
	char c;

	if (i == 0)
		return 1;
	c = s[i - 1];
	if (c == '\\' && strchr("nrtbfu", s[i]) && s[i] != '\0')
		return 0;	/* the letter of an escape, not text */
	if (i >= 2 && s[i - 2] == '\\' && strchr("nrtbf", c) && c != '\0')
		return 1;
	if (i >= 6 && s[i - 6] == '\\' && s[i - 5] == 'u' &&
	    isxdigit((unsigned char)s[i - 4]) &&
	    isxdigit((unsigned char)s[i - 3]) &&
	    isxdigit((unsigned char)s[i - 2]) && isxdigit((unsigned char)c))
		return 1;
	return !is_alnum(c) && c != '_' && c != '-' && c != '.';
}

static int
has_prefix(const struct text *t, size_t i, const char *p)
{
	size_t n = strlen(p);

	return i + n <= t->len && memcmp(t->s + i, p, n) == 0;
}

static int
has_prefix_ci(const struct text *t, size_t i, const char *p)
{
	size_t n = strlen(p);

	return i + n <= t->len && strncasecmp(t->s + i, p, n) == 0 &&
	    memchr(t->s + i, '\0', n) == NULL;
}

/* Length of the run at i of bytes found in set (NULL: letters, digits). */
static size_t
span(const struct text *t, size_t i, const char *set)
{
	size_t n = 0;

	while (i + n < t->len) {
		char c = t->s[i + n];

		if (c == '\0' || !(is_alnum(c) || (set && strchr(set, c))))
			break;
		n++;
	}
	return n;
}

static int
has_digit_or_symbol(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isalpha((unsigned char)s[i]))
			return 1;
	return 0;
}

/* -----BEGIN … PRIVATE KEY----- through its END line, or to the end of
 * the string it sits in when the END line is missing. */
static size_t
m_pem(const struct text *t, size_t i, struct buf *out)
{
	const char *s = t->s + i;
	size_t n = t->len - i, j, hdr;

	if (!has_prefix(t, i, "-----BEGIN "))
		return 0;
	/* "RSA ", "OPENSSH ", "ENCRYPTED ": capitals and spaces only. */
	for (hdr = 11; hdr < n && hdr < 40; hdr++)
		if ((hdr + 16 <= n && memcmp(s + hdr, "PRIVATE KEY-----", 16)
		    == 0) || !(isupper((unsigned char)s[hdr]) || s[hdr] == ' '))
			break;
	if (hdr + 16 > n || memcmp(s + hdr, "PRIVATE KEY-----", 16) != 0)
		return 0;
	for (j = hdr + 16; j < n; j++) {
		if (j + 9 <= n && memcmp(s + j, "-----END ", 9) == 0) {
			j += 9;
			while (j < n && s[j] != '-' && s[j] != '"' && s[j] != '\n')
				j++;
			while (j < n && s[j] == '-')
				j++;
			break;
		}
		if (s[j] == '"' && s[j - 1] != '\\')
			break;
	}
	buf_adds(out, REDACTED);
	return j;
}

/* header.payload.signature, both first parts base64url of '{"'. */
static size_t
m_jwt(const struct text *t, size_t i, struct buf *out)
{
	static const char b64url[] = "_-";
	size_t a, b, c;

	if (!has_prefix(t, i, "eyJ"))
		return 0;
	a = span(t, i, b64url);
	if (a < 10 || i + a >= t->len || t->s[i + a] != '.' ||
	    !has_prefix(t, i + a + 1, "eyJ"))
		return 0;
	b = span(t, i + a + 1, b64url);
	if (b < 10)
		return 0;
	c = 0;
	if (i + a + 1 + b < t->len && t->s[i + a + 1 + b] == '.')
		c = 1 + span(t, i + a + 2 + b, b64url);
	buf_adds(out, REDACTED);
	return a + 1 + b + c;
}

struct token_kind {
	const char *prefix;
	const char *chars;	/* besides letters and digits */
	size_t min, max;	/* length after the prefix; max 0: any */
	int upper;		/* AWS ids: upper case and digits only */
};

static const struct token_kind tokens[] = {
	{ "ghp_", "", 30, 0, 0 }, { "gho_", "", 30, 0, 0 },
	{ "ghu_", "", 30, 0, 0 }, { "ghs_", "", 30, 0, 0 },
	{ "ghr_", "", 30, 0, 0 }, { "github_pat_", "_", 20, 0, 0 },
	{ "glpat-", "_-", 20, 0, 0 }, { "gldt-", "_-", 20, 0, 0 },
	{ "glrt-", "_-", 20, 0, 0 }, { "glptt-", "_-", 20, 0, 0 },
	{ "glft-", "_-", 20, 0, 0 }, { "glsoat-", "_-", 20, 0, 0 },
	{ "glcbt-", "_-", 20, 0, 0 }, { "gloas-", "_-", 20, 0, 0 },
	{ "xoxb-", "-", 10, 0, 0 }, { "xoxp-", "-", 10, 0, 0 },
	{ "xoxa-", "-", 10, 0, 0 }, { "xoxr-", "-", 10, 0, 0 },
	{ "xoxs-", "-", 10, 0, 0 }, { "xoxe-", "-", 10, 0, 0 },
	{ "xapp-", "-", 10, 0, 0 }, { "sk-", "_-", 20, 0, 0 },
	{ "AKIA", "", 16, 16, 1 }, { "ASIA", "", 16, 16, 1 },
	{ "AGPA", "", 16, 16, 1 }, { "AIDA", "", 16, 16, 1 },
	{ "AROA", "", 16, 16, 1 }, { "AIPA", "", 16, 16, 1 },
	{ "ANPA", "", 16, 16, 1 }, { "ANVA", "", 16, 16, 1 },
	{ "ASCA", "", 16, 16, 1 },
};

static size_t
m_token(const struct text *t, size_t i, struct buf *out)
{
	const struct token_kind *k;
	size_t p, n;

	for (k = tokens; k < tokens + sizeof tokens / sizeof *tokens; k++) {
		if (!has_prefix(t, i, k->prefix))
			continue;
		p = strlen(k->prefix);
		n = span(t, i + p, k->chars);
		if (n < k->min || (k->max && n != k->max))
			continue;
		if (k->upper) {
			size_t j;

			for (j = 0; j < n; j++)
				if (islower((unsigned char)t->s[i + p + j]))
					break;
			if (j < n)
				continue;
		} else if (!has_digit_or_symbol(t->s + i + p, n)) {
			continue;
		}
		buf_adds(out, REDACTED);
		return p + n;
	}
	return 0;
}

/* hooks.slack.com/services/T…/B…/secret: the path is the credential. */
static size_t
m_slack_hook(const struct text *t, size_t i, struct buf *out)
{
	static const char host[] = "hooks.slack.com/services/";
	size_t n;

	if (!has_prefix(t, i, host))
		return 0;
	n = span(t, i + sizeof host - 1, "/_-");
	if (n == 0)
		return 0;
	buf_adds(out, host);
	buf_adds(out, REDACTED);
	return sizeof host - 1 + n;
}

static int
base64_has_colon(const char *s, size_t n)
{
	static const char al[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned int acc = 0;
	int bits = 0;

	for (size_t i = 0; i < n && s[i] != '='; i++) {
		const char *p = strchr(al, s[i]);

		if (p == NULL || s[i] == '\0')
			return 0;
		acc = (acc << 6) | (unsigned int)(p - al);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (((acc >> bits) & 0xff) == ':')
				return 1;
		}
	}
	return 0;
}

/* "Bearer TOKEN" and "Basic BASE64(user:password)": keep the scheme. */
static size_t
m_auth_scheme(const struct text *t, size_t i, struct buf *out)
{
	size_t w, sp, n;
	int basic;

	if (has_prefix_ci(t, i, "bearer"))
		w = 6, basic = 0;
	else if (has_prefix_ci(t, i, "basic"))
		w = 5, basic = 1;
	else
		return 0;
	for (sp = 0; i + w + sp < t->len && t->s[i + w + sp] == ' '; sp++)
		;
	if (sp == 0)
		return 0;
	n = span(t, i + w + sp, basic ? "+/=" : "._~+/=-");
	if (n < 8)
		return 0;
	if (basic ? !base64_has_colon(t->s + i + w + sp, n) :
	    !has_digit_or_symbol(t->s + i + w + sp, n))
		return 0;
	buf_add(out, t->s + i, w + sp);
	buf_adds(out, REDACTED);
	return w + sp + n;
}

/* scheme://user:password@host — keep the user, drop the password. */
static size_t
m_userinfo(const struct text *t, size_t i, struct buf *out)
{
	size_t j, colon = 0;

	if (!has_prefix(t, i, "://"))
		return 0;
	for (j = i + 3; j < t->len; j++) {
		char c = t->s[j];

		/* RFC 3986 userinfo characters only ('[' ends it, so an
		 * already redacted password is left alone). */
		if (!isgraph((unsigned char)c) || (unsigned char)c > 0x7e ||
		    strchr("/?#@\"'<>\\[]{}|^`", c))
			break;
		if (c == ':' && colon == 0)
			colon = j;
	}
	if (j >= t->len || t->s[j] != '@' || colon == 0 || colon + 1 == j)
		return 0;
	/* The user name may itself be a token ("https://ghp_…:x@"). */
	buf_adds(out, "://");
	redact(out, t->s + i + 3, colon - i - 3);
	buf_addc(out, ':');
	buf_adds(out, REDACTED);
	buf_addc(out, '@');
	return j + 1 - i;
}

static const char *const secret_words[] = {
	"password", "passwd", "pwd", "passphrase", "secret", "token",
	"apikey", "api_key", "api-key", "accesskey", "access_key",
	"access-key", "secretkey", "secret_key", "privatekey", "private_key",
	"private-key", "credential", "credentials", "auth", "authorization",
};

static int
secret_key(const char *s, size_t n)
{
	for (size_t k = 0; k < sizeof secret_words / sizeof *secret_words;
	    k++) {
		size_t w = strlen(secret_words[k]);

		if (n >= w && strncasecmp(s + n - w, secret_words[k], w) == 0)
			return 1;
	}
	return 0;
}

/* Skips a closing quote after a key: '"', '\"' or '\''. */
static size_t
skip_quote(const struct text *t, size_t j)
{
	if (j < t->len && (t->s[j] == '"' || t->s[j] == '\''))
		return j + 1;
	if (j + 1 < t->len && t->s[j] == '\\' && t->s[j + 1] == '"')
		return j + 2;
	return j;
}

static size_t
skip_spaces(const struct text *t, size_t j)
{
	while (j < t->len && (t->s[j] == ' ' || t->s[j] == '\t'))
		j++;
	return j;
}

/* After a key: '=' or ':' (not "://"), or Kubernetes' ',"value":'. */
static size_t
separator(const struct text *t, size_t j)
{
	size_t k;

	j = skip_spaces(t, skip_quote(t, j));
	if (j < t->len && t->s[j] == '=')
		return j + 1;
	if (j < t->len && t->s[j] == ':' && !has_prefix(t, j, "://"))
		return j + 1;
	if (j < t->len && t->s[j] == ',') {
		k = skip_spaces(t, j + 1);
		if (has_prefix(t, k, "\"value\""))
			k += 7;
		else if (has_prefix(t, k, "\\\"value\\\""))
			k += 9;
		else
			return 0;
		k = skip_spaces(t, k);
		if (k < t->len && t->s[k] == ':')
			return k + 1;
	}
	return 0;
}

/* The end of a value starting at j; *skip: its opening quote's length. */
static size_t
value_end(const struct text *t, size_t j, size_t *skip)
{
	size_t k;

	*skip = 0;
	if (has_prefix(t, j, "\\\"")) {
		*skip = 2;
		for (k = j + 2; k < t->len && t->s[k] != '"' &&
		    !has_prefix(t, k, "\\\""); k++)
			;
		return k;
	}
	if (j < t->len && (t->s[j] == '"' || t->s[j] == '\'')) {
		char q = t->s[j];

		*skip = 1;
		for (k = j + 1; k < t->len && t->s[k] != q; k++)
			if (t->s[k] == '\\' && k + 1 < t->len)
				k++;
		return k < t->len ? k : t->len;
	}
	for (k = j; k < t->len; k++)
		if (t->s[k] == '\0' ||
		    strchr(" \t\r\n,;&\"'}])<>\\", t->s[k]) != NULL)
			break;
	return k;
}

/* "--password hunter2", or a container's "args":["--token","abc"]: a
 * command-line flag's value in the next word, unless that is another
 * flag. Returns where the value starts (its quote, if any), or 0. */
static size_t
flag_value(const struct text *t, size_t i, size_t n)
{
	size_t j = i + n, k;

	if (t->s[i] != '-')
		return 0;
	k = skip_quote(t, j);
	if (k > j && k < t->len && t->s[k] == ',')
		j = skip_spaces(t, k + 1);
	else if ((j = skip_spaces(t, j)) == i + n)
		return 0;
	k = skip_quote(t, j);		/* the value's first character */
	if (k >= t->len || t->s[k] == '-' || !isgraph((unsigned char)t->s[k]))
		return 0;
	return j;
}

/* An authorization scheme word at j ("Bearer ", "Basic "): its length. */
static size_t
scheme_word(const struct text *t, size_t j)
{
	static const char *const schemes[] = { "bearer ", "basic ", "token ",
	    "digest ", "negotiate " };

	for (size_t k = 0; k < sizeof schemes / sizeof *schemes; k++)
		if (has_prefix_ci(t, j, schemes[k]))
			return strlen(schemes[k]);
	return 0;
}

/* password=… , "client_secret": "…", DB_PASSWORD","value":"…" */
static size_t
m_pair(const struct text *t, size_t i, struct buf *out)
{
	size_t n, j, skip, end, sw;

	n = span(t, i, "_.-");
	if (n == 0 || !secret_key(t->s + i, n))
		return 0;
	if ((j = separator(t, i + n)) == 0 && (j = flag_value(t, i, n)) == 0)
		return 0;
	j = skip_spaces(t, j);
	end = value_end(t, j, &skip);
	sw = skip ? 0 : scheme_word(t, j);
	if (sw) {
		size_t s2;

		end = value_end(t, j + sw, &s2);
		if (s2)
			return 0;
	}
	/* Already redacted, perhaps by another matcher: leave it. */
	if (end <= j + skip + sw || memmem(t->s + j + skip + sw,
	    end - j - skip - sw, REDACTED, sizeof REDACTED - 2) != NULL)
		return 0;
	buf_add(out, t->s + i, j + skip + sw - i);
	buf_adds(out, REDACTED);
	return end - i;
}

typedef size_t (*matcher)(const struct text *, size_t, struct buf *);

size_t
redact(struct buf *out, const char *s, size_t len)
{
	static const matcher anywhere[] = { m_pem, m_userinfo, m_slack_hook };
	static const matcher at_word[] = { m_jwt, m_token, m_auth_scheme,
	    m_pair };
	struct text t = { s, len };
	size_t i = 0, run = 0, n, count = 0, k, last = (size_t)-1;

	while (i < len) {
		n = 0;
		for (k = 0; n == 0 && k < sizeof anywhere / sizeof *anywhere; k++)
			if (s[i] == '-' || s[i] == ':' || s[i] == 'h') {
				buf_add(out, s + run, i - run);
				run = i;
				n = anywhere[k](&t, i, out);
			}
		/* Right after a replacement counts as a word start: the
		 * replacement ends in ']', as it will when redacted again. */
		/* "--db-password=…": a flag is a word, dashes and all. */
		if (n == 0 && (is_alnum(s[i]) || s[i] == '-') &&
		    (word_start(&t, i) || i == last)) {
			buf_add(out, s + run, i - run);
			run = i;
			for (k = 0; n == 0 && k < sizeof at_word / sizeof *at_word;
			    k++)
				n = at_word[k](&t, i, out);
		}
		if (n > 0) {
			i += n;
			run = last = i;
			count++;
		} else {
			i++;
		}
	}
	buf_add(out, s + run, len - run);
	return count;
}
