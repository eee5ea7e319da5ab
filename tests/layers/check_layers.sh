#!/usr/bin/env bash
# check_layers.sh: fails on an include that breaks the layering of docs/architecture.md: a
# folder of src/ includes only its own and lower folders; a plugin (adapters/DIR/) includes
# src/ and its own folder, never another plugin; only adapters/registry.c sees every plugin.
# Every include of a project header must name its folder ("iodef/xmlsafe.h").
set -uo pipefail
top=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top" || exit 2

# Lowest first: each may include the ones before it.
layers=(base formats http iodef rid map grid engine)
rank() { # rank FOLDER -> index in layers, 99 for cli, 50 for a plugin
	local i
	for i in "${!layers[@]}"; do [ "${layers[$i]}" = "$1" ] && { echo "$i"; return; }; done
	case $1 in cli) echo 99 ;; *) echo 50 ;; esac
}

bad=0
complain() { echo "layers: $1: includes \"$2\": $3"; bad=1; }

while IFS= read -r file; do
	case $file in
	src/*/*) mine=${file#src/}; mine=${mine%%/*}; me=$(rank "$mine") ;;
	adapters/registry.c) mine=registry; me=60 ;;
	adapters/*/*) mine=${file#adapters/}; mine=${mine%%/*}; me=50 ;;
	*) continue ;;
	esac
	while IFS= read -r inc; do
		dir=${inc%%/*}
		if [ "$dir" = "$inc" ]; then
			[ -e "$(dirname "$file")/$inc" ] && complain "$file" "$inc" "name its folder"
			continue
		fi
		if [ -d "src/$dir" ]; then
			them=$(rank "$dir")
			[ "$them" -le "$me" ] || complain "$file" "$inc" "$dir is above $mine"
		elif [ -d "adapters/$dir" ]; then
			[ "$dir" = "$mine" ] || [ "$mine" = registry ] || [ "$mine" = cli ] ||
				complain "$file" "$inc" "a plugin's header outside the plugin"
		fi
	done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$file")
done < <(find src adapters -name '*.[ch]' | sort)

[ "$bad" = 0 ] && echo "layers: ok"
exit "$bad"
