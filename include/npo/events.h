/*
 * What the event streams of GET /api/v1/events tell: that the database
 * revision changed (never what changed), and a heartbeat. The server's
 * keeper sets both and wakes the streams (http_wake); each stream sends
 * what it has not sent yet.
 */
#ifndef NPO_EVENTS_H
#define NPO_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

/* Sets the revision the streams tell; true when it is another than
 * before. */
bool events_revision(int64_t rev);
/* A heartbeat for every stream. */
void events_heartbeat(void);

#endif
