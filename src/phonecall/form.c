/* form.c — callback bodies and Twilio's request signature.
 *
 * Twilio posts callbacks as application/x-www-form-urlencoded and signs
 * them (X-Twilio-Signature): base64(HMAC-SHA1(auth token, URL + each
 * parameter's name and value, sorted by name)). The parser is strict —
 * a bad %-escape, a NUL or invalid UTF-8 makes the whole body refused —
 * since what it accepts is then signed, recorded and matched against
 * rules.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "buf.h"
#include "msg.h"
#include "phonecall.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t
utf8_char(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned c, need, min, cp;

	if (n == 0)
		return 0;
	c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 1, min = 0x80, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		need = 2, min = 0x800, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 3, min = 0x10000, cp = c & 0x07;
	else
		return 0;
	for (unsigned k = 1; k <= need; k++) {
		if (k >= n || (s[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need + 1;
}

static int
utf8_ok(const char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		if ((k = utf8_char(s + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

/* Decodes s[0..n) into a new string; NULL when malformed. */
static char *
decode(const char *s, size_t n)
{
	struct buf b = BUF_INIT;
	size_t i;
	int hi, lo;

	buf_add(&b, "", 0);
	for (i = 0; i < n; i++) {
		if (s[i] == '+') {
			buf_addc(&b, ' ');
		} else if (s[i] == '%') {
			if (i + 2 >= n)
				goto bad;
			if ((hi = hexval((unsigned char)s[i + 1])) < 0 ||
			    (lo = hexval((unsigned char)s[i + 2])) < 0)
				goto bad;
			buf_addc(&b, (char)(hi << 4 | lo));
			i += 2;
		} else {
			buf_addc(&b, s[i]);
		}
	}
	if (memchr(b.p, '\0', b.len) != NULL ||
	    !utf8_ok(b.p, b.len))
		goto bad;
	return buf_detach(&b);
bad:
	buf_free(&b);
	return NULL;
}

int
form_parse(const char *body, size_t len, struct form *out)
{
	size_t i = 0, cap = 0;

	memset(out, 0, sizeof *out);
	while (i < len) {
		size_t end = i, eq;
		struct form_field f;

		while (end < len && body[end] != '&')
			end++;
		if (end > i) {	/* "a=1&&b=2": empty pairs are skipped */
			for (eq = i; eq < end && body[eq] != '='; eq++)
				;
			f.name = decode(body + i, eq - i);
			f.value = eq < end ? decode(body + eq + 1,
			    end - eq - 1) : xstrdup("");
			if (f.name == NULL || f.value == NULL ||
			    f.name[0] == '\0') {
				free(f.name);
				free(f.value);
				form_free(out);
				return -1;
			}
			xgrow((void **)&out->f, &cap, out->n + 1,
			    sizeof *out->f);
			out->f[out->n++] = f;
		}
		i = end + 1;
	}
	return 0;
}

const char *
form_get(const struct form *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->f[i].name, name) == 0)
			return f->f[i].value;
	return NULL;
}

void
form_free(struct form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->f[i].name);
		free(f->f[i].value);
	}
	free(f->f);
	memset(f, 0, sizeof *f);
}

static int
by_name_value(const void *a, const void *b)
{
	const struct form_field *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : strcmp(x->value, y->value);
}

char *
twilio_signature(const char *token, const char *url, const struct form *f)
{
	struct form_field *sorted = NULL;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	struct buf msg = BUF_INIT;
	char *out;

	if (f->n > 0) {
		sorted = xcalloc(f->n, sizeof *sorted);
		memcpy(sorted, f->f, f->n * sizeof *sorted);
		qsort(sorted, f->n, sizeof *sorted, by_name_value);
	}
	buf_adds(&msg, url);
	for (size_t i = 0; i < f->n; i++) {
		buf_adds(&msg, sorted[i].name);
		buf_adds(&msg, sorted[i].value);
	}
	if (HMAC(EVP_sha1(), token, (int)strlen(token),
	    (const unsigned char *)(msg.p ? msg.p : ""), msg.len, mac,
	    &maclen) == NULL)
		msg_die(EXIT_LOCAL, "HMAC-SHA1 failed");
	out = xmalloc(4 * ((maclen + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, mac, (int)maclen);
	free(sorted);
	buf_free(&msg);
	return out;
}

/*
 * The URL with its port taken out, or the scheme's default port put in
 * when it has none (caller frees); NULL for a URL not http(s)://.
 */
static char *
other_port(const char *url)
{
	const char *host, *end, *colon;
	struct buf b = BUF_INIT;
	int https;

	if (strncmp(url, "https://", 8) == 0)
		https = 1;
	else if (strncmp(url, "http://", 7) == 0)
		https = 0;
	else
		return NULL;
	host = url + (https ? 8 : 7);
	end = host + strcspn(host, "/?#");
	colon = NULL;
	/* the port's colon is the last one, after any [v6] literal */
	for (const char *p = host; p < end; p++)
		if (*p == ':')
			colon = p;
		else if (*p == ']')
			colon = NULL;
	if (colon != NULL) {
		buf_add(&b, url, (size_t)(colon - url));
	} else {
		buf_add(&b, url, (size_t)(end - url));
		buf_adds(&b, https ? ":443" : ":80");
	}
	buf_adds(&b, end);
	return buf_detach(&b);
}

static int
same(const char *a, const char *b)
{
	size_t n = strlen(a);

	/* the length of a signature is no secret; its bytes are */
	return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}

int
twilio_signature_ok(const char *token, const char *url,
    const struct form *f, const char *sig)
{
	char *want, *alt;
	int ok;

	if (sig == NULL || *sig == '\0' || token == NULL)
		return 0;
	want = twilio_signature(token, url, f);
	ok = same(want, sig);
	free(want);
	if ((alt = other_port(url)) != NULL) {
		want = twilio_signature(token, alt, f);
		ok |= same(want, sig);
		free(want);
		free(alt);
	}
	return ok;
}
