package s3

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzLifecycleXML(f *testing.F) {
	f.Add(`<LifecycleConfiguration><Rule><ID>DeleteOldExecutions</ID><Prefix>executions/</Prefix><Status>Enabled</Status><Expiration><Days>7</Days></Expiration></Rule></LifecycleConfiguration>`)
	f.Add(`<LifecycleConfiguration><Rule><Filter><And><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value></Tag><ObjectSizeGreaterThan>1</ObjectSizeGreaterThan></And></Filter><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>3</NoncurrentDays></NoncurrentVersionExpiration></Rule></LifecycleConfiguration>`)
	f.Add(`<LifecycleConfiguration><Rule><Filter></Filter><Status>Disabled</Status><Expiration><Date>2026-01-01T00:00:00Z</Date></Expiration><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule></LifecycleConfiguration>`)
	f.Fuzz(func(t *testing.T, doc string) {
		var in lifecycleConfiguration
		if xml.Unmarshal([]byte(doc), &in) != nil {
			return
		}
		l, err := lifecycleFromXML(&in)
		if err != nil || l.Validate() != nil {
			return
		}
		// A configuration that S3 accepts must read back as the same rules.
		body, err := xml.Marshal(lifecycleToXML(l))
		if err != nil {
			t.Fatalf("marshal accepted configuration: %v", err)
		}
		var again lifecycleConfiguration
		if err := xml.Unmarshal(body, &again); err != nil {
			t.Fatalf("re-read %s: %v", body, err)
		}
		l2, err := lifecycleFromXML(&again)
		if err != nil {
			t.Fatalf("re-convert: %v", err)
		}
		if !reflect.DeepEqual(l, l2) {
			t.Fatalf("round trip changed the rules:\n%+v\n%+v", l, l2)
		}
	})
}

func FuzzRequestDocuments(f *testing.F) {
	f.Add(`<Delete><Object><Key>a</Key><VersionId>v</VersionId></Object><Quiet>true</Quiet></Delete>`)
	f.Add(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"x"</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part></CompleteMultipartUpload>`)
	f.Add(`<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>`)
	f.Fuzz(func(t *testing.T, doc string) {
		// Decoding untrusted documents must never panic, whatever they hold.
		var d deleteRequest
		_ = xml.Unmarshal([]byte(doc), &d)
		var c completeMultipartUpload
		if xml.Unmarshal([]byte(doc), &c) == nil {
			for _, p := range c.Parts {
				_ = checksumFromXML(p.checksumsXML)
			}
		}
		var tg tagging
		if xml.Unmarshal([]byte(doc), &tg) == nil {
			_ = tagsFromXML(tg.TagSet)
		}
		var v versioningConfiguration
		_ = xml.Unmarshal([]byte(doc), &v)
	})
}

// FuzzKeyRouting checks that any key, escaped as the SDKs escape it, routes back to itself in
// both addressing styles, and that no path makes routing panic.
func FuzzKeyRouting(f *testing.F) {
	for _, k := range []string{"a", "../../etc/passwd", "/abs", "a//b", "%2F", "日本語/キー", "sp ace+plus?q#h", "\x00nul"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		raw := &http.Request{Method: http.MethodGet, Host: "127.0.0.1:4566", URL: &url.URL{Path: "/b/" + key, RawPath: "/b/" + key}}
		route(raw) // arbitrary paths must not panic
		if key == "" || !utf8.ValidString(key) {
			return
		}
		segs := strings.Split(key, "/")
		for i, s := range segs {
			segs[i] = url.PathEscape(s)
		}
		escaped := strings.Join(segs, "/")
		u, err := url.Parse("http://127.0.0.1:4566/my-bucket/" + escaped)
		if err != nil {
			return
		}
		b, k := route(&http.Request{Host: u.Host, URL: u})
		if b != "my-bucket" || k != key {
			t.Fatalf("path-style %q routed to (%q, %q)", escaped, b, k)
		}
		u2, _ := url.Parse("http://my-bucket.localhost:4566/" + escaped)
		b, k = route(&http.Request{Host: u2.Host, URL: u2})
		if b != "my-bucket" || k != key {
			t.Fatalf("virtual-host %q routed to (%q, %q)", escaped, b, k)
		}
	})
}
