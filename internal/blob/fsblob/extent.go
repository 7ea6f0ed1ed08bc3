package fsblob

import (
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"time"
)

const (
	// maxExtent is the largest body kept as an extent of a shared segment; a larger body gets a
	// file of its own. 64 KiB is where the two costs meet: below it, a blob's own file costs more
	// in fixed syscalls (create, link, a flush of its own) than its bytes cost to write, and the
	// S3 GET path serves bodies up to this size from memory with the headers in one write, so an
	// extent never needs sendfile. Above it, bytes dominate, bodies are no longer buffered before
	// they are stored, and sendfile serves whole files.
	maxExtent = 64 << 10
	// blockSize is the filesystem block size that extents are aligned to, so that punching out a
	// deleted extent frees exactly its blocks and never a neighbour's.
	blockSize = 4096
	// headerSize is the length of the header in front of every extent's body.
	headerSize = 32
	// maxBlocks bounds an extent's block index, which its id holds in 24 bits.
	maxBlocks = 1 << 24
)

// extentMagic opens every extent header.
var extentMagic = [4]byte{'c', 'e', 'x', '1'}

// extentTag is the first byte of an extent's id. Ids of files never start with it.
const extentTag = 0xe1

// castagnoli is CRC-32C, computed in hardware on amd64 and arm64.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// extentRef is where an extent lives, as its id says: 16 bytes, written as 32 hex digits:
//
//	[0]      extentTag
//	[1:5]    segment number, big-endian
//	[5:8]    block index of the header in the segment, big-endian
//	[8:16]   nonce, random, repeated in the header
//
// The nonce makes ids unguessable and never reused: a stale id (of a deleted extent, or from a
// segment number used again after its segment was removed) never matches a header.
type extentRef struct {
	seg   uint32
	block uint32
	nonce uint64
}

func (r extentRef) offset() int64 { return int64(r.block) * blockSize }

func (r extentRef) id() string {
	var b [16]byte
	b[0] = extentTag
	binary.BigEndian.PutUint32(b[1:5], r.seg)
	b[5], b[6], b[7] = byte(r.block>>16), byte(r.block>>8), byte(r.block)
	binary.BigEndian.PutUint64(b[8:16], r.nonce)
	return hex.EncodeToString(b[:])
}

// parseExtentID decodes an id that blob.ValidID accepted; false means it is not an extent's.
func parseExtentID(id string) (extentRef, bool) {
	var b [16]byte
	if len(id) != 2*len(b) {
		return extentRef{}, false
	}
	if _, err := hex.Decode(b[:], []byte(id)); err != nil || b[0] != extentTag {
		return extentRef{}, false
	}
	return extentRef{
		seg:   binary.BigEndian.Uint32(b[1:5]),
		block: uint32(b[5])<<16 | uint32(b[6])<<8 | uint32(b[7]),
		nonce: binary.BigEndian.Uint64(b[8:16]),
	}, true
}

// header is the fixed part in front of an extent's body:
//
//	[0:4]    extentMagic
//	[4:8]    CRC-32C of the extent's place (segment, block), of bytes [8:32] and of the body
//	[8:12]   body length
//	[12:16]  zero
//	[16:24]  creation time, Unix nanoseconds
//	[24:32]  nonce
//
// An all-zero header is a hole: a deleted extent, or the padding after one.
type header struct {
	length  uint32
	created int64
	nonce   uint64
}

func (h header) createdTime() time.Time { return time.Unix(0, h.created) }

// span is how many bytes the extent occupies in its segment, padding included.
func (h header) span() int64 { return alignUp(headerSize + int64(h.length)) }

func alignUp(n int64) int64 { return (n + blockSize - 1) &^ (blockSize - 1) }

// encode writes the header of body at ref into dst[:headerSize].
func (h header) encode(dst []byte, ref extentRef, body []byte) {
	copy(dst[0:4], extentMagic[:])
	binary.LittleEndian.PutUint32(dst[8:12], h.length)
	binary.LittleEndian.PutUint32(dst[12:16], 0)
	binary.LittleEndian.PutUint64(dst[16:24], uint64(h.created))
	binary.LittleEndian.PutUint64(dst[24:32], h.nonce)
	binary.LittleEndian.PutUint32(dst[4:8], extentCRC(ref, dst[:headerSize], body))
}

// extentCRC is the checksum a header carries. It covers the extent's place, so that a header
// copied elsewhere (inside another body) does not check out.
func extentCRC(ref extentRef, hdr, body []byte) uint32 {
	var place [8]byte
	binary.LittleEndian.PutUint32(place[0:4], ref.seg)
	binary.LittleEndian.PutUint32(place[4:8], ref.block)
	c := crc32.Update(0, castagnoli, place[:])
	c = crc32.Update(c, castagnoli, hdr[8:headerSize])
	return crc32.Update(c, castagnoli, body)
}

// headerState is what decodeHeader found.
type headerState int

const (
	// headerValid is a well-formed header (its body is not checked).
	headerValid headerState = iota
	// headerZero is an all-zero header: a hole.
	headerZero
	// headerBad is anything else: the torn tail of a segment.
	headerBad
)

func decodeHeader(b []byte) (header, headerState) {
	if [4]byte(b[0:4]) != extentMagic {
		for _, c := range b[:headerSize] {
			if c != 0 {
				return header{}, headerBad
			}
		}
		return header{}, headerZero
	}
	h := header{
		length:  binary.LittleEndian.Uint32(b[8:12]),
		created: int64(binary.LittleEndian.Uint64(b[16:24])),
		nonce:   binary.LittleEndian.Uint64(b[24:32]),
	}
	if h.length > maxExtent || binary.LittleEndian.Uint32(b[12:16]) != 0 {
		return header{}, headerBad
	}
	return h, headerValid
}

// checks reports whether hdr and body are intact for an extent at ref.
func checks(ref extentRef, hdr, body []byte) bool {
	return binary.LittleEndian.Uint32(hdr[4:8]) == extentCRC(ref, hdr, body)
}

// extentIDPrefix is how an extent's id begins: extentTag in hex.
const extentIDPrefix = "e1"
