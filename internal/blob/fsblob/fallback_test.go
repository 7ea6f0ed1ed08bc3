package fsblob

import (
	"testing"

	"github.com/ceap/ceap/internal/blob"
	"github.com/ceap/ceap/internal/blob/blobtest"
)

// TestConformanceNamedTemps runs the conformance suite on the path taken where the filesystem has
// no O_TMPFILE: named temporary files renamed into place.
func TestConformanceNamedTemps(t *testing.T) {
	t.Parallel()
	blobtest.Run(t, func(t *testing.T) blob.Store {
		s, err := New(t.TempDir())
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		s.anonymous = false
		return s
	})
}

// TestAnonymousFilesOnLocalDisk checks that the test machine's filesystem takes the O_TMPFILE path,
// so that the other tests exercise it.
func TestAnonymousFilesOnLocalDisk(t *testing.T) {
	t.Parallel()
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if !s.anonymous {
		t.Fatalf("O_TMPFILE not used on %s", s.root)
	}
}
