/* top.c — the N best records in a binary heap whose root is the worst of
 * them, so a better record replaces it in O(log N). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "top.h"

struct entry {
	struct top_key key;
	char *text;
	size_t len;
};

struct top {
	pthread_mutex_t mu;
	struct entry *e;	/* heap: e[0] the worst kept */
	size_t n, k;
};

/* Is a better than b? A strict order: seq breaks every tie. */
static int
better(const struct top_key *a, const struct top_key *b)
{
	if (a->anomalies != b->anomalies)
		return a->anomalies > b->anomalies;
	if (a->changes != b->changes)
		return a->changes > b->changes;
	return a->seq < b->seq;
}

struct top *
top_new(size_t k)
{
	struct top *t = xcalloc(1, sizeof *t);

	pthread_mutex_init(&t->mu, NULL);
	t->k = k;
	t->e = xcalloc(k ? k : 1, sizeof *t->e);
	return t;
}

void
top_free(struct top *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free(t->e[i].text);
	free(t->e);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

/* Changes between consecutive values, when there are few distinct ones. */
static size_t
state_changes(const struct data *d)
{
	double seen[TOP_STATES];
	size_t i, j, nseen = 0, changes = 0;

	for (i = 0; i < d->n; i++) {
		for (j = 0; j < nseen && seen[j] != d->v[i]; j++)
			;
		if (j == nseen) {
			if (nseen == TOP_STATES)
				return 0;	/* a measurement, not a state */
			seen[nseen++] = d->v[i];
		}
		changes += i > 0 && d->v[i] != d->v[i - 1];
	}
	return changes;
}

void
top_key_of(const struct data *d, unsigned long long seq, struct top_key *key)
{
	key->anomalies = d->anomalies;
	key->changes = state_changes(d);
	key->seq = seq;
}

int
top_wants(struct top *t, const struct top_key *key)
{
	int yes;

	pthread_mutex_lock(&t->mu);
	yes = t->n < t->k || better(key, &t->e[0].key);
	pthread_mutex_unlock(&t->mu);
	return yes;
}

static void
swap(struct entry *a, struct entry *b)
{
	struct entry tmp = *a;

	*a = *b;
	*b = tmp;
}

/* Restores the heap below i: the worst of i and its children goes up. */
static void
sift_down(struct top *t, size_t i)
{
	size_t l, r, w;

	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		w = i;
		if (l < t->n && better(&t->e[w].key, &t->e[l].key))
			w = l;
		if (r < t->n && better(&t->e[w].key, &t->e[r].key))
			w = r;
		if (w == i)
			return;
		swap(&t->e[i], &t->e[w]);
		i = w;
	}
}

static void
sift_up(struct top *t, size_t i)
{
	while (i > 0 && better(&t->e[(i - 1) / 2].key, &t->e[i].key)) {
		swap(&t->e[i], &t->e[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
}

void
top_offer(struct top *t, const struct top_key *key, const char *text,
    size_t len)
{
	char *copy = xmalloc(len ? len : 1);
	size_t i;
	int replace;

	memcpy(copy, text, len);
	pthread_mutex_lock(&t->mu);
	if (t->k == 0 || (t->n == t->k && !better(key, &t->e[0].key))) {
		pthread_mutex_unlock(&t->mu);
		free(copy);
		return;
	}
	/* full: the new record takes the worst one's place at the root */
	replace = t->n == t->k;
	i = replace ? 0 : t->n++;
	if (replace)
		free(t->e[0].text);
	t->e[i].key = *key;
	t->e[i].text = copy;
	t->e[i].len = len;
	if (replace)
		sift_down(t, 0);
	else
		sift_up(t, i);
	pthread_mutex_unlock(&t->mu);
}

static int
cmp_best_first(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return better(&x->key, &y->key) ? -1 : better(&y->key, &x->key);
}

int
top_write(struct top *t, FILE *fp)
{
	size_t i;

	qsort(t->e, t->n, sizeof *t->e, cmp_best_first);
	for (i = 0; i < t->n; i++)
		if (fwrite(t->e[i].text, 1, t->e[i].len, fp) != t->e[i].len)
			return -1;
	return 0;
}
