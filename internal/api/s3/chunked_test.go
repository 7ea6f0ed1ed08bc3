package s3

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
)

func TestChunkedDecodes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body, want string
		trailers         map[string]string
	}{
		{
			"unsigned with trailer",
			"b\r\nHello world\r\n0\r\nx-amz-checksum-sha256:ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw=\r\n\r\n",
			"Hello world",
			map[string]string{"x-amz-checksum-sha256": "ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw="},
		},
		{
			"signed chunks",
			"5;chunk-signature=" + strings.Repeat("a", 64) + "\r\nhello\r\n6;chunk-signature=" + strings.Repeat("b", 64) + "\r\n world\r\n0;chunk-signature=" + strings.Repeat("c", 64) + "\r\n\r\n",
			"hello world",
			map[string]string{},
		},
		{
			"signed with trailer signature",
			"3;chunk-signature=" + strings.Repeat("a", 64) + "\r\nabc\r\n0;chunk-signature=" + strings.Repeat("c", 64) + "\r\nx-amz-checksum-crc32:NSRBwg==\r\nx-amz-trailer-signature:" + strings.Repeat("d", 64) + "\r\n\r\n",
			"abc",
			map[string]string{"x-amz-checksum-crc32": "NSRBwg==", "x-amz-trailer-signature": strings.Repeat("d", 64)},
		},
		{"empty payload, no final CRLF", "0\r\n", "", map[string]string{}},
	}
	for _, c := range cases {
		r := newChunkedReader(strings.NewReader(c.body))
		got, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if string(got) != c.want {
			t.Fatalf("%s: decoded %q, want %q", c.name, got, c.want)
		}
		if len(r.trailers) != len(c.trailers) {
			t.Fatalf("%s: trailers %v, want %v", c.name, r.trailers, c.trailers)
		}
		for k, v := range c.trailers {
			if r.trailers[k] != v {
				t.Fatalf("%s: trailer %s = %q, want %q", c.name, k, r.trailers[k], v)
			}
		}
	}
}

func TestChunkedLarge(t *testing.T) {
	t.Parallel()
	payload := bytes.Repeat([]byte("0123456789abcdef"), 100_000)
	var enc bytes.Buffer
	for off := 0; off < len(payload); off += 65536 {
		end := min(off+65536, len(payload))
		enc.WriteString(strconv.FormatInt(int64(end-off), 16) + "\r\n")
		enc.Write(payload[off:end])
		enc.WriteString("\r\n")
	}
	enc.WriteString("0\r\n\r\n")
	got, err := io.ReadAll(newChunkedReader(&enc))
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("large decode: %d bytes, err %v; want %d bytes", len(got), err, len(payload))
	}
}

func TestChunkedRejectsMalformed(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		"zz\r\nabc\r\n0\r\n\r\n",
		"5\r\nabc",
		"3\r\nabcXX\r\n0\r\n\r\n",
		"3\r\nabc\r\n",
		"3\r\nabc\r\n0\r\nno-colon-here\r\n\r\n",
		"-1\r\n",
	} {
		_, err := io.ReadAll(newChunkedReader(strings.NewReader(body)))
		if err == nil {
			t.Fatalf("body %q decoded without error", body)
		}
		if !errors.Is(err, errBadChunk) && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("body %q: err = %v, want a chunk error", body, err)
		}
	}
}

func FuzzChunked(f *testing.F) {
	f.Add("b\r\nHello world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n")
	f.Add("0;chunk-signature=abc\r\n\r\n")
	f.Fuzz(func(t *testing.T, body string) {
		r := newChunkedReader(strings.NewReader(body))
		got, err := io.ReadAll(r)
		if err == nil && len(got) > len(body) {
			t.Fatalf("decoded %d bytes from a %d-byte body", len(got), len(body))
		}
	})
}
