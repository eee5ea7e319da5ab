#!/usr/bin/env bash
# check_ajv.sh: IODEF-JSON made by gridgate's converter, validated with ajv (JSON Schema
# draft-04, formats checked) against the final draft's schema (tests/data/iodef-json/,
# SOURCES.md says which patches and why): every mapping vector's expected IODEF (the documents
# gridgate publishes), the RFC 7970 minimal example, the MILE WG samples and every-element.xml,
# plus RFC 8727's own two JSON examples as printed. ajv missing is a failure, never a skip:
# scripts/deps installs it in GG_NODE_MODULES' default place.
set -euo pipefail
top=$(cd "${srcdir:-.}" && pwd)
conv=${GG_IODEF_JSON_CONV:-./tests/iodef_json/iodef_json_conv}
export GG_NODE_MODULES=${GG_NODE_MODULES:-${XDG_CACHE_HOME:-$HOME/.cache}/gridgate/node/node_modules}
data=$top/tests/data/iodef-json
command -v node > /dev/null || { echo "check_ajv: node is not installed (scripts/deps)"; exit 1; }
[ -d "$GG_NODE_MODULES/ajv-draft-04" ] ||
	{ echo "check_ajv: no ajv in $GG_NODE_MODULES: run scripts/deps"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A vector whose line maps to several documents holds them one after another: one per file.
n=0
for f in "$top"/tests/mappings/*/*.xml; do
	awk -v p="$tmp/in-$n-" '/^<\?xml/ { k++ } { print > (p k ".xml") }' "$f"
	n=$((n + 1))
done
inputs=("$tmp"/in-*.xml "$top"/tests/data/iodef/rfc7970/rfc7970-s7.1-minimal.xml
	"$top"/tests/data/iodef/realworld/milewg-iodef2stix/*.xml "$data"/every-element.xml)
mkdir "$tmp/out"
"$conv" "$tmp/out" "${inputs[@]}"
converted=$(find "$tmp/out" -name '*.json' | wc -l)
[ "$converted" = "${#inputs[@]}" ] || { echo "check_ajv: $converted of ${#inputs[@]} converted"; exit 1; }
echo "check_ajv: ${#inputs[@]} documents converted"
node "$top/tests/iodef_json/validate.js" "$data/jsoniodef-14-schema.json" "$tmp"/out/*.json \
	"$data"/rfc8727-fig4-minimal.json "$data"/rfc8727-fig6-campaign.json
