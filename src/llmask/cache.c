/* cache.c — answers on disk, keyed by what shapes them.
 *
 * One file per answer, DIR/<sha256>.json, written to a temporary name and
 * renamed, so concurrent CronJobs sharing a volume never read half an
 * entry. The key covers the API, the URL and the exact request body
 * (model, messages after redaction and masking, options, format), and
 * nothing that does not change the answer (tokens, timeouts).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "buf.h"
#include "cache.h"
#include "jsonl.h"
#include "msg.h"

void
cache_key(char hex[65], const char *api, const char *url, const char *body,
    size_t body_len)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	/* NUL separators: no two different triples hash the same text. */
	if (ctx == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, "llmask-cache-1", 15) != 1 ||
	    EVP_DigestUpdate(ctx, api, strlen(api) + 1) != 1 ||
	    EVP_DigestUpdate(ctx, url, strlen(url) + 1) != 1 ||
	    EVP_DigestUpdate(ctx, body, body_len) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &n) != 1 || n != 32)
		msg_die(EXIT_USAGE, "cannot compute SHA-256 (libcrypto)");
	EVP_MD_CTX_free(ctx);
	for (unsigned int i = 0; i < n; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
}

static char *
entry_path(const char *dir, const char *hex, const char *suffix)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%s/%s.json%s", dir, hex, suffix);
	return buf_detach(&b);
}

jv
cache_get(const char *dir, const char *hex)
{
	char *path = entry_path(dir, hex, "");
	struct buf b = BUF_INIT;
	char chunk[8192];
	FILE *fp;
	size_t n;
	jv v = jv_invalid();

	if ((fp = fopen(path, "r")) != NULL) {
		while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
			buf_add(&b, chunk, n);
		if (!ferror(fp) && b.len > 0)
			v = jsonl_parse(b.p, b.len);
		fclose(fp);
	}
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		jv_free(v);
		v = jv_invalid();
	}
	buf_free(&b);
	free(path);
	return v;
}

int
cache_put(const char *dir, const char *hex, jv entry)
{
	char *path = entry_path(dir, hex, "");
	char *tmp = NULL;
	struct buf suffix = BUF_INIT;
	FILE *fp = NULL;
	int rc = -1;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		msg_warn("cannot create cache '%s': %s", dir, strerror(errno));
		goto out;
	}
	buf_printf(&suffix, ".%ld.tmp", (long)getpid());
	tmp = entry_path(dir, hex, suffix.p);
	if ((fp = fopen(tmp, "w")) == NULL) {
		msg_warn("cannot write cache '%s': %s", tmp, strerror(errno));
		goto out;
	}
	if (jsonl_write(fp, jv_copy(entry)) != 0 || fclose(fp) != 0) {
		fp = NULL;
		msg_warn("cannot write cache '%s': %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	fp = NULL;
	if (rename(tmp, path) != 0) {
		msg_warn("cannot write cache '%s': %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	if (fp)
		fclose(fp);
	jv_free(entry);
	buf_free(&suffix);
	free(tmp);
	free(path);
	return rc;
}
