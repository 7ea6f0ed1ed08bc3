package s3

import (
	"bytes"
	"encoding/xml"
	"math/rand/v2"
	"strings"
	"testing"
)

// oddStrings are values that exercise every escape: markup characters, whitespace references,
// control characters, NUL, invalid UTF-8, the replacement character itself, surrogate-range and
// non-BMP runes.
var oddStrings = []string{
	"", "plain/key.json", `a"b'c&d<e>f`, "tab\there", "line\nbreak\r\n", "nul\x00byte", "bell\x07",
	"bad\xffutf8", "\xed\xa0\x80surrogate", "日本/キー", "emoji 🙂", "\uFFFD", "\uFFFE", "\U0010FFFF", "]]>",
	"&amp; already", "trailing space ", "%2F encoded",
}

func randomString(r *rand.Rand) string {
	var b strings.Builder
	for range r.IntN(4) {
		b.WriteString(oddStrings[r.IntN(len(oddStrings))])
		if r.IntN(3) == 0 {
			b.WriteByte(byte(r.IntN(256)))
		}
	}
	return b.String()
}

func randomListBucketResult(r *rand.Rand) *listBucketResult {
	s := func() string { return randomString(r) }
	res := &listBucketResult{Xmlns: xmlns, Name: s(), Prefix: s(), NextMarker: s(), StartAfter: s(), ContToken: s(),
		NextContToken: s(), MaxKeys: r.IntN(1001), Delimiter: s(), EncodingType: s(), IsTruncated: r.IntN(2) == 0}
	if r.IntN(2) == 0 {
		m := s()
		res.Marker = &m
	}
	if r.IntN(2) == 0 {
		n := r.IntN(1000)
		res.KeyCount = &n
	}
	for range r.IntN(5) {
		o := objectXML{Key: s(), LastModified: s(), ETag: s(), ChecksumType: s(), Size: r.Int64N(1 << 40), StorageClass: s()}
		for range r.IntN(3) {
			o.ChecksumAlgorithm = append(o.ChecksumAlgorithm, s())
		}
		if r.IntN(2) == 0 {
			o.Owner = &owner{ID: s(), DisplayName: s()}
		}
		res.Contents = append(res.Contents, o)
	}
	for range r.IntN(3) {
		res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: s()})
	}
	return res
}

func randomListVersionsResult(r *rand.Rand) *listVersionsResult {
	s := func() string { return randomString(r) }
	res := &listVersionsResult{Xmlns: xmlns, Name: s(), Prefix: s(), KeyMarker: s(), VersionIDMarker: s(), NextKeyMarker: s(),
		NextVersionIDMarker: s(), MaxKeys: r.IntN(1001), Delimiter: s(), EncodingType: s(), IsTruncated: r.IntN(2) == 0}
	for range r.IntN(5) {
		v := versionXML{Key: s(), VersionID: s(), IsLatest: r.IntN(2) == 0, LastModified: s(), ETag: s(), ChecksumType: s(),
			StorageClass: s(), Owner: owner{ID: s(), DisplayName: s()}}
		v.XMLName.Local = "Version"
		if r.IntN(3) == 0 {
			v.XMLName.Local = "DeleteMarker"
		}
		if r.IntN(2) == 0 {
			n := r.Int64N(1 << 40)
			v.Size = &n
		}
		for range r.IntN(3) {
			v.ChecksumAlgorithm = append(v.ChecksumAlgorithm, s())
		}
		res.Versions = append(res.Versions, v)
	}
	for range r.IntN(3) {
		res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: s()})
	}
	return res
}

// TestListingXMLMatchesEncodingXML holds the hand-written listing documents to xml.Marshal's
// output, byte for byte, over random documents full of characters that need escaping.
func TestListingXMLMatchesEncodingXML(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		var doc interface {
			appender
		}
		if i%2 == 0 {
			doc = randomListBucketResult(r)
		} else {
			doc = randomListVersionsResult(r)
		}
		want, err := xml.Marshal(doc)
		if err != nil {
			t.Fatalf("xml.Marshal: %v", err)
		}
		if got := doc.appendXML(nil); !bytes.Equal(got, want) {
			t.Fatalf("document %d:\n got %q\nwant %q", i, got, want)
		}
	}
}

// TestListingXMLRoundTrip decodes a written page with encoding/xml and compares it with the
// struct it came from (after XML's replacement of characters it cannot carry).
func TestListingXMLRoundTrip(t *testing.T) {
	t.Parallel()
	n := 2
	in := &listBucketResult{Xmlns: xmlns, Name: "b", Prefix: "p&<>/", MaxKeys: 1000, KeyCount: &n, IsTruncated: true,
		NextContToken: "dG9rZW4", Contents: []objectXML{
			{Key: "p&<>/a\"b'c\td", LastModified: "2026-11-27T15:00:00.000Z", ETag: `"abc"`, Size: 4096, StorageClass: "STANDARD"},
			{Key: "p&<>/日本\x00", LastModified: "2026-11-27T15:00:00.001Z", ETag: `"def-2"`, Size: 0, StorageClass: "GLACIER",
				ChecksumAlgorithm: []string{"CRC32"}, ChecksumType: "FULL_OBJECT", Owner: &owner{ID: "o", DisplayName: "d"}},
		},
		CommonPrefixes: []commonPrefix{{Prefix: "p&<>/x/"}}}
	var out listBucketResult
	if err := xml.Unmarshal(in.appendXML(nil), &out); err != nil {
		t.Fatalf("decode: %v", err)
	}
	in.Contents[1].Key = "p&<>/日本\uFFFD" // NUL is not an XML character
	out.XMLName = xml.Name{}
	got, _ := xml.Marshal(out)
	want, _ := xml.Marshal(in)
	if !bytes.Equal(got, want) {
		t.Fatalf("round trip:\n got %s\nwant %s", got, want)
	}
}

func BenchmarkListingXML(b *testing.B) {
	res := &listBucketResult{Xmlns: xmlns, Name: "bench", Prefix: "list/", MaxKeys: 1000}
	for i := range 1000 {
		res.Contents = append(res.Contents, objectXML{Key: "list/" + strings.Repeat("k", 20), LastModified: "2026-11-27T15:00:00.000Z",
			ETag: `"620f0b67a91f7f74151bc5be745b7110"`, Size: int64(i), StorageClass: "STANDARD"})
	}
	b.Run("encoding/xml", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := xml.Marshal(res); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf = res.appendXML(buf[:0])
		}
	})
}
