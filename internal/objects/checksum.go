package objects

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"hash/crc32"
	"strings"

	"github.com/minio/crc64nvme"

	"github.com/ceap/ceap/internal/awserr"
)

// Checksum algorithms of S3's additional checksums (the ChecksumAlgorithm enum of the S3 model).
const (
	CRC32     = "CRC32"
	CRC32C    = "CRC32C"
	CRC64NVME = "CRC64NVME"
	SHA1      = "SHA1"
	SHA256    = "SHA256"
)

// Checksum types (the ChecksumType enum of the S3 model).
const (
	FullObject = "FULL_OBJECT"
	Composite  = "COMPOSITE"
)

// Algorithms lists the checksum algorithms in the order S3 documents them.
var algorithms = []string{CRC32, CRC32C, CRC64NVME, SHA1, SHA256}

// Algorithms returns the supported checksum algorithm names.
func Algorithms() []string { return append([]string(nil), algorithms...) }

// crc64NVMEPoly is the CRC-64/NVME polynomial in reversed (LSB-first) form.
const crc64NVMEPoly = 0x9a6c9329ac4bc9b5

// Checksum is an additional checksum of an object or part: the algorithm, its base64 value and,
// for objects, whether it covers the full object or is a composite of part checksums.
type Checksum struct {
	Algorithm string
	Value     string
	Type      string
}

// ValidAlgorithm normalises an algorithm name (S3 accepts any case) and reports whether it is known.
func ValidAlgorithm(name string) (string, bool) {
	up := strings.ToUpper(name)
	for _, a := range algorithms {
		if a == up {
			return a, true
		}
	}
	return "", false
}

// NewHash returns a fresh hash for a checksum algorithm.
func NewHash(alg string) (hash.Hash, error) {
	switch alg {
	case CRC32:
		return crc32.NewIEEE(), nil
	case CRC32C:
		return crc32.New(crc32.MakeTable(crc32.Castagnoli)), nil
	case CRC64NVME:
		// minio/crc64nvme folds with carry-less multiplication (about 15 GB/s here); Go's
		// hash/crc64 has no such path for this polynomial (about 0.9 GB/s, slower than MD5).
		return crc64nvme.New(), nil
	case SHA1:
		return sha1.New(), nil
	case SHA256:
		return sha256.New(), nil
	}
	return nil, awserr.New("InvalidRequest", "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
}

// isCRC reports whether alg is a CRC, whose full-object value can be combined from parts.
func isCRC(alg string) bool { return alg == CRC32 || alg == CRC32C || alg == CRC64NVME }

// DefaultChecksumType returns the checksum type S3 uses for a multipart upload when the client
// names none: FULL_OBJECT for CRC64NVME, COMPOSITE for the others.
func DefaultChecksumType(alg string) string {
	if alg == CRC64NVME {
		return FullObject
	}
	return Composite
}

// ValidChecksumType reports whether an algorithm supports a checksum type for multipart uploads:
// full-object checksums need a CRC, composite ones anything but CRC64NVME.
func ValidChecksumType(alg, typ string) bool {
	switch typ {
	case FullObject:
		return isCRC(alg)
	case Composite:
		return alg != CRC64NVME
	}
	return false
}

// ETag returns the quoted ETag of a single-part object from its MD5.
func ETag(md5sum []byte) string { return `"` + hex.EncodeToString(md5sum) + `"` }

// MultipartETag returns the ETag of a multipart object: the MD5 of the parts' MD5s, a dash and the
// part count.
func MultipartETag(partMD5s [][]byte) string {
	h := md5.New()
	for _, p := range partMD5s {
		h.Write(p)
	}
	return fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(h.Sum(nil)), len(partMD5s))
}

// ParseETag returns the MD5 bytes of a single-part ETag (quoted or not).
func ParseETag(etag string) ([]byte, bool) {
	b, err := hex.DecodeString(strings.Trim(etag, `"`))
	if err != nil || len(b) != md5.Size {
		return nil, false
	}
	return b, true
}

// CompositeChecksum returns the composite checksum of a multipart object: the algorithm applied to
// the concatenated raw part checksums, a dash and the part count.
func CompositeChecksum(alg string, partValues []string) (string, error) {
	h, err := NewHash(alg)
	if err != nil {
		return "", err
	}
	for _, v := range partValues {
		raw, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return "", fmt.Errorf("decode part checksum: %w", err)
		}
		h.Write(raw)
	}
	return fmt.Sprintf("%s-%d", base64.StdEncoding.EncodeToString(h.Sum(nil)), len(partValues)), nil
}

// PartCRC is one part's CRC value (base64) and length, for combining into a full-object CRC.
type PartCRC struct {
	Value string
	Size  int64
}

// CombineCRC returns the full-object CRC of the concatenation of parts, from the parts' CRCs alone.
func CombineCRC(alg string, parts []PartCRC) (string, error) {
	var poly uint64
	width := 32
	switch alg {
	case CRC32:
		poly = uint64(crc32.IEEE)
	case CRC32C:
		poly = uint64(crc32.Castagnoli)
	case CRC64NVME:
		poly, width = crc64NVMEPoly, 64
	default:
		return "", fmt.Errorf("combine %s: not a CRC", alg)
	}
	var crc uint64
	for i, p := range parts {
		raw, err := base64.StdEncoding.DecodeString(p.Value)
		if err != nil || len(raw) != width/8 {
			return "", fmt.Errorf("decode part %d checksum %q: bad value", i+1, p.Value)
		}
		var v uint64
		if width == 32 {
			v = uint64(binary.BigEndian.Uint32(raw))
		} else {
			v = binary.BigEndian.Uint64(raw)
		}
		if i == 0 {
			crc = v
			continue
		}
		crc = crcCombine(crc, v, p.Size, poly, width)
	}
	out := make([]byte, width/8)
	if width == 32 {
		binary.BigEndian.PutUint32(out, uint32(crc))
	} else {
		binary.BigEndian.PutUint64(out, crc)
	}
	return base64.StdEncoding.EncodeToString(out), nil
}

// crcCombine returns the CRC of A||B from crc(A), crc(B) and len(B), for a reflected CRC of the
// given width and reversed polynomial with all-ones init and final xor (zlib's method: apply the
// operator for len2 zero bytes to crc1 by repeated squaring of a GF(2) matrix).
func crcCombine(crc1, crc2 uint64, len2 int64, poly uint64, width int) uint64 {
	if len2 == 0 {
		return crc1
	}
	odd := make([]uint64, width)
	even := make([]uint64, width)
	odd[0] = poly
	row := uint64(1)
	for n := 1; n < width; n++ {
		odd[n] = row
		row <<= 1
	}
	gf2Square(even, odd) // operator for two zero bits
	gf2Square(odd, even) // operator for four zero bits
	for {
		gf2Square(even, odd)
		if len2&1 != 0 {
			crc1 = gf2Times(even, crc1)
		}
		len2 >>= 1
		if len2 == 0 {
			break
		}
		gf2Square(odd, even)
		if len2&1 != 0 {
			crc1 = gf2Times(odd, crc1)
		}
		len2 >>= 1
		if len2 == 0 {
			break
		}
	}
	return crc1 ^ crc2
}

func gf2Times(mat []uint64, vec uint64) uint64 {
	var sum uint64
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
	}
	return sum
}

func gf2Square(square, mat []uint64) {
	for n := range mat {
		square[n] = gf2Times(mat, mat[n])
	}
}

// Digest computes the MD5 and, optionally, one additional checksum of a body while it streams.
type Digest struct {
	md5  hash.Hash
	sum  hash.Hash
	alg  string
	size int64
}

// NewDigest returns a Digest; alg may be empty for MD5 only.
func NewDigest(alg string) (*Digest, error) {
	sum, err := checksumHash(alg)
	if err != nil {
		return nil, err
	}
	return &Digest{md5: md5.New(), sum: sum, alg: alg}, nil
}

// checksumHash returns the hash of an additional checksum, nil for none.
func checksumHash(alg string) (hash.Hash, error) {
	if alg == "" {
		return nil, nil
	}
	return NewHash(alg)
}

// Write hashes p.
func (d *Digest) Write(p []byte) (int, error) {
	d.md5.Write(p)
	if d.sum != nil {
		d.sum.Write(p)
	}
	d.size += int64(len(p))
	return len(p), nil
}

// MD5 returns the MD5 of what was written.
func (d *Digest) MD5() []byte { return d.md5.Sum(nil) }

// Size returns the number of bytes written.
func (d *Digest) Size() int64 { return d.size }

// Checksum returns the additional checksum (base64), or "" when none was asked for.
func (d *Digest) Checksum() string {
	if d.sum == nil {
		return ""
	}
	return base64.StdEncoding.EncodeToString(d.sum.Sum(nil))
}

// Algorithm returns the additional checksum's algorithm, or "".
func (d *Digest) Algorithm() string { return d.alg }
