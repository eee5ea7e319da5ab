# bench/ceiling.sh: sourced by bench/rid and bench/webhook. The ceiling a message's (a request's)
# own work leaves on this machine: the work of one on one thread with no transport and no spool
# (a bench/*_work program), pinned to each core in turn (a VM's cores need not run at one speed),
# beside the CPU the raw server's run took a message: the most any listener doing that work
# could reach here with a free spool.

# work_rates_per_core CMD...: runs CMD (it prints "RUNS SECONDS") on each core in turn (without
# taskset: once, taken for every core); sets ncores and work_rates (runs/s, one per core).
work_rates_per_core() {
	local core n s pin
	ncores=$(nproc)
	work_rates=()
	for ((core = 0; core < ncores; core++)); do
		pin=(taskset -c "$core")
		command -v taskset > /dev/null || pin=()
		read -r n s < <("${pin[@]}" "$@") || { echo "$0: $1 failed" >&2; exit 1; }
		work_rates+=("$(awk -v n="$n" -v s="$s" 'BEGIN { printf "%.0f", n / s }')")
		[ ${#pin[@]} -gt 0 ] || { work_rates=($(printf "${work_rates[0]} %.0s" $(seq "$ncores"))); break; }
	done
}

# print_ceiling PROGRAM UNIT RAW_US TRANSPORT RAW_RATE: sets ceiling, 1 / (1 / (the work's rate
# on every core) + RAW_US / cores), and prints it: RAW_US is the raw run's CPU a UNIT, which
# TRANSPORT says the source of ("CPU a message (server and client)").
print_ceiling() {
	ceiling=$(printf '%s\n' "${work_rates[@]}" | awk -v us="$3" -v k="$ncores" \
		'{ w += $1 } END { printf "%.0f", 1 / (1 / w + us / 1e6 / k) }')
	printf 'ceiling: the work alone (%s, one thread, no transport, no spool) %s %ss/s on cores %s; with the raw run'"'"'s %s us %s on the same %d cores, at most %d %ss/s = %s of raw\n' \
		"$1" "$(IFS=/; echo "${work_rates[*]}")" "$2" "$(seq -s/ 0 $((ncores - 1)))" "$3" \
		"$4" "$ncores" "$ceiling" "$2" "$(awk -v a="$ceiling" -v b="$5" 'BEGIN { printf "%.2f", a / b }')"
}
