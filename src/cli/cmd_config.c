/* cmd_config.c: `gridgate check-config`: loads the configuration, the schemas and every
 * input's mappings as `run` would and says what it found, or names the first error with
 * file:line (of the configuration or of the mapping file). */
#include <stdio.h>

#include "engine/adapter.h"
#include "cli/cmd.h"
#include "engine/config.h"
#include "iodef/iodef.h"
#include "engine/map_input.h"

int gg_cmd_check_config(const char *config_path, int argc, char **argv)
{
	struct gg_config *cfg = NULL;
	struct gg_schema *schema = NULL;
	struct gg_error err;

	if (gg_config_load(config_path, &cfg, &err) != 0) {
		fprintf(stderr, "gridgate: %s\n", err.msg);
		return GG_EXIT_USAGE;
	}
	if (gg_schema_load(cfg->global.schema_dir, &schema, &err) != 0) {
		fprintf(stderr, "gridgate: %s\n", err.msg);
		gg_config_free(cfg);
		return GG_EXIT_USAGE;
	}
	printf("spool: %s (max_pending %lld, batch %lld)\n", cfg->spool.path,
	       (long long)cfg->spool.max_pending, (long long)cfg->spool.batch);
	for (size_t i = 0; i < cfg->n_outputs; i++) {
		const struct gg_output_conf *out = &cfg->outputs[i];
		const struct gg_xmpp_conf *x = out->conf;

		if (out->adapter->options == gg_xmpp_options)
			printf("output: %s [%s]: %s via %s:%lld, topic %s\n", out->name, out->section,
			       x->jid, x->host ? x->host : x->domain, (long long)x->port, x->topic);
		else
			printf("output: %s [%s] (%s)\n", out->name, out->section, out->adapter->desc);
	}
	for (size_t i = 0; i < cfg->n_inputs; i++) {
		const struct gg_input_conf *in = &cfg->inputs[i];
		struct gg_mapper *mapper = NULL;

		printf("input: %s:%s (%s)\n", in->adapter->name, in->name, in->adapter->desc);
		if (gg_mapper_new(cfg, in, &mapper, &err) != 0) {
			fprintf(stderr, "gridgate: %s\n", err.msg);
			gg_schema_free(schema);
			gg_config_free(cfg);
			return GG_EXIT_USAGE;
		}
		if (mapper != NULL) {
			struct gg_mapset *set = gg_mapper_acquire(mapper);

			printf("  mappings:");
			for (size_t m = 0; m < gg_mapset_count(set); m++)
				printf(" %s", gg_mapset_name(set, m));
			printf(" (unmatched: %s)\n", in->common.unmatched);
			gg_mapset_unref(set);
			gg_mapper_free(mapper);
		}
	}
	printf("schemas: %s\nconfiguration OK\n", cfg->global.schema_dir);
	gg_schema_free(schema);
	gg_config_free(cfg);
	return GG_EXIT_OK;
}
