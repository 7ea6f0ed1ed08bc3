package s3

import (
	"bufio"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/protocol"
)

// aws-chunked limits.
const (
	// maxChunkLine bounds a chunk header or trailer line; S3's lines are a hex size, an optional
	// 64-hex-digit chunk signature and a trailer name and base64 value.
	maxChunkLine = 4096
	// maxTrailers bounds the number of trailer lines.
	maxTrailers = 16
)

// errBadChunk reports a body that does not follow the aws-chunked encoding.
var errBadChunk = errors.New("malformed aws-chunked body")

// errChunkSignature reports a chunk or trailer of a signed streaming upload whose signature is
// missing or does not verify.
var errChunkSignature = errors.New("aws-chunked signature does not match")

// chunkSignatureParam is the chunk extension that carries a chunk's signature.
const chunkSignatureParam = "chunk-signature="

// trailerSignature is the trailer that carries the signature of the other trailers.
const trailerSignature = "x-amz-trailer-signature"

// emptySHA256 is the SHA-256 of nothing, the data of the final chunk.
var emptySHA256 = sha256.Sum256(nil)

// chunkedReader decodes an aws-chunked body (SigV4 streaming, signed or unsigned, with or without
// trailers) into the payload. After it returns io.EOF, trailers holds the trailing headers
// (lower-case names). With a ChunkVerifier it checks every chunk's signature as S3 does, the
// moment the chunk's last byte is read, and the trailer signature before it reports io.EOF: a
// reader of the payload never sees the end of a body that does not verify.
type chunkedReader struct {
	r        *bufio.Reader
	left     int64 // bytes left in the current chunk
	done     bool
	err      error
	trailers map[string]string
	// sig, when set, verifies the chunk signatures; sum hashes the current chunk's data and
	// chunkSig is the signature the chunk came with.
	sig      *protocol.ChunkVerifier
	sum      hash.Hash
	sumBuf   [sha256.Size]byte
	chunkSig string
}

// newChunkedReader decodes r; sig, when not nil, verifies the chunks of a signed streaming upload.
func newChunkedReader(r io.Reader, sig *protocol.ChunkVerifier) *chunkedReader {
	c := &chunkedReader{r: bufio.NewReaderSize(r, 64<<10), trailers: map[string]string{}, sig: sig}
	if sig != nil {
		c.sum = sha256.New()
	}
	return c
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	for c.left == 0 {
		if c.done {
			return 0, io.EOF
		}
		if err := c.nextChunk(); err != nil {
			c.err = err
			return 0, err
		}
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.sum != nil {
		c.sum.Write(p[:n])
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		c.err = err
		return n, err
	}
	if c.left == 0 {
		if err := c.endChunk(); err != nil {
			c.err = err
			return n, err
		}
	}
	return n, nil
}

// endChunk checks the end of a chunk's data: its CRLF and, when chunks are signed, its signature.
func (c *chunkedReader) endChunk() error {
	if err := c.expectCRLF(); err != nil {
		return err
	}
	if c.sig != nil && !c.sig.Chunk(c.sum.Sum(c.sumBuf[:0]), c.chunkSig) {
		return errChunkSignature
	}
	return nil
}

func (c *chunkedReader) line() (string, error) {
	var b []byte
	for {
		frag, err := c.r.ReadSlice('\n')
		b = append(b, frag...)
		if len(b) > maxChunkLine {
			return "", fmt.Errorf("%w: line too long", errBadChunk)
		}
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			if len(b) == 0 {
				return "", io.EOF
			}
			return "", fmt.Errorf("%w: %w", errBadChunk, io.ErrUnexpectedEOF)
		}
		return "", err
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

func (c *chunkedReader) expectCRLF() error {
	l, err := c.line()
	if err != nil {
		return err
	}
	if l != "" {
		return fmt.Errorf("%w: data after chunk", errBadChunk)
	}
	return nil
}

func (c *chunkedReader) nextChunk() error {
	l, err := c.line()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%w: %w", errBadChunk, io.ErrUnexpectedEOF)
		}
		return err
	}
	size, ext, _ := strings.Cut(l, ";")
	n, err := strconv.ParseInt(strings.TrimSpace(size), 16, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("%w: chunk size %q", errBadChunk, size)
	}
	if c.sig != nil {
		sig, ok := strings.CutPrefix(strings.TrimSpace(ext), chunkSignatureParam)
		if !ok {
			return errChunkSignature
		}
		c.chunkSig = sig
		c.sum.Reset()
	}
	if n > 0 {
		c.left = n
		return nil
	}
	if c.sig != nil && !c.sig.Chunk(emptySHA256[:], c.chunkSig) {
		return errChunkSignature
	}
	c.done = true
	if err := c.readTrailers(); err != nil {
		return err
	}
	return c.verifyTrailers()
}

// readTrailers reads the trailing headers after the final chunk, up to the empty line.
func (c *chunkedReader) readTrailers() error {
	for range maxTrailers + 1 {
		l, err := c.line()
		if errors.Is(err, io.EOF) || (err == nil && l == "") {
			return nil
		}
		if err != nil {
			return err
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			return fmt.Errorf("%w: trailer %q", errBadChunk, l)
		}
		if len(c.trailers) >= maxTrailers {
			return fmt.Errorf("%w: too many trailers", errBadChunk)
		}
		c.trailers[strings.ToLower(strings.TrimSpace(name))] = strings.TrimSpace(value)
	}
	return fmt.Errorf("%w: too many trailers", errBadChunk)
}

// verifyTrailers checks the trailer signature of a signed streaming upload: it covers the other
// trailers, "name:value\n" each, by name.
func (c *chunkedReader) verifyTrailers() error {
	sig, signed := c.trailers[trailerSignature]
	if c.sig == nil || (!signed && len(c.trailers) == 0) {
		return nil
	}
	if !signed {
		return errChunkSignature
	}
	var canonical strings.Builder
	for _, name := range slices.Sorted(maps.Keys(c.trailers)) {
		if name != trailerSignature {
			canonical.WriteString(name + ":" + c.trailers[name] + "\n")
		}
	}
	if !c.sig.Trailer(canonical.String(), sig) {
		return errChunkSignature
	}
	return nil
}

// chunkedError maps a decoding failure to S3's error.
func chunkedError(err error) error {
	if errors.Is(err, errChunkSignature) {
		return protocol.ErrSignatureDoesNotMatch(true)
	}
	if errors.Is(err, errBadChunk) || errors.Is(err, io.ErrUnexpectedEOF) {
		return awserr.New("IncompleteBody", "The request body terminated unexpectedly")
	}
	return err
}
