package testpeer

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// Probe is what ffprobe says about a media file.
type Probe struct {
	// Format describes the container.
	Format struct {
		// Duration is the container duration in seconds (0 if unknown).
		Duration float64
		// FormatName is ffprobe's format_name, e.g. "flv" or
		// "mov,mp4,m4a,3gp,3g2,mj2".
		FormatName string
	}
	// Video is the first video stream, or nil.
	Video *StreamInfo
	// Audio is the first audio stream, or nil.
	Audio *StreamInfo
	// Streams counts every stream in the file.
	Streams int
}

// StreamInfo describes one stream as ffprobe reports it. Numbers that
// ffprobe does not know (N/A) are zero.
type StreamInfo struct {
	// CodecName is e.g. "h264" or "aac".
	CodecName string
	// Profile is e.g. "High", "Main" or "LC".
	Profile string
	// Width and Height are the video size in pixels.
	Width, Height int
	// PixFmt is the video pixel format, e.g. "yuv420p".
	PixFmt string
	// AvgFrameRate is avg_frame_rate ("30/1") as frames per second.
	AvgFrameRate float64
	// RFrameRate is r_frame_rate ("30/1") as frames per second.
	RFrameRate float64
	// SampleRate is the audio sample rate in Hz.
	SampleRate int
	// Channels is the audio channel count.
	Channels int
	// StartTime is the stream start time in seconds.
	StartTime float64
	// Duration is the stream duration in seconds (often 0 for FLV).
	Duration float64
	// NbFrames is the number of packets read (nb_read_packets from
	// -count_packets); for video and AAC that is the frame count.
	NbFrames int
}

type probeJSON struct {
	Format struct {
		Duration   string `json:"duration"`
		FormatName string `json:"format_name"`
	} `json:"format"`
	Streams []struct {
		CodecType     string `json:"codec_type"`
		CodecName     string `json:"codec_name"`
		Profile       string `json:"profile"`
		Width         int    `json:"width"`
		Height        int    `json:"height"`
		PixFmt        string `json:"pix_fmt"`
		AvgFrameRate  string `json:"avg_frame_rate"`
		RFrameRate    string `json:"r_frame_rate"`
		SampleRate    string `json:"sample_rate"`
		Channels      int    `json:"channels"`
		StartTime     string `json:"start_time"`
		Duration      string `json:"duration"`
		NbReadPackets string `json:"nb_read_packets"`
	} `json:"streams"`
}

// FFprobe runs `ffprobe -v error -count_packets -show_format -show_streams
// -of json PATH` and parses the result. It fails the test with ffprobe's
// stderr when ffprobe fails.
func FFprobe(t testing.TB, path string) Probe {
	t.Helper()
	out := run(t, need(t, "ffprobe"), "-v", "error", "-count_packets", "-show_format", "-show_streams", "-of", "json", path)
	var pj probeJSON
	if err := json.Unmarshal(out, &pj); err != nil {
		t.Fatalf("testpeer: parse ffprobe output for %s: %v\n%s", path, err, out)
	}
	var p Probe
	p.Format.Duration = parseFloat(pj.Format.Duration)
	p.Format.FormatName = pj.Format.FormatName
	p.Streams = len(pj.Streams)
	for _, s := range pj.Streams {
		si := &StreamInfo{
			CodecName:    s.CodecName,
			Profile:      s.Profile,
			Width:        s.Width,
			Height:       s.Height,
			PixFmt:       s.PixFmt,
			AvgFrameRate: parseRational(s.AvgFrameRate),
			RFrameRate:   parseRational(s.RFrameRate),
			SampleRate:   int(parseFloat(s.SampleRate)),
			Channels:     s.Channels,
			StartTime:    parseFloat(s.StartTime),
			Duration:     parseFloat(s.Duration),
			NbFrames:     int(parseFloat(s.NbReadPackets)),
		}
		switch s.CodecType {
		case "video":
			if p.Video == nil {
				p.Video = si
			}
		case "audio":
			if p.Audio == nil {
				p.Audio = si
			}
		}
	}
	return p
}

// PacketTimes returns the pts_time of every packet of stream "v" (first
// video stream) or "a" (first audio stream) in file order, i.e. decode
// order: with B-frames video times are not monotonic. A packet without a
// pts uses its dts.
func PacketTimes(t testing.TB, path, stream string) []float64 {
	t.Helper()
	pks := Packets(t, path, stream)
	times := make([]float64, len(pks))
	for i, pk := range pks {
		times[i] = pk.Time
	}
	return times
}

// PacketInfo is one packet as ffprobe lists it.
type PacketInfo struct {
	Time float64 // pts_time (dts_time when there is no pts)
	Key  bool    // a keyframe
}

// Packets returns every packet of stream "v" or "a" in file order, as
// PacketTimes does, with its keyframe flag.
func Packets(t testing.TB, path, stream string) []PacketInfo {
	t.Helper()
	if stream != "v" && stream != "a" {
		t.Fatalf("testpeer: Packets: stream must be \"v\" or \"a\", not %q", stream)
	}
	out := run(t, need(t, "ffprobe"), "-v", "error", "-select_streams", stream+":0",
		"-show_entries", "packet=pts_time,dts_time,flags", "-of", "json", path)
	var pj struct {
		Packets []struct {
			PTSTime string `json:"pts_time"`
			DTSTime string `json:"dts_time"`
			Flags   string `json:"flags"`
		} `json:"packets"`
	}
	if err := json.Unmarshal(out, &pj); err != nil {
		t.Fatalf("testpeer: parse ffprobe packets for %s: %v\n%s", path, err, out)
	}
	pks := make([]PacketInfo, 0, len(pj.Packets))
	for _, pk := range pj.Packets {
		s := pk.PTSTime
		if s == "" || s == "N/A" {
			s = pk.DTSTime
		}
		pks = append(pks, PacketInfo{Time: parseFloat(s), Key: strings.Contains(pk.Flags, "K")})
	}
	return pks
}

// run runs a command and returns its stdout, failing the test with its
// stderr when it fails.
func run(t testing.TB, bin string, args ...string) []byte {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("testpeer: %s %s: %v\n%s", bin, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

func parseFloat(s string) float64 {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0
	}
	return f
}

// parseRational parses "30000/1001" (or a plain number); 0/0 gives 0.
func parseRational(s string) float64 {
	num, den, ok := strings.Cut(s, "/")
	if !ok {
		return parseFloat(s)
	}
	d := parseFloat(den)
	if d == 0 {
		return 0
	}
	return parseFloat(num) / d
}
