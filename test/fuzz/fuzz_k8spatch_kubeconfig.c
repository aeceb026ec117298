/* fuzz_k8spatch_kubeconfig.c — libFuzzer target for k8spatch's kubeconfig
 * reader: the YAML reader (yamljv), merging, context/cluster/user
 * resolution, base64 data fields and exec plugin settings, and the exec
 * plugin's answer (cred_parse_exec).
 *
 * The input is written to a file and loaded as --kubeconfig, once as
 * such, once with a context and user picked from its first bytes. Checks:
 * no crash, no leak, no overread (ASan); a load either succeeds with a
 * server and a namespace or fails with a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "credential.h"
#include "kubeconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
load(const char *path, const char *context, const char *user)
{
	struct kube_select sel = { 0 };
	struct kube_conn c;
	char *err = NULL;

	sel.kubeconfig = path;
	sel.context = context;
	sel.user = user;
	if (kubeconfig_load(&sel, &c, &err) == 0) {
		if (c.server == NULL || c.namespace == NULL || err != NULL)
			abort();
	} else if (err == NULL) {
		abort();
	}
	free(err);
	kube_conn_free(&c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], pick[16], *tok, *cert, *key, *err = NULL;
	double exp;
	int fd = memfd_create("kubeconfig", 0);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	load(path, NULL, NULL);
	snprintf(pick, sizeof pick, "%.*s", size < 4 ? (int)size : 4,
	    (const char *)data);
	load(path, pick, pick);
	close(fd);
	if (cred_parse_exec((const char *)data, size,
	    "client.authentication.k8s.io/v1", &tok, &cert, &key, &exp,
	    &err) == 0) {
		if (tok == NULL && cert == NULL)
			abort();
		free(tok);
		free(cert);
		free(key);
	} else {
		free(err);
	}
	return 0;
}
