#!/usr/bin/env bash
# deps.sh installs the Debian 12 packages that studio's build (cgo against
# FFmpeg 5.1) and its integration tests (nginx-rtmp with the stream module as
# a TLS front for rtmps://, ffmpeg/ffprobe, rtmpdump,
# tmux to drive the console, Xvfb and PulseAudio as capture peers, espeak-ng
# for speech to denoise) need. It is idempotent: when everything is present it prints
# "deps: all present" and exits at once without touching apt.
set -euo pipefail

PKGS=(
	pkg-config gcc
	libavcodec-dev libavformat-dev libavfilter-dev libavdevice-dev
	libswscale-dev libswresample-dev libavutil-dev
	ffmpeg nginx libnginx-mod-rtmp libnginx-mod-stream rtmpdump fonts-dejavu-core procps tmux
	xvfb x11-xserver-utils x11-utils pulseaudio pulseaudio-utils time espeak-ng
)

# Files that must exist even when dpkg says the package is installed.
declare -A FILES=(
	[libnginx-mod-rtmp]=/usr/lib/nginx/modules/ngx_rtmp_module.so
	[libnginx-mod-stream]=/usr/lib/nginx/modules/ngx_stream_module.so
	[nginx]=/usr/sbin/nginx
	[ffmpeg]=/usr/bin/ffprobe
	[rtmpdump]=/usr/bin/rtmpdump
	[pkg-config]=/usr/bin/pkg-config
	[tmux]=/usr/bin/tmux
	[xvfb]=/usr/bin/Xvfb
	[x11-xserver-utils]=/usr/bin/xsetroot
	[x11-utils]=/usr/bin/xdpyinfo
	[pulseaudio]=/usr/bin/pulseaudio
	[pulseaudio-utils]=/usr/bin/pactl
	[time]=/usr/bin/time
	[espeak-ng]=/usr/bin/espeak-ng
)

missing=()
broken=()
scan() {
	missing=()
	broken=()
	local p status
	for p in "${PKGS[@]}"; do
		status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		if [[ "$status" != "install ok installed" ]]; then
			missing+=("$p")
		elif [[ -n "${FILES[$p]:-}" && ! -e "${FILES[$p]}" ]]; then
			broken+=("$p")
		fi
	done
}

scan
if ((${#missing[@]} == 0 && ${#broken[@]} == 0)); then
	echo "deps: all present"
	exit 0
fi

SUDO=()
if [[ "$(id -u)" != 0 ]]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO=(sudo)
	else
		echo "deps: need root (or sudo) to install: ${missing[*]} ${broken[*]}" >&2
		exit 1
	fi
fi

# Keep package postinst scripts from starting services (nginx would grab
# port 80). Only add our own policy-rc.d, and remove only that one.
POLICY=/usr/sbin/policy-rc.d
if [[ ! -e "$POLICY" ]]; then
	printf '#!/bin/sh\n# added by studio scripts/deps.sh\nexit 101\n' | "${SUDO[@]}" tee "$POLICY" >/dev/null
	"${SUDO[@]}" chmod 0755 "$POLICY"
	trap '"${SUDO[@]}" rm -f "$POLICY"' EXIT
fi

APT=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -q --no-install-recommends)

echo "deps: installing ${missing[*]} ${broken[*]}"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
if ((${#missing[@]} > 0)); then
	"${APT[@]}" install "${missing[@]}" || {
		# A failing service start in a postinst leaves packages unconfigured;
		# finish configuring and judge by what dpkg says afterwards.
		echo "deps: apt-get install failed; trying dpkg --configure -a" >&2
		"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive dpkg --configure -a || true
	}
fi
if ((${#broken[@]} > 0)); then
	"${APT[@]}" install --reinstall "${broken[@]}" || true
fi

scan
if ((${#missing[@]} > 0 || ${#broken[@]} > 0)); then
	echo "deps: still missing after install: ${missing[*]} ${broken[*]}" >&2
	exit 1
fi
echo "deps: installed"
