package objects

import (
	"encoding/base64"
	"encoding/binary"
	"testing"
)

func checksumOf(t *testing.T, alg string, data []byte) string {
	t.Helper()
	h, err := NewHash(alg)
	if err != nil {
		t.Fatalf("NewHash(%s): %v", alg, err)
	}
	h.Write(data)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func TestCheckValues(t *testing.T) {
	t.Parallel()
	// The standard check values of each CRC over "123456789".
	want := map[string]uint64{CRC32: 0xCBF43926, CRC32C: 0xE3069283, CRC64NVME: 0xAE8B14860A799888}
	for alg, v := range want {
		raw, _ := base64.StdEncoding.DecodeString(checksumOf(t, alg, []byte("123456789")))
		var got uint64
		if len(raw) == 4 {
			got = uint64(binary.BigEndian.Uint32(raw))
		} else {
			got = binary.BigEndian.Uint64(raw)
		}
		if got != v {
			t.Fatalf("%s(123456789) = %#x, want %#x", alg, got, v)
		}
	}
}

func TestCombineCRC(t *testing.T) {
	t.Parallel()
	data := make([]byte, 10_000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	cuts := []int{0, 1, 4096, 5000, 9999, 10_000}
	for _, alg := range []string{CRC32, CRC32C, CRC64NVME} {
		var parts []PartCRC
		for i := 0; i+1 < len(cuts); i++ {
			p := data[cuts[i]:cuts[i+1]]
			parts = append(parts, PartCRC{Value: checksumOf(t, alg, p), Size: int64(len(p))})
		}
		got, err := CombineCRC(alg, parts)
		if err != nil {
			t.Fatalf("CombineCRC(%s): %v", alg, err)
		}
		if want := checksumOf(t, alg, data); got != want {
			t.Fatalf("CombineCRC(%s) = %s, want %s", alg, got, want)
		}
	}
}

func TestETags(t *testing.T) {
	t.Parallel()
	d, _ := NewDigest("")
	d.Write([]byte("hello"))
	if got := ETag(d.MD5()); got != `"5d41402abc4b2a76b9719d911017c592"` {
		t.Fatalf("ETag(hello) = %s", got)
	}
	md5a, _ := ParseETag(`"5d41402abc4b2a76b9719d911017c592"`)
	// MD5 of the raw MD5 of "hello" twice, as S3 computes a two-part ETag.
	if got := MultipartETag([][]byte{md5a, md5a}); got[len(got)-3:] != `-2"` || len(got) != 36 {
		t.Fatalf("MultipartETag = %s", got)
	}
	if _, ok := ParseETag(`"abc"`); ok {
		t.Fatalf("ParseETag accepted a short value")
	}
}

func TestCompositeChecksum(t *testing.T) {
	t.Parallel()
	a, b := checksumOf(t, SHA256, []byte("part one")), checksumOf(t, SHA256, []byte("part two"))
	got, err := CompositeChecksum(SHA256, []string{a, b})
	if err != nil {
		t.Fatalf("CompositeChecksum: %v", err)
	}
	ra, _ := base64.StdEncoding.DecodeString(a)
	rb, _ := base64.StdEncoding.DecodeString(b)
	if want := checksumOf(t, SHA256, append(ra, rb...)) + "-2"; got != want {
		t.Fatalf("CompositeChecksum = %s, want %s", got, want)
	}
}

func TestAlgorithmNames(t *testing.T) {
	t.Parallel()
	if a, ok := ValidAlgorithm("crc32c"); !ok || a != CRC32C {
		t.Fatalf("ValidAlgorithm(crc32c) = %q, %v", a, ok)
	}
	if _, ok := ValidAlgorithm("md5"); ok {
		t.Fatalf("ValidAlgorithm accepted md5")
	}
	if !ValidChecksumType(CRC64NVME, FullObject) || ValidChecksumType(CRC64NVME, Composite) || ValidChecksumType(SHA1, FullObject) {
		t.Fatalf("ValidChecksumType disagrees with S3's table")
	}
}
