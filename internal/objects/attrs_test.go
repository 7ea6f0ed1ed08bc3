package objects

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestEncodeAttrsIsJSONMarshal checks that the hand-written encoder writes exactly what
// json.Marshal writes, escapes included.
func TestEncodeAttrsIsJSONMarshal(t *testing.T) {
	t.Parallel()
	odd := "q\"b\\s/<a>&\b\f\n\r\t\x00\x1f\x7f é \u2028\u2029 \xff\xfe end 😀"
	docs := []*attrs{
		{},
		{Segments: []int64{4096}},
		{Segments: []int64{5 << 20, 5 << 20, 1, 0}, Multipart: true},
		{Headers: Headers{ContentType: "text/plain", ContentEncoding: "gzip", ContentDisposition: `attachment; filename="a b"`,
			ContentLanguage: "en", CacheControl: "no-cache", Expires: "Thu, 01 Dec 1994 16:00:00 GMT"}},
		{Metadata: map[string]string{"b": "2", "a": "1", "z": odd, odd: "k"}, StorageClass: "GLACIER"},
		{Checksum: &Checksum{Algorithm: CRC32, Value: "NSRBwg==", Type: FullObject}, Segments: []int64{1}},
		{Checksum: &Checksum{}},
		{Tags: []Tag{{Key: "k", Value: "v"}, {Key: odd, Value: ""}}},
		{Headers: Headers{ContentType: odd}, Metadata: map[string]string{}, Tags: []Tag{}, Segments: []int64{}},
	}
	for i, a := range docs {
		want, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		if got := encodeAttrs(a); !bytes.Equal(got, want) {
			t.Errorf("doc %d: encodeAttrs = %s\n json.Marshal = %s", i, got, want)
		}
	}
}

func FuzzEncodeAttrs(f *testing.F) {
	f.Add("text/plain", "k", "v", int64(4096))
	f.Add("a\u2028\xff<", "\x00", "\"\\", int64(-1))
	f.Fuzz(func(t *testing.T, s, k, v string, n int64) {
		a := &attrs{Headers: Headers{ContentType: s, Expires: v}, Metadata: map[string]string{k: v, v: s}, StorageClass: k,
			Checksum: &Checksum{Algorithm: s, Value: k, Type: v}, Segments: []int64{n, 0}, Tags: []Tag{{Key: k, Value: v}}}
		want, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		if got := encodeAttrs(a); !bytes.Equal(got, want) {
			t.Errorf("encodeAttrs = %s\n json.Marshal = %s", got, want)
		}
	})
}
