#!/usr/bin/env bash
# bench/bench.sh — studio vs the ffmpeg CLI, the same job side by side (DESIGN.md §8).
# Run from the repo root: `make bench` (builds bin/studio first).
# Target: studio CPU per frame <= 1.05x ffmpeg's. Informational: exits 0 either
# way unless a command fails.
#
# Jobs: 720p30 and 1080p30 relay a generated file as fast as possible; screen
# captures a 1920x1080 Xvfb display showing moving pictures at 30 fps for 20 s
# (real time). BENCH_JOBS="screen" (say) runs a subset; BENCH_RUNS sets the
# number of interleaved runs per tool.
set -euo pipefail

cd "$(dirname "$0")/.."
CACHE=bench/.cache
OUT="$CACHE/out"
RUNS=${BENCH_RUNS:-2}
SELECT=${BENCH_JOBS:-"720p30 1080p30 screen"}
TARGET=1.05
mkdir -p "$CACHE" "$OUT"

bash scripts/deps.sh >&2 # GNU time, Xvfb and ffmpeg among the rest
GO=${GO:-$(command -v go 2>/dev/null || echo /usr/local/go/bin/go)}
[[ -x bin/studio ]] || "$GO" build -o bin/studio ./cmd/studio

# File jobs: size and video bitrate.
declare -A SIZE=([720p30]=1280x720 [1080p30]=1920x1080)
declare -A BITRATE=([720p30]=2500k [1080p30]=4500k)
for name in $SELECT; do
	[[ $name == screen || -n ${SIZE[$name]:-} ]] || { echo "unknown job $name (known: ${!SIZE[*]} screen)" >&2; exit 2; }
done

# 1. Inputs for the file jobs, generated once: testsrc2 + 1 kHz sine,
# cheap-to-decode H.264 + AAC in MP4.
for name in $SELECT; do
	[[ $name == screen ]] && continue
	in="$CACHE/in-$name.mp4"
	[[ -s $in ]] && continue
	echo "generating $in ..." >&2
	ffmpeg -hide_banner -nostdin -loglevel error -y \
		-f lavfi -i "testsrc2=size=${SIZE[$name]}:rate=30" \
		-f lavfi -i "sine=frequency=1000:sample_rate=48000" \
		-t 20 -frames:v 600 -c:v libx264 -preset ultrafast -crf 18 -pix_fmt yuv420p \
		-c:a aac -b:a 160k -ac 2 -ar 48000 -shortest -movflags +faststart "$in.tmp.mp4"
	mv "$in.tmp.mp4" "$in"
done

# 2. The screen job's display: Xvfb with a full-screen player showing
# testsrc2 at 30 fps, as testpeer's Xvfb.Play does. Neither is a child of the
# measured commands, so their CPU is not counted; both are stopped on exit.
SCREEN_SIZE=1920x1080
SCREEN_DISPLAY=""
SCREEN_PIDS=()   # player first, then Xvfb
SCREEN_XVFB_PID=""

stop_screen() {
	local pid i
	for pid in "${SCREEN_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || continue
		for ((i = 0; i < 30; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	# Xvfb removes its lock and socket on a clean exit; after SIGKILL only a
	# lock that still holds our PID is ours to remove.
	if [[ -n $SCREEN_DISPLAY && -n $SCREEN_XVFB_PID ]]; then
		local n=${SCREEN_DISPLAY#:}
		if [[ $({ tr -d ' \n' <"/tmp/.X$n-lock"; } 2>/dev/null) == "$SCREEN_XVFB_PID" ]]; then
			rm -f "/tmp/.X$n-lock" "/tmp/.X11-unix/X$n"
		fi
	fi
	SCREEN_PIDS=()
}
trap stop_screen EXIT
trap 'exit 130' INT TERM

# grab_small: one x11grab frame of the display, scaled to 32x18 (nearest),
# as rgb24 bytes in decimal, one per word.
grab_small() {
	ffmpeg -nostdin -v error -f x11grab -draw_mouse 0 -video_size "$SCREEN_SIZE" -i "$SCREEN_DISPLAY" \
		-frames:v 1 -vf scale=32:18:flags=neighbor -f rawvideo -pix_fmt rgb24 - | od -An -v -tu1
}

# start_screen: Xvfb on the first free display >= :90, root painted #d04020,
# the player on top; returns 1 (with a reason) when that cannot be done.
start_screen() {
	local bin n i
	for bin in Xvfb xdpyinfo xsetroot; do
		command -v "$bin" >/dev/null || { echo "screen: $bin not installed (run scripts/deps.sh)" >&2; return 1; }
	done
	for ((n = 90; n < 600; n++)); do
		[[ -e /tmp/.X$n-lock || -e /tmp/.X11-unix/X$n ]] || break
	done
	SCREEN_DISPLAY=":$n"
	Xvfb "$SCREEN_DISPLAY" -screen 0 "${SCREEN_SIZE}x24" -noreset -nolisten tcp >"$OUT/screen-xvfb.log" 2>&1 &
	SCREEN_XVFB_PID=$!
	SCREEN_PIDS=("$SCREEN_XVFB_PID")
	for ((i = 0; i < 100; i++)); do
		kill -0 "$SCREEN_XVFB_PID" 2>/dev/null || { echo "screen: Xvfb $SCREEN_DISPLAY exited:" >&2; cat "$OUT/screen-xvfb.log" >&2; return 1; }
		xdpyinfo -display "$SCREEN_DISPLAY" >/dev/null 2>&1 && break
		sleep 0.1
	done
	xdpyinfo -display "$SCREEN_DISPLAY" >/dev/null 2>&1 || { echo "screen: Xvfb $SCREEN_DISPLAY not answering" >&2; return 1; }
	xsetroot -display "$SCREEN_DISPLAY" -solid '#d04020'

	DISPLAY=$SCREEN_DISPLAY SDL_VIDEODRIVER=x11 SDL_AUDIODRIVER=dummy \
		ffmpeg -hide_banner -nostdin -v error -re -f lavfi -i "testsrc2=s=$SCREEN_SIZE:r=30" -pix_fmt bgra \
		-f sdl2 -window_x 0 -window_y 0 -window_borderless 1 -window_fullscreen 1 -window_enable_quit 0 play \
		>"$OUT/screen-player.log" 2>&1 &
	SCREEN_PIDS=("$!" "$SCREEN_XVFB_PID")
	# It draws when at most 10% of the screen still shows the root colour
	# and the picture moves.
	local a b root
	for ((i = 0; i < 75; i++)); do
		sleep 0.2
		kill -0 "${SCREEN_PIDS[0]}" 2>/dev/null || { echo "screen: player exited:" >&2; cat "$OUT/screen-player.log" >&2; return 1; }
		a=$(grab_small); sleep 0.1; b=$(grab_small)
		root=$(awk '{for (i = 1; i + 2 <= NF; i += 3) if ($i == 208 && $(i+1) == 64 && $(i+2) == 32) r++} END {print r + 0}' <<<"$a")
		if ((root <= 32 * 18 / 10)) && [[ $a != "$b" ]]; then
			echo "screen: Xvfb $SCREEN_DISPLAY $SCREEN_SIZE, player pid ${SCREEN_PIDS[0]} drawing" >&2
			return 0
		fi
	done
	echo "screen: the player does not cover $SCREEN_DISPLAY or does not move" >&2
	return 1
}

frames() {
	ffprobe -v error -count_packets -select_streams v -show_entries stream=nb_read_packets -of csv=p=0 "$1"
}

# measure LOG CMD...: runs CMD under /usr/bin/time, echoes "wall user sys maxrss_kb".
measure() {
	local log=$1; shift
	local tf; tf=$(mktemp)
	if ! /usr/bin/time -o "$tf" -f '%e %U %S %M' "$@" >"$log" 2>&1; then
		echo "command failed: $*" >&2; tail -20 "$log" >&2; rm -f "$tf"; exit 1
	fi
	tail -1 "$tf"; rm -f "$tf"
}

# job_cmd JOB TOOL OUT: sets CMD to TOOL's command line for JOB.
job_cmd() {
	local name=$1 tool=$2 out=$3
	if [[ $name == screen ]]; then
		if [[ $tool == ffmpeg ]]; then
			CMD=(ffmpeg -hide_banner -nostdin -y -f x11grab -framerate 30 -video_size "$SCREEN_SIZE" -draw_mouse 0
				-i "$SCREEN_DISPLAY" -t 20 -pix_fmt yuv420p -c:v libx264 -preset veryfast
				-b:v 4500k -maxrate 4500k -bufsize 4500k -g 60 -keyint_min 60 -sc_threshold 0
				-x264-params nal-hrd=cbr -f flv "$out")
		else
			CMD=(bin/studio relay screen --display "$SCREEN_DISPLAY" --preset screen-1080p30 --audio none
				--duration 20s --record "$out")
		fi
		return
	fi
	local in="$CACHE/in-$name.mp4" br=${BITRATE[$name]}
	if [[ $tool == ffmpeg ]]; then
		CMD=(ffmpeg -hide_banner -nostdin -y -i "$in"
			-c:v libx264 -preset veryfast -b:v "$br" -maxrate "$br" -bufsize "$br"
			-x264-params nal-hrd=cbr:scenecut=0 -g 60 -keyint_min 60 -profile:v high
			-pix_fmt yuv420p -c:a aac -b:a 160k -ar 48000 -ac 2 -f flv "$out")
	else
		CMD=(bin/studio relay "$in" --preset "bench/bench-$name.yaml" --realtime=false --record "$out")
	fi
}

rows=()      # job tool frames wall cpu ms/frame fps rss
ratios=()    # job ratio verdict | job - reason...
for name in $SELECT; do
	tools=(ffmpeg studio)
	if [[ $name == screen ]]; then
		if ! start_screen; then
			stop_screen
			ratios+=("screen - skipped: no display for the screen job (see above)")
			continue
		fi
	fi
	declare -A best_cpu=() best_line=()
	for ((r = 1; r <= RUNS; r++)); do
		for tool in "${tools[@]}"; do
			out="$OUT/$name-$tool.flv"
			rm -f "$out"
			echo "run $r/$RUNS: $name $tool ..." >&2
			job_cmd "$name" "$tool" "$out"
			m=$(measure "$OUT/$name-$tool.log" "${CMD[@]}")
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
	for tool in "${tools[@]}"; do rows+=("${best_line[$tool]}"); done
	if [[ -n ${best_line[studio]:-} ]]; then
		read -r _ _ _ _ _ fms _ _ <<<"${best_line[ffmpeg]}"
		read -r _ _ _ _ _ sms _ _ <<<"${best_line[studio]}"
		ratios+=("$(awk -v job="$name" -v f="$fms" -v s="$sms" -v t="$TARGET" \
			'BEGIN{r=(f>0?s/f:0); printf "%s %.3f %s", job, r, (r<=t?"PASS":"FAIL")}')")
	fi
	unset best_cpu best_line
	[[ $name == screen ]] && stop_screen
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
	if [[ $ratio == - ]]; then
		printf '%-8s %s\n' "$job" "$verdict"
	else
		printf '%-8s studio/ffmpeg CPU per frame: %s  target <= %s: %s\n' "$job" "$ratio" "$TARGET" "$verdict"
	fi
done

# 3. Go micro-benchmarks, if any.
if grep -rlq --include='*_test.go' '^func Benchmark' pipeline 2>/dev/null; then
	echo
	echo "Go micro-benchmarks (./pipeline/...):"
	"$GO" test -run XXX -bench . -benchmem ./pipeline/...
fi
