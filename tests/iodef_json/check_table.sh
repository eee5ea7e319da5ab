#!/bin/sh
# check_table.sh: src/iodef/iodef_json_table.c is what scripts/iodef-json-table makes of the
# schemas today (a schema or rule changed without the table fails here).
exec python3 "${srcdir:-.}/scripts/iodef-json-table" --check
