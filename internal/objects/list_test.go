package objects

import (
	"testing"
	"time"

	"github.com/ceap/ceap/internal/store"
)

// TestListEntryMatchesFullConversion checks that the listing's shortcut reports what the full
// conversion of a row reports, for every kind of attributes document.
func TestListEntryMatchesFullConversion(t *testing.T) {
	t.Parallel()
	docs := []*attrs{
		nil,
		{Segments: []int64{4096}},
		{Headers: Headers{ContentType: "text/plain", CacheControl: "no-cache"}, Segments: []int64{1}},
		{StorageClass: "GLACIER", Segments: []int64{1}},
		{Checksum: &Checksum{Algorithm: CRC32, Value: "NSRBwg==", Type: FullObject}},
		{Checksum: &Checksum{Algorithm: SHA256, Value: "x", Type: Composite}, Multipart: true, Segments: []int64{5, 5}},
		{Metadata: map[string]string{"storageclass": "GLACIER", "note": `"StorageClass":"GLACIER"`}},
		{Headers: Headers{ContentDisposition: `attachment; filename="Checksum"`}},
	}
	for i, a := range docs {
		var raw []byte
		if a != nil {
			raw = encodeAttrs(a)
		}
		for _, versioning := range []string{"", VersioningEnabled} {
			b := &store.BucketRow{Name: "b", Versioning: versioning}
			r := &store.ObjectRow{Bucket: "b", Key: "k", VersionID: "v1", IsLatest: true, Size: 10, ETag: `"e"`,
				Created: time.UnixMilli(1_700_000_000_123).UTC(), Attrs: raw, Seq: 7}
			got, want := listEntry(r, b), listedObject(r, b)
			if got.Key != want.Key || got.VersionID != want.VersionID || got.IsLatest != want.IsLatest || got.Size != want.Size ||
				got.ETag != want.ETag || !got.LastModified.Equal(want.LastModified) || got.StorageClass != want.StorageClass ||
				got.Checksum != want.Checksum || got.DeleteMarker != want.DeleteMarker {
				t.Fatalf("doc %d (%s), versioning %q: listEntry = %+v, want %+v", i, raw, versioning, got, want)
			}
		}
	}
}
