/* grid_reader.h: a topic's items read back as an operator or a test sees them, every payload
 * as the controller sent it (the bytes of the stream, not libstrophe's stanzas). */
#ifndef GG_GRID_READER_H
#define GG_GRID_READER_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "grid/grid_history.h"
#include "grid/grid_session.h"

struct gg_grid_reader;

/* Taps this thread's TLS reads: create it before the session on this thread connects (its
 * stream header must be seen), free it after the session. */
int gg_grid_reader_new(struct gg_grid_reader **out, struct gg_error *err);
void gg_grid_reader_free(struct gg_grid_reader *r);

/* Appends to out the items of topic in the order the controller lists them (Prosody: publish
 * order), the most recent max_items of them when max_items > 0 (XEP-0060 6.5.7), waiting
 * timeout_ms at most for the answer. Errors:
 * -ENOENT when the controller says the topic does not exist (item-not-found), -EACCES when it
 * refuses this account (forbidden, not-authorized), -ETIMEDOUT, -ENOTCONN (the session went
 * down meanwhile), -EPROTO (another refusal), -EBADMSG (the stream's bytes stopped parsing:
 * nothing more is read until the next session). */
int gg_grid_reader_fetch(struct gg_grid_reader *r, struct gg_grid_session *s,
			 const char *service, const char *topic, size_t max_items,
			 int64_t timeout_ms, struct gg_topic_items *out, struct gg_error *err);

#endif
