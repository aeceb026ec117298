/* mask.c — Kubernetes names, IPs and hostnames behind stable placeholders.
 *
 * Names are learned from the fields that hold them (a pod's name, a
 * Prometheus "namespace" label) and then replaced wherever they appear as
 * a word, so an event message "Back-off restarting failed container web
 * in pod web-7d9f-x2" is masked as well as the field it came from. IPv4
 * and IPv6 addresses and dotted hostnames are recognised by shape.
 * Placeholders say what was there ("pod-3") so the model can still
 * reason, and are restored in its answer.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "mask.h"
#include "msg.h"

struct entry {
	char *orig, *ph;
};

struct counter {
	char *prefix;
	unsigned long n;
};

struct mask {
	struct entry *e;
	size_t n, cap;
	uint32_t *by_orig, *by_ph;	/* open addressing: entry index + 1 */
	size_t slots;			/* power of two */
	struct counter *counters;
	size_t ncounters;
};

/* Fields whose string value names something, and what to call it. */
static const struct {
	const char *key, *prefix;
} name_keys[] = {
	{ "namespace", "ns" }, { "exported_namespace", "ns" },
	{ "pod", "pod" }, { "pod_name", "pod" }, { "podName", "pod" },
	{ "exported_pod", "pod" },
	{ "node", "node" }, { "nodeName", "node" }, { "node_name", "node" },
	{ "host", "host" }, { "hostname", "host" }, { "hostName", "host" },
	{ "instance", "host" },
	{ "container", "container" }, { "container_name", "container" },
	{ "deployment", "deploy" }, { "statefulset", "sts" },
	{ "daemonset", "ds" }, { "replicaset", "rs" }, { "job_name", "job" },
	{ "cronjob", "cronjob" },
	{ "service", "svc" }, { "serviceName", "svc" },
	{ "service_name", "svc" }, { "ingress", "ing" },
	{ "persistentvolumeclaim", "pvc" }, { "claimName", "pvc" },
	{ "serviceAccountName", "sa" }, { "secretName", "secret" },
	{ "configmap", "cm" }, { "cluster", "cluster" },
	{ "name", "name" }, { "generateName", "name" },
};

/* Well-known names that identify nobody. */
static const char *const public_names[] = {
	"default", "kube-system", "kube-public", "kube-node-lease",
	"localhost",
};

/* Top-level domains that make a one-dot word a hostname (two dots are
 * enough on their own); file names like main.go stay as they are. */
static const char *const tlds[] = {
	"com", "net", "org", "io", "dev", "internal", "local", "lan", "corp",
	"cloud", "ai", "app", "home", "intra", "priv",
};

static uint32_t
hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

/* The slot for s in table t (holding it, or the empty one it would go). */
static size_t
slot(const struct mask *m, const uint32_t *t, int by_ph, const char *s,
    size_t n)
{
	size_t i = hash(s, n) & (m->slots - 1);
	const char *k;

	for (; t[i] != 0; i = (i + 1) & (m->slots - 1)) {
		k = by_ph ? m->e[t[i] - 1].ph : m->e[t[i] - 1].orig;
		if (strlen(k) == n && memcmp(k, s, n) == 0)
			break;
	}
	return i;
}

static const struct entry *
find(const struct mask *m, int by_ph, const char *s, size_t n)
{
	const uint32_t *t = by_ph ? m->by_ph : m->by_orig;
	size_t i;

	if (m->slots == 0)
		return NULL;
	i = slot(m, t, by_ph, s, n);
	return t[i] ? &m->e[t[i] - 1] : NULL;
}

static void
rehash(struct mask *m)
{
	size_t i;

	free(m->by_orig);
	free(m->by_ph);
	m->slots = m->slots ? m->slots * 2 : 64;
	m->by_orig = xcalloc(m->slots, sizeof *m->by_orig);
	m->by_ph = xcalloc(m->slots, sizeof *m->by_ph);
	for (i = 0; i < m->n; i++) {
		const struct entry *e = &m->e[i];

		m->by_orig[slot(m, m->by_orig, 0, e->orig, strlen(e->orig))] =
		    (uint32_t)i + 1;
		m->by_ph[slot(m, m->by_ph, 1, e->ph, strlen(e->ph))] =
		    (uint32_t)i + 1;
	}
}

static unsigned long *
counter(struct mask *m, const char *prefix)
{
	for (size_t i = 0; i < m->ncounters; i++)
		if (strcmp(m->counters[i].prefix, prefix) == 0)
			return &m->counters[i].n;
	m->counters = xrealloc(m->counters,
	    (m->ncounters + 1) * sizeof *m->counters);
	m->counters[m->ncounters].prefix = xstrdup(prefix);
	m->counters[m->ncounters].n = 0;
	return &m->counters[m->ncounters++].n;
}

/* The placeholder for s, made on first sight. */
static const char *
learn(struct mask *m, const char *s, size_t n, const char *prefix)
{
	const struct entry *found = find(m, 0, s, n);
	struct entry *e;
	unsigned long *c;
	char ph[64];

	if (found)
		return found->ph;
	if ((m->n + 1) * 2 > m->slots)
		rehash(m);
	c = counter(m, prefix);
	/* A real name that looks like a placeholder must not be shadowed. */
	do
		snprintf(ph, sizeof ph, "%s-%lu", prefix, ++*c);
	while (find(m, 0, ph, strlen(ph)) || find(m, 1, ph, strlen(ph)));
	xgrow((void **)&m->e, &m->cap, m->n + 1, sizeof *m->e);
	e = &m->e[m->n];
	e->orig = xmalloc(n + 1);
	memcpy(e->orig, s, n);
	e->orig[n] = '\0';
	e->ph = xstrdup(ph);
	m->n++;
	m->by_orig[slot(m, m->by_orig, 0, s, n)] = (uint32_t)m->n;
	m->by_ph[slot(m, m->by_ph, 1, ph, strlen(ph))] = (uint32_t)m->n;
	return e->ph;
}

struct mask *
mask_new(void)
{
	return xcalloc(1, sizeof(struct mask));
}

void
mask_free(struct mask *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->e[i].orig);
		free(m->e[i].ph);
	}
	for (size_t i = 0; i < m->ncounters; i++)
		free(m->counters[i].prefix);
	free(m->e);
	free(m->by_orig);
	free(m->by_ph);
	free(m->counters);
	free(m);
}

static int
is_ipv4(const char *s, size_t n)
{
	size_t i = 0;
	int parts = 0;

	while (parts < 4) {
		unsigned v = 0, digits = 0;

		while (i < n && isdigit((unsigned char)s[i]) && digits < 4) {
			v = v * 10 + (unsigned)(s[i++] - '0');
			digits++;
		}
		if (digits == 0 || digits > 3 || v > 255)
			return 0;
		if (++parts < 4) {
			if (i >= n || s[i] != '.')
				return 0;
			i++;
		}
	}
	return i == n;
}

static int
is_hostname(const char *s, size_t n)
{
	size_t i, start = 0, dots = 0, last;

	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			if (!isalnum((unsigned char)s[i]) && s[i] != '-')
				return 0;
			continue;
		}
		if (i == start || s[start] == '-' || s[i - 1] == '-')
			return 0;
		if (i < n) {
			dots++;
			start = i + 1;
		}
	}
	if (dots == 0)
		return 0;
	for (last = start; last < n; last++)
		if (!isalpha((unsigned char)s[last]))
			return 0;
	if (n - start < 2)
		return 0;
	/* Label keys and annotations name projects, not machines. */
	if ((n >= 14 && memcmp(s + n - 14, ".kubernetes.io", 14) == 0) ||
	    (n >= 7 && memcmp(s + n - 7, ".k8s.io", 7) == 0) ||
	    (n >= 14 && memcmp(s + n - 14, ".prometheus.io", 14) == 0))
		return 0;
	if (dots >= 2)
		return 1;
	for (i = 0; i < sizeof tlds / sizeof *tlds; i++)
		if (n - start == strlen(tlds[i]) &&
		    strncasecmp(s + start, tlds[i], n - start) == 0)
			return 1;
	return 0;
}

static int
worth_masking(const char *s, size_t n)
{
	size_t i, digits = 0;

	if (n < 3 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isspace(c) || c == '"' || c == '\\' || c < 0x20)
			return 0;
		digits += isdigit(c) != 0;
	}
	if (digits == n)
		return 0;
	for (i = 0; i < sizeof public_names / sizeof *public_names; i++)
		if (strlen(public_names[i]) == n &&
		    memcmp(public_names[i], s, n) == 0)
			return 0;
	return 1;
}

static void
learn_value(struct mask *m, const char *s, const char *prefix)
{
	size_t n = strlen(s);

	/* "10.0.0.3:9100", "node-a:9100": the port is not a secret. */
	if (strcmp(prefix, "host") == 0)
		n = strcspn(s, ":");
	if (is_ipv4(s, n))
		prefix = "ip";
	if (worth_masking(s, n))
		learn(m, s, n, prefix);
}

/* "name" next to "kind":"Pod" is a pod: the placeholder says so. */
static void
kind_prefix(jv obj, char *out, size_t len)
{
	const char *kind = jv_get_str(obj, "kind");
	size_t n = 0;

	for (; kind && *kind && n + 1 < len && n < 24; kind++)
		if (isalpha((unsigned char)*kind))
			out[n++] = (char)tolower((unsigned char)*kind);
	if (n == 0)
		n = (size_t)snprintf(out, len, "name");
	out[n] = '\0';
}

void
mask_learn(struct mask *m, jv v)
{
	jv_kind k = jv_get_kind(v);
	char kind[32];
	size_t i;

	if (k == JV_KIND_ARRAY) {
		jv_array_foreach(v, idx, e) {
			mask_learn(m, e);
			jv_free(e);
		}
		return;
	}
	if (k != JV_KIND_OBJECT)
		return;
	kind_prefix(v, kind, sizeof kind);
	jv_object_foreach(v, key, val) {
		if (jv_get_kind(val) == JV_KIND_STRING) {
			for (i = 0; i < sizeof name_keys / sizeof *name_keys; i++)
				if (strcmp(name_keys[i].key,
				    jv_string_value(key)) == 0) {
					learn_value(m, jv_string_value(val),
					    strcmp(name_keys[i].prefix, "name") ?
					    name_keys[i].prefix : kind);
					break;
				}
		} else {
			mask_learn(m, val);
		}
		jv_free(key);
		jv_free(val);
	}
}

/* A word of a name, IP or hostname. */
static int
word_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_';
}

/* One '_'-free piece of a word: exact name, IP, hostname, or a known
 * name followed by "-suffix" (a ReplicaSet or pod of a Deployment). */
static size_t
mask_piece(struct mask *m, struct buf *out, const char *s, size_t n)
{
	const struct entry *e;
	size_t i;

	if ((e = find(m, 0, s, n)) != NULL) {
		buf_adds(out, e->ph);
		return 1;
	}
	if (is_ipv4(s, n) || is_hostname(s, n)) {
		buf_adds(out, learn(m, s, n, is_ipv4(s, n) ? "ip" : "host"));
		return 1;
	}
	for (i = n; i-- > 1;)
		if (s[i] == '-' && (e = find(m, 0, s, i)) != NULL) {
			buf_adds(out, e->ph);
			buf_add(out, s + i, n - i);
			return 1;
		}
	buf_add(out, s, n);
	return 0;
}

static size_t
mask_word(struct mask *m, struct buf *out, const char *s, size_t n)
{
	const struct entry *e;
	size_t count = 0, end = n, i, start;

	while (end > 0 && s[end - 1] == '.')	/* the end of a sentence */
		end--;
	if ((e = find(m, 0, s, end)) != NULL) {
		buf_adds(out, e->ph);
		count++;
	} else {
		for (start = i = 0; i <= end; i++)
			if (i == end || s[i] == '_') {
				count += mask_piece(m, out, s + start, i - start);
				if (i < end)
					buf_addc(out, '_');
				start = i + 1;
			}
	}
	buf_add(out, s + end, n - end);
	return count;
}

/*
 * The length of an IPv6 address at i, or 0: eight groups of one to four
 * hex digits, or fewer with one "::". Times ("10:30:00") and MAC
 * addresses (six groups) do not qualify. The address stands alone: no
 * word or ':' byte right before it, none but '.' right after.
 */
static size_t
ipv6_len(const char *s, size_t i, size_t len)
{
	size_t j = i, groups = 0, digits = 0;
	int compressed = 0;

	if (i > 0 && (word_char(s[i - 1]) || s[i - 1] == ':'))
		return 0;
	for (; j < len && (isxdigit((unsigned char)s[j]) || s[j] == ':'); j++) {
		if (j - i >= 40)
			return 0;	/* longer than any address */
		if (s[j] != ':') {
			if (++digits > 4)
				return 0;
			continue;
		}
		if (digits > 0)
			groups++;
		else if (j > i && s[j - 1] == ':' && compressed++)
			return 0;	/* a second "::" */
		else if (j > i && s[j - 1] != ':')
			return 0;	/* ":" with no digits before */
		digits = 0;
	}
	if (digits > 0)
		groups++;
	else if (j > i && s[j - 1] == ':' && !(j >= i + 2 && s[j - 2] == ':'))
		return 0;		/* ends in a single ':' */
	if (j < len && word_char(s[j]) && s[j] != '.')
		return 0;
	if (compressed ? groups > 7 || j - i < 3 : groups != 8)
		return 0;
	return j - i;
}

/*
 * The bytes a JSON escape at i takes ("\n", "\u001b"), 1 for any other
 * non-word byte. The text is JSON: the pod named on a log message's
 * second line follows "\n", and is a word of its own.
 */
static size_t
separator_len(const char *s, size_t i, size_t len)
{
	size_t k;

	if (s[i] != '\\' || i + 1 >= len)
		return 1;
	if (s[i + 1] != 'u')
		return 2;
	for (k = i + 2; k < len && k < i + 6; k++)
		if (!isxdigit((unsigned char)s[k]))
			return 2;
	return k == i + 6 ? 6 : 2;
}

size_t
mask_text(struct mask *m, struct buf *out, const char *s, size_t len)
{
	size_t i = 0, j, n, count = 0;

	while (i < len) {
		if ((n = ipv6_len(s, i, len)) > 0) {
			buf_adds(out, learn(m, s + i, n, "ip"));
			count++;
			i += n;
			continue;
		}
		if (!word_char(s[i])) {
			for (j = i; j < len && !word_char(s[j]) &&
			    (s[j] != ':' || ipv6_len(s, j, len) == 0);)
				j += separator_len(s, j, len);
			if (j > len)
				j = len;
			buf_add(out, s + i, j - i);
			i = j;
			continue;
		}
		for (j = i; j < len && word_char(s[j]); j++)
			;
		count += mask_word(m, out, s + i, j - i);
		i = j;
	}
	if (out->p == NULL)
		buf_add(out, "", 0);
	return count;
}

void
mask_restore_text(const struct mask *m, struct buf *out, const char *s,
    size_t len)
{
	const struct entry *e;
	size_t i = 0, j, run = 0;

	while (i < len) {
		if (!islower((unsigned char)s[i]) ||
		    (i > 0 && isalnum((unsigned char)s[i - 1]))) {
			i++;
			continue;
		}
		for (j = i; j < len && islower((unsigned char)s[j]); j++)
			;
		if (j + 1 < len && s[j] == '-' && isdigit((unsigned char)s[j + 1])) {
			for (j++; j < len && isdigit((unsigned char)s[j]); j++)
				;
			if ((j == len || !isalnum((unsigned char)s[j])) &&
			    (e = find(m, 1, s + i, j - i)) != NULL) {
				buf_add(out, s + run, i - run);
				buf_adds(out, e->orig);
				run = j;
			}
		}
		i = j;
	}
	buf_add(out, s + run, len - run);
}

static jv
restore_string(const struct mask *m, jv s)
{
	struct buf b = BUF_INIT;
	jv out;

	mask_restore_text(m, &b, jv_string_value(s),
	    (size_t)jv_string_length_bytes(jv_copy(s)));
	out = jv_string_sized(b.p, (int)b.len);
	buf_free(&b);
	jv_free(s);
	return out;
}

jv
mask_restore(const struct mask *m, jv v)
{
	jv out;

	if (m == NULL || m->n == 0)
		return v;
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		return restore_string(m, v);
	case JV_KIND_ARRAY:
		out = jv_array();
		jv_array_foreach(v, i, e)
			out = jv_array_append(out, mask_restore(m, e));
		jv_free(v);
		return out;
	case JV_KIND_OBJECT:
		out = jv_object();
		jv_object_foreach(v, key, val)
			out = jv_object_set(out, restore_string(m, key),
			    mask_restore(m, val));
		jv_free(v);
		return out;
	default:
		return v;
	}
}
