/* instances.h: the running plugin instances (every output and input section of the
 * configuration), and SIGHUP's swap to a new configuration: instances whose options did not
 * change keep running, changed ones restart, new ones start, removed ones stop.
 *
 * An instance reads its options from the configuration it was made from, so a configuration
 * stays alive while an instance made from it runs. Instances of one group (a plugin's
 * `group`: an HTTP listener and the routes it serves) restart together. Everything here runs
 * on the main thread. */
#ifndef GG_INSTANCES_H
#define GG_INSTANCES_H

#include "base/error.h"
#include "engine/config.h"

struct gg_pipeline;
struct gg_instances;

/* Opens every output, then every input, of cfg (which the caller keeps alive until
 * gg_instances_free): sockets, keys, their state; nothing is started. On failure what was
 * opened is released, and err names the section. */
int gg_instances_open(struct gg_pipeline *p, const struct gg_config *cfg,
		      struct gg_instances **out, struct gg_error *err);
/* Starts the outputs, then the inputs. */
int gg_instances_start(struct gg_instances *set, struct gg_error *err);
/* SIGHUP with fresh, a configuration loaded and checked whole (taken: freed once no
 * instance uses it). Options the running pipeline holds ([gridgate], [spool]) are only
 * reported: they take effect at the next restart. Mappings of kept inputs are read again. */
void gg_instances_reload(struct gg_instances *set, struct gg_config *fresh);
/* Logs every instance's counters: its mappings' and its plugin's own. */
void gg_instances_log_counters(const struct gg_instances *set);
size_t gg_instances_count(const struct gg_instances *set, int outputs);
/* Stops the inputs (so nothing is taken in that cannot be spooled), then the outputs, and
 * frees them with the configurations SIGHUP loaded. Takes NULL. */
void gg_instances_free(struct gg_instances *set);

#endif
