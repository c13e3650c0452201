/*
 * GET /api/v1/events: server-sent events of the database revision. On
 * connect the revision as it is (unless Last-Event-ID already names it),
 * then one event for each change the keeper sees (it looks every quarter
 * of a second), a comment line as heartbeat every 15 s. A stream holds no
 * thread while it waits (http_reply_live).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npo/api.h"
#include "npo/events.h"

static atomic_llong revision = -1;
static atomic_uint beat;

bool events_revision(int64_t rev)
{
	return atomic_exchange(&revision, rev) != rev;
}

void events_heartbeat(void)
{
	atomic_fetch_add(&beat, 1);
}

struct events {
	long long sent; /* the revision this stream told last, or -1 */
	unsigned beat;	/* the heartbeat it had last */
	bool started;
};

static long events_read(void *ctx, char *buf, size_t max)
{
	struct events *e = ctx;
	long long rev = atomic_load(&revision);
	unsigned b = atomic_load(&beat);
	int n = 0;

	if (!e->started) {
		/* how long a client waits before it connects again */
		n = snprintf(buf, max, "retry: 2000\n\n");
		e->started = true;
	}
	if (rev >= 0 && rev != e->sent) {
		n += snprintf(buf + n, max - (size_t)n,
			      "id: %lld\nevent: revision\n"
			      "data: {\"revision\":%lld}\n\n",
			      rev, rev);
		e->sent = rev;
		e->beat = b;
	} else if (b != e->beat) {
		n += snprintf(buf + n, max - (size_t)n, ": heartbeat\n\n");
		e->beat = b;
	}
	return n;
}

void events_stream(struct http_request *req)
{
	const char *last = http_header(req, "Last-Event-ID");
	struct npo_err err = { 0 };
	struct events *e;
	int64_t rev, id;

	/* the revision now, so the first event is never late */
	if (db_revision_now(http_db(req), &rev, &err) < 0) {
		http_reply_err(req, &err);
		err_clear(&err);
		return;
	}
	events_revision(rev);
	if (strcmp(http_method(req), "HEAD") == 0) {
		http_reply_text(req, 200, "text/event-stream", "");
		return;
	}
	if (!(e = malloc(sizeof(*e)))) {
		http_reply_problem(req, NPO_E_INTERNAL, "out of memory");
		return;
	}
	*e = (struct events){ .sent = -1, .beat = atomic_load(&beat) };
	if (last && util_parse_int64(last, &id) == 0 && id >= 0)
		e->sent = id;
	/* proxies must not hold the events back */
	http_set_header(req, "X-Accel-Buffering", "no");
	if (!http_reply_live(req, "text/event-stream", events_read, free, e)) {
		/* a parked stream whose client went away is noticed when it
		 * writes: a heartbeat now frees their places for the retry */
		events_heartbeat();
		http_wake(http_server_of(req));
		free(e);
		http_set_header(req, "Retry-After", "10");
		http_reply_problem(req, NPO_E_TOO_MANY_STREAMS,
				   "as many event streams are open as "
				   "--max-streams allows; try again later, or "
				   "poll with If-None-Match");
	}
}
