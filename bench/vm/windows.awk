# windows.awk: pair a tests/vm/run-vm.sh log's "@@INSN-WINDOW <label> iters=N [rc=R] ..." console lines with the
# TCG plugin's "vfioiommu-insn window K: COUNT" lines (the K-th of one is the K-th of the other, per topology),
# and print per topology and label the minimum and median instructions per iteration over the windows (an
# interrupt inside a window only adds, so the minimum is the interrupt-free cost); then, for every label with
# "lib" in it whose "raw" twin (the same label with "lib" replaced by "raw") is there, lib/raw of both.
#
#   awk -v prefix=bench_harvest. -v unit="per harvest" -f bench/vm/windows.awk LOG
#
# prefix: only labels starting with it (shown without it); unit: what one iteration is.
# Exit: 1 when the counts cannot be paired, a window reported rc != 0, or no window was seen.
function flush(   k, l, m, i, j, t, twin, n, vals, mn, md) {
	if (topo == "")
		return
	if (nd != nw) {
		printf "%s: windows: guest %d, plugin %d: cannot pair\n", topo, nd, nw
		bad = 1
	}
	for (k = 0; k < nd && k < nw; k++) {
		if (rc[k] != "0") {
			printf "%s %s: window reported rc=%s\n", topo, lbl[k], rc[k]
			bad = 1
			continue
		}
		if (substr(lbl[k], 1, length(prefix)) != prefix)
			continue
		l = substr(lbl[k], length(prefix) + 1)
		n[l]++
		vals[l, n[l]] = cnt[k] / it[k]
		seen++
	}
	for (l in n) {
		m = n[l]
		for (i = 1; i <= m; i++)
			for (j = i + 1; j <= m; j++)
				if (vals[l, j] < vals[l, i]) { t = vals[l, i]; vals[l, i] = vals[l, j]; vals[l, j] = t }
		mn[l] = vals[l, 1]
		md[l] = vals[l, int((m + 1) / 2)]
		printf "%s %-24s min %12.1f  median %12.1f  instructions %s (%d windows)\n", topo, l, mn[l], md[l], unit, m
	}
	for (l in n) {
		if (l !~ /lib/)
			continue
		twin = l
		sub(/lib/, "raw", twin)
		if (twin in n)
			printf "%s %-24s lib/raw  min %.4f  median %.4f\n", topo, l, mn[l] / mn[twin], md[l] / md[twin]
	}
	nd = 0
	nw = 0
}
BEGIN { nd = 0; nw = 0; topo = ""; bad = 0; seen = 0 }
{ sub(/\r$/, "") }
/^=== VM topology=/ { flush(); topo = $3; sub(/^topology=/, "", topo); section = "console"; next }
/^=== plugin output topology=/ { section = "plugin"; next }
/^=== / { section = ""; next }
section == "console" && /^@@INSN-WINDOW / {
	lbl[nd] = $2; it[nd] = 1; rc[nd] = "0"
	for (i = 3; i <= NF; i++) {
		if ($i ~ /^iters=/) it[nd] = substr($i, 7)
		if ($i ~ /^rc=/) rc[nd] = substr($i, 4)
	}
	nd++
	next
}
section == "plugin" && /^vfioiommu-insn window / { cnt[nw++] = $4; next }
END {
	flush()
	if (!seen) { print "no window to report"; bad = 1 }
	exit bad
}
