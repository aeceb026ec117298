/* jqprog.c — compiling a user's jq program. */
#include <stdlib.h>

#include "buf.h"
#include "jqprog.h"
#include "msg.h"

/* jq reports compile errors through this callback, not a return value. */
static void
collect_error(void *ctx, jv msg)
{
	struct buf *b = ctx;
	const char *s;

	msg = jq_format_error(msg);
	if (jv_get_kind(msg) == JV_KIND_STRING) {
		if (b->len)
			buf_adds(b, "; ");
		/* One diagnostic, one line: jq's messages hold newlines. */
		for (s = jv_string_value(msg); *s; s++)
			buf_addc(b, *s == '\n' ? ' ' : *s);
	}
	jv_free(msg);
}

jq_state *
jqprog_compile(const char *program, char **err)
{
	struct buf e = BUF_INIT;
	jq_state *jq = jq_init();

	if (jq == NULL)
		msg_oom();
	jq_set_error_cb(jq, collect_error, &e);
	if (!jq_compile(jq, program)) {
		jq_teardown(&jq);
		if (e.len == 0)
			buf_adds(&e, "jq: compile error");
		*err = buf_detach(&e);
		return NULL;
	}
	jq_set_error_cb(jq, NULL, NULL);
	buf_free(&e);
	return jq;
}
