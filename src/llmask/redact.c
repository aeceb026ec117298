/* redact.c — secrets out of text before it leaves the machine.
 *
 * Hand-written matchers rather than regular expressions: each one is a
 * few lines, runs in one pass, and a fuzzer can reach all of them. A
 * matcher looks at position i and either declines (returns 0) or appends
 * its replacement to out and returns how many input bytes it consumed.
 * The text is usually compact JSON lines, so values may be quoted, with
 * backslash escapes, or bare words inside log messages.
 *
 * The forms come from their owners' documentation: RFC 7468 (PEM) and
 * RFC 4880 (PGP armor) private key blocks, PuTTY's key file format,
 * RFC 7519 (JWT), RFC 3986 userinfo, RFC 6750 and 7617 (Bearer, Basic),
 * RFC 9110 (Authorization's SCHEME CREDENTIALS), RFC 6265 (Cookie),
 * RFC 7517/7518 and 8037 (JSON Web Keys' private members);
 * token prefixes as GitHub, GitLab, Slack, AWS, Google (AIza…, GOCSPX-,
 * ya29.), Hugging Face (hf_…), Stripe (sk_live_…, rk_…, whsec_), Square,
 * npm, PyPI, Docker Hub, SendGrid, Vault, Grafana, Mailgun and others
 * publish them; Discord's and Telegram's bot tokens, Azure DevOps' PATs
 * (Microsoft Purview's definition); Slack, Discord and Teams webhook
 * URLs; the password flags of mysql(1), redis-cli(1), mongosh, docker
 * login, az login, sshpass(1), the LDAP tools, sqlcmd, mosquitto and
 * curl(1) as their manuals give them; Azure Storage connection strings
 * (AccountKey=) and SAS tokens (sig=); kubeconfig's client-key-data,
 * client-certificate-data and token; and base64 blobs (a Kubernetes
 * Secret's data, a .dockerconfigjson) whose decoded text holds any of
 * the above.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "redact.h"

struct text {
	const char *s;
	size_t len;
	int depth;		/* base64 blobs decoded to get here */
	int jwk;		/* it has a "kty" member: JSON Web Keys */
	size_t *b64_seen;	/* m_b64 looked at the blob up to here */
};

static size_t redact_text(struct buf *out, const char *s, size_t len,
    int depth);

/* ASCII letters and digits (isalnum() without the locale's lookup: it
 * runs on every byte). */
static int
is_alnum(int c)
{
	return (unsigned)((c | 32) - 'a') < 26 || (unsigned)(c - '0') < 10;
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

/*
 * A value holds what a matcher writes: is_redaction(), all of it, as a
 * value a matcher replaced reads on a second pass (a bare value ends
 * before the ']'); redacted(), in part, as other matchers left it.
 */
static int
is_redaction(const char *s, size_t n)
{
	return (n == sizeof REDACTED - 1 || n == sizeof REDACTED - 2) &&
	    memcmp(s, REDACTED, n) == 0;
}

static int
redacted(const char *s, size_t n)
{
	return memmem(s, n, REDACTED, sizeof REDACTED - 2) != NULL;
}

/* ---- private keys ------------------------------------------------------ */

/*
 * -----BEGIN … PRIVATE KEY----- (PEM: RSA, EC, OPENSSH, ENCRYPTED, SSH2
 * ENCRYPTED …) or -----BEGIN PGP PRIVATE KEY BLOCK----- through its END
 * line, or to the end of the string it sits in when the END line is
 * missing.
 */
static size_t
m_pem(const struct text *t, size_t i, struct buf *out)
{
	const char *s = t->s + i;
	size_t n = t->len - i, j, hdr, tail = 0;

	if (!has_prefix(t, i, "-----BEGIN "))
		return 0;
	for (hdr = 11; hdr < n && hdr < 40; hdr++) {
		if (hdr + 16 <= n && memcmp(s + hdr, "PRIVATE KEY-----", 16)
		    == 0)
			tail = 16;
		else if (hdr + 22 <= n && memcmp(s + hdr,
		    "PRIVATE KEY BLOCK-----", 22) == 0)
			tail = 22;
		if (tail || !(isupper((unsigned char)s[hdr]) ||
		    isdigit((unsigned char)s[hdr]) || s[hdr] == ' '))
			break;
	}
	if (tail == 0)
		return 0;
	for (j = hdr + tail; j < n; j++) {
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

/* PuTTY's .ppk: "Private-Lines: N", the key, then "Private-MAC: hex". */
static size_t
m_putty(const struct text *t, size_t i, struct buf *out)
{
	static const char start[] = "Private-Lines:", mac[] = "Private-MAC:";
	size_t j;

	if (!has_prefix(t, i, start))
		return 0;
	for (j = i + sizeof start - 1; j < t->len; j++) {
		if (has_prefix(t, j, mac)) {
			j += sizeof mac - 1;
			j += span(t, j, " ");
			break;
		}
		if (t->s[j] == '"' && t->s[j - 1] != '\\')
			break;
	}
	buf_adds(out, REDACTED);
	return j - i;
}

/* ---- tokens known by their prefix --------------------------------------- */

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

enum {
	TOK_UPPER = 1,		/* upper case and digits only (AWS ids) */
	TOK_LETTERS = 2		/* may be letters only (Hugging Face) */
};

struct token_kind {
	const char *prefix;
	const char *chars;	/* besides letters and digits */
	size_t min, max;	/* length after the prefix; max 0: any */
	int flags;
};

static const struct token_kind tokens[] = {
	/* GitHub, GitLab */
	{ "ghp_", "", 30, 0, 0 }, { "gho_", "", 30, 0, 0 },
	{ "ghu_", "", 30, 0, 0 }, { "ghs_", "", 30, 0, 0 },
	{ "ghr_", "", 30, 0, 0 }, { "github_pat_", "_", 20, 0, 0 },
	{ "glpat-", "_-", 20, 0, 0 }, { "gldt-", "_-", 20, 0, 0 },
	{ "glrt-", "_-", 20, 0, 0 }, { "glptt-", "_-", 20, 0, 0 },
	{ "glft-", "_-", 20, 0, 0 }, { "glsoat-", "_-", 20, 0, 0 },
	{ "glcbt-", "_-", 20, 0, 0 }, { "gloas-", "_-", 20, 0, 0 },
	/* Slack */
	{ "xoxb-", "-", 10, 0, 0 }, { "xoxp-", "-", 10, 0, 0 },
	{ "xoxa-", "-", 10, 0, 0 }, { "xoxr-", "-", 10, 0, 0 },
	{ "xoxs-", "-", 10, 0, 0 }, { "xoxe-", "-", 10, 0, 0 },
	{ "xapp-", "-", 10, 0, 0 },
	/* OpenAI, Anthropic (sk-ant-…), Hugging Face */
	{ "sk-", "_-", 20, 0, 0 },
	{ "hf_", "", 30, 0, TOK_LETTERS }, { "api_org_", "", 30, 0, TOK_LETTERS },
	/* AWS and Alibaba Cloud access key ids */
	{ "AKIA", "", 16, 16, TOK_UPPER }, { "ASIA", "", 16, 16, TOK_UPPER },
	{ "AGPA", "", 16, 16, TOK_UPPER }, { "AIDA", "", 16, 16, TOK_UPPER },
	{ "AROA", "", 16, 16, TOK_UPPER }, { "AIPA", "", 16, 16, TOK_UPPER },
	{ "ANPA", "", 16, 16, TOK_UPPER }, { "ANVA", "", 16, 16, TOK_UPPER },
	{ "ASCA", "", 16, 16, TOK_UPPER }, { "LTAI", "", 20, 24, 0 },
	/* Google: API keys, OAuth client secrets and access tokens */
	{ "AIza", "_-", 35, 35, 0 }, { "GOCSPX-", "_-", 24, 0, 0 },
	{ "ya29.", "_-.", 20, 0, 0 },
	/* payments: Stripe secret, restricted and webhook keys, Square,
	 * Braintree */
	{ "sk_live_", "", 16, 0, 0 }, { "sk_test_", "", 16, 0, 0 },
	{ "sk_prod_", "", 16, 0, 0 }, { "rk_live_", "", 16, 0, 0 },
	{ "rk_test_", "", 16, 0, 0 }, { "rk_prod_", "", 16, 0, 0 },
	{ "whsec_", "", 24, 0, 0 },
	{ "sq0atp-", "_-", 22, 0, 0 }, { "sq0csp-", "_-", 40, 0, 0 },
	{ "access_token$production$", "$", 30, 0, 0 },
	/* Mailgun's (older) API keys */
	{ "key-", "", 32, 32, 0 },
	/* registries and package indexes */
	{ "npm_", "", 36, 36, 0 }, { "pypi-AgEIcHlwaS5vcmc", "_-", 50, 0, 0 },
	{ "pypi-AgENdGVzdC5weXBpLm9yZw", "_-", 50, 0, 0 },	/* TestPyPI */
	{ "dckr_pat_", "_-", 20, 0, 0 }, { "dckr_oat_", "_-", 20, 0, 0 },
	/* infrastructure: Vault, Grafana, DigitalOcean, Databricks,
	 * Pulumi, Atlassian, New Relic, SendGrid, Shopify, Sentry,
	 * 1Password, age */
	{ "hvs.", "_-", 24, 0, 0 }, { "hvb.", "_-", 24, 0, 0 },
	{ "hvr.", "_-", 24, 0, 0 }, { "glsa_", "_", 32, 0, 0 },
	{ "glc_", "+/=", 32, 0, 0 }, { "dop_v1_", "", 64, 64, 0 },
	{ "doo_v1_", "", 64, 64, 0 }, { "dor_v1_", "", 64, 64, 0 },
	{ "dapi", "", 32, 32, 0 }, { "pul-", "", 40, 40, 0 },
	{ "ATATT3", "_=-", 20, 0, 0 }, { "NRAK-", "", 27, 27, TOK_UPPER },
	{ "SG.", "_-.", 60, 0, 0 }, { "shpat_", "", 32, 32, 0 },
	{ "shpss_", "", 32, 32, 0 }, { "shpca_", "", 32, 32, 0 },
	{ "shppa_", "", 32, 32, 0 }, { "sntrys_", "_+/=", 50, 0, 0 },
	{ "ops_eyJ", "+/=", 50, 0, 0 },
	{ "AGE-SECRET-KEY-1", "", 58, 58, TOK_UPPER },
};

/* Letters of both cases: what a generated token has and a word lacks. */
static int
mixed_case(const char *s, size_t n)
{
	int upper = 0, lower = 0;

	for (size_t i = 0; i < n; i++) {
		upper |= isupper((unsigned char)s[i]) != 0;
		lower |= islower((unsigned char)s[i]) != 0;
	}
	return upper && lower;
}

static int
token_fits(const struct token_kind *k, const char *s, size_t n)
{
	if (n < k->min || (k->max && n != k->max))
		return 0;
	if (k->flags & TOK_UPPER) {
		for (size_t j = 0; j < n; j++)
			if (islower((unsigned char)s[j]))
				return 0;
		return 1;
	}
	/* A word after a prefix ("sk-learn") has neither a digit nor both
	 * cases; a random token of letters only still has both (a
	 * 20-character GitLab token has no digit 3 times in 100). */
	return (k->flags & TOK_LETTERS) || has_digit_or_symbol(s, n) ||
	    mixed_case(s, n);
}

static size_t
m_token(const struct text *t, size_t i, struct buf *out)
{
	const struct token_kind *k;
	size_t p, n;

	for (k = tokens; k < tokens + sizeof tokens / sizeof *tokens; k++) {
		/* The first byte first: most words match no prefix. */
		if (k->prefix[0] != t->s[i] || !has_prefix(t, i, k->prefix))
			continue;
		p = strlen(k->prefix);
		n = span(t, i + p, k->chars);
		if (!token_fits(k, t->s + i + p, n))
			continue;
		buf_adds(out, REDACTED);
		return p + n;
	}
	return 0;
}

/* ---- base64 blobs -------------------------------------------------------- */

static int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Decodes up to cap bytes of base64 (standard or URL-safe); the count. */
static size_t
b64_decode(const char *s, size_t n, unsigned char *out, size_t cap)
{
	unsigned int acc = 0;
	size_t len = 0;
	int bits = 0, v;

	for (size_t i = 0; i < n && len < cap && (v = b64_value(s[i])) >= 0;
	    i++) {
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[len++] = (unsigned char)((acc >> bits) & 0xff);
		}
	}
	return len;
}

/* Text, not binary: no NUL, almost no other control bytes. */
static int
is_text(const unsigned char *s, size_t n)
{
	size_t ctl = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\0')
			return 0;
		if ((s[i] < 0x20 && !strchr("\t\n\r", s[i])) || s[i] == 0x7f)
			ctl++;
	}
	return ctl * 20 <= n;
}

/* Line breaks in wrapped base64: "\n" as JSON writes it, or a real
 * one, either after a CR. */
static const char *const line_breaks[] = { "\\r\\n", "\\n", "\r\n",
    "\n" };
#define NBREAKS	(sizeof line_breaks / sizeof *line_breaks)

/* The length of the line break at j, or 0. */
static size_t
line_break(const struct text *t, size_t j)
{
	for (size_t k = 0; k < NBREAKS; k++)
		if (has_prefix(t, j, line_breaks[k]))
			return strlen(line_breaks[k]);
	return 0;
}

/* Lines of wrapped base64 (base64(1) writes 76 columns, openssl and PEM
 * 64): all but the last of one width, a multiple of 4 of 40 or more. */
static int
wrap_width(size_t n)
{
	return n >= 40 && n % 4 == 0;
}

/* The base64 characters of the blob at i (n of them on its first line)
 * into b, its lines joined; returns the length of text it spans. */
static size_t
b64_blob(const struct text *t, size_t i, size_t n, struct buf *b)
{
	size_t j = i + n, br, m;

	buf_add(b, t->s + i, n);
	while (wrap_width(n) && b->len < (1 << 20) &&
	    (br = line_break(t, j)) != 0 &&
	    (m = span(t, j + br, "+/-_")) > 0 && m <= n) {
		buf_add(b, t->s + j + br, m);
		j += br + m;
		if (m < n)
			break;
	}
	return j - i;
}

/*
 * A base64 blob whose decoded text holds a secret is one: a Kubernetes
 * Secret's data ("client-key-data", "tls.key", a .dockerconfigjson with
 * its "auth"), a kubeconfig inside a ConfigMap, or `base64 kubeconfig`
 * wrapped in lines. Only whole runs of at least 24 characters that
 * decode to text are looked into, and only two levels deep.
 */
static size_t
m_b64(const struct text *t, size_t i, struct buf *out)
{
	enum { MIN = 24, MAX = 1 << 20 };
	unsigned char head[3], *text;
	size_t n, pad, len, found, end;
	struct buf scratch = BUF_INIT, blob = BUF_INIT;

	/* A run starts here: not inside one, unless after the letter of
	 * a "\n"-like escape (a blob on the next line of a log); nor in a
	 * blob looked at from an earlier line (which keeps this linear).
	 * Not the shape of the line before: another matcher may replace
	 * it, and a second pass would then look where the first did not. */
	if (t->depth >= 2 || i < *t->b64_seen || b64_value(t->s[i]) < 0 ||
	    (i > 0 && b64_value(t->s[i - 1]) >= 0 && !(i >= 2 &&
	    t->s[i - 2] == '\\' && strchr("nrt", t->s[i - 1]))))
		return 0;
	n = span(t, i, "+/-_");
	if (n < MIN || n > MAX || b64_decode(t->s + i, 4, head, 3) != 3 ||
	    !is_text(head, 3))
		return 0;
	end = i + b64_blob(t, i, n, &blob);
	for (pad = 0; pad < 2 && end + pad < t->len && t->s[end + pad] == '=';
	    pad++)
		;
	found = 0;
	if ((text = malloc(blob.len)) != NULL) {
		len = b64_decode(blob.p, blob.len, text, blob.len);
		found = is_text(text, len) ? redact_text(&scratch,
		    (char *)text, len, t->depth + 1) : 0;
	}
	buf_free(&scratch);
	buf_free(&blob);
	free(text);
	if (found == 0) {
		*t->b64_seen = end;
		return 0;
	}
	buf_adds(out, REDACTED);
	return end + pad - i;
}

/* ---- bot tokens ------------------------------------------------------------ */

/*
 * Discord's bot tokens: the bot's id (17 to 20 digits) in base64url,
 * a timestamp of 6 characters and an HMAC of 27 or more, dot-separated.
 * The id decodes to digits only, which is what tells them apart.
 */
static size_t
m_discord(const struct text *t, size_t i, struct buf *out)
{
	unsigned char id[24];
	size_t a, b, c, n;

	/* base64 of an ASCII digit starts with M, N or O */
	if (t->s[i] < 'M' || t->s[i] > 'O')
		return 0;
	a = span(t, i, "_-");
	if (a < 23 || a > 28 || i + a >= t->len || t->s[i + a] != '.')
		return 0;
	b = span(t, i + a + 1, "_-");
	if (b != 6 || i + a + 1 + b >= t->len || t->s[i + a + 1 + b] != '.')
		return 0;
	c = span(t, i + a + b + 2, "_-");
	n = b64_decode(t->s + i, a, id, sizeof id);
	if (c < 25 || n < 17 || n > 20)
		return 0;
	for (size_t k = 0; k < n; k++)
		if (!isdigit(id[k]))
			return 0;
	buf_adds(out, REDACTED);
	return a + b + c + 2;
}

/*
 * Telegram's bot tokens: the bot's id, ':', about 35 characters (the Bot
 * API's example "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"); in the
 * API's URLs right after "bot", which stays.
 */
static size_t
m_telegram(const struct text *t, size_t i, struct buf *out)
{
	size_t p = has_prefix(t, i, "bot") ? 3 : 0, d = 0, n;

	while (i + p + d < t->len && isdigit((unsigned char)t->s[i + p + d]))
		d++;
	if (d < 6 || d > 12 || i + p + d >= t->len || t->s[i + p + d] != ':')
		return 0;
	n = span(t, i + p + d + 1, "_-");
	if (n < 30 || n > 50 || !mixed_case(t->s + i + p + d + 1, n))
		return 0;
	buf_add(out, t->s + i, p);
	buf_adds(out, REDACTED);
	return p + d + 1 + n;
}

/* Azure DevOps' personal access tokens: 84 letters and digits with the
 * signature "AZDO" at 76 (Microsoft Purview's definition). The older
 * 52-character ones are only known by name (…_PAT). */
static size_t
m_azdo_pat(const struct text *t, size_t i, struct buf *out)
{
	if (span(t, i, NULL) != 84 || memcmp(t->s + i + 76, "AZDO", 4) != 0)
		return 0;
	buf_adds(out, REDACTED);
	return 84;
}

/* ---- URLs ------------------------------------------------------------------ */

/*
 * Webhook URLs whose path is the credential (whoever has one posts as
 * the integration): Slack's services, workflows and triggers, Discord's
 * /api[/vN]/webhooks/ID/TOKEN, Microsoft Teams' …webhook.office.com/
 * webhookb2/…. The host and the path's fixed part stay.
 */
struct hook {
	const char *host;	/* the host, or what it ends with after '.' */
	const char *path;	/* the fixed part before the secret */
};

static const struct hook hooks[] = {
	{ "hooks.slack.com", "/services/" },
	{ "hooks.slack.com", "/workflows/" },
	{ "hooks.slack.com", "/triggers/" },
	{ "discord.com", "/api/webhooks/" },
	{ "discordapp.com", "/api/webhooks/" },
	{ "webhook.office.com", "/webhookb2/" },
};

static int
host_is(const struct text *t, size_t h, size_t hn, const char *host)
{
	size_t n = strlen(host);

	return (hn == n || (hn > n && t->s[h + hn - n - 1] == '.')) &&
	    strncasecmp(t->s + h + hn - n, host, n) == 0;
}

/* The length of a hook's fixed path at j for the host t->s[h..h+hn),
 * or 0. Discord's "/api/" may carry a version: "/api/v10/webhooks/". */
static size_t
hook_path(const struct text *t, size_t h, size_t hn, size_t j)
{
	const struct hook *k;
	size_t v;

	for (k = hooks; k < hooks + sizeof hooks / sizeof *hooks; k++) {
		if (!host_is(t, h, hn, k->host))
			continue;
		if (has_prefix(t, j, k->path))
			return strlen(k->path);
		if (strncmp(k->path, "/api/", 5) == 0 &&
		    has_prefix(t, j, "/api/v")) {
			v = span(t, j + 6, NULL);
			if (v > 0 && has_prefix(t, j + 6 + v, k->path + 4))
				return 6 + v + strlen(k->path + 4);
		}
	}
	return 0;
}

/* The secret after a hook's fixed path at j: its length, or 0. */
static size_t
hook_secret(const struct text *t, size_t j)
{
	return span(t, j, "/_-.@%~");
}

/* https://hooks.slack.com/services/[REDACTED] and the like. */
static size_t
m_webhook(const struct text *t, size_t i, struct buf *out)
{
	size_t h = i + 3, hn, j, p, n;

	if (!has_prefix(t, i, "://"))
		return 0;
	hn = span(t, h, ".-");
	j = h + hn;
	if (j < t->len && t->s[j] == ':')
		j += 1 + span(t, j + 1, "");
	if (hn == 0 || (p = hook_path(t, h, hn, j)) == 0 ||
	    (n = hook_secret(t, j + p)) == 0)
		return 0;
	buf_add(out, t->s + i, j + p - i);
	buf_adds(out, REDACTED);
	return j + p + n - i;
}

/* hooks.slack.com/services/T…/B…/secret without a scheme. */
static size_t
m_slack_hook(const struct text *t, size_t i, struct buf *out)
{
	static const char host[] = "hooks.slack.com";
	size_t hn = sizeof host - 1, p, n;

	if (!has_prefix(t, i, host) ||
	    (p = hook_path(t, i, hn, i + hn)) == 0 ||
	    (n = hook_secret(t, i + hn + p)) == 0)
		return 0;
	buf_add(out, t->s + i, hn + p);
	buf_adds(out, REDACTED);
	return hn + p + n;
}

/*
 * scheme://user:password@host (postgres://, mongodb+srv://, redis://,
 * https://…) — keep the user, drop the password. The last '@' of the
 * authority ends it: a password with an unencoded '@' goes whole.
 */
static size_t
m_userinfo(const struct text *t, size_t i, struct buf *out)
{
	size_t j, colon = 0, at = 0;

	if (!has_prefix(t, i, "://"))
		return 0;
	for (j = i + 3; j < t->len; j++) {
		char c = t->s[j];

		/* RFC 3986 userinfo characters only ('[' ends it, so an
		 * already redacted password is left alone). */
		if (!isgraph((unsigned char)c) || (unsigned char)c > 0x7e ||
		    strchr("/?#\"'<>\\[]{}|^`", c))
			break;
		if (c == ':' && colon == 0 && at == 0)
			colon = j;
		if (c == '@')
			at = j;
	}
	/* Redacted before: taken as it is, as far as the first time. */
	if (at == 0 && colon != 0 && j == colon + 1 &&
	    has_prefix(t, j, REDACTED "@")) {
		buf_add(out, t->s + i, j + sizeof REDACTED - i);
		return j + sizeof REDACTED - i;
	}
	if (at == 0 || colon == 0 || colon > at || colon + 1 == at)
		return 0;
	/* The user name may itself be a token ("https://ghp_…:x@"). */
	buf_adds(out, "://");
	redact_text(out, t->s + i + 3, colon - i - 3, t->depth);
	buf_addc(out, ':');
	buf_adds(out, REDACTED);
	buf_addc(out, '@');
	return at + 1 - i;
}

/* ---- authorization schemes -------------------------------------------------- */

static int
base64_has_colon(const char *s, size_t n)
{
	unsigned char dec[512];
	size_t len = b64_decode(s, n, dec, sizeof dec);

	return memchr(dec, ':', len) != NULL;
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

/* ---- values: where they start and end ------------------------------------- */

/*
 * The quote at j: '"', '\'', or a '"' escaped once or more — '\"' in a
 * JSON string, '\\\"' in a JSON string inside one (a log line holding
 * JSON that holds JSON). Its length, or 0.
 */
static size_t
quote_at(const struct text *t, size_t j)
{
	size_t k = j;

	if (j < t->len && (t->s[j] == '"' || t->s[j] == '\''))
		return 1;
	while (k < t->len && t->s[k] == '\\')
		k++;
	return k > j && (k - j) % 2 == 1 && k < t->len && t->s[k] == '"' ?
	    k + 1 - j : 0;
}

/* Skips a closing quote after a key (quote_at). */
static size_t
skip_quote(const struct text *t, size_t j)
{
	return j + quote_at(t, j);
}

/*
 * The end of a string opened at j by an escaped quote q bytes long: the
 * next quote escaped as much. One escaped more is inside the string (a
 * quote in the password); one escaped less, or a bare '"', ends the
 * string that holds it, so this one too.
 */
static size_t
escaped_string_end(const struct text *t, size_t j, size_t q)
{
	size_t k, r;

	for (k = j + q; k < t->len; k++) {
		if (t->s[k] == '"')
			return k;
		if (t->s[k] != '\\')
			continue;
		for (r = 0; k + r < t->len && t->s[k + r] == '\\'; r++)
			;
		/* An even run escapes itself: the quote after it is bare. */
		if (k + r < t->len && t->s[k + r] == '"' && r % 2 == 0)
			return k + r;
		if (k + r < t->len && t->s[k + r] == '"' && r <= q - 1)
			return k;
		k += r;		/* the run, and what it escapes */
	}
	return t->len;
}

static size_t
skip_spaces(const struct text *t, size_t j)
{
	while (j < t->len && (t->s[j] == ' ' || t->s[j] == '\t'))
		j++;
	return j;
}

/* The end of a value starting at j; *skip: its opening quote's length. */
static size_t
value_end(const struct text *t, size_t j, size_t *skip)
{
	size_t k;

	*skip = 0;
	if ((k = quote_at(t, j)) > 1) {
		*skip = k;
		return escaped_string_end(t, j, k);
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

/* ---- command lines ---------------------------------------------------------- */

enum {
	CMD_GLUED = 1,		/* -pSECRET */
	CMD_NEXT = 2,		/* -p SECRET, --user SECRET, --user=SECRET */
	CMD_USERPASS = 4	/* the value is user:SECRET */
};

/*
 * Flags whose value is a password only for some programs: mysql's -p
 * takes its password glued (a separate word is the database), redis-cli
 * -a, mongosh -p, sshpass -p, ldapsearch -w and sqlcmd -P a separate
 * one, docker/podman/helm registry/az login -p either, curl -u and -U
 * user:password. Programs are space-separated, with spaces around.
 */
struct cmd_flag {
	const char *flag;
	int form;
	const char *programs;
	const char *sub;	/* a word between program and flag, or NULL */
};

static const struct cmd_flag cmd_flags[] = {
	{ "-p", CMD_GLUED, " mysql mysqldump mysqladmin mysqlimport mysqlshow "
	    "mysqlcheck mysqlpump mysqlsh mysqlslap mysqlbinlog mariadb "
	    "mariadb-dump mariadb-admin mariadb-import mariadb-show "
	    "mariadb-check mariadb-slap mariadb-binlog ", NULL },
	{ "-a", CMD_NEXT, " redis-cli valkey-cli keydb-cli ", NULL },
	{ "-p", CMD_NEXT, " mongo mongosh mongodump mongorestore mongoexport "
	    "mongoimport mongostat mongotop mongofiles rabbitmqadmin ", NULL },
	{ "-p", CMD_GLUED | CMD_NEXT, " docker podman nerdctl buildah skopeo "
	    "helm oras crane regctl az ", "login" },
	{ "-p", CMD_GLUED | CMD_NEXT, " sshpass ", NULL },
	{ "-w", CMD_GLUED | CMD_NEXT, " ldapsearch ldapadd ldapmodify "
	    "ldapdelete ldapwhoami ldappasswd ldapcompare ldapmodrdn "
	    "ldapexop ", NULL },
	{ "-P", CMD_NEXT, " sqlcmd bcp mosquitto_pub mosquitto_sub "
	    "mosquitto_rr ", NULL },
	{ "-u", CMD_GLUED | CMD_NEXT | CMD_USERPASS, " curl ", NULL },
	{ "-U", CMD_GLUED | CMD_NEXT | CMD_USERPASS, " curl ", NULL },
	{ "--user", CMD_NEXT | CMD_USERPASS, " curl ", NULL },
	{ "--proxy-user", CMD_NEXT | CMD_USERPASS, " curl ", NULL },
};

/* A byte of a command word (a program, an argument). */
static int
cmd_char(char c)
{
	return isgraph((unsigned char)c) && !strchr("\"'`,;|&(){}[]<>\\", c);
}

/* A byte no command reaches back over: a new command or structure. */
static int
cmd_boundary(char c)
{
	return c == '\0' || c == '\n' || strchr(";|&`(){}[]", c) != NULL;
}

/* Whether the word s[a..b) (its basename) is one of the listed. */
static int
word_in(const char *s, size_t a, size_t b, const char *list)
{
	const char *p;

	for (p = s + b; p > s + a && p[-1] != '/'; p--)
		;
	a = (size_t)(p - s);
	for (p = list; (p = strchr(p, ' ')) != NULL && p[1] != '\0'; p++) {
		size_t n = strcspn(p + 1, " ");

		if (n == b - a && memcmp(p + 1, s + a, n) == 0)
			return 1;
	}
	return 0;
}

/*
 * The flag at i belongs to one of f's programs: the words before it on
 * the same command (at most 400 bytes back, not past ;, |, &&, a
 * newline or a JSON "\n") name the program, and f->sub comes between.
 */
static int
in_command(const struct text *t, size_t i, const struct cmd_flag *f)
{
	const char *s = t->s;
	size_t lo = i > 400 ? i - 400 : 0, a, b = i;
	int seen_sub = f->sub == NULL, stop = 0;

	while (!stop && b > lo) {
		while (b > lo && !cmd_char(s[b - 1])) {
			if (cmd_boundary(s[b - 1]))
				return 0;
			b--;
		}
		for (a = b; a > lo && cmd_char(s[a - 1]); a--)
			;
		/* "\nmysql": the escape's letter starts a new line. */
		if (a > lo && s[a - 1] == '\\' && a < b && strchr("nrt", s[a])) {
			stop = s[a] != 't';
			a++;
		}
		if (a == b)
			break;
		if (!seen_sub)
			seen_sub = b - a == strlen(f->sub) &&
			    memcmp(s + a, f->sub, b - a) == 0;
		else if (word_in(s, a, b, f->programs))
			return 1;
		b = a;
	}
	return 0;
}

/* Where a flag's value starts, per the forms it takes; 0: none. */
static size_t
cmd_value(const struct text *t, size_t i, size_t n, int form)
{
	size_t j = i + n;

	if (j >= t->len)
		return 0;
	if ((form & CMD_NEXT) && n > 2 && t->s[j] == '=')
		return j + 1;
	if ((form & CMD_GLUED) && cmd_char(t->s[j]))
		return j;
	if ((form & CMD_NEXT) && !cmd_char(t->s[j]))
		return flag_value(t, i, n);
	return 0;
}

static size_t
m_cmd_flag(const struct text *t, size_t i, struct buf *out)
{
	const struct cmd_flag *f;
	size_t n, j, end, skip;
	const char *colon;

	if (t->s[i] != '-')
		return 0;
	for (f = cmd_flags; f < cmd_flags + sizeof cmd_flags /
	    sizeof *cmd_flags; f++) {
		n = strlen(f->flag);
		if (!has_prefix(t, i, f->flag) ||
		    (j = cmd_value(t, i, n, f->form)) == 0)
			continue;
		end = value_end(t, j, &skip);
		j += skip;
		if (f->form & CMD_USERPASS) {
			colon = memchr(t->s + j, ':', end - j);
			if (colon == NULL)
				continue;	/* curl asks for it */
			j = (size_t)(colon - t->s) + 1;
		}
		if (end <= j || !in_command(t, i, f))
			continue;
		/* Replaced before: taken as it is, the same stretch as the
		 * first time, so nothing inside is looked at again. */
		if (is_redaction(t->s + j, end - j)) {
			buf_add(out, t->s + i, end - i);
			return end - i;
		}
		if (redacted(t->s + j, end - j))
			continue;
		buf_add(out, t->s + i, j - i);
		buf_adds(out, REDACTED);
		return end - i;
	}
	return 0;
}

/* ---- named values -------------------------------------------------------------- */

enum {
	NAME_SEGMENT = 1,	/* a whole word of the name: "pass", "db_pass",
				 * "dbPass", not "bypass" */
	NAME_GATED = 2,		/* only values that look generated */
	NAME_NOT = 4,		/* not a secret, though a shorter one matches */
	NAME_LINE = 8		/* a bare value runs to the end of the line
				 * (a Cookie header: every cookie in it) */
};

struct secret_name {
	const char *word;	/* the name's ending, lower case */
	size_t len;
	int flags;
};

#define NAME(w, f)	{ w, sizeof w - 1, f }

static const struct secret_name secret_names[] = {
	NAME("password", 0), NAME("passwd", 0), NAME("pwd", 0),
	NAME("passphrase", 0), NAME("pass", NAME_SEGMENT),
	NAME("pw", NAME_SEGMENT), NAME("pat", NAME_SEGMENT),
	NAME("secret", 0), NAME("token", 0),
	NAME("bearer", 0), NAME("apikey", 0), NAME("api_key", 0),
	NAME("api-key", 0), NAME("accesskey", 0), NAME("access_key", 0),
	NAME("access-key", 0), NAME("secretkey", 0), NAME("secret_key", 0),
	NAME("secret-key", 0), NAME("privatekey", 0), NAME("private_key", 0),
	NAME("private-key", 0), NAME("accountkey", 0),
	NAME("account_key", 0), NAME("account-key", 0),
	NAME("credential", 0), NAME("credentials", 0), NAME("auth", 0),
	NAME("authorization", 0), NAME("client-key-data", 0),
	NAME("client-certificate-data", 0), NAME("key", NAME_GATED),
	NAME("signature", NAME_GATED), NAME("sig", NAME_SEGMENT | NAME_GATED),
	NAME("cookie", NAME_SEGMENT | NAME_LINE), NAME("set-cookie", 0),
	NAME("sessionid", 0), NAME("session_id", 0), NAME("session-id", 0),
	NAME("sessid", 0), NAME("session", NAME_SEGMENT | NAME_GATED),
	NAME("publickey", NAME_NOT), NAME("public_key", NAME_NOT),
	NAME("public-key", NAME_NOT), NAME("pubkey", NAME_NOT),
};

/* The word ends the name s[0..n) as a word of its own. */
static int
segment_end(const char *s, size_t n, size_t w)
{
	char before;

	if (n == w)
		return 1;
	before = s[n - w - 1];
	return strchr("_-.", before) != NULL || (islower((unsigned char)before)
	    && isupper((unsigned char)s[n - w]));
}

/* The longest entry of secret_names the name s[0..n) ends with; NULL:
 * none, or one marked NAME_NOT. */
static const struct secret_name *
secret_name(const char *s, size_t n)
{
	const struct secret_name *best = NULL, *e;
	char last;

	if (n == 0)
		return NULL;
	last = (char)tolower((unsigned char)s[n - 1]);
	for (e = secret_names; e < secret_names + sizeof secret_names /
	    sizeof *secret_names; e++) {
		/* The last letter first: most names end in none of them. */
		if (e->word[e->len - 1] != last || n < e->len ||
		    strncasecmp(s + n - e->len, e->word, e->len) != 0 ||
		    ((e->flags & NAME_SEGMENT) && !segment_end(s, n, e->len)))
			continue;
		if (best == NULL || e->len > best->len)
			best = e;
	}
	return best && !(best->flags & NAME_NOT) ? best : NULL;
}

/*
 * A value that looks generated rather than written: 16 or more
 * characters of base64, URL-encoded or hex text, with upper and lower
 * case and digits, or 32 or more hex digits. "kube-system/coredns" and
 * "/etc/ssl/tls.key" do not; "wJalrXUtnFEMI/K7MDENG" does.
 */
static int
looks_generated(const char *s, size_t n)
{
	int upper = 0, lower = 0, digit = 0, hex = 1;

	if (n < 16)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isalnum(c) && !strchr("+/=_-.~%", c))
			return 0;
		upper |= isupper(c) != 0;
		lower |= islower(c) != 0;
		digit |= isdigit(c) != 0;
		hex &= isxdigit(c) != 0;
	}
	return (upper && lower && digit) || (hex && digit && n >= 32 &&
	    (upper || lower));
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

/* Authorization's value is "SCHEME CREDENTIALS" whatever the scheme
 * (RFC 9110, 11.4): Bot (Discord), ApiKey (Elasticsearch), SSWS (Okta),
 * GenieKey (Opsgenie), Splunk, sso-key (GoDaddy) as much as Bearer. The
 * scheme's length with its space, or 0. */
static size_t
any_scheme(const struct text *t, size_t j)
{
	size_t n = span(t, j, "-_.");

	if (n == 0 || n > 32 || j + n + 1 >= t->len || t->s[j + n] != ' ' ||
	    !isgraph((unsigned char)t->s[j + n + 1]))
		return 0;
	return n + 1;
}

/* A value that holds no secret of its own: true, false, null, or, not
 * quoted, a JSON object or array (its members are looked at one by one). */
static int
no_secret(const char *s, size_t n, size_t quote)
{
	return (quote == 0 && n > 0 && (*s == '{' || *s == '[')) ||
	    (n == 4 && (memcmp(s, "true", 4) == 0 ||
	    memcmp(s, "null", 4) == 0)) || (n == 5 && memcmp(s, "false", 5)
	    == 0);
}

/*
 * Label sets name things: kube-state-metrics labels a Secret's series
 * with its name ({"metric":{…,"secret":"db-creds"}}), and alerts and
 * log streams carry the same labels ("labels", "stream"). A name of
 * lower-case letters, digits, '-' and '.' right inside one of those
 * objects is not a secret.
 */
static int
secret_label(const struct text *t, size_t i, size_t n, size_t v, size_t e)
{
	static const char *const sets[] = { "\"metric\":", "\"labels\":",
	    "\"stream\":" };
	size_t k, w;

	if (n != 6 || memcmp(t->s + i, "secret", 6) != 0 || e <= v)
		return 0;
	for (k = v; k < e; k++)
		if (!islower((unsigned char)t->s[k]) &&
		    !isdigit((unsigned char)t->s[k]) && !strchr("-.", t->s[k]))
			return 0;
	for (k = i; k > 0 && t->s[k - 1] != '{'; k--)
		if (t->s[k - 1] == '}')
			return 0;
	for (size_t j = 0; j < sizeof sets / sizeof *sets; j++) {
		w = strlen(sets[j]);
		if (k >= w + 1 && memcmp(t->s + k - 1 - w, sets[j], w) == 0)
			return 1;
	}
	return 0;
}

/* The end of the line a bare value at j is on: a newline, "\n" or "\r"
 * as JSON writes them, or the quote that ends the JSON string. */
static size_t
line_end(const struct text *t, size_t j)
{
	size_t k;

	for (k = j; k < t->len; k++) {
		char c = t->s[k];

		if (c == '\n' || c == '\r' || c == '"' || c == '\0' ||
		    (c == '\\' && k + 1 < t->len && strchr("nr\"", t->s[k + 1])
		    && t->s[k + 1] != '\0'))
			break;
	}
	return k;
}

/* password=… , "client_secret": "…", DB_PASSWORD","value":"…" */
static size_t
m_pair(const struct text *t, size_t i, struct buf *out)
{
	const struct secret_name *name;
	size_t n, j, skip, end, sw, v;
	int json;

	n = span(t, i, "_.-");
	if (n == 0 || (name = secret_name(t->s + i, n)) == NULL)
		return 0;
	if ((j = separator(t, i + n)) == 0 && (j = flag_value(t, i, n)) == 0)
		return 0;
	/* "key": 1234 in JSON: the replacement is a JSON string. */
	json = i > 0 && t->s[i - 1] == '"' && (i < 2 || t->s[i - 2] != '\\')
	    && i + n < t->len && t->s[i + n] == '"' && t->s[j - 1] == ':';
	j = skip_spaces(t, j);
	end = value_end(t, j, &skip);
	sw = skip ? 0 : scheme_word(t, j);
	if (sw == 0 && skip == 0 && strcmp(name->word, "authorization") == 0)
		sw = any_scheme(t, j);
	if (sw) {
		size_t s2;

		end = value_end(t, j + sw, &s2);
		if (s2)
			return 0;
	}
	v = j + skip + sw;
	if ((name->flags & NAME_LINE) && skip == 0 && sw == 0)
		end = line_end(t, v);
	/* "PRIVATE_KEY=-----BEGIN …": a bare value would end at the first
	 * space or "\n", leaving the key's body; the PEM matcher takes the
	 * whole block when the scan reaches it. */
	if (skip == 0 && sw == 0 && has_prefix(t, v, "-----BEGIN "))
		return 0;
	/* Replaced before: taken as it is, so a second pass consumes what
	 * the first did. Redacted in part by other matchers: left alone. */
	if (is_redaction(t->s + v, end - v)) {
		buf_add(out, t->s + i, end - i);
		return end - i;
	}
	if (end <= v || redacted(t->s + v, end - v) ||
	    no_secret(t->s + v, end - v, skip) ||
	    ((name->flags & NAME_GATED) && !looks_generated(t->s + v, end - v))
	    || secret_label(t, i, n, v, end))
		return 0;
	buf_add(out, t->s + i, v - i);
	if (json && skip == 0 && sw == 0) {
		buf_adds(out, "\"" REDACTED "\"");
		return end - i;
	}
	buf_adds(out, REDACTED);
	return end - i;
}

/* ---- JSON Web Keys ------------------------------------------------------------ */

/*
 * The private members of a JSON Web Key (RFC 7518, 6.2.2, 6.3.2 and
 * 6.4.1; RFC 8037 for OKP keys): a JWK set with private keys (an OIDC
 * provider's signing keys, an exported realm) gives them away whole.
 * Named "d" or "k" they are secrets only in a text that has a "kty"
 * member, and only as base64url. Not the object around them: which
 * object that is would change as values holding braces are redacted,
 * and a second pass would find more (redacting twice must not).
 */
static const char *const jwk_private[] = { "d", "p", "q", "dp", "dq", "qi",
    "k" };

/* A JWK's private member is base64url of 16 or more characters (an
 * HS256 key is 22, an EC or Ed25519 private key 43). */
static int
jwk_value(const char *s, size_t n)
{
	if (n < 16)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '=')
			return 0;
	return 1;
}

/* "d":"…" in a JWK (quoted keys only: JWKs are JSON). */
static size_t
m_jwk(const struct text *t, size_t i, struct buf *out)
{
	size_t n = span(t, i, NULL), j, q, end, skip, k;

	if (i == 0 || t->s[i - 1] != '"' || n > 2)
		return 0;
	for (k = 0; k < sizeof jwk_private / sizeof *jwk_private; k++)
		if (strlen(jwk_private[k]) == n &&
		    memcmp(t->s + i, jwk_private[k], n) == 0)
			break;
	if (k == sizeof jwk_private / sizeof *jwk_private ||
	    (q = quote_at(t, i + n)) == 0)
		return 0;
	j = skip_spaces(t, i + n + q);
	if (j >= t->len || t->s[j] != ':')
		return 0;
	j = skip_spaces(t, j + 1);
	end = value_end(t, j, &skip);
	if (!t->jwk || skip == 0 || end <= j + skip)
		return 0;
	if (is_redaction(t->s + j + skip, end - j - skip)) {
		buf_add(out, t->s + i, end - i);
		return end - i;
	}
	if (!jwk_value(t->s + j + skip, end - j - skip))
		return 0;
	buf_add(out, t->s + i, j + skip - i);
	buf_adds(out, REDACTED);
	return end - i;
}

/* ---- the engine ---------------------------------------------------------------- */

typedef size_t (*matcher)(const struct text *, size_t, struct buf *);

static size_t
redact_text(struct buf *out, const char *s, size_t len, int depth)
{
	static const matcher anywhere[] = { m_pem, m_userinfo, m_webhook,
	    m_slack_hook, m_putty };
	static const matcher at_word[] = { m_jwt, m_token, m_discord,
	    m_telegram, m_azdo_pat, m_b64, m_auth_scheme, m_cmd_flag, m_pair,
	    m_jwk };
	size_t b64_seen = 0;
	struct text t = { s, len, depth, memmem(s, len, "\"kty", 4) != NULL,
	    &b64_seen };
	size_t i = 0, run = 0, n, count = 0, k, last = (size_t)-1, mark = 0;

	while (i < len) {
		n = 0;
		/* The bytes the anywhere matchers start with. */
		if (s[i] == '-' || s[i] == ':' || s[i] == 'h' || s[i] == 'P') {
			buf_add(out, s + run, i - run);
			run = i;
			mark = out->len;
			for (k = 0; n == 0 && k < sizeof anywhere /
			    sizeof *anywhere; k++)
				n = anywhere[k](&t, i, out);
		}
		/* Right after a replacement counts as a word start: the
		 * replacement ends in ']', as it will when redacted again. */
		/* "--db-password=…": a flag is a word, dashes and all; so
		 * is .npmrc's "_authToken=…", underscore and all. */
		if (n == 0 && (is_alnum(s[i]) || s[i] == '-' || s[i] == '_') &&
		    (word_start(&t, i) || i == last)) {
			buf_add(out, s + run, i - run);
			run = i;
			mark = out->len;
			for (k = 0; n == 0 && k < sizeof at_word / sizeof *at_word;
			    k++)
				n = at_word[k](&t, i, out);
		}
		if (n > 0) {
			/* A matcher may take a stretch as it is (redacted
			 * before): that is no new secret. */
			count += out->len - mark != n ||
			    memcmp(out->p + mark, s + i, n) != 0;
			i += n;
			run = last = i;
		} else {
			i++;
		}
	}
	buf_add(out, s + run, len - run);
	return count;
}

size_t
redact(struct buf *out, const char *s, size_t len)
{
	return redact_text(out, s, len, 0);
}
