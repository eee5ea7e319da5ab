/* out_grid.h: the XMPP-Grid publisher output: spool -> pubsub items on the topic, a window
 * of IQs in flight, each row marked done on its IQ result. */
#ifndef GG_OUT_GRID_H
#define GG_OUT_GRID_H

#include "engine/adapter.h"

extern const struct gg_adapter gg_out_grid;

#endif
