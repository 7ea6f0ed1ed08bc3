package s3

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ceap/ceap/internal/awserr"
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

// chunkedReader decodes an aws-chunked body (SigV4 streaming, signed or unsigned, with or without
// trailers) into the payload. After it returns io.EOF, trailers holds the trailing headers
// (lower-case names). Chunk signatures are parsed but not verified.
type chunkedReader struct {
	r        *bufio.Reader
	left     int64 // bytes left in the current chunk
	done     bool
	err      error
	trailers map[string]string
}

func newChunkedReader(r io.Reader) *chunkedReader {
	return &chunkedReader{r: bufio.NewReaderSize(r, 64<<10), trailers: map[string]string{}}
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
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		c.err = err
		return n, err
	}
	if c.left == 0 {
		if err := c.expectCRLF(); err != nil {
			c.err = err
			return n, err
		}
	}
	return n, nil
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
	size, _, _ := strings.Cut(l, ";")
	n, err := strconv.ParseInt(strings.TrimSpace(size), 16, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("%w: chunk size %q", errBadChunk, size)
	}
	if n > 0 {
		c.left = n
		return nil
	}
	c.done = true
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

// chunkedError maps a decoding failure to S3's error.
func chunkedError(err error) error {
	if errors.Is(err, errBadChunk) || errors.Is(err, io.ErrUnexpectedEOF) {
		return awserr.New("IncompleteBody", "The request body terminated unexpectedly")
	}
	return err
}
