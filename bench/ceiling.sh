# bench/ceiling.sh: sourced by bench/rid and bench/webhook. The ceiling: the least CPU a message
# (a request) costs on this machine, whoever the listener, as the sum of what each part costs
# measured alone, and the rate the machine's cores give at that cost:
#   - the raw server's run: TLS, HTTP and the client, a message;
#   - its own work (a bench/*_work program: one thread, no transport, no spool), pinned to each
#     core in turn (a VM's cores need not run at one speed);
#   - answering it from another thread than the one that read it (bench/raw_http --handoff, less
#     the raw run), as a listener must when a spool writer's commit decides the answer;
#   - the spool's commit of what it leaves (bench/spool_commit), in commits of every message in
#     flight at once: the largest group a group commit could gather there.

# work_rates_per_core CMD...: runs CMD (it prints "RUNS SECONDS", then "RECORDS BYTES" of one run)
# on each core in turn (without taskset: once, taken for every core); sets ncores, work_rates
# (runs/s, one per core), work_records and work_bytes.
work_rates_per_core() {
	local core out n s pin
	ncores=$(nproc)
	work_rates=()
	for ((core = 0; core < ncores; core++)); do
		pin=(taskset -c "$core")
		command -v taskset > /dev/null || pin=()
		out=$("${pin[@]}" "$@") || { echo "$0: $1 failed" >&2; exit 1; }
		{ read -r n s; read -r work_records work_bytes; } <<< "$out"
		work_rates+=("$(awk -v n="$n" -v s="$s" 'BEGIN { printf "%.0f", n / s }')")
		[ ${#pin[@]} -gt 0 ] || { work_rates=($(printf "${work_rates[0]} %.0s" $(seq "$ncores"))); break; }
	done
}

# spool_cost BUILD_DIR DIR IN_FLIGHT: sets spool_us, the spool's CPU (every thread) for what one
# message leaves ($work_records records of $work_bytes bytes in all), committed with the records
# of IN_FLIGHT messages at once; and spool_group, the records of such a commit.
spool_cost() {
	local records seconds cpu bytes=$((work_bytes / (work_records > 0 ? work_records : 1)))
	spool_group=$(($3 * work_records))
	read -r records seconds cpu < <("$1"/bench/spool_commit "$2" "$spool_group" "$bytes" 3) ||
		{ echo "$0: bench/spool_commit failed" >&2; exit 1; }
	rm -f "$2/spool.db" "$2/spool.db-wal" "$2/spool.db-shm"
	spool_us=$(awk -v c="$cpu" -v n="$records" -v k="$work_records" \
		'BEGIN { printf "%.1f", c * 1e6 / n * k }')
}

# print_ceiling PROGRAM UNIT RAW_US TRANSPORT RAW_RATE HANDOFF_US: sets ceiling, 1 / (1 / (the
# work's rate on every core) + (RAW_US + HANDOFF_US + spool_us) / cores), and prints it with its
# parts: RAW_US is the raw run's CPU a UNIT, which TRANSPORT says the source of ("server and
# client"); HANDOFF_US what answering from another thread added to it.
print_ceiling() {
	local work_us
	work_us=$(printf '%s\n' "${work_rates[@]}" | awk -v k="$ncores" '{ w += $1 } END { printf "%.1f", k * 1e6 / w }')
	ceiling=$(awk -v w="$work_us" -v a="$3" -v h="$6" -v s="$spool_us" -v k="$ncores" \
		'BEGIN { printf "%.0f", k * 1e6 / (w + a + (h > 0 ? h : 0) + s) }')
	printf 'ceiling, the least a %s costs here in CPU of the %d cores, each part measured alone:\n' "$2" "$ncores"
	printf '  %6s us  TLS, HTTP and the client (%s), the raw run\n' "$3" "$4"
	printf '  %6s us  the work alone (%s, one thread, no transport, no spool): %s %ss/s on cores %s\n' \
		"$work_us" "$1" "$(IFS=/; echo "${work_rates[*]}")" "$2" "$(seq -s/ 0 $((ncores - 1)))"
	printf '  %6s us  the answer from another thread (bench/raw_http --handoff, less the raw run)\n' "$6"
	printf '  %6s us  the spool'"'"'s commit of its %s record(s), %s bytes, in commits of %s records (bench/spool_commit)\n' \
		"$spool_us" "$work_records" "$work_bytes" "$spool_group"
	printf '  at most %d %ss/s = %s of raw\n' "$ceiling" "$2" \
		"$(awk -v a="$ceiling" -v b="$5" 'BEGIN { printf "%.2f", a / b }')"
}
