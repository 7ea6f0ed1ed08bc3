package funcs

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/ceap/ceap/internal/awserr"
)

// MaxUnzippedCodeSize is Lambda's limit on a function's deployment package, unzipped (250 MB).
const MaxUnzippedCodeSize = 250 * 1024 * 1024

// MaxZipFileSize is Lambda's limit on a zip uploaded directly with ZipFile (50 MB).
const MaxZipFileSize = 50 * 1024 * 1024

// errRuntimeUnavailable reports a runtime whose interpreter is missing on this machine.
var errRuntimeUnavailable = errors.New("runtime interpreter unavailable")

func invalidZip(reason string) error {
	return awserr.New("InvalidParameterValueException", "Could not unzip uploaded file. Please check your file, then try to upload again. (%s)", reason)
}

// unzipCode unpacks a deployment package into dir (which must not exist yet), keeping the
// executable bits, refusing entries that would land outside dir and packages past Lambda's size.
func unzipCode(zipBytes []byte, dir string) error {
	zr, err := zip.NewReader(bytes.NewReader(zipBytes), int64(len(zipBytes)))
	if err != nil {
		return invalidZip(err.Error())
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
	}
	if total > MaxUnzippedCodeSize {
		return awserr.New("InvalidParameterValueException", "Unzipped size must be smaller than %d bytes", MaxUnzippedCodeSize)
	}
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("clear %s: %w", tmp, err)
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return fmt.Errorf("create code dir: %w", err)
	}
	var written int64
	for _, f := range zr.File {
		name := path.Clean(strings.ReplaceAll(f.Name, "\\", "/"))
		if name == "." || name == ".." || strings.HasPrefix(name, "../") || path.IsAbs(name) {
			_ = os.RemoveAll(tmp)
			return invalidZip("entry " + f.Name + " escapes the package root")
		}
		target := filepath.Join(tmp, filepath.FromSlash(name))
		if f.FileInfo().IsDir() {
			if err := os.MkdirAll(target, 0o755); err != nil {
				_ = os.RemoveAll(tmp)
				return fmt.Errorf("create %s: %w", name, err)
			}
			continue
		}
		if f.Mode()&fs.ModeSymlink != 0 {
			// Symbolic links could point anywhere on this machine; they are not unpacked.
			continue
		}
		n, err := writeEntry(f, target, name == "bootstrap", MaxUnzippedCodeSize-written)
		written += n
		if err != nil {
			_ = os.RemoveAll(tmp)
			return err
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("clear %s: %w", dir, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("install code dir: %w", err)
	}
	return nil
}

func writeEntry(f *zip.File, target string, executable bool, budget int64) (int64, error) {
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return 0, fmt.Errorf("create dir for %s: %w", f.Name, err)
	}
	rc, err := f.Open()
	if err != nil {
		return 0, invalidZip(err.Error())
	}
	defer rc.Close()
	mode := os.FileMode(0o644)
	if executable || f.Mode()&0o111 != 0 {
		mode = 0o755
	}
	out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return 0, fmt.Errorf("create %s: %w", f.Name, err)
	}
	n, err := io.Copy(out, io.LimitReader(rc, budget+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, invalidZip(err.Error())
	}
	if n > budget {
		return n, awserr.New("InvalidParameterValueException", "Unzipped size must be smaller than %d bytes", MaxUnzippedCodeSize)
	}
	return n, nil
}
