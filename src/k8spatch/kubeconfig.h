/* kubeconfig.h — where the cluster is and who we are, as kubectl finds it.
 *
 * Files: --kubeconfig FILE, else the KUBECONFIG list (merged as client-go
 * merges it: for clusters, users and contexts the first file that names a
 * key wins, whole; current-context from the first file that sets it;
 * files that do not exist are skipped), else ~/.kube/config. Relative
 * paths in a file (certificate-authority, client-certificate, client-key,
 * tokenFile, and an exec command containing a '/') are relative to that
 * file's directory.
 *
 * In-cluster: when no file is found and KUBERNETES_SERVICE_HOST and
 * KUBERNETES_SERVICE_PORT are set, the pod's service account: its token
 * (a file re-read by the client, since the kubelet rotates it), CA and
 * namespace (POD_NAMESPACE first, as client-go).
 */
#ifndef K8SPATCH_KUBECONFIG_H
#define K8SPATCH_KUBECONFIG_H

#include <stddef.h>
#include <jv.h>

/* The service account files a pod gets. */
#define KUBE_SA_DIR	"/var/run/secrets/kubernetes.io/serviceaccount"

/* An exec credential plugin (client.authentication.k8s.io). */
struct kube_exec {
	char *command;
	char **args;		/* NULL-terminated */
	char **env;		/* "NAME=VALUE", NULL-terminated */
	char *api_version;	/* client.authentication.k8s.io/v1 or v1beta1 */
	char *interactive_mode;	/* Never, IfAvailable or Always */
	char *install_hint;	/* may be NULL */
	int provide_cluster_info;
};

/* A blob of bytes read from a *-data field (base64 decoded). */
struct kube_blob {
	char *p;		/* NULL when not given; NUL-terminated */
	size_t len;
};

/* Everything needed to connect, resolved from the files and overrides. */
struct kube_conn {
	char *context;		/* NULL in-cluster or without a file */
	char *cluster_name;	/* for messages and fingerprints */
	char *user_name;
	char *namespace;	/* never NULL after kubeconfig_load */
	char *server;
	char *ca_file;
	struct kube_blob ca_data;
	int insecure;
	char *tls_server_name;
	char *proxy_url;
	char *token;
	char *token_file;	/* re-read by the client: tokens rotate */
	char *cert_file, *key_file;
	struct kube_blob cert_data, key_data;
	char *username, *password;
	struct kube_exec *exec;
	int in_cluster;
};

/* What selects the configuration: flags and the environment. */
struct kube_select {
	const char *kubeconfig;	/* --kubeconfig, else NULL */
	const char *env_kubeconfig;	/* $KUBECONFIG */
	const char *home;	/* $HOME */
	const char *context, *cluster, *user, *namespace;	/* flags */
	const char *server;	/* --url: a server needs no file */
	const char *service_host, *service_port;	/* in-cluster */
	const char *sa_dir;	/* service account files (KUBE_SA_DIR) */
	const char *pod_namespace;	/* $POD_NAMESPACE */
};

/*
 * The merged configuration of the files in paths (n of them) as one jv
 * object {"current-context", "clusters": {NAME: {..., "_file"}}, "users":
 * {...}, "contexts": {...}}. A file that does not exist is skipped when
 * skip_missing; other problems return jv_invalid_with_msg("FILE:LINE:
 * message"). *found counts the files read.
 */
jv kubeconfig_merge(const char *const *paths, size_t n, int skip_missing,
    size_t *found);

/*
 * Resolves sel into c. Returns 0, or EXIT_USAGE with *err set (caller
 * frees): a file that cannot be read or parsed, a missing context,
 * cluster or user, an auth-provider, conflicting settings. Secrets are
 * never in *err.
 */
int kubeconfig_load(const struct kube_select *sel, struct kube_conn *c,
    char **err);
void kube_conn_free(struct kube_conn *c);
/* Forgets the user's credentials (token, tokenFile, exec, basic), for
 * --token or --token-file given on the command line. */
void kube_conn_drop_user(struct kube_conn *c);

#endif
