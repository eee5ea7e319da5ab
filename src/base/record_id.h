/* record_id.h: stable record ids. An id is derived from where a record came from and what it
 * says, so the same record read twice (a replay after a crash) gets the same id. */
#ifndef GG_RECORD_ID_H
#define GG_RECORD_ID_H

#include <stddef.h>
#include <stdint.h>

/* 32 lowercase hex digits (128 bits of SHA-256) plus NUL. */
#define GG_RECORD_ID_LEN 33

/* id = SHA-256(input NUL origin NUL index NUL bytes), truncated. origin names the unit the
 * record came in (a file name, a connection's peer and message number); index its position. */
void gg_record_id(const char *input, const char *origin, uint64_t index, const void *bytes,
		  size_t len, char out[GG_RECORD_ID_LEN]);

#endif
