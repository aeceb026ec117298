/* sched.c — the job loop: jobs from the operands or from request
 * records, at most --jobs running, their records printed in the order
 * the jobs were given (out.c).
 */
#include <stdio.h>

#include "jsonl.h"
#include "msg.h"
#include "promq.h"

static struct job *
next_job(struct source *src, int *end)
{
	struct promq *pq = src->pq;
	struct job *j = NULL;
	char *err;
	jv rec;
	int rc;

	*end = 0;
	if (src->in != NULL) {
		while (j == NULL && (rc = jsonl_next(src->in, &rec)) != 0)
			if (rc > 0)
				j = request_job(pq, src->in, rec);
		*end = j == NULL;
		return j;
	}
	if (src->next >= src->nargs) {
		*end = 1;
		return NULL;
	}
	j = job_new(pq, pq->mode == M_QUERY ? src->args[src->next] : NULL,
	    jv_object());
	src->next += pq->mode == M_QUERY ? 1 : src->nargs;
	if (job_set_when(j, &pq->when, &err) != 0)
		opt_usage_error("%s", err);
	return j;
}

/*
 * Starts jobs while fewer than --jobs are running, and while the jobs
 * waiting for their turn to print stay few: a slow first job must not
 * let thousands of finished ones pile up in temporary files.
 */
int
sched_run(struct source *src)
{
	struct promq *pq = src->pq;
	struct job *head = NULL, **tail = &head, *j;
	int status = 0, active = 0, queued = 0, end = 0;

	for (;;) {
		while (!end && active < pq->jobs && queued < 4 * pq->jobs + 16) {
			if ((j = next_job(src, &end)) == NULL)
				break;
			*tail = j;
			tail = &j->next;
			job_start(j);
			active++;
			queued++;
		}
		while (head != NULL && out_head(head)) {
			j = head;
			if (j->status > status)
				status = j->status;
			if ((head = j->next) == NULL)
				tail = &head;
			job_free(j);
			queued--;
		}
		if (head == NULL && end)
			break;
		if (http_pool_pending(pq->pool) == 0 && head != NULL &&
		    !head->done)
			msg_die(EXIT_LOCAL, "internal error: a job waits "
			    "for nothing");
		http_pool_run(pq->pool);
		for (active = 0, j = head; j != NULL; j = j->next)
			active += !j->done;
	}
	return status;
}
