package s3

import (
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// readFromRecorder is a ResponseWriter that, like net/http's, can take a file itself.
type readFromRecorder struct {
	*httptest.ResponseRecorder
	readFrom bool
}

func (r *readFromRecorder) ReadFrom(src io.Reader) (int64, error) {
	r.readFrom = true
	return io.Copy(r.ResponseRecorder, src)
}

// TestResponseWriterPassesReadFrom checks that the wrapper that counts a response's bytes hands
// a body to the connection's ReadFrom, where net/http sends a file with sendfile, instead of
// copying it through a buffer.
func TestResponseWriterPassesReadFrom(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "body")
	if err := os.WriteFile(path, []byte("file body"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rec := &readFromRecorder{ResponseRecorder: httptest.NewRecorder()}
	w := &responseWriter{ResponseWriter: rec}
	n, err := io.Copy(w, io.LimitReader(f, 4))
	if err != nil || n != 4 || rec.Body.String() != "file" {
		t.Fatalf("copy = %d, %v, body %q", n, err, rec.Body.String())
	}
	if !rec.readFrom || w.bytes != 4 || w.status != 200 {
		t.Fatalf("ReadFrom reached the connection: %v; counted %d bytes, status %d", rec.readFrom, w.bytes, w.status)
	}
}
