/* iodef_json_conv: the IODEF-JSON converter on files, for check_ajv.sh: each FILE.xml
 * argument is converted (gg_iodef_to_json_text, as the exporter does) into OUTDIR/N.json,
 * N its position among the arguments. Exit 1 when any file fails to convert.
 * usage: iodef_json_conv OUTDIR FILE.xml... */
#include <stdio.h>
#include <stdlib.h>

#include "iodef/iodef_to_json.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL) {
		*len = fread(buf, 1, (size_t)n, f);
		buf[*len] = '\0';
	}
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	int bad = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: %s OUTDIR FILE.xml...\n", argv[0]);
		return 2;
	}
	gg_xml_init();
	for (int i = 2; i < argc; i++) {
		struct gg_error err = { 0 };
		char *xml, *json = NULL, path[4096];
		size_t len = 0, jlen = 0;
		FILE *f;

		if ((xml = slurp(argv[i], &len)) == NULL) {
			fprintf(stderr, "%s: cannot read\n", argv[i]);
			bad = 1;
			continue;
		}
		if (gg_iodef_to_json_text(xml, len, NULL, &json, &jlen, &err) != 0) {
			fprintf(stderr, "%s: %s\n", argv[i], err.msg);
			bad = 1;
		} else {
			snprintf(path, sizeof(path), "%s/%d.json", argv[1], i - 1);
			if ((f = fopen(path, "w")) == NULL || fwrite(json, 1, jlen, f) != jlen ||
			    fclose(f) != 0) {
				fprintf(stderr, "%s: cannot write\n", path);
				bad = 1;
			}
		}
		free(json);
		free(xml);
	}
	return bad;
}
