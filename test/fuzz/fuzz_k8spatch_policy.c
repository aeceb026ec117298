/* fuzz_k8spatch_policy.c — libFuzzer target for the guard's judgement:
 * the policy file reader (YAML, quantities, path patterns) and, when the
 * input parses as a policy, its checks over a fixed set of changes; and
 * the path splitter on the raw input. Checks: no crash, no leak, no
 * overread; a path that splits is matched against itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kpath.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const changes =
    "[{\"path\":\"spec.replicas\",\"old\":2,\"new\":9},"
    "{\"path\":\"spec.template.spec.containers[a].resources.limits.memory\","
    "\"old\":\"128Mi\",\"new\":\"1Gi\"},"
    "{\"path\":\"spec.template.spec.containers[a].image\",\"new\":\"x/y:1\"},"
    "{\"path\":\"metadata.annotations.\\\"a.b/c\\\"\",\"new\":\"v\"}]";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy p;
	struct kseg *s;
	char *err = NULL, *why, *text = malloc(size + 1);
	size_t n;
	jv ch;

	memcpy(text, data, size);
	text[size] = '\0';
	if (policy_parse("fuzz", text, size, &p, &err) == 0) {
		ch = jv_parse(changes);
		why = policy_check_changes(&p, ch);
		free(why);
		jv_free(ch);
		why = policy_check_target(&p, "Deployment", "apps", "web");
		free(why);
		policy_free(&p);
	} else {
		if (err == NULL)
			abort();
		free(err);
	}
	if ((s = kpath_split(text, &n)) != NULL) {
		if (n == 0 || !kpath_under(s, n, s, n))
			abort();
		kpath_free(s, n);
	}
	free(text);
	return 0;
}
