package objects

import (
	"strings"
	"testing"
)

// FuzzListingHelpers checks the key arithmetic of listing: a common prefix is a prefix of its
// key ending with the delimiter, and skipPast sorts after every key under the prefix.
func FuzzListingHelpers(f *testing.F) {
	f.Add("executions/a/b.json", "executions/", "/")
	f.Add("a--b--c", "", "--")
	f.Add("日本/語", "日", "/")
	f.Fuzz(func(t *testing.T, key, prefix, delim string) {
		if ValidKey(key) != nil || !strings.HasPrefix(key, prefix) {
			return
		}
		cp := commonPrefixOf(key, prefix, delim)
		if cp == "" {
			return
		}
		if !strings.HasPrefix(key, cp) || !strings.HasSuffix(cp, delim) || !strings.HasPrefix(cp, prefix) {
			t.Fatalf("commonPrefixOf(%q, %q, %q) = %q", key, prefix, delim, cp)
		}
		if skip := skipPast(cp); key >= skip && !strings.HasPrefix(key, skip) {
			t.Fatalf("key %q sorts after skipPast(%q)", key, cp)
		}
	})
}
