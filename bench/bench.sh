#!/usr/bin/env bash
# bench/bench.sh — studio vs the ffmpeg CLI, the same job side by side (DESIGN.md §8).
# Run from the repo root: `make bench` (builds bin/studio first).
# Target: studio CPU per frame <= 1.05x ffmpeg's. Informational: exits 0 either
# way unless a command fails.
set -euo pipefail

cd "$(dirname "$0")/.."
CACHE=bench/.cache
OUT="$CACHE/out"
RUNS=${BENCH_RUNS:-2}
TARGET=1.05
mkdir -p "$CACHE" "$OUT"

if [[ ! -x /usr/bin/time ]]; then
	echo "installing GNU time ..." >&2
	SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO=sudo
	$SUDO apt-get install -y -qq time >/dev/null
fi
GO=${GO:-$(command -v go 2>/dev/null || echo /usr/local/go/bin/go)}
[[ -x bin/studio ]] || "$GO" build -o bin/studio ./cmd/studio

# job name, size, video bitrate
JOBS=("720p30 1280x720 2500k" "1080p30 1920x1080 4500k")

# 1. Inputs, generated once: testsrc2 + 1 kHz sine, cheap-to-decode H.264 + AAC in MP4.
for j in "${JOBS[@]}"; do
	read -r name size _ <<<"$j"
	in="$CACHE/in-$name.mp4"
	[[ -s $in ]] && continue
	echo "generating $in ..." >&2
	ffmpeg -hide_banner -nostdin -loglevel error -y \
		-f lavfi -i "testsrc2=size=$size:rate=30" \
		-f lavfi -i "sine=frequency=1000:sample_rate=48000" \
		-t 20 -frames:v 600 -c:v libx264 -preset ultrafast -crf 18 -pix_fmt yuv420p \
		-c:a aac -b:a 160k -ac 2 -ar 48000 -shortest -movflags +faststart "$in.tmp.mp4"
	mv "$in.tmp.mp4" "$in"
done

frames() {
	ffprobe -v error -count_packets -select_streams v -show_entries stream=nb_read_packets -of csv=p=0 "$1"
}

# measure TOOL LOG CMD...: runs CMD under /usr/bin/time, echoes "wall user sys maxrss_kb".
measure() {
	local log=$1; shift
	local tf; tf=$(mktemp)
	if ! /usr/bin/time -o "$tf" -f '%e %U %S %M' "$@" >"$log" 2>&1; then
		echo "command failed: $*" >&2; tail -20 "$log" >&2; rm -f "$tf"; exit 1
	fi
	tail -1 "$tf"; rm -f "$tf"
}

rows=()      # job tool frames wall cpu ms/frame fps rss
ratios=()    # job ratio verdict
for j in "${JOBS[@]}"; do
	read -r name size br <<<"$j"
	in="$CACHE/in-$name.mp4"
	preset="bench/bench-$name.yaml"
	declare -A best_cpu=() best_line=()
	for ((r = 1; r <= RUNS; r++)); do
		for tool in ffmpeg studio; do
			out="$OUT/$name-$tool.flv"
			rm -f "$out"
			echo "run $r/$RUNS: $name $tool ..." >&2
			if [[ $tool == ffmpeg ]]; then
				m=$(measure "$OUT/$name-$tool.log" ffmpeg -hide_banner -nostdin -y -i "$in" \
					-c:v libx264 -preset veryfast -b:v "$br" -maxrate "$br" -bufsize "$br" \
					-x264-params nal-hrd=cbr:scenecut=0 -g 60 -keyint_min 60 -profile:v high \
					-pix_fmt yuv420p -c:a aac -b:a 160k -ar 48000 -ac 2 -f flv "$out")
			else
				m=$(measure "$OUT/$name-$tool.log" bin/studio relay "$in" --preset "$preset" \
					--realtime=false --record "$out")
			fi
			read -r wall user sys rss <<<"$m"
			n=$(frames "$out")
			cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u+s}')
			line=$(awk -v job="$name" -v t="$tool" -v n="$n" -v w="$wall" -v c="$cpu" -v k="$rss" \
				'BEGIN{printf "%s %s %d %.2f %.2f %.2f %.1f %.1f", job, t, n, w, c, (n>0?c*1000/n:0), (w>0?n/w:0), k/1024}')
			echo "  $line" >&2
			if [[ -z ${best_cpu[$tool]:-} ]] || awk -v a="$cpu" -v b="${best_cpu[$tool]}" 'BEGIN{exit !(a<b)}'; then
				best_cpu[$tool]=$cpu; best_line[$tool]=$line
			fi
		done
	done
	rows+=("${best_line[ffmpeg]}" "${best_line[studio]}")
	read -r _ _ _ _ _ fms _ _ <<<"${best_line[ffmpeg]}"
	read -r _ _ _ _ _ sms _ _ <<<"${best_line[studio]}"
	ratios+=("$(awk -v job="$name" -v f="$fms" -v s="$sms" -v t="$TARGET" \
		'BEGIN{r=(f>0?s/f:0); printf "%s %.3f %s", job, r, (r<=t?"PASS":"FAIL")}')")
	unset best_cpu best_line
done

echo
echo "studio vs ffmpeg CLI, best (lowest CPU) of $RUNS interleaved runs each, $(nproc) CPUs"
printf '%-8s %-7s %7s %8s %8s %10s %7s %9s\n' job tool frames "wall s" "CPU s" "CPU ms/fr" fps "RSS MB"
for row in "${rows[@]}"; do
	read -r job tool n wall cpu ms fps rss <<<"$row"
	printf '%-8s %-7s %7s %8s %8s %10s %7s %9s\n' "$job" "$tool" "$n" "$wall" "$cpu" "$ms" "$fps" "$rss"
done
echo
for r in "${ratios[@]}"; do
	read -r job ratio verdict <<<"$r"
	printf '%-8s studio/ffmpeg CPU per frame: %s  target <= %s: %s\n' "$job" "$ratio" "$TARGET" "$verdict"
done

# 3. Go micro-benchmarks, if any.
if grep -rlq --include='*_test.go' '^func Benchmark' pipeline 2>/dev/null; then
	echo
	echo "Go micro-benchmarks (./pipeline/...):"
	"$GO" test -run XXX -bench . -benchmem ./pipeline/...
fi
