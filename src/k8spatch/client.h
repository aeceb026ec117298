/* client.h — the Kubernetes API on the shared HTTP layer.
 *
 * One connection pool for the whole run (keep-alive, one TLS handshake),
 * credentials kept current (credential.h), answers parsed as JSON, and
 * errors told the way the API server tells them: the message of its
 * Status object, with the HTTP status. Secrets never reach a message.
 *
 * Exit statuses for API errors (kc_exit): 409 → 1 (a conflict: someone
 * changed the object); 400, 404, 415, 422 → 2 (the request was wrong: an
 * invalid patch, no such object); anything else, transport errors
 * included → 3 (the API server failed us).
 */
#ifndef K8SPATCH_CLIENT_H
#define K8SPATCH_CLIENT_H

#include <jv.h>

#include "credential.h"
#include "http.h"
#include "kubeconfig.h"

struct kclient {
	struct http_conf http;
	struct http_pool *pool;
	struct cred cred;
	const struct kube_conn *conn;	/* borrowed */
	char *cluster;			/* name for fingerprints */
	jv discovery;			/* resource lists fetched so far */
};

/* An API error: the HTTP status (0: none arrived), the Status object's
 * reason ("NotFound", "Conflict"…) and a message for people. */
struct kerr {
	long status;
	char reason[64];
	char message[1024];
	int field_conflict;	/* a 409 from server-side apply: another
				 * manager owns a field (not a stale
				 * resourceVersion) */
};

/*
 * Puts what the kubeconfig says into an HTTP configuration made with
 * http_conf_init: server, CA file or data, client certificate and key,
 * insecure-skip-tls-verify, tls-server-name, proxy-url, a static token,
 * username/password. 0, or EXIT_USAGE with *err (caller frees).
 */
int kc_configure(struct http_conf *http, const struct kube_conn *conn,
    char **err);

/* http is the configured HTTP layer (moved into k: do not free it). */
void kc_init(struct kclient *k, const struct kube_conn *conn,
    struct http_conf *http);
void kc_free(struct kclient *k);

/*
 * One request: method, an API path with its query ("/api/v1/pods?limit=5"),
 * and for writes a content type and body. On 2xx returns 0 with *out the
 * parsed answer (caller frees; may be NULL to ignore it). Otherwise returns
 * kc_exit(e) with e filled. A 401 is retried once with a fresh credential.
 */
int kc_do(struct kclient *k, const char *method, const char *path,
    const char *content_type, const char *body, jv *out, struct kerr *e);
int kc_get(struct kclient *k, const char *path, jv *out, struct kerr *e);
/*
 * A GET whose 2xx body goes to on_data in chunks as it arrives (memory
 * bounded by the caller). Errors as kc_do; an on_data abort gives
 * EXIT_UPSTREAM with e->message "aborted" unless the callback filled e.
 */
int kc_stream(struct kclient *k, const char *path, http_data_fn on_data,
    void *ctx, struct kerr *e);

/* A GET whose answer is text (pod logs): *out the body (caller frees). */
int kc_text(struct kclient *k, const char *path, char **out, struct kerr *e);

/* The exit status for an API error (see above). */
int kc_exit(const struct kerr *e);

/* Appends "?" or "&" and key=value, URL-encoded, to a path. */
void kc_query(struct buf *path, const char *key, const char *value);

#endif
