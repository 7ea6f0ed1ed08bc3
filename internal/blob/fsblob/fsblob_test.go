package fsblob_test

import (
	"bytes"
	"context"
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
	info, err := s.Put(context.Background(), bytes.NewReader([]byte("body")))
	if err != nil {
		t.Fatalf("Put: %v", err)
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
	if len(found) != 1 || filepath.Base(found[0]) != info.ID || !strings.HasPrefix(found[0], root+string(filepath.Separator)) {
		t.Fatalf("files after one Put = %v, want one file named %s under %s", found, info.ID, root)
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
