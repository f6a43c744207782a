package flv

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func FuzzReader(f *testing.F) {
	valid := writeFLV(sampleTags(f))
	f.Add(valid)
	f.Add(valid[:len(valid)-3])
	f.Add(FileHeader(true, false))
	f.Add(append(FileHeader(false, true), 9, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0))
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := NewReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		// Each successful Next consumes at least 15 bytes, so this bound
		// catches a reader that stops making progress.
		for i := 0; i <= len(data)/15+1; i++ {
			tg, err := fr.Next()
			if err != nil {
				if _, err2 := fr.Next(); !errors.Is(err2, err) && err2 != err {
					t.Fatalf("error not sticky: %v then %v", err, err2)
				}
				if err == io.EOF && fr.Offset() != int64(len(data)) {
					t.Fatalf("clean EOF at offset %d of %d", fr.Offset(), len(data))
				}
				return
			}
			if len(tg.Body) > MaxTagBodySize {
				t.Fatalf("body of %d bytes", len(tg.Body))
			}
			if tg.Type == TagVideo {
				_, _, _, _ = ParseAVCFrame(tg.Body)
			}
		}
		t.Fatalf("reader made no progress after %d tags", len(data)/15+1)
	})
}

func FuzzAVCDecoderConfig(f *testing.F) {
	f.Add(x264Extradata)
	f.Add(x264AvcC())
	f.Add([]byte{0, 0, 1, 0x67, 0x64, 0, 0x1f, 0, 0, 1, 0x68})
	f.Add([]byte{1, 0x64, 0, 0x1f, 0xff, 0xe1, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		avcC, err := AVCDecoderConfig(data)
		if err != nil {
			return
		}
		sps, pps, err := ParseAVCDecoderConfig(avcC)
		if err != nil {
			t.Fatalf("AVCDecoderConfig output does not parse: %v", err)
		}
		if len(sps) == 0 || len(pps) == 0 {
			t.Fatalf("avcC with %d sps and %d pps", len(sps), len(pps))
		}
		_ = AppendAVCFrame(nil, data, true, 0)
	})
}
