package blob

import (
	"crypto/rand"
	"encoding/hex"
)

// NewID returns a fresh random blob id.
func NewID() string {
	var b [idLen / 2]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it panics instead).
	return hex.EncodeToString(b[:])
}
