/* in_filedrop.h: the watched-directory input. */
#ifndef GG_IN_FILEDROP_H
#define GG_IN_FILEDROP_H

#include "engine/adapter.h"

extern const struct gg_adapter gg_in_filedrop;

#endif
