/* fuzz_k8spatch_jcheck.c — libFuzzer target for the compact-JSON check
 * that lets `k8spatch get` print list items without parsing them: what
 * it accepts, jq accepts too, as one object. */
#include <stdint.h>
#include <stdlib.h>

#include <jv.h>

#include "jcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	jv v;

	if (!jcheck_compact_object((const char *)data, size))
		return 0;
	v = jv_parse_sized((const char *)data, (int)size);
	if (jv_get_kind(v) != JV_KIND_OBJECT)
		abort();
	jv_free(v);
	return 0;
}
