package fsblob_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ceap/ceap/internal/blob"
	"github.com/ceap/ceap/internal/blob/blobtest"
	"github.com/ceap/ceap/internal/blob/fsblob"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	blobtest.Run(t, func(t *testing.T) blob.Store {
		s, err := fsblob.New(t.TempDir())
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		return s
	})
}

func TestBlobsStayUnderRoot(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	s, err := fsblob.New(root)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	small, err := s.Put(context.Background(), bytes.NewReader([]byte("body")))
	if err != nil {
		t.Fatalf("Put small: %v", err)
	}
	large, err := s.Put(context.Background(), bytes.NewReader(make([]byte, 1<<20)))
	if err != nil {
		t.Fatalf("Put large: %v", err)
	}
	var found []string
	err = filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			found = append(found, p)
		}
		return err
	})
	if err != nil {
		t.Fatalf("walk: %v", err)
	}
	if len(found) != 2 {
		t.Fatalf("files after two Puts = %v, want a segment and one blob file", found)
	}
	for _, p := range found {
		if !strings.HasPrefix(p, root+string(filepath.Separator)) {
			t.Fatalf("file %s is outside %s", p, root)
		}
		if base := filepath.Base(p); base == small.ID {
			t.Fatalf("small blob %s got a file of its own", small.ID)
		}
	}
	if filepath.Base(found[0]) != large.ID && filepath.Base(found[1]) != large.ID {
		t.Fatalf("files = %v, want one named %s", found, large.ID)
	}
}

func TestReopenKeepsBlobs(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	s, err := fsblob.New(root)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	info, err := s.Put(context.Background(), bytes.NewReader([]byte("durable")))
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	s2, err := fsblob.New(root)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	st, err := s2.Stat(context.Background(), info.ID)
	if err != nil || st.Size != int64(len("durable")) {
		t.Fatalf("Stat after reopen = %+v, %v", st, err)
	}
}

// TestFileRange checks that a reader over part of a blob file hands over the file itself,
// positioned at the reader's next byte and limited to what it has left, so that a connection
// can send it with sendfile.
func TestFileRange(t *testing.T) {
	t.Parallel()
	s, err := fsblob.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	body := make([]byte, 300<<10) // above the extent size: a file of its own
	for i := range body {
		body[i] = byte(i % 251)
	}
	info, err := s.Put(context.Background(), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ off, length, readFirst int64 }{
		{1000, 5000, 0}, {1000, 5000, 777}, {0, 4096, 10}, {250 << 10, -1, 3}, {7, int64(len(body)) - 7, 0},
	} {
		rc, err := s.Open(context.Background(), info.ID, c.off, c.length)
		if err != nil {
			t.Fatal(err)
		}
		fr, ok := rc.(blob.FileReader)
		if !ok {
			t.Fatalf("Open(%d, %d) = %T, not a blob.FileReader", c.off, c.length, rc)
		}
		first := make([]byte, c.readFirst)
		if _, err := io.ReadFull(fr, first); err != nil {
			t.Fatal(err)
		}
		lr, err := fr.FileRange()
		if err != nil {
			t.Fatal(err)
		}
		if _, isFile := lr.R.(*os.File); !isFile {
			t.Fatalf("FileRange reads %T, not a file", lr.R)
		}
		rest, err := io.ReadAll(lr)
		if err != nil {
			t.Fatal(err)
		}
		end := int64(len(body))
		if c.length >= 0 {
			end = c.off + c.length
		}
		if got, want := append(first, rest...), body[c.off:end]; !bytes.Equal(got, want) {
			t.Fatalf("Open(%d, %d) after reading %d: %d bytes, want %d equal ones", c.off, c.length, c.readFirst, len(got), len(want))
		}
		rc.Close()
	}
}
