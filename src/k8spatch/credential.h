/* credential.h — credentials that change while k8spatch runs.
 *
 * A token file (tokenFile, the in-cluster service-account token) is read
 * again after a minute and after a 401, as client-go does: the kubelet
 * rotates projected tokens. An exec credential plugin
 * (client.authentication.k8s.io/v1 or v1beta1) is run when a credential
 * is first needed, its answer kept until its expirationTimestamp, and run
 * again after a 401. The plugin gets KUBERNETES_EXEC_INFO, its env and
 * args, the terminal as stdin only when interactive, and our stderr.
 * Without a terminal it must answer within plugin_timeout, else it is
 * killed with the processes it started (its own process group): a hung
 * plugin must not hang a CronJob.
 */
#ifndef K8SPATCH_CREDENTIAL_H
#define K8SPATCH_CREDENTIAL_H

#include "http.h"
#include "kubeconfig.h"

/* How long a plugin may take without a terminal (and no longer than the
 * request timeout). */
#define CRED_PLUGIN_TIMEOUT	60.0

struct cred {
	const struct kube_conn *conn;	/* borrowed */
	double read_at;			/* when the token file was read */
	double expires;			/* exec credential: 0 never */
	int have;			/* an exec credential is held */
	double plugin_timeout;		/* seconds; 0: none */
};

/* request_timeout: the HTTP layer's per-request seconds (0: none). */
void cred_init(struct cred *c, const struct kube_conn *conn,
    double request_timeout);
/*
 * Puts a current credential into http (token, or client certificate and
 * key). refresh: the server said 401, so read or run again regardless.
 * Returns 0, or EXIT_USAGE (a plugin that is missing or answers
 * nonsense) / EXIT_UPSTREAM (a plugin that fails) with *err set.
 */
int cred_apply(struct cred *c, struct http_conf *http, int refresh,
    char **err);
/* 1 when a 401 is worth retrying with a fresh credential. */
int cred_refreshable(const struct cred *c);

/*
 * The ExecCredential text a plugin printed, checked: token and/or PEM
 * certificate and key, expiry (0: none). For tests and the fuzzer.
 * Returns 0, or -1 with *err.
 */
int cred_parse_exec(const char *text, size_t len, const char *api_version,
    char **token, char **cert, char **key, double *expires, char **err);

#endif
