package objects

import (
	"crypto/md5"
	"hash"
	"testing"
)

// BenchmarkChecksum hashes 1 MiB with each checksum algorithm that an upload may carry, and with
// MD5 (the ETag, computed for every body): the per-byte work of a PUT besides the copies.
//
//	go test -run XXX -bench Checksum ./internal/objects
func BenchmarkChecksum(b *testing.B) {
	body := make([]byte, 1<<20)
	for i := range body {
		body[i] = byte(i * 31)
	}
	for _, alg := range []string{CRC32, CRC32C, CRC64NVME, SHA1, SHA256, "MD5"} {
		b.Run(alg, func(b *testing.B) {
			var h hash.Hash = md5.New()
			if alg != "MD5" {
				var err error
				if h, err = NewHash(alg); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				h.Write(body)
			}
		})
	}
}
