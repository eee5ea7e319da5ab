/* out_export.h: the HTTPS exporter output ([export:NAME]): spool records -> POST or PUT to
 * one endpoint, concurrently over libcurl's multi interface, with retries and dead letters. */
#ifndef GG_OUT_EXPORT_H
#define GG_OUT_EXPORT_H

#include "engine/adapter.h"

extern const struct gg_adapter gg_out_export;

#endif
