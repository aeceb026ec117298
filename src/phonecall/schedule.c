/* schedule.c — the on-call schedule (DESIGN.md's format), read with
 * libyaml, and who is on call at an instant.
 *
 *   timezone: Europe/Paris
 *   rotations:
 *     - name: primary
 *       start: 2026-11-02T09:00        # a handoff, local time
 *       length: 1w                     # 12h, 1d, 1w ...
 *       participants:
 *         - {name: alice, number: "+33612345678"}
 *   overrides:
 *     - {rotation: primary, start: 2026-11-24T09:00,
 *        end: 2026-11-25T09:00, name: carol, number: "+33611112222"}
 *   escalation: [primary, secondary]
 *
 * Everything is checked when the file is read — unknown keys (a typo
 * would silently drop a setting), numbers that are not E.164, a zone the
 * tz database lacks, an escalation naming no rotation — so a schedule
 * that loads cannot fail at 3 a.m. Handoffs are wall-clock: rotation
 * k starts at start + k * length read on the zone's clocks (tz.c says
 * what a skipped or repeated hour does).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "msg.h"
#include "phonecall.h"
#include "timeutil.h"

/* Bounds, so a hostile file (aliases reused many times) stays small. */
#define MAX_ROTATIONS	100
#define MAX_PEOPLE	1000
#define MAX_OVERRIDES	10000
#define MAX_FILE	(1024 * 1024)
#define MIN_LENGTH	60LL
#define MAX_LENGTH	(3660LL * 86400)	/* ten years */

struct reader {
	yaml_document_t doc;
	struct schedule *s;
	struct sched_error *err;
};

static int
fail(struct reader *r, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(struct reader *r, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	if (r->err->msg[0] != '\0')
		return -1;
	r->err->line = n ? n->start_mark.line + 1 : 0;
	va_start(ap, fmt);
	vsnprintf(r->err->msg, sizeof r->err->msg, fmt, ap);
	va_end(ap);
	return -1;
}

static yaml_node_t *
node(struct reader *r, int i)
{
	return yaml_document_get_node(&r->doc, i);
}

/* The scalar's text, or NULL (reported) when n is not a scalar. */
static const char *
scalar(struct reader *r, yaml_node_t *n, const char *what)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE) {
		fail(r, n, "'%s' must be a single value", what);
		return NULL;
	}
	if (strlen((const char *)n->data.scalar.value) !=
	    n->data.scalar.length) {
		fail(r, n, "'%s' holds a NUL byte", what);
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

/*
 * Walks a mapping whose keys must be among keys[] (NULL-ended); vals[i]
 * gets the value node of keys[i], or NULL. Unknown or repeated keys fail.
 */
static int
mapping(struct reader *r, yaml_node_t *n, const char *what,
    const char *const *keys, yaml_node_t **vals)
{
	yaml_node_pair_t *p;
	size_t i;

	for (i = 0; keys[i] != NULL; i++)
		vals[i] = NULL;
	if (n == NULL || n->type != YAML_MAPPING_NODE)
		return fail(r, n, "%s must be a mapping", what);
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		yaml_node_t *k = node(r, p->key);
		const char *name = scalar(r, k, "key");

		if (name == NULL)
			return -1;
		for (i = 0; keys[i] != NULL && strcmp(keys[i], name) != 0; i++)
			;
		if (keys[i] == NULL)
			return fail(r, k, "%s: unknown key '%s'", what, name);
		if (vals[i] != NULL)
			return fail(r, k, "%s: '%s' given twice", what, name);
		vals[i] = node(r, p->value);
	}
	return 0;
}

static int
sequence(struct reader *r, yaml_node_t *n, const char *what, size_t max)
{
	size_t len;

	if (n == NULL || n->type != YAML_SEQUENCE_NODE)
		return fail(r, n, "'%s' must be a list", what);
	len = (size_t)(n->data.sequence.items.top -
	    n->data.sequence.items.start);
	if (len == 0)
		return fail(r, n, "'%s' is empty", what);
	if (len > max)
		return fail(r, n, "'%s' has more than %zu entries", what, max);
	return (int)len;
}

static int
person(struct reader *r, yaml_node_t *name, yaml_node_t *number,
    yaml_node_t *where, struct person *out)
{
	const char *nm, *nb;

	if (name == NULL || number == NULL)
		return fail(r, where, "a person needs 'name' and 'number'");
	if ((nm = scalar(r, name, "name")) == NULL ||
	    (nb = scalar(r, number, "number")) == NULL)
		return -1;
	if (*nm == '\0')
		return fail(r, name, "empty name");
	if (!e164_valid(nb))
		return fail(r, number, "number '%s' (%s) is not E.164 "
		    "(+ and up to 15 digits, e.g. +33612345678)", nb, nm);
	out->name = xstrdup(nm);
	out->number = xstrdup(nb);
	return 0;
}

static int
wall_time(struct reader *r, yaml_node_t *n, const char *what,
    long long *wall)
{
	const char *v = scalar(r, n, what);

	if (v == NULL)
		return -1;
	if (tz_parse_wall(v, wall) != 0)
		return fail(r, n, "'%s' must be a local time like "
		    "2026-11-02T09:00, not '%s'", what, v);
	return 0;
}

static int
rotation(struct reader *r, yaml_node_t *n, struct rotation *rot)
{
	static const char *const keys[] = { "name", "start", "length",
	    "participants", NULL };
	yaml_node_t *v[4];
	const char *name, *len;
	double secs;
	int np;

	if (mapping(r, n, "a rotation", keys, v) != 0)
		return -1;
	rot->line = n->start_mark.line + 1;
	if (v[0] == NULL || v[1] == NULL || v[2] == NULL || v[3] == NULL)
		return fail(r, n, "a rotation needs 'name', 'start', 'length' "
		    "and 'participants'");
	if ((name = scalar(r, v[0], "name")) == NULL)
		return -1;
	if (*name == '\0')
		return fail(r, v[0], "empty rotation name");
	rot->name = xstrdup(name);
	if (wall_time(r, v[1], "start", &rot->start) != 0 ||
	    (len = scalar(r, v[2], "length")) == NULL)
		return -1;
	if (dur_parse(len, &secs) != 0 || secs < MIN_LENGTH ||
	    secs > MAX_LENGTH || secs != (double)(long long)secs)
		return fail(r, v[2], "rotation '%s': 'length' must be a "
		    "duration from 1m to 10y in whole seconds (12h, 1d, 1w), "
		    "not '%s'", name, len);
	rot->length = (long long)secs;
	if ((np = sequence(r, v[3], "participants", MAX_PEOPLE)) < 0)
		return -1;
	rot->people = xcalloc((size_t)np, sizeof *rot->people);
	for (; rot->npeople < (size_t)np; rot->npeople++) {
		static const char *const pk[] = { "name", "number", NULL };
		yaml_node_t *item = node(r, v[3]->data.sequence.items.start[
		    rot->npeople]), *pv[2];

		if (mapping(r, item, "a participant", pk, pv) != 0 ||
		    person(r, pv[0], pv[1], item,
		    &rot->people[rot->npeople]) != 0)
			return -1;
	}
	return 0;
}

static long
rotation_index(const struct schedule *s, const char *name)
{
	for (size_t i = 0; i < s->nrot; i++)
		if (strcmp(s->rot[i].name, name) == 0)
			return (long)i;
	return -1;
}

static int
override(struct reader *r, yaml_node_t *n, struct override *o)
{
	static const char *const keys[] = { "rotation", "start", "end",
	    "name", "number", NULL };
	yaml_node_t *v[5];
	const char *rot;
	long long start, end;
	long idx;

	if (mapping(r, n, "an override", keys, v) != 0)
		return -1;
	o->line = n->start_mark.line + 1;
	if (v[0] == NULL || v[1] == NULL || v[2] == NULL)
		return fail(r, n, "an override needs 'rotation', 'start', "
		    "'end', 'name' and 'number'");
	if ((rot = scalar(r, v[0], "rotation")) == NULL)
		return -1;
	if ((idx = rotation_index(r->s, rot)) < 0)
		return fail(r, v[0], "override of an unknown rotation '%s'",
		    rot);
	o->rotation = (size_t)idx;
	if (wall_time(r, v[1], "start", &start) != 0 ||
	    wall_time(r, v[2], "end", &end) != 0 ||
	    person(r, v[3], v[4], n, &o->who) != 0)
		return -1;
	o->start = tz_instant(r->s->timezone, start);
	o->end = tz_instant(r->s->timezone, end);
	if (o->end <= o->start)
		return fail(r, v[2], "override ends before it starts");
	return 0;
}

static int
escalation(struct reader *r, yaml_node_t *n)
{
	struct schedule *s = r->s;
	int len;

	if (n == NULL) {	/* default: the rotations in file order */
		s->levels = xcalloc(s->nrot, sizeof *s->levels);
		for (s->nlevels = 0; s->nlevels < s->nrot; s->nlevels++)
			s->levels[s->nlevels] = s->nlevels;
		return 0;
	}
	if ((len = sequence(r, n, "escalation", MAX_ROTATIONS)) < 0)
		return -1;
	s->levels = xcalloc((size_t)len, sizeof *s->levels);
	for (int i = 0; i < len; i++) {
		yaml_node_t *item = node(r, n->data.sequence.items.start[i]);
		const char *name = scalar(r, item, "escalation");
		long idx;

		if (name == NULL)
			return -1;
		if ((idx = rotation_index(s, name)) < 0)
			return fail(r, item, "escalation names an unknown "
			    "rotation '%s'", name);
		for (size_t j = 0; j < s->nlevels; j++)
			if (s->levels[j] == (size_t)idx)
				return fail(r, item, "escalation names "
				    "'%s' twice", name);
		s->levels[s->nlevels++] = (size_t)idx;
	}
	return 0;
}

static int
top(struct reader *r, yaml_node_t *root)
{
	static const char *const keys[] = { "timezone", "rotations",
	    "overrides", "escalation", NULL };
	struct schedule *s = r->s;
	yaml_node_t *v[4];
	const char *zone;
	int n;

	if (mapping(r, root, "the schedule", keys, v) != 0)
		return -1;
	if (v[0] == NULL)
		return fail(r, root, "no 'timezone' (e.g. Europe/Paris, UTC)");
	if ((zone = scalar(r, v[0], "timezone")) == NULL)
		return -1;
	if (tz_valid(zone) != 0)
		return fail(r, v[0], "unknown time zone '%s' (a name from the "
		    "tz database, e.g. Europe/Paris)", zone);
	s->timezone = xstrdup(zone);
	if (v[1] == NULL)
		return fail(r, root, "no 'rotations'");
	if ((n = sequence(r, v[1], "rotations", MAX_ROTATIONS)) < 0)
		return -1;
	s->rot = xcalloc((size_t)n, sizeof *s->rot);
	while (s->nrot < (size_t)n) {
		yaml_node_t *item = node(r, v[1]->data.sequence.items.start[
		    s->nrot]);

		/* counted first, so a half-read one is freed with the rest */
		if (rotation(r, item, &s->rot[s->nrot++]) != 0)
			return -1;
		for (size_t i = 0; i + 1 < s->nrot; i++)
			if (strcmp(s->rot[i].name, s->rot[s->nrot - 1].name) ==
			    0)
				return fail(r, item, "two rotations named "
				    "'%s'", s->rot[i].name);
	}
	if (v[2] != NULL) {
		if ((n = sequence(r, v[2], "overrides", MAX_OVERRIDES)) < 0)
			return -1;
		s->ovr = xcalloc((size_t)n, sizeof *s->ovr);
		for (; s->novr < (size_t)n; s->novr++)
			if (override(r, node(r, v[2]->data.sequence.items.start[
			    s->novr]), &s->ovr[s->novr]) != 0) {
				s->novr++;
				return -1;
			}
	}
	return escalation(r, v[3]);
}

struct schedule *
schedule_parse(const char *name, const char *data, size_t len,
    struct sched_error *err)
{
	struct reader r = { .err = err };
	yaml_parser_t parser;
	yaml_node_t *root;
	int rc = -1, loaded = 0;

	memset(err, 0, sizeof *err);
	r.s = xcalloc(1, sizeof *r.s);
	r.s->name = xstrdup(name);
	if (!yaml_parser_initialize(&parser))
		msg_oom();
	yaml_parser_set_input_string(&parser, (const unsigned char *)data,
	    len);
	if (!yaml_parser_load(&parser, &r.doc)) {
		err->line = parser.problem_mark.line + 1;
		snprintf(err->msg, sizeof err->msg, "not YAML: %s",
		    parser.problem ? parser.problem : "unreadable");
		goto out;
	}
	loaded = 1;
	if ((root = yaml_document_get_root_node(&r.doc)) == NULL) {
		fail(&r, NULL, "empty schedule");
		goto out;
	}
	rc = top(&r, root);
out:
	if (loaded)
		yaml_document_delete(&r.doc);
	yaml_parser_delete(&parser);
	if (rc != 0) {
		schedule_free(r.s);
		return NULL;
	}
	return r.s;
}

struct schedule *
schedule_load(const char *path, struct sched_error *err)
{
	struct buf b = BUF_INIT;
	struct schedule *s = NULL;
	char chunk[65536];
	size_t n;
	FILE *fp;

	memset(err, 0, sizeof *err);
	if ((fp = fopen(path, "rb")) == NULL) {
		snprintf(err->msg, sizeof err->msg, "cannot read: %s",
		    strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0 &&
	    b.len <= MAX_FILE)
		buf_add(&b, chunk, n);
	if (ferror(fp))
		snprintf(err->msg, sizeof err->msg, "cannot read: %s",
		    strerror(errno));
	else if (b.len > MAX_FILE)
		snprintf(err->msg, sizeof err->msg, "larger than 1 MiB");
	else
		s = schedule_parse(path, b.p ? b.p : "", b.len, err);
	fclose(fp);
	buf_free(&b);
	return s;
}

static void
person_free(struct person *p)
{
	free(p->name);
	free(p->number);
}

void
schedule_free(struct schedule *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nrot; i++) {
		for (size_t j = 0; j < s->rot[i].npeople; j++)
			person_free(&s->rot[i].people[j]);
		free(s->rot[i].people);
		free(s->rot[i].name);
	}
	for (size_t i = 0; i < s->novr; i++)
		person_free(&s->ovr[i].who);
	free(s->rot);
	free(s->ovr);
	free(s->levels);
	free(s->timezone);
	free(s->name);
	free(s);
}

/* ---- lookups ---------------------------------------------------------- */

static long long
floor_div(long long a, long long b)
{
	long long q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static time_t
handoff(const struct schedule *s, const struct rotation *r, long long k)
{
	return tz_instant(s->timezone, r->start + k * r->length);
}

void
schedule_at(const struct schedule *s, size_t level, time_t t,
    struct oncall *out)
{
	size_t ri = s->levels[level];
	const struct rotation *r = &s->rot[ri];
	long long k, n = (long long)r->npeople;
	time_t here, next;
	long win = -1;

	/* The wall clock guesses the shift; the instants decide, so a
	 * repeated hour cannot move anyone back. */
	k = floor_div(tz_wall(s->timezone, t, NULL) - r->start, r->length);
	while ((here = handoff(s, r, k)) > t)
		k--;
	while ((next = handoff(s, r, k + 1)) <= t) {
		k++;
		here = next;
	}
	memset(out, 0, sizeof *out);
	out->level = level;
	out->rotation = r;
	out->who = &r->people[((k % n) + n) % n];
	out->since = here;
	out->until = next;
	/* Overrides: the last one listed that covers t wins. */
	for (size_t i = 0; i < s->novr; i++)
		if (s->ovr[i].rotation == ri && s->ovr[i].start <= t &&
		    t < s->ovr[i].end)
			win = (long)i;
	if (win >= 0) {
		out->who = &s->ovr[win].who;
		out->since = s->ovr[win].start;
		out->until = s->ovr[win].end;
		out->override = 1;
	}
	/* The person changes at the start of the next override that
	 * outranks them, and took over at the end of the last one. */
	for (size_t i = 0; i < s->novr; i++) {
		const struct override *o = &s->ovr[i];

		if (o->rotation != ri || (long)i == win)
			continue;
		if (win >= 0 && (long)i < win)
			continue;	/* outranked: changes nothing */
		if (o->start > t && o->start < out->until)
			out->until = o->start;
		if (o->end <= t && o->end > out->since)
			out->since = o->end;
	}
}

const char *
schedule_person(const struct schedule *s, const char *number)
{
	for (size_t i = 0; s != NULL && i < s->nrot; i++)
		for (size_t j = 0; j < s->rot[i].npeople; j++)
			if (strcmp(s->rot[i].people[j].number, number) == 0)
				return s->rot[i].people[j].name;
	for (size_t i = 0; s != NULL && i < s->novr; i++)
		if (strcmp(s->ovr[i].who.number, number) == 0)
			return s->ovr[i].who.name;
	return NULL;
}
