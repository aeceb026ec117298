/* change.c — a change set: checked paths, bytes, git blob ids and the
 * branch name derived from them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "msg.h"
#include "prpost.h"

char **
strv_new(void)
{
	return xcalloc(1, sizeof(char *));
}

void
strv_add(char ***v, const char *s)
{
	size_t n = 0;

	while ((*v)[n] != NULL)
		n++;
	*v = xrealloc(*v, (n + 2) * sizeof **v);
	(*v)[n] = xstrdup(s);
	(*v)[n + 1] = NULL;
}

void
strv_free(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/*
 * Forges take a path relative to the repository's root, '/'-separated.
 * "./a", "a//b", "../x" and a trailing '/' are refused rather than
 * normalised: a path that means something else than it says is a
 * mistake upstream, and guessing might write the wrong file.
 */
const char *
path_refused(const char *p)
{
	const char *s, *e;

	if (*p == '\0')
		return "empty path";
	if (*p == '/')
		return "absolute path (paths are relative to the repository root)";
	for (s = p; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return "control character in path";
	if (strlen(p) > 4096)
		return "path longer than 4096 bytes";
	/* A JSON string would carry U+FFFD instead: another file. */
	if (!is_text(p, strlen(p)))
		return "path is not valid UTF-8";
	for (s = p; ; s = e + 1) {
		e = s + strcspn(s, "/");
		if (e == s)
			return "empty path component (a trailing or doubled '/')";
		if ((e - s == 1 && s[0] == '.') ||
		    (e - s == 2 && s[0] == '.' && s[1] == '.'))
			return "'.' or '..' component in path";
		if (e - s == 4 && strncmp(s, ".git", 4) == 0)
			return "'.git' component in path";
		if (*e == '\0')
			break;
	}
	return NULL;
}

void
git_blob_id(const char *data, size_t len, char out[41])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char head[32];
	int n = snprintf(head, sizeof head, "blob %zu", len);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (ctx == NULL || !EVP_DigestInit_ex(ctx, EVP_sha1(), NULL))
		msg_oom();
	EVP_DigestUpdate(ctx, head, (size_t)n + 1);	/* with its NUL */
	EVP_DigestUpdate(ctx, data, len);
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	for (unsigned int i = 0; i < mdlen && i < 20; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[40] = '\0';
}

int
is_text(const char *data, size_t len)
{
	const unsigned char *s = (const unsigned char *)data;
	size_t i = 0, n;
	unsigned cp;

	while (i < len) {
		if (s[i] == 0)
			return 0;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			n = 1;
			cp = s[i] & 0x1f;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 2;
			cp = s[i] & 0x0f;
		} else if ((s[i] & 0xf8) == 0xf0) {
			n = 3;
			cp = s[i] & 0x07;
		} else {
			return 0;
		}
		for (size_t k = 1; k <= n; k++) {
			if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		/* overlong forms, surrogates, past U+10FFFF */
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

char *
b64_encode(const char *data, size_t len)
{
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)data,
	    (int)len);
	return out;
}

char *
b64_decode(const char *text, size_t len, size_t *outlen)
{
	char *clean = xmalloc(len + 1), *out;
	size_t n = 0, pad = 0;
	int got;

	/* GitHub wraps base64 at 60 columns. */
	for (size_t i = 0; i < len; i++)
		if (text[i] != '\n' && text[i] != '\r')
			clean[n++] = text[i];
	if (n % 4 != 0) {
		free(clean);
		return NULL;
	}
	if (n > 0 && clean[n - 1] == '=')
		pad++;
	if (n > 1 && clean[n - 2] == '=')
		pad++;
	out = xmalloc(n / 4 * 3 + 1);
	got = EVP_DecodeBlock((unsigned char *)out, (unsigned char *)clean,
	    (int)n);
	free(clean);
	if (got < 0 || (size_t)got < pad) {
		free(out);
		return NULL;
	}
	*outlen = (size_t)got - pad;
	out[*outlen] = '\0';
	return out;
}

const char *
change_add(struct change *c, const char *path, const char *data, size_t len,
    int delete)
{
	const char *why = path_refused(path);
	struct file *f;

	if (why != NULL)
		return why;
	c->files = xrealloc(c->files, (c->nfiles + 1) * sizeof *c->files);
	f = &c->files[c->nfiles++];
	memset(f, 0, sizeof *f);
	f->path = xstrdup(path);
	f->delete = delete;
	if (!delete) {
		f->data = xmalloc(len + 1);
		memcpy(f->data, data, len);
		f->data[len] = '\0';
		f->len = len;
		git_blob_id(f->data, len, f->blob);
	}
	return NULL;
}

static int
by_path(const void *a, const void *b)
{
	return strcmp(((const struct file *)a)->path,
	    ((const struct file *)b)->path);
}

/*
 * A name a person can read ("opspipe/apps-web-nginx-yaml-…") and a hash
 * of what the change is (base, paths, blob ids), so the same change
 * always lands on the same branch whatever its title says.
 */
static char *
derive_branch(const struct change *c)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct buf b = BUF_INIT;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const char *s;
	size_t slug;

	if (ctx == NULL || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		msg_oom();
	EVP_DigestUpdate(ctx, c->base, strlen(c->base) + 1);
	for (size_t i = 0; i < c->nfiles; i++) {
		const struct file *f = &c->files[i];

		EVP_DigestUpdate(ctx, f->path, strlen(f->path) + 1);
		EVP_DigestUpdate(ctx, f->delete ? "-" : f->blob,
		    f->delete ? 2 : 41);
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	buf_adds(&b, "opspipe/");
	slug = b.len;
	for (s = c->files[0].path; *s && b.len - slug < 40; s++) {
		char ch = *s;

		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
			buf_addc(&b, ch);
		else if (b.len > slug && b.p[b.len - 1] != '-')
			buf_addc(&b, '-');
	}
	while (b.len > slug && b.p[b.len - 1] == '-')
		b.p[--b.len] = '\0';
	if (b.len == slug)
		buf_adds(&b, "change");
	buf_addc(&b, '-');
	for (int i = 0; i < 6; i++) {
		buf_addc(&b, hex[md[i] >> 4]);
		buf_addc(&b, hex[md[i] & 15]);
	}
	return buf_detach(&b);
}

char *
change_finish(struct change *c)
{
	struct buf b = BUF_INIT;

	qsort(c->files, c->nfiles, sizeof *c->files, by_path);
	for (size_t i = 1; i < c->nfiles; i++)
		if (strcmp(c->files[i - 1].path, c->files[i].path) == 0) {
			buf_printf(&b, "path '%s' given twice", c->files[i].path);
			return buf_detach(&b);
		}
	if (c->branch == NULL)
		c->branch = derive_branch(c);
	return NULL;
}

/* git check-ref-format's rules, for a branch under refs/heads/. */
const char *
branch_refused(const char *name)
{
	size_t n = strlen(name);

	if (n == 0)
		return "empty branch name";
	for (const char *s = name; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f ||
		    strchr("~^:?*[\\", *s) != NULL)
			return "a branch name may not hold blanks, control "
			    "characters or any of ~^:?*[\\";
	/* URLs would carry its bytes, JSON bodies U+FFFD: two branches. */
	if (!is_text(name, n))
		return "a branch name must be valid UTF-8";
	if (strstr(name, "..") || strstr(name, "@{") || strstr(name, "//") ||
	    strstr(name, "/.") || name[0] == '/' || name[0] == '.' ||
	    name[0] == '-' || name[n - 1] == '/' || name[n - 1] == '.' ||
	    strcmp(name, "@") == 0 ||
	    (n >= 5 && strcmp(name + n - 5, ".lock") == 0))
		return "not a valid git branch name";
	return NULL;
}

void
change_free(struct change *c)
{
	for (size_t i = 0; i < c->nfiles; i++) {
		free(c->files[i].path);
		free(c->files[i].data);
	}
	free(c->files);
	free(c->repo);
	free(c->base);
	free(c->branch);
	free(c->title);
	free(c->body);
	strv_free(c->labels);
	strv_free(c->reviewers);
	memset(c, 0, sizeof *c);
}
